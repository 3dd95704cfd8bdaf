package dev.lakepipe.ingest;

import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PushbackInputStream;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
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
    try (InputStream in = new BufferedInputStream(open(hadoopConf, file.path()), BINARY_PROBE)) {
      int nul = asciiCompatible(charset) ? firstNul(in) : -1;
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

  /** The first I/O failure in {@code e}'s causes (parsers wrap them), or null. */
  static IOException ioCause(Throwable e) {
    for (Throwable t = e; t != null && t.getCause() != t; t = t.getCause()) {
      if (t instanceof IOException io) {
        return io;
      }
    }
    return null;
  }

  /** Offset of the first NUL byte in the first {@link #BINARY_PROBE} bytes, or -1; the stream is not consumed. */
  private static int firstNul(InputStream in) throws IOException {
    in.mark(BINARY_PROBE);
    byte[] head = in.readNBytes(BINARY_PROBE);
    in.reset();
    for (int i = 0; i < head.length; i++) {
      if (head[i] == 0) {
        return i;
      }
    }
    return -1;
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

  /** A reader over the stream that drops a leading UTF-8 byte order mark. */
  static Reader reader(InputStream in, Charset charset) throws IOException {
    PushbackInputStream pb = new PushbackInputStream(in, 3);
    byte[] bom = new byte[3];
    int n = pb.readNBytes(bom, 0, 3);
    boolean isBom = n == 3 && (bom[0] & 0xFF) == 0xEF && (bom[1] & 0xFF) == 0xBB && (bom[2] & 0xFF) == 0xBF;
    if (!isBom && n > 0) {
      pb.unread(bom, 0, n);
    }
    // Strict: bytes not valid in the charset fail the read (naming the line) instead of becoming U+FFFD.
    return new InputStreamReader(pb, (isBom ? StandardCharsets.UTF_8 : charset).newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT));
  }
}
