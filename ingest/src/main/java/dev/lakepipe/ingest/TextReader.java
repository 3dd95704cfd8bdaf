package dev.lakepipe.ingest;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.Charset;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.charset.UnmappableCharacterException;
import java.util.Objects;

/**
 * A file's text, decoded strictly: a byte not valid in the charset is a failure, never a silent U+FFFD. A
 * failure (such a byte, or the stream below failing: a cut gzip file) surfaces only after every character
 * before it has been read, and each read asks the stream below at most once, so the records before the damage
 * are read and the line it is on can be named. {@link java.io.InputStreamReader} does neither: the read that
 * fails throws away the characters it had decoded, up to 8 KB of good records. A UTF-8 byte order mark is
 * dropped and means UTF-8.
 *
 * <p>By default the read after the last good character throws the failure, which suits line readers. After
 * {@link #endAtFailure()} that read returns end of input instead and the failure waits in {@link #failure()}:
 * univocity's CSV parser reads one character ahead, so a thrown failure would take with it the record that ends
 * just before the damage; at end of input the parser returns that record whole, and the record the damage cuts
 * short comes back marked as stopped by end of input.
 */
final class TextReader extends Reader {

  private static final int BUFFER = 8192;

  private final InputStream in;
  private final CharsetDecoder decoder;
  private final ByteBuffer bytes = ByteBuffer.allocate(BUFFER).flip();
  private final CharBuffer chars = CharBuffer.allocate(BUFFER).flip();
  private boolean endOfInput;
  private boolean flushed;
  private boolean endAtFailure;
  private IOException failure;

  TextReader(InputStream in, Charset charset) {
    this.in = in;
    while (bytes.remaining() < 3 && !endOfInput && failure == null) {
      readBytes();
    }
    boolean bom = bytes.remaining() >= 3 && bytes.get(0) == (byte) 0xEF && bytes.get(1) == (byte) 0xBB
        && bytes.get(2) == (byte) 0xBF;
    if (bom) {
      bytes.position(3);
    }
    this.decoder = (bom ? StandardCharsets.UTF_8 : charset).newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
  }

  /** From now on the read that meets the failure returns end of input; the failure is kept in {@link #failure()}. */
  void endAtFailure() {
    endAtFailure = true;
  }

  /** What stopped the text before the end of the file (a byte not valid in the charset, an I/O failure), or null. */
  IOException failure() {
    return chars.hasRemaining() ? null : failure;
  }

  @Override
  public int read(char[] cbuf, int off, int len) throws IOException {
    Objects.checkFromIndexSize(off, len, cbuf.length);
    if (len == 0) {
      return 0;
    }
    if (!chars.hasRemaining()) {
      refill();
    }
    if (!chars.hasRemaining()) {
      if (failure != null && !endAtFailure) {
        throw failure;
      }
      return -1;
    }
    int n = Math.min(len, chars.remaining());
    chars.get(cbuf, off, n);
    return n;
  }

  /** Decodes the next characters into {@code chars}: at least one, unless the text ended or failed first. */
  private void refill() {
    chars.clear();
    while (chars.position() == 0 && failure == null && !flushed) {
      CoderResult r = decoder.decode(bytes, chars, endOfInput);
      if (r.isUnderflow() && endOfInput) {
        r = decoder.flush(chars);
        flushed = r.isUnderflow();
      }
      if (r.isError()) {
        failure = r.isMalformed() ? new MalformedInputException(r.length())
            : new UnmappableCharacterException(r.length());
      } else if (r.isUnderflow() && !endOfInput) {
        readBytes();
      }
    }
    chars.flip();
  }

  /** One read of the stream below, appended to {@code bytes}; a failure is kept, not thrown. */
  private void readBytes() {
    bytes.compact();
    try {
      int n = in.read(bytes.array(), bytes.arrayOffset() + bytes.position(), bytes.remaining());
      if (n < 0) {
        endOfInput = true;
      } else {
        bytes.position(bytes.position() + n);
      }
    } catch (IOException e) {
      failure = e;
    } finally {
      bytes.flip();
    }
  }

  @Override
  public void close() throws IOException {
    in.close();
  }
}
