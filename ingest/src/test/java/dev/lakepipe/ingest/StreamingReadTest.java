package dev.lakepipe.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakepipe.core.testing.SparkTestBase;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A file is streamed, not held: {@link FileRecordReader} reads a record only when asked for it, so memory does
 * not grow with the file's size. The files are read through {@link CountingFileSystem}, which counts the bytes
 * the reader has pulled from the file and the streams left open.
 *
 * <p>Fixtures, fixed-width lines so every offset is known by hand:
 * <ul>
 *   <li>{@code big.csv}: the header {@code id,text,label\n} (14 bytes), then for i = 1..300,000 the line
 *       {@code %06d,text %06d,ham\n} (6 + 1 + 11 + 1 + 3 + 1 = 23 bytes) on line i + 1. Size 14 + 300,000 × 23 =
 *       6,900,014 bytes; record i ends at byte 14 + 23 i.
 *   <li>{@code big.jsonl}: for i = 1..300,000 the line {@code {"id": "%06d", "text": "row %06d"}\n} (1 + 4 + 1 + 1
 *       + 8 + 1 + 1 + 6 + 1 + 1 + 12 + 1 + 1 = 39 bytes) on line i. Size 300,000 × 39 = 11,700,000 bytes.
 * </ul>
 *
 * <p>The bound on bytes read ahead of the record handed out, {@link #READ_AHEAD}: the 8,000-byte binary probe,
 * then {@link TextReader}'s 8,192-byte buffer and the parser's or line reader's buffer of decoded text (each
 * read asks {@code TextReader} once, which gives at most 8,192 characters): about 24 KB; 64 KiB allows for
 * the local file system's own buffer. Reading the whole file before the first record (what a list-based reader
 * does) reads all 6.9 MB.
 */
class StreamingReadTest extends SparkTestBase {

  private static final int RECORDS = 300_000;
  private static final long CSV_SIZE = 6_900_014L;
  private static final long JSONL_SIZE = 11_700_000L;
  private static final long READ_AHEAD = 64 * 1024;

  @TempDir
  static Path dir;

  private static Path csv;
  private static Path jsonl;

  @BeforeAll
  static void writeFiles() throws IOException {
    csv = dir.resolve("big.csv");
    try (BufferedWriter w = Files.newBufferedWriter(csv, StandardCharsets.UTF_8)) {
      w.write("id,text,label\n");
      for (int i = 1; i <= RECORDS; i++) {
        w.write(String.format(Locale.ROOT, "%06d,text %06d,ham\n", i, i));
      }
    }
    jsonl = dir.resolve("big.jsonl");
    try (BufferedWriter w = Files.newBufferedWriter(jsonl, StandardCharsets.UTF_8)) {
      for (int i = 1; i <= RECORDS; i++) {
        w.write(String.format(Locale.ROOT, "{\"id\": \"%06d\", \"text\": \"row %06d\"}\n", i, i));
      }
    }
    assertThat(Files.size(csv)).isEqualTo(CSV_SIZE);
    assertThat(Files.size(jsonl)).isEqualTo(JSONL_SIZE);
    CountingFileSystem.register(spark.sparkContext().hadoopConfiguration());
  }

  @AfterAll
  static void unregister() {
    CountingFileSystem.unregister(spark.sparkContext().hadoopConfiguration());
  }

  @Test
  void csvRecordsAreReadOnlyAsTheyAreTakenAndTheFileIsClosedAtTheEnd() throws Exception {
    CountingFileSystem.reset();
    Configuration conf = CountingFileSystem.register(new Configuration());
    InputFile file = file(csv);
    Iterator<Row> it = new FileRecordReader(source(SourceFormat.CSV), new HadoopConf(conf)).call(file);

    // Nothing is opened before the first row is asked for.
    assertThat(CountingFileSystem.OPEN_STREAMS.get()).isZero();
    Row first = it.next();
    assertThat(first.getLong(3)).isEqualTo(2L);
    assertThat(first.<String, String>getJavaMap(4)).containsEntry("id", "000001").containsEntry("text", "text 000001");
    assertThat(CountingFileSystem.OPEN_STREAMS.get()).isEqualTo(1);
    assertThat(CountingFileSystem.BYTES_READ.get()).isLessThanOrEqualTo(READ_AHEAD);

    // Consume and drop. At record 150,000 (line 150,001) the reader has read through its end, byte
    // 14 + 23 × 150,000 = 3,450,014, and not more than READ_AHEAD beyond it.
    long rows = 1;
    long lastLine = 2;
    long bad = 0;
    while (it.hasNext()) {
      Row r = it.next();
      rows++;
      lastLine = r.getLong(3);
      bad += r.isNullAt(5) ? 0 : 1;
      if (rows == 150_000) {
        assertThat(lastLine).isEqualTo(150_001L);
        assertThat(CountingFileSystem.BYTES_READ.get()).isBetween(3_450_014L, 3_450_014L + READ_AHEAD);
      }
    }
    // 300,000 records, none bad, the last on line 300,001; every byte read once; the file closed at the end.
    assertThat(rows).isEqualTo(RECORDS);
    assertThat(bad).isZero();
    assertThat(lastLine).isEqualTo(300_001L);
    assertThat(CountingFileSystem.BYTES_READ.get()).isEqualTo(CSV_SIZE);
    assertThat(CountingFileSystem.OPEN_STREAMS.get()).isZero();
  }

  @Test
  void jsonLinesRecordsAreReadOnlyAsTheyAreTaken() throws Exception {
    CountingFileSystem.reset();
    Configuration conf = CountingFileSystem.register(new Configuration());
    Iterator<Row> it = new FileRecordReader(source(SourceFormat.JSONL), new HadoopConf(conf)).call(file(jsonl));
    Row first = it.next();
    assertThat(first.getLong(3)).isEqualTo(1L);
    assertThat(first.<String, String>getJavaMap(4)).containsEntry("id", "000001").containsEntry("text", "row 000001");
    assertThat(CountingFileSystem.BYTES_READ.get()).isLessThanOrEqualTo(READ_AHEAD);

    // Record i is line i; at record 150,000 the reader has read through byte 39 × 150,000 = 5,850,000, and not
    // more than READ_AHEAD beyond it. At the end: 300,000 records on lines 1 to 300,000 (sum 300,000 × 300,001
    // / 2 = 45,000,150,000), none bad, every byte read once, the file closed.
    long rows = 1;
    long lineSum = 1;
    long bad = 0;
    while (it.hasNext()) {
      Row r = it.next();
      rows++;
      lineSum += r.getLong(3);
      bad += r.isNullAt(5) ? 0 : 1;
      if (rows == 150_000) {
        assertThat(CountingFileSystem.BYTES_READ.get()).isBetween(5_850_000L, 5_850_000L + READ_AHEAD);
      }
    }
    assertThat(rows).isEqualTo(RECORDS);
    assertThat(lineSum).isEqualTo(45_000_150_000L);
    assertThat(bad).isZero();
    assertThat(CountingFileSystem.BYTES_READ.get()).isEqualTo(JSONL_SIZE);
    assertThat(CountingFileSystem.OPEN_STREAMS.get()).isZero();
  }

  @Test
  void aSparkTaskThatStopsEarlyClosesTheFile() throws IOException {
    // limit(3): the task takes three rows and stops before the end of the file; the task completion listener
    // closes the file, which was read no further than READ_AHEAD.
    CountingFileSystem.reset();
    List<Row> three = SourceReader.raw(spark, source(SourceFormat.JSONL), dir.toString(), List.of(file(jsonl)))
        .limit(3).select("_source_row", "_fields.id", "_fields.text").collectAsList();
    assertThat(three).extracting(Row::toString)
        .containsExactly("[1,000001,row 000001]", "[2,000002,row 000002]", "[3,000003,row 000003]");
    assertThat(CountingFileSystem.OPEN_STREAMS.get()).isZero();
    assertThat(CountingFileSystem.BYTES_READ.get()).isLessThanOrEqualTo(READ_AHEAD);
  }

  private static InputFile file(Path local) throws IOException {
    return new InputFile("big", CountingFileSystem.path(local), local.getFileName().toString(), Files.size(local), 0L);
  }

  private static SourceSettings source(SourceFormat format) {
    return new SourceSettings("big", format, dir.toString(), "*", Map.of("id", "id", "text", "text"), List.of(),
        "UTF-8", new SourceSettings.CsvOptions(',', '"', '"', true), null);
  }
}
