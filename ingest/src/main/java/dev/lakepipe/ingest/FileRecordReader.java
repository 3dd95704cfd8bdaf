package dev.lakepipe.ingest;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PushbackInputStream;
import java.io.Reader;
import java.nio.charset.Charset;
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
 * is dropped. A file that fails mid-way keeps the records read before the failure and adds one
 * {@code UNREADABLE_FILE} record at the line where it failed, so the quarantine names file and line.
 */
final class FileRecordReader implements FlatMapFunction<InputFile, Row> {

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
    Charset charset = Charset.forName(source.encoding());
    try (InputStream in = open(hadoopConf, file.path())) {
      switch (source.format()) {
        case CSV -> CsvRecords.read(file, source, reader(in, charset), out, maxRecordsPerFile);
        case JSONL -> JsonLinesRecords.read(file, new BufferedReader(reader(in, charset)), out, maxRecordsPerFile);
        case EMAIL -> out.add(MessageRecords.read(file, in.readAllBytes(), charset, true));
        case TEXT -> out.add(MessageRecords.read(file, in.readAllBytes(), charset, false));
        default -> throw new IllegalStateException("not a file format: " + source.format());
      }
    } catch (IOException | RuntimeException e) {
      long line = out.isEmpty() ? 1L : lastRow(out) + 1;
      out.add(RawRecords.error(file, line, RawRecords.UNREADABLE_FILE,
          "Cannot read " + file.path() + " after line " + (line - 1) + ": " + e
              + ". Replace or repair the file; the records before this line were read.", null));
    }
    return out.iterator();
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
    return new InputStreamReader(pb, isBom ? StandardCharsets.UTF_8 : charset);
  }
}
