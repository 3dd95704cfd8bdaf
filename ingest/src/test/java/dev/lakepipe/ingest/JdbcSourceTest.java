package dev.lakepipe.ingest;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.spark_partition_id;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigUtil;
import dev.lakepipe.core.LakepipeException;
import dev.lakepipe.core.QuarantineTable;
import dev.lakepipe.core.RunContext;
import dev.lakepipe.core.config.LakepipeConfig;
import dev.lakepipe.core.testing.SparkTestBase;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The JDBC source against a real PostgreSQL (zonky's embedded server, started once for the class): a
 * partitioned read of a hand-written table with Unicode text and bad rows, exact bronze and quarantine rows,
 * idempotent re-runs, and the conf errors a user meets first (unset credential variable, unmapped column).
 *
 * <p>Credentials come from environment variables that Surefire sets (ingest/pom.xml); the server is switched
 * from trust to password authentication after setup, so a read only succeeds with the password from the
 * environment.
 */
class JdbcSourceTest extends SparkTestBase {

  private static final String USER_ENV = "LAKEPIPE_TEST_PG_USER";
  private static final String PASSWORD_ENV = "LAKEPIPE_TEST_PG_PASSWORD";
  private static final String UNSET_ENV = "LAKEPIPE_TEST_PG_PASSWORD_NOT_SET";
  private static final String TABLE = "crm_messages";
  private static final String LOCATION = "jdbc:" + TABLE;
  private static final int ROWS = 10;

  private static EmbeddedPostgres postgres;
  private static String url;

  @BeforeAll
  static void startPostgres() throws IOException, SQLException {
    assertThat(System.getenv(USER_ENV)).as("%s, set by Surefire (ingest/pom.xml)", USER_ENV).isEqualTo("postgres");
    String password = System.getenv(PASSWORD_ENV);
    assertThat(password).as("%s, set by Surefire (ingest/pom.xml)", PASSWORD_ENV).isNotBlank();
    assertThat(System.getenv(UNSET_ENV)).isNull();

    postgres = EmbeddedPostgres.builder().start();
    url = "jdbc:postgresql://localhost:" + postgres.getPort() + "/postgres";
    try (Connection c = postgres.getPostgresDatabase().getConnection(); Statement st = c.createStatement()) {
      st.execute("CREATE TABLE " + TABLE + " (id BIGINT PRIMARY KEY, body TEXT, subject TEXT, is_spam TEXT, "
          + "sent_at TEXT, size_text TEXT, sender TEXT)");
      try (PreparedStatement insert = c.prepareStatement("INSERT INTO " + TABLE + " VALUES (?, ?, ?, ?, ?, ?, ?)")) {
        // Good rows: 1, 2 (Chinese), 3 (emoji), 4 (optional columns null), 8.
        row(insert, 1, "Hello Bob, the report is attached.", "Quarterly report", "ham",
            "2024-01-15T10:00:00Z", "120", "alice@example.com");
        row(insert, 2, "你好，世界！这是一封测试邮件。", "会议通知", "ham",
            "2024-01-16T11:30:00Z", "256", "王伟 <wang.wei@example.cn>");
        row(insert, 3, "Congratulations 🎉 you won 💰💰💰", "🎁 Free gift", "spam",
            "2024-02-01T08:15:00Z", " 42 ", "promo@spam.example");
        row(insert, 4, "Ünïcödé façade naïve 😀 混合", null, "ham", null, null, null);
        // Bad rows: 5 and 9 a non-number in the numeric column, 6 an unparseable time, 7 a blank required text,
        // 10 an empty required text and an unparseable time (the first error, by canonical column order, wins).
        row(insert, 5, "Lunch at noon?", "Lunch", "ham", "2024-03-01T12:00:00Z", "twelve", "carol@example.com");
        row(insert, 6, "See you tomorrow", "Tomorrow", "ham", "yesterday at noon", "99", "dave@example.com");
        row(insert, 7, "   ", "Blank body", "spam", "2024-03-02T09:00:00Z", "10", "eve@example.com");
        row(insert, 8, "Plain ASCII closing row", "Bye", "spam", "2024-03-03T18:45:30Z", "1024.5",
            "mallory@example.com");
        row(insert, 9, "Size with a unit", "Units", "ham", "2024-03-04T07:00:00Z", "12kB", "frank@example.com");
        row(insert, 10, "", "Empty body", "spam", "31/02/2024", "7", "grace@example.com");
      }
      st.execute("ALTER USER postgres PASSWORD '" + password.replace("'", "''") + "'");
      // zonky's initdb trusts every local connection; require the password over TCP from now on.
      String hbaFile;
      try (ResultSet rs = st.executeQuery("SHOW hba_file")) {
        rs.next();
        hbaFile = rs.getString(1);
      }
      Files.writeString(Path.of(hbaFile), "local all all trust\n"
          + "host all all 127.0.0.1/32 scram-sha-256\n"
          + "host all all ::1/128 scram-sha-256\n", StandardCharsets.UTF_8);
      try (ResultSet rs = st.executeQuery("SELECT pg_reload_conf()")) {
        rs.next();
      }
    }
  }

  @AfterAll
  static void stopPostgres() throws IOException {
    if (postgres != null) {
      postgres.close();
    }
  }

  @Test
  void readsTheTableInTheConfiguredNumberOfPartitions(@TempDir Path warehouse) {
    SourceSettings source = IngestSettings.parse(config(warehouse, "")).sources().get(0);

    Dataset<Row> raw = TableSources.jdbc(spark, source);

    assertThat(raw.rdd().getNumPartitions()).isEqualTo(3);
    // Spark splits [1, 10] by a stride of 3: id < 4, 4 <= id < 7, id >= 7.
    Map<Integer, Long> perPartition = new HashMap<>();
    raw.groupBy(spark_partition_id().as("p")).count().collectAsList()
        .forEach(r -> perPartition.put(r.getInt(0), r.getLong(1)));
    assertThat(perPartition).containsExactlyInAnyOrderEntriesOf(Map.of(0, 3L, 1, 3L, 2, 4L));
  }

  @Test
  void writesGoodRowsToBronzeAndBadRowsToQuarantine(@TempDir Path warehouse) {
    IngestReport report = IngestJob.run(spark, config(warehouse, ""), RunContext.of("jdbc-test-1"));

    assertThat(report.sources()).containsExactly(
        new IngestReport.SourceCounts("crm_db", "jdbc", 1, ROWS, 5, 5, 0));
    assertThat(report.totalRead()).isEqualTo(report.totalWritten() + report.totalQuarantined());

    Dataset<Row> bronze = table(warehouse, "bronze/records");
    assertThat(bronze.select("id", "text", "subject", "label", "event_time", "size_bytes", "sender", "_source",
        "_source_file", "_source_row", "run_id").collectAsList())
        .extracting(JdbcSourceTest::values)
        .containsExactlyInAnyOrder(
            List.of("1", "Hello Bob, the report is attached.", "Quarterly report", "ham",
                time("2024-01-15T10:00:00Z"), 120.0, "alice@example.com", "crm_db", LOCATION, "null", "jdbc-test-1"),
            List.of("2", "你好，世界！这是一封测试邮件。", "会议通知", "ham",
                time("2024-01-16T11:30:00Z"), 256.0, "王伟 <wang.wei@example.cn>", "crm_db", LOCATION, "null",
                "jdbc-test-1"),
            List.of("3", "Congratulations 🎉 you won 💰💰💰", "🎁 Free gift", "spam",
                time("2024-02-01T08:15:00Z"), 42.0, "promo@spam.example", "crm_db", LOCATION, "null", "jdbc-test-1"),
            List.of("4", "Ünïcödé façade naïve 😀 混合", "null", "ham", "null", "null", "null", "crm_db", LOCATION,
                "null", "jdbc-test-1"),
            List.of("8", "Plain ASCII closing row", "Bye", "spam", time("2024-03-03T18:45:30Z"), 1024.5,
                "mallory@example.com", "crm_db", LOCATION, "null", "jdbc-test-1"));
    assertThat(bronze.filter(col("_record_id").isNull()).count()).isZero();
    assertThat(bronze.select("_record_id").distinct().count()).isEqualTo(5);

    Dataset<Row> quarantine = table(warehouse, "ops/quarantine");
    assertThat(quarantine.select("raw_record", "reason_code", "column_name", "raw_value", "stage", "_source",
        "_source_file", "run_id").collectAsList())
        .extracting(r -> idOf(r.getString(0)), r -> r.getString(1), r -> r.getString(2), r -> r.getString(3),
            r -> r.getString(4), r -> r.getString(5), r -> r.getString(6), r -> r.getString(7))
        .containsExactlyInAnyOrder(
            tuple("5", "BAD_TYPE", "size_bytes", "twelve", "ingest", "crm_db", LOCATION, "jdbc-test-1"),
            tuple("6", "BAD_TIMESTAMP", "event_time", "yesterday at noon", "ingest", "crm_db", LOCATION,
                "jdbc-test-1"),
            tuple("7", "MISSING_REQUIRED", "text", "   ", "ingest", "crm_db", LOCATION, "jdbc-test-1"),
            tuple("9", "BAD_TYPE", "size_bytes", "12kB", "ingest", "crm_db", LOCATION, "jdbc-test-1"),
            tuple("10", "MISSING_REQUIRED", "text", "", "ingest", "crm_db", LOCATION, "jdbc-test-1"));
    assertThat(message(quarantine, "5")).contains("Cannot read source 'crm_db': value 'twelve' of field "
        + "'size_text' (column size_bytes) at jdbc:crm_messages is not a number");
    assertThat(message(quarantine, "6")).contains("value 'yesterday at noon' of field 'sent_at' (column "
        + "event_time) at jdbc:crm_messages is not a timestamp");
    assertThat(message(quarantine, "10"))
        .contains("required column text (field 'body') is empty at jdbc:crm_messages", " | ",
            "value '31/02/2024' of field 'sent_at' (column event_time)");
    // Each bad row is its own quarantine entry: the key must tell rows 5 and 9 (same reason) apart.
    assertThat(quarantine.select(QuarantineTable.QUARANTINE_ID).distinct().count()).isEqualTo(5);
    assertThat(quarantine.filter(col("_record_id").isNull()).count()).isZero();
    assertThat(quarantine.select("_record_id").union(bronze.select("_record_id")).distinct().count())
        .isEqualTo(ROWS);
  }

  @Test
  void reRunsWithTheSameOrANewRunIdAddNothing(@TempDir Path warehouse) {
    LakepipeConfig config = config(warehouse, "");
    IngestJob.run(spark, config, RunContext.of("jdbc-test-1"));
    List<Row> quarantineBefore = table(warehouse, "ops/quarantine").select(QuarantineTable.QUARANTINE_ID)
        .collectAsList();

    IngestReport retry = IngestJob.run(spark, config, RunContext.of("jdbc-test-1"));
    IngestReport next = IngestJob.run(spark, config, RunContext.of("jdbc-test-2"));

    for (IngestReport r : List.of(retry, next)) {
      assertThat(r.source("crm_db")).isEqualTo(new IngestReport.SourceCounts("crm_db", "jdbc", 1, ROWS, 0, 5, 5));
    }
    Dataset<Row> bronze = table(warehouse, "bronze/records");
    assertThat(bronze.count()).isEqualTo(5);
    assertThat(bronze.select("_record_id").distinct().count()).isEqualTo(5);
    assertThat(bronze.filter(col("run_id").notEqual("jdbc-test-1")).count()).isZero();
    Dataset<Row> quarantine = table(warehouse, "ops/quarantine");
    assertThat(quarantine.count()).isEqualTo(5);
    assertThat(quarantine.select(QuarantineTable.QUARANTINE_ID).collectAsList())
        .containsExactlyInAnyOrderElementsOf(quarantineBefore);
  }

  @Test
  void failsWhenTheCredentialVariableIsNotSet(@TempDir Path warehouse) {
    LakepipeConfig config = config(warehouse, "password-env = \"" + UNSET_ENV + "\"");

    assertThatThrownBy(() -> IngestJob.run(spark, config, RunContext.of("jdbc-test-unset")))
        .isInstanceOfSatisfying(LakepipeException.class, e -> {
          assertThat(e.kind()).isEqualTo(LakepipeException.Kind.CONFIG);
          assertThat(e.exitCode()).isEqualTo(2);
        })
        .hasMessageContaining(UNSET_ENV)
        .hasMessageContaining("ingest.sources.crm_db.password-env")
        .hasMessageContaining("never read from conf files");
  }

  @Test
  void failsWhenTheDatabaseRefusesThePassword(@TempDir Path warehouse) {
    // The user name is not the password: the server must reject it, so the password really is checked.
    LakepipeConfig config = config(warehouse, "password-env = \"" + USER_ENV + "\"");

    assertThatThrownBy(() -> IngestJob.run(spark, config, RunContext.of("jdbc-test-refused")))
        .isInstanceOfSatisfying(LakepipeException.class,
            e -> assertThat(e.kind()).isEqualTo(LakepipeException.Kind.JOB))
        .hasMessageContaining("Cannot read source 'crm_db'")
        .hasMessageContaining("password authentication failed");
  }

  @Test
  void failsWhenAMappedColumnIsMissingFromTheTable(@TempDir Path warehouse) {
    LakepipeConfig config = config(warehouse, "columns.sender = \"from_addr\"");

    assertThatThrownBy(() -> IngestJob.run(spark, config, RunContext.of("jdbc-test-missing")))
        .isInstanceOfSatisfying(LakepipeException.class,
            e -> assertThat(e.kind()).isEqualTo(LakepipeException.Kind.CONFIG))
        .hasMessageContaining("Cannot read source 'crm_db'")
        .hasMessageContaining("'from_addr'")
        .hasMessageContaining(LOCATION);
  }

  /** The test conf; {@code sourceExtra} is HOCON appended inside the source, overriding its keys. */
  private static LakepipeConfig config(Path warehouse, String sourceExtra) {
    String hocon = """
        dataset {
          name = "jdbc-test"
          columns {
            id = "id"
            text = ["text", "subject"]
            label = "label"
            event-time = "event_time"
            numeric = ["size_bytes"]
            categorical = ["sender"]
          }
          required = ["id", "text", "label"]
        }
        tables.warehouse = %s
        ingest.sources.crm_db {
          format = jdbc
          url = %s
          table = %s
          user-env = %s
          password-env = %s
          key-column = id
          partition-column = id
          lower-bound = 1
          upper-bound = %d
          num-partitions = 3
          columns {
            id = "id"
            text = "body"
            subject = "subject"
            label = "is_spam"
            event_time = "sent_at"
            size_bytes = "size_text"
            sender = "sender"
          }
          %s
        }
        """.formatted(ConfigUtil.quoteString(warehouse.toString()), ConfigUtil.quoteString(url),
        ConfigUtil.quoteString(TABLE), ConfigUtil.quoteString(USER_ENV), ConfigUtil.quoteString(PASSWORD_ENV),
        ROWS, sourceExtra);
    return LakepipeConfig.from(ConfigFactory.parseString(hocon)
        .withFallback(ConfigFactory.parseResources("lakepipe-defaults.conf")).resolve(), "test",
        LakepipeConfig.Env.LOCAL);
  }

  private static void row(PreparedStatement insert, long id, String body, String subject, String label,
      String sentAt, String size, String sender) throws SQLException {
    insert.setLong(1, id);
    insert.setString(2, body);
    insert.setString(3, subject);
    insert.setString(4, label);
    insert.setString(5, sentAt);
    insert.setString(6, size);
    insert.setString(7, sender);
    insert.executeUpdate();
  }

  private static Dataset<Row> table(Path warehouse, String relative) {
    return spark.read().format("delta").load(warehouse.resolve(relative).toString());
  }

  /** A row's values, null as the string "null" so rows compare with List.of. */
  private static List<Object> values(Row r) {
    Object[] out = new Object[r.length()];
    for (int i = 0; i < r.length(); i++) {
      out[i] = r.isNullAt(i) ? "null" : r.get(i);
    }
    return List.of(out);
  }

  private static Timestamp time(String iso) {
    return Timestamp.from(Instant.parse(iso));
  }

  /** The source key of a quarantined row, from its raw record (the JSON of the row's fields). */
  private static String idOf(String rawRecord) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"id\":\"([^\"]*)\"").matcher(rawRecord);
    assertThat(m.find()).as("id in raw record %s", rawRecord).isTrue();
    return m.group(1);
  }

  private static String message(Dataset<Row> quarantine, String id) {
    List<Row> rows = quarantine.filter(col("raw_record").contains("\"id\":\"" + id + "\"")).select("message")
        .collectAsList();
    assertThat(rows).hasSize(1);
    return rows.get(0).getString(0);
  }
}
