package dev.lakepipe.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lakepipe.core.LakepipeException;
import dev.lakepipe.core.RunContext;
import dev.lakepipe.core.TableCatalog;
import dev.lakepipe.core.config.LakepipeConfig;
import dev.lakepipe.core.testing.SparkJobCounter;
import dev.lakepipe.core.testing.SparkTestBase;
import dev.lakepipe.core.testing.TestConfigs;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.zip.GZIPOutputStream;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Ingest on real Spark and real files; every expected count and value is worked out by hand from the inputs. */
class IngestJobTest extends SparkTestBase {

  private static final String DATASET = """
      dataset {
        name = "t"
        columns { id = "id", text = ["text", "subject"], label = "label", event-time = "event_time",
                  numeric = ["score"], categorical = ["channel"] }
        required = ["id", "text", "label"]
      }
      """;

  @TempDir
  Path dir;

  private Path warehouse;

  @BeforeEach
  void setUp() {
    warehouse = dir.resolve("lake");
  }

  @Test
  void csvDialectMultiLineQuotingBomGzipAndBadRows() throws IOException {
    Path src = Files.createDirectories(dir.resolve("crm"));
    Files.writeString(src.resolve("a.csv"), "\uFEFF"
        + "msg;body;kind;sent;points;via\r\n"                        // line 1: header
        + "1;\"hello\nworld\";spam;2002-08-22 11:26:25;1.5;web\r\n"   // lines 2-3: one record
        + "2;\"他说 \"\"你好\"\" 🙂\";ham;2002-08-23T00:00:00Z;;mail\n" // line 4
        + "3;x;ham;not a date;2;web\n"                                // line 5: BAD_TIMESTAMP
        + "4;y;ham;2002-08-22 00:00:00;abc;web\n"                     // line 6: BAD_TYPE
        + ";z;spam;2002-08-22 00:00:00;1;web\n"                       // line 7: MISSING_REQUIRED id
        + "5;only;three\n", StandardCharsets.UTF_8);                  // line 8: MALFORMED_RECORD
    gzip(src.resolve("b.csv.gz"), "msg;body;kind;sent;points;via\n6;six;spam;;;\n");

    IngestReport[] out = new IngestReport[1];
    SparkJobCounter.Count cost = SparkJobCounter.measure(spark, () -> out[0] = ingest(csvSource(src), "r1"));
    System.out.println("Fixed cost of one ingest run on 2 files, 8 records: " + cost + "\n" + cost.callSites());
    IngestReport report = out[0];

    assertThat(report.source("crm")).isEqualTo(new IngestReport.SourceCounts("crm", "csv", 2, 7, 3, 4, 0));
    Map<String, Row> bronze = bronzeById();
    assertThat(bronze.keySet()).containsExactly("1", "2", "6");
    assertThat(bronze.get("1").<String>getAs("text")).isEqualTo("hello\nworld");
    assertThat(bronze.get("1").<Double>getAs("score")).isEqualTo(1.5);
    assertThat(bronze.get("1").<Timestamp>getAs("event_time").toInstant())
        .isEqualTo(Instant.parse("2002-08-22T11:26:25Z"));
    assertThat(bronze.get("1").<Long>getAs("_source_row")).isEqualTo(2L);
    assertThat(bronze.get("2").<String>getAs("text")).isEqualTo("他说 \"你好\" 🙂");
    assertThat(bronze.get("2").<Long>getAs("_source_row")).isEqualTo(4L);
    assertThat(bronze.get("2").<Object>getAs("score")).isNull();
    assertThat(bronze.get("6").<Object>getAs("event_time")).isNull();
    assertThat(bronze.get("6").<String>getAs("_source_file")).endsWith("/crm/b.csv.gz");
    assertThat(bronze.get("1").<String>getAs("run_id")).isEqualTo("r1");
    assertThat(bronze.get("1").<String>getAs("subject")).isNull();

    assertThat(quarantine()).containsExactly(
        "crm|a.csv|5|BAD_TIMESTAMP|event_time|not a date",
        "crm|a.csv|6|BAD_TYPE|score|abc",
        "crm|a.csv|7|MISSING_REQUIRED|id|null",
        "crm|a.csv|8|MALFORMED_RECORD|null|null");
    Row bad = spark.sql("SELECT message, raw_record FROM ops.quarantine WHERE reason_code = 'BAD_TIMESTAMP'")
        .first();
    assertThat(bad.getString(0)).contains("Cannot read source 'crm': value 'not a date' of field 'sent'")
        .contains("a.csv line 5").contains("ingest.sources.crm.timestamp-formats");
    assertThat(bad.getString(1)).contains("\"sent\":\"not a date\"");
    assertThat(spark.sql("SELECT message FROM ops.quarantine WHERE reason_code = 'MALFORMED_RECORD'")
        .first().getString(0)).contains("Line 8 of").contains("has 3 fields; the header has 6");
  }

  @Test
  void jsonLinesKeepsUnicodeAndQuarantinesBadLines() throws IOException {
    Path src = Files.createDirectories(dir.resolve("export"));
    Files.writeString(src.resolve("m.jsonl"), String.join("\n",
        "{\"msg_id\": \"a\", \"body\": \"中文 text 🚀\", \"class\": \"spam\", \"at\": \"2002-08-22T11:26:25Z\"}",
        "{\"msg_id\": \"b\", \"body\": ",
        "[1, 2]",
        "",
        "{\"msg_id\": 7, \"body\": \"seven\", \"class\": \"ham\", \"at\": null, \"extra\": {\"k\": 1}}",
        "{\"msg_id\": \"c\", \"body\": \"date\", \"class\": \"ham\", \"at\": \"Thu, 22 Aug 2002 18:26:25 -0700\"}")
        + "\n");
    String source = """
        ingest.sources.export {
          format = jsonl
          path = "%s"
          timestamp-formats = ["rfc822"]
          columns { id = "msg_id", text = "body", label = "class", event_time = "at" }
        }
        """.formatted(src);

    IngestReport report = ingest(source, "r1");

    assertThat(report.source("export")).isEqualTo(new IngestReport.SourceCounts("export", "jsonl", 1, 5, 3, 2, 0));
    Map<String, Row> bronze = bronzeById();
    assertThat(bronze.keySet()).containsExactly("7", "a", "c");
    assertThat(bronze.get("a").<String>getAs("text")).isEqualTo("中文 text 🚀");
    assertThat(bronze.get("c").<Timestamp>getAs("event_time").toInstant())
        .isEqualTo(Instant.parse("2002-08-23T01:26:25Z"));
    assertThat(bronze.get("7").<Long>getAs("_source_row")).isEqualTo(5L);
    assertThat(quarantine()).containsExactly(
        "export|m.jsonl|2|MALFORMED_RECORD|null|null",
        "export|m.jsonl|3|MALFORMED_RECORD|null|null");
  }

  @Test
  void emailFolderParsesHeadersDatesAndEncodedWords() throws IOException {
    Path ham = Files.createDirectories(dir.resolve("mail/ham"));
    Path spam = Files.createDirectories(dir.resolve("mail/spam"));
    Files.writeString(ham.resolve("1.eml"), """
        From: Alice <alice@example.com>
        Message-ID: <1@example.com>
        Date: Thu, 22 Aug 2002 18:26:25 -0700 (PDT)
        Subject: =?utf-8?B?5Lit5paH?= and
         folded
        Content-Type: text/plain

        Body line 1
        Body line 2
        """);
    Files.write(spam.resolve("2.eml"), ("Message-ID: <2@example.com>\nDate: someday\nSubject: caf\u00e9\n\n"
        + "Win \u00e9\n").getBytes(StandardCharsets.ISO_8859_1));
    Files.writeString(spam.resolve(".hidden"), "not read");
    Files.createDirectories(dir.resolve("mail/_tmp"));
    Files.writeString(dir.resolve("mail/_tmp/3.eml"), "Message-ID: <3@x>\n\nnot read\n");
    String source = """
        ingest.sources.mail {
          format = email
          path = "%s"
          columns { id = "Message-ID", text = "_body", subject = "subject", label = "_parent_dir",
                    event_time = "DATE", channel = "_file_name", score = "_size" }
        }
        """.formatted(dir.resolve("mail"));

    IngestReport report = ingest(source, "r1");

    assertThat(report.source("mail")).isEqualTo(new IngestReport.SourceCounts("mail", "email", 2, 2, 1, 1, 0));
    Row r = bronzeById().get("<1@example.com>");
    assertThat(r.<String>getAs("subject")).isEqualTo("中文 and folded");
    assertThat(r.<String>getAs("text")).isEqualTo("Body line 1\nBody line 2\n");
    assertThat(r.<String>getAs("label")).isEqualTo("ham");
    assertThat(r.<String>getAs("channel")).isEqualTo("1.eml");
    assertThat(r.<Timestamp>getAs("event_time").toInstant()).isEqualTo(Instant.parse("2002-08-23T01:26:25Z"));
    assertThat(r.<Double>getAs("score")).isEqualTo((double) Files.size(ham.resolve("1.eml")));
    assertThat(quarantine()).containsExactly("mail|2.eml|1|BAD_TIMESTAMP|event_time|someday");
    // Latin-1 bytes that are not UTF-8 are decoded, not replaced.
    assertThat(spark.sql("SELECT raw_record FROM ops.quarantine").first().getString(0)).contains("café");
  }

  @Test
  void parquetRowsAreNumberedAndTyped() {
    Path src = dir.resolve("pq");
    spark.sql("SELECT * FROM VALUES ('p1', 'one', 'ham', 3), ('p2', 'two', 'spam', CAST(NULL AS INT)) "
            + "AS t(key, body, y, n)")
        .coalesce(1).write().parquet(src.toString());
    String source = """
        ingest.sources.pq {
          format = parquet
          path = "%s"
          columns { id = "key", text = "body", label = "y", score = "n" }
        }
        """.formatted(src);

    IngestReport report = ingest(source, "r1");

    assertThat(report.source("pq")).isEqualTo(new IngestReport.SourceCounts("pq", "parquet", 1, 2, 2, 0, 0));
    Map<String, Row> bronze = bronzeById();
    assertThat(bronze.get("p1").<Double>getAs("score")).isEqualTo(3.0);
    assertThat(bronze.get("p1").<Long>getAs("_source_row")).isEqualTo(1L);
    assertThat(bronze.get("p2").<Long>getAs("_source_row")).isEqualTo(2L);
    assertThat(bronze.get("p2").<Object>getAs("score")).isNull();
  }

  @Test
  void rerunWritesNothingNewFileAloneAndCrashedRunDoesNotDuplicate() throws IOException {
    Path src = Files.createDirectories(dir.resolve("crm"));
    Files.writeString(src.resolve("a.csv"), "msg;body;kind;sent;points;via\n1;a;spam;;;\n2;b;ham;;;\nx;c;ham;;zz;\n");
    TableCatalog catalog = new TableCatalog(spark, config(csvSource(src)).tables());

    IngestReport first = ingest(csvSource(src), "r1");
    assertThat(first.source("crm")).isEqualTo(new IngestReport.SourceCounts("crm", "csv", 1, 3, 2, 1, 0));
    long bronzeVersion = catalog.version(catalog.table("bronze-records"));

    IngestReport again = ingest(csvSource(src), "r2");
    assertThat(again.source("crm")).isEqualTo(new IngestReport.SourceCounts("crm", "csv", 0, 0, 0, 0, 0));
    assertThat(catalog.version(catalog.table("bronze-records"))).isEqualTo(bronzeVersion);

    Files.writeString(src.resolve("b.csv"), "msg;body;kind;sent;points;via\n3;c;spam;;;\n");
    IngestReport newFile = ingest(csvSource(src), "r3");
    assertThat(newFile.source("crm")).isEqualTo(new IngestReport.SourceCounts("crm", "csv", 1, 1, 1, 0, 0));
    assertThat(bronzeById().keySet()).containsExactly("1", "2", "3");

    // A crash after bronze and quarantine were written but before the log: re-run r3 with no log.
    spark.sql("DELETE FROM ops.ingest_log WHERE run_id = 'r3'");
    IngestReport retried = ingest(csvSource(src), "r3");
    assertThat(retried.source("crm")).isEqualTo(new IngestReport.SourceCounts("crm", "csv", 1, 1, 0, 0, 1));
    assertThat(spark.sql("SELECT count(*), count(DISTINCT _record_id) FROM bronze.records").first())
        .isEqualTo(org.apache.spark.sql.RowFactory.create(3L, 3L));
    assertThat(quarantine()).containsExactly("crm|a.csv|4|BAD_TYPE|score|zz");
    assertThat(spark.sql("SELECT source, path, rows_read, rows_written, rows_already_present, run_id "
        + "FROM ops.ingest_log ORDER BY run_id, path").collectAsList().stream()
        .map(r -> r.getString(0) + "|" + r.getString(1).replaceAll(".*/", "") + "|" + r.getLong(2) + "|"
            + r.getLong(3) + "|" + r.getLong(4) + "|" + r.getString(5)).toList())
        .containsExactly("crm|a.csv|3|2|0|r1", "crm|b.csv|1|0|1|r3");

    // Touching a file without changing it is not new input.
    Files.setLastModifiedTime(src.resolve("a.csv"), java.nio.file.attribute.FileTime.from(Instant.now()));
    assertThat(ingest(csvSource(src), "r4").totalRead()).isZero();
  }

  @Test
  void headerWithoutMappedColumnIsAConfigErrorNamingFileAndColumn() throws IOException {
    Path src = Files.createDirectories(dir.resolve("crm"));
    Files.writeString(src.resolve("a.csv"), "msg;body;kind;sent_at;points;via\n1;a;spam;;;\n");

    assertThatThrownBy(() -> ingest(csvSource(src), "r1"))
        .isInstanceOf(LakepipeException.class)
        .satisfies(e -> assertThat(((LakepipeException) e).exitCode()).isEqualTo(2))
        .hasMessageContaining("Cannot read source 'crm': column 'sent' missing in ")
        .hasMessageContaining("a.csv (it has: msg, body, kind, sent_at, points, via)")
        .hasMessageContaining("under ingest.sources.crm.columns");
    assertThat(new TableCatalog(spark, config(csvSource(src)).tables()).exists(
        new TableCatalog(spark, config(csvSource(src)).tables()).table("bronze-records"))).isFalse();
  }

  @Test
  void jsonFieldAbsentFromEveryRecordIsAConfigError() throws IOException {
    Path src = Files.createDirectories(dir.resolve("export"));
    Files.writeString(src.resolve("m.jsonl"), "{\"id\": \"a\", \"body\": \"x\", \"class\": \"ham\"}\n");
    String source = """
        ingest.sources.export {
          format = jsonl
          path = "%s"
          columns { id = "id", text = "body", label = "label" }
        }
        """.formatted(src);

    assertThatThrownBy(() -> ingest(source, "r1"))
        .hasMessageContaining("Cannot read source 'export': column 'label' missing in ")
        .hasMessageContaining("m.jsonl (it has: body, id)");
  }

  @Test
  void corruptGzipKeepsRecordsBeforeTheDamageAndNamesFileAndLine() throws IOException {
    Path src = Files.createDirectories(dir.resolve("export"));
    StringBuilder lines = new StringBuilder();
    for (int i = 1; i <= 2000; i++) {
      lines.append("{\"msg_id\": \"m").append(i).append("\", \"body\": \"message number ").append(i)
          .append(" with some padding to fill a deflate block ").append("x".repeat(i % 97)).append("\", ")
          .append("\"class\": \"ham\"}\n");
    }
    Path good = src.resolve("whole.jsonl.gz");
    gzip(good, lines.toString());
    byte[] bytes = Files.readAllBytes(good);
    // Cut the stream short: gzip readers fail with "Unexpected end of input" after the intact blocks.
    Files.write(src.resolve("cut.jsonl.gz"), java.util.Arrays.copyOf(bytes, bytes.length / 2));
    Files.delete(good);
    String source = """
        ingest.sources.export {
          format = jsonl
          path = "%s"
          columns { id = "msg_id", text = "body", label = "class" }
        }
        """.formatted(src);

    IngestReport report = ingest(source, "r1");

    IngestReport.SourceCounts c = report.source("export");
    assertThat(c.quarantined()).isEqualTo(1);
    assertThat(c.written()).isBetween(1L, 1999L).isEqualTo(c.read() - 1);
    Row bad = spark.read().format("delta").load(warehouse.resolve("ops/quarantine").toString()).first();
    assertThat(bad.<String>getAs("reason_code")).isEqualTo("UNREADABLE_FILE");
    assertThat(bad.<Long>getAs("_source_row")).isEqualTo(c.written() + 1);
    assertThat(bad.<String>getAs("message")).contains("cut.jsonl.gz after line " + c.written())
        .contains("the records before this line were read");
    // Every record before the damage is there, in order, none invented.
    assertThat(bronzeById()).hasSize((int) c.written()).containsKey("m1").containsKey("m" + c.written())
        .doesNotContainKey("m" + (c.written() + 1));
  }

  @Test
  void textFolderIsOneRecordPerFile() throws IOException {
    Path notes = Files.createDirectories(dir.resolve("notes/spam"));
    Files.writeString(notes.resolve("a.txt"), "\uFEFFFirst line: not a header\n\nsecond 🙂\n");
    String source = """
        ingest.sources.notes {
          format = text
          path = "%s"
          columns { id = "_path", text = "_body", label = "_parent_dir" }
        }
        """.formatted(dir.resolve("notes"));

    IngestReport report = ingest(source, "r1");

    assertThat(report.source("notes")).isEqualTo(new IngestReport.SourceCounts("notes", "text", 1, 1, 1, 0, 0));
    Row r = bronzeById().get("spam/a.txt");
    assertThat(r.<String>getAs("text")).isEqualTo("First line: not a header\n\nsecond 🙂\n");
    assertThat(r.<String>getAs("label")).isEqualTo("spam");
  }

  @Test
  void metastoreModeWritesAndReadsTablesByName() throws IOException {
    Path src = Files.createDirectories(dir.resolve("crm"));
    Files.writeString(src.resolve("a.csv"), "msg;body;kind;sent;points;via\n1;a;spam;;;\n2;b;ham;;oops;\n");
    String names = """
        tables { mode = metastore, bronze-records = "msbronze.records", quarantine = "msops.quarantine",
                 ingest-log = "msops.ingest_log" }
        """;
    LakepipeConfig config = TestConfigs.of(DATASET + names + csvSource(src));
    try {
      IngestReport first = IngestJob.run(spark, config, RunContext.of("m1"));
      IngestReport second = IngestJob.run(spark, config, RunContext.of("m2"));

      assertThat(first.source("crm")).isEqualTo(new IngestReport.SourceCounts("crm", "csv", 1, 2, 1, 1, 0));
      assertThat(second.totalRead()).isZero();
      assertThat(spark.sql("SELECT id FROM msbronze.records").collectAsList()).extracting(r -> r.getString(0))
          .containsExactly("1");
      assertThat(spark.sql("SELECT reason_code FROM msops.quarantine").first().getString(0)).isEqualTo("BAD_TYPE");
      assertThat(spark.sql("SELECT count(*) FROM msops.ingest_log").first().getLong(0)).isEqualTo(1L);
    } finally {
      spark.sql("DROP DATABASE IF EXISTS msbronze CASCADE");
      spark.sql("DROP DATABASE IF EXISTS msops CASCADE");
    }
  }

  private String csvSource(Path src) {
    return """
        ingest.sources.crm {
          format = csv
          path = "%s"
          delimiter = ";"
          columns { id = "msg", text = "body", label = "kind", event_time = "sent", score = "points",
                    channel = "via" }
        }
        """.formatted(src);
  }

  private LakepipeConfig config(String sources) {
    return TestConfigs.of(DATASET + "tables.warehouse = \"" + warehouse + "\"\n" + sources);
  }

  private IngestReport ingest(String sources, String runId) {
    return IngestJob.run(spark, config(sources), RunContext.of(runId));
  }

  private Map<String, Row> bronzeById() {
    return spark.read().format("delta").load(warehouse.resolve("bronze/records").toString())
        .collectAsList().stream()
        .collect(Collectors.toMap(r -> r.<String>getAs("id"), r -> r, (a, b) -> {
          throw new AssertionError("duplicate id " + a);
        }, TreeMap::new));
  }

  /** Quarantine rows as "source|file name|row|reason|column|raw value", sorted. */
  private List<String> quarantine() {
    return spark.read().format("delta").load(warehouse.resolve("ops/quarantine").toString())
        .collectAsList().stream()
        .map(r -> r.<String>getAs("_source") + "|" + r.<String>getAs("_source_file").replaceAll(".*/", "") + "|"
            + r.<Long>getAs("_source_row") + "|" + r.<String>getAs("reason_code") + "|"
            + r.<String>getAs("column_name") + "|" + r.<String>getAs("raw_value"))
        .sorted().toList();
  }

  private static void gzip(Path file, String text) throws IOException {
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
      out.write(text.getBytes(StandardCharsets.UTF_8));
    }
  }
}
