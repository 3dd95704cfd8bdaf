package dev.lakepipe.ingest;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.io.compress.CompressionCodec;
import org.apache.hadoop.io.compress.CompressionCodecFactory;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Row;

/**
 * Reads whole input files on executors, one task per file, and emits {@link RawRecords} rows with exact
 * line numbers. One task per file is the same parallelism Spark's own CSV reader has for multi-line fields
 * and gzip input (neither can be split); many files give many tasks.
 *
 * <p>Compressed files (any Hadoop codec by extension: .gz, .bz2, ...) are read as-is; a UTF-8 byte order mark
 * is dropped. A file that fails mid-way (a cut or corrupt compressed stream, bytes not valid in the charset)
 * keeps the records read before the failure and adds one {@code UNREADABLE_FILE} record at the line where it
 * failed, so the quarantine names file and line. A file with a NUL byte in its first 8,000 bytes is binary
 * (an image, an archive) and is one {@code UNREADABLE_FILE} record, never text.
 *
 * <p>Charset: a UTF-8 byte order mark means UTF-8; otherwise a file that is valid UTF-8 is read as UTF-8 and
 * the others with the source's {@code encoding} (two reads of such a file; none when {@code encoding} is UTF-8,
 * the default). Decoding is strict: a byte not valid in the charset is a read failure, never a silent U+FFFD.
 * Text is decoded by {@link TextReader}, which loses none of the characters before a failure, and no layer
 * below it reads ahead past one call, so the records before the damage are read whatever the buffer sizes.
 */
final class FileRecordReader implements FlatMapFunction<InputFile, Row> {

  /** How many leading bytes are looked at for a NUL byte (git and grep look at 8,000 to call a file binary). */
  static final int BINARY_PROBE = 8000;

  private final SourceSettings source;
  private final HadoopConf hadoopConf;
  private final long maxRecordsPerFile;

  FileRecordReader(SourceSettings source, HadoopConf hadoopConf) {
    this(source, hadoopConf, Long.MAX_VALUE);
  }

  /** A reader that stops each file after {@code maxRecordsPerFile} records (a sample; ingest reads all). */
  FileRecordReader(SourceSettings source, HadoopConf hadoopConf, long maxRecordsPerFile) {
    this.source = source;
    this.hadoopConf = hadoopConf;
    this.maxRecordsPerFile = maxRecordsPerFile;
  }

  @Override
  public Iterator<Row> call(InputFile file) {
    List<Row> out = new ArrayList<>();
    Charset configured = Charset.forName(source.encoding());
    // A file that is valid UTF-8 is read as UTF-8 whatever `encoding` says, so a folder mixing UTF-8 and
    // (say) windows-1252 files reads both right; `encoding` names the charset of the files that are not.
    if (!source.format().isOneRecordPerFile() && !configured.equals(StandardCharsets.UTF_8)
        && asciiCompatible(configured)) {
      Exception failure = readFile(file, StandardCharsets.UTF_8, out);
      if (!isDecodingFailure(failure)) {
        addFailure(file, StandardCharsets.UTF_8, failure, out);
        return out.iterator();
      }
      out.clear();
    }
    addFailure(file, configured, readFile(file, configured, out), out);
    return out.iterator();
  }

  /** Reads the whole file into {@code out}; returns what stopped it early, or null. */
  private Exception readFile(InputFile file, Charset charset, List<Row> out) {
    try (Lookahead in = new Lookahead(open(hadoopConf, file.path()), BINARY_PROBE)) {
      int nul = asciiCompatible(charset) ? in.firstNul() : -1;
      if (nul >= 0) {
        out.add(RawRecords.error(file, 1L, RawRecords.UNREADABLE_FILE,
            "Cannot read " + file.path() + ": it is binary (a NUL byte at offset " + nul + "), not "
                + (source.format() == SourceFormat.TEXT ? "text" : source.format().id() + " text")
                + ". Remove it from the source's folder or narrow ingest.sources." + source.name()
                + ".include (e.g. \"" + switch (source.format()) {
                  case TEXT -> "*.txt";
                  case EMAIL -> "*.eml";
                  default -> "*." + source.format().id();
                } + "\").", null));
        return null;
      }
      switch (source.format()) {
        case CSV -> CsvRecords.read(file, source, reader(in, charset), out, maxRecordsPerFile);
        case JSONL -> JsonLinesRecords.read(file, new BufferedReader(reader(in, charset)), out, maxRecordsPerFile);
        case EMAIL -> out.add(MessageRecords.read(file, in.readAllBytes(), charset, true));
        case TEXT -> out.add(MessageRecords.read(file, in.readAllBytes(), charset, false));
        default -> throw new IllegalStateException("not a file format: " + source.format());
      }
      return null;
    } catch (UncheckedIOException e) {
      return e.getCause();
    } catch (IOException | RuntimeException e) {
      return e;
    }
  }

  /** Adds the UNREADABLE_FILE record for {@code failure} (none when null) at the line where it happened. */
  private void addFailure(InputFile file, Charset charset, Exception failure, List<Row> out) {
    if (failure == null) {
      return;
    }
    long line = failure instanceof ReadFailure f ? f.line : out.isEmpty() ? 1L : lastRow(out) + 1;
    Throwable cause = failure instanceof ReadFailure f ? f.getCause() : failure;
    String message = isDecodingFailure(failure)
        ? "Cannot read " + file.path() + ": line " + line + " is not valid " + charset.name() + ". Set ingest.sources."
            + source.name() + ".encoding to the file's charset (e.g. \"windows-1252\"; files that are valid UTF-8 "
            + "stay UTF-8), or convert the file to UTF-8; the records before this line were read."
        : "Cannot read " + file.path() + " after line " + (line - 1) + ": " + cause
            + ". Replace or repair the file; the records before this line were read.";
    out.add(RawRecords.error(file, line, RawRecords.UNREADABLE_FILE, message, null));
  }

  /**
   * An I/O failure (a cut gzip stream, bytes not valid in the charset) at a known line, thrown by the text
   * readers so the quarantine row names the line the damage starts on.
   */
  static final class ReadFailure extends IOException {
    final long line;

    ReadFailure(long line, IOException cause) {
      super(cause);
      this.line = line;
    }
  }

  private static boolean isDecodingFailure(Exception e) {
    return e instanceof CharacterCodingException
        || e instanceof ReadFailure f && f.getCause() instanceof CharacterCodingException;
  }

  /**
   * A stream whose first bytes are read ahead (to look for a NUL byte) and then served again before the rest. A
   * failure met while reading ahead (a damaged gzip header, a file cut within its first bytes) is raised once
   * the bytes before it were read. Each read asks the stream below at most once: a {@code BufferedInputStream}
   * loops while {@code available()} is positive, which a decompressing stream always says, and a failure in a
   * later round of its loop throws away the bytes of the earlier rounds.
   */
  static final class Lookahead extends InputStream {
    private final InputStream in;
    private final byte[] head;
    private final int length;
    private int pos;
    private IOException failure;

    Lookahead(InputStream in, int size) {
      this.in = in;
      this.head = new byte[size];
      int n = 0;
      try {
        for (int r; n < size && (r = in.read(head, n, size - n)) >= 0; ) {
          n += r;
        }
      } catch (IOException e) {
        failure = e;
      }
      this.length = n;
    }

    /** Offset of the first NUL byte among the bytes read ahead, or -1. */
    int firstNul() {
      for (int i = 0; i < length; i++) {
        if (head[i] == 0) {
          return i;
        }
      }
      return -1;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      Objects.checkFromIndexSize(off, len, b.length);
      if (len == 0) {
        return 0;
      }
      if (pos < length) {
        int n = Math.min(len, length - pos);
        System.arraycopy(head, pos, b, off, n);
        pos += n;
        return n;
      }
      if (failure != null) {
        throw failure;
      }
      return in.read(b, off, len);
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }

  /** Whether ASCII text reads the same in {@code charset} (UTF-8, ISO-8859-x, windows-125x; not UTF-16). */
  static boolean asciiCompatible(Charset charset) {
    String ascii = "id,text;\"x\"\n";
    return charset.canEncode() && java.util.Arrays.equals(ascii.getBytes(charset),
        ascii.getBytes(StandardCharsets.US_ASCII));
  }

  private static long lastRow(List<Row> rows) {
    Row last = rows.get(rows.size() - 1);
    return last.isNullAt(3) ? 0L : last.getLong(3);
  }

  /** Opens a file, decompressed when its extension names a Hadoop codec (.gz, .bz2, ...). */
  static InputStream open(HadoopConf hadoopConf, String path) throws IOException {
    Path p = new Path(path);
    FileSystem fs = p.getFileSystem(hadoopConf.get());
    InputStream raw = fs.open(p);
    CompressionCodec codec = new CompressionCodecFactory(hadoopConf.get()).getCodec(p);
    return codec == null ? raw : codec.createInputStream(raw);
  }

  /** The stream's text, strictly decoded, a leading UTF-8 byte order mark dropped (see {@link TextReader}). */
  static TextReader reader(InputStream in, Charset charset) {
    return new TextReader(in, charset);
  }
}
