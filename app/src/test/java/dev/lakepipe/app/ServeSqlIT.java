package dev.lakepipe.app;

import static dev.lakepipe.app.CliConfigErrorsTest.cli;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lakepipe.app.CliConfigErrorsTest.Result;
import dev.lakepipe.core.testing.SparkTestBase;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code lakepipe serve-sql} as analysts use it: the real launcher ({@code ./lakepipe serve-sql}, its classpath
 * from {@code app/target/spark-classpath.txt}) serves a warehouse, and the test connects with
 * {@link DriverManager} and the Hive JDBC driver on {@code jdbc:hive2://127.0.0.1:PORT/default}, as DBeaver and
 * beeline do. Every connection is a new Spark session on the server, so the tables it reads must be in the shared
 * catalog, not temporary views.
 *
 * <p>One warehouse for the class: {@link RunFixture}'s 47 records through ingest and clean in this JVM. Two
 * servers start at once on free ports, one without a password and one with {@code auth = password}; the first is
 * stopped with SIGTERM (what Ctrl-C and a service manager send) and must free its port. Results tables are not
 * served here: they need train and evaluate (DL4J); {@link StandaloneClusterIT} serves the warehouse its reference
 * run wrote (every stage) and runs docs/evaluate.md's queries over JDBC.
 */
class ServeSqlIT extends SparkTestBase {

  private static final String PASSWORD_ENV = "LAKEPIPE_IT_SQL_PASSWORD";
  private static final String PASSWORD = "s3cret-for-the-test";

  @TempDir
  static Path dir;

  private static Launcher launcher;
  private static final List<Process> started = new ArrayList<>();
  private static Process open;
  private static int openRun;
  private static int openPort;
  private static Process secured;
  private static int securedRun;
  private static int securedPort;

  @BeforeAll
  static void warehouseAndTwoServers() throws Exception {
    Path conf = RunFixture.write(dir, dir.resolve("lake"));
    // RunFixture by hand: ingest 47 read = 46 written + 1 quarantined (x0, no id); clean 46 in = 40 kept
    // + 4 exact duplicates (d0..d3) + 2 quarantined (q0, q1: size -5).
    Result ingest = cli("ingest", "--conf", conf.toString(), "--run-id", "it-ingest");
    assertThat(ingest.code()).as(ingest.err()).isZero();
    Result clean = cli("clean", "--conf", conf.toString(), "--run-id", "it-clean");
    assertThat(clean.code()).as(clean.err()).isZero();

    launcher = new Launcher(dir.resolve("logs"));
    openPort = freePort();
    open = launcher.start("serve-sql", "--conf", conf.toString(), "--set", "serve-sql.port=" + openPort);
    openRun = launcher.started();
    started.add(open);
    securedPort = freePort();
    secured = launcher.start(Map.of(PASSWORD_ENV, PASSWORD), "serve-sql", "--conf", conf.toString(),
        "--set", "serve-sql.port=" + securedPort, "--set", "serve-sql.auth=password",
        "--set", "serve-sql.user=analyst", "--set", "serve-sql.password-env=" + PASSWORD_ENV);
    securedRun = launcher.started();
    started.add(secured);
    DriverManager.setLoginTimeout(60);
  }

  @AfterAll
  static void stopServers() throws InterruptedException {
    for (Process p : started) {
      if (p.isAlive()) {
        p.destroy();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
          p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
      }
    }
  }

  @Test
  void servesEveryTableOverHiveJdbcAndFreesThePortOnSigterm() throws Exception {
    String url = awaitServing(open, openRun);
    assertThat(url).isEqualTo("jdbc:hive2://127.0.0.1:" + openPort + "/default");
    assertThat(launcher.out(openRun)).contains(
        "lakepipe serve-sql: serving 6 tables of " + dir.resolve("lake") + " over JDBC:",
        "  bronze.records, ops.dq_report, ops.duplicates, ops.ingest_log, ops.quarantine, silver.records",
        "login:    no password (serve-sql.auth = none): any user name is accepted");

    try (Connection c = DriverManager.getConnection(url, "analyst", "")) {
      // Ingest and clean wrote bronze, silver and four ops tables; Spark's own catalog adds default.
      assertThat(rows(c, "SHOW DATABASES")).containsExactly("bronze", "default", "ops", "silver");
      assertThat(rows(c, "SHOW TABLES IN ops")).containsExactly(
          "ops|dq_report|false", "ops|duplicates|false", "ops|ingest_log|false", "ops|quarantine|false");
      // DBeaver's navigator lists tables through JDBC metadata rather than SQL.
      List<String> viaMetadata = new ArrayList<>();
      try (ResultSet t = c.getMetaData().getTables(null, "silver", "%", null)) {
        while (t.next()) {
          viaMetadata.add(t.getString("TABLE_SCHEM") + "." + t.getString("TABLE_NAME"));
        }
      }
      assertThat(viaMetadata).containsExactly("silver.records");

      // ops.quarantine: x0 (line 47, no msg_id) from ingest; q0 and q1 (lines 45, 46, size -5) from clean's
      // rule size-non-negative. Sizes are numeric columns, so doubles: the raw value is "-5.0".
      assertThat(rows(c, "SELECT stage, _source, _source_row, reason_code, rule_id, column_name, raw_value "
          + "FROM ops.quarantine ORDER BY _source_row")).containsExactly(
          "clean|mail|45|RULE_FAILED|size-non-negative|size|-5.0",
          "clean|mail|46|RULE_FAILED|size-non-negative|size|-5.0",
          "ingest|mail|47|MISSING_REQUIRED|NULL|id|NULL");

      // silver.records: m0..m39 stay (one of each duplicate pair m_i/d_i, same text, label and size):
      // ham = even i, sizes 100, 102, ..., 138; spam = odd i, sizes 101, ..., 139; 20 each.
      assertThat(rows(c, "SELECT label, count(*), count(DISTINCT text), min(size), max(size) FROM silver.records "
          + "GROUP BY label ORDER BY label")).containsExactly("ham|20|20|100.0|138.0", "spam|20|20|101.0|139.0");
      assertThat(rows(c, "SELECT count(*) FROM silver.records WHERE id IN ('q0', 'q1', 'x0')"))
          .containsExactly("0");
      // A join across databases, as analysts write them: every bronze row is in silver, a duplicate or quarantine.
      assertThat(rows(c, "SELECT count(*) FROM bronze.records b LEFT ANTI JOIN silver.records s "
          + "ON b._record_id = s._record_id")).containsExactly("6");
    }

    open.destroy();
    assertThat(open.waitFor(60, TimeUnit.SECONDS)).as("serve-sql stops within 60 s of SIGTERM").isTrue();
    // 143 = 128 + SIGTERM: the JVM ran its shutdown hooks (ours stops the server first) and ended on the signal.
    assertThat(open.exitValue()).as(launcher.err(openRun)).isEqualTo(143);
    assertThat(launcher.out(openRun)).contains("lakepipe serve-sql: stopped; port " + openPort + " is free.");
    try (ServerSocket again = new ServerSocket()) {
      again.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), openPort));
    }
    // The Hive client's Derby metastore and Spark's catalog folder stay out of the working directory.
    assertThat(Launcher.ROOT.resolve("derby.log")).doesNotExist();
    assertThat(Launcher.ROOT.resolve("metastore_db")).doesNotExist();
    assertThat(Launcher.ROOT.resolve("spark-warehouse")).doesNotExist();
  }

  @Test
  void passwordModeAcceptsTheConfiguredUserAndPasswordOnly() throws Exception {
    String url = awaitServing(secured, securedRun);
    assertThat(launcher.out(securedRun)).contains(
        "login:    user analyst, the password in environment variable " + PASSWORD_ENV + " (serve-sql.auth = password)");

    try (Connection c = DriverManager.getConnection(url, "analyst", PASSWORD)) {
      assertThat(rows(c, "SELECT count(*) FROM silver.records")).containsExactly("40");
    }
    assertThatThrownBy(() -> DriverManager.getConnection(url, "analyst", "wrong").close())
        .isInstanceOf(SQLException.class).hasMessageContaining("Peer indicated failure");
    assertThatThrownBy(() -> DriverManager.getConnection(url, "someone-else", PASSWORD).close())
        .isInstanceOf(SQLException.class).hasMessageContaining("Peer indicated failure");
    assertThatThrownBy(() -> DriverManager.getConnection(url, "analyst", "").close())
        .isInstanceOf(SQLException.class).hasMessageContaining("Peer indicated failure");
  }

  /** Waits (up to 3 minutes) for the server's JDBC URL line; fails with its stderr if it exits first. */
  private static String awaitServing(Process p, int run) throws IOException, InterruptedException {
    return awaitServing(launcher, p, run);
  }

  /** As above, for a server {@code launcher} started as its run {@code run}. */
  static String awaitServing(Launcher launcher, Process p, int run) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
    while (System.nanoTime() < deadline) {
      String line = launcher.out(run).lines().filter(l -> l.startsWith("JDBC URL: ")).findFirst().orElse(null);
      if (line != null) {
        return line.substring("JDBC URL: ".length());
      }
      assertThat(p.isAlive()).as("serve-sql exited early; stderr:%n%s", launcher.err(run)).isTrue();
      p.waitFor(200, TimeUnit.MILLISECONDS);
    }
    throw new AssertionError("serve-sql printed no JDBC URL in 3 minutes; stderr:\n" + launcher.err(run));
  }

  /** Each row as its columns joined by |, NULL for SQL null. */
  static List<String> rows(Connection c, String sql) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
      ResultSetMetaData m = r.getMetaData();
      while (r.next()) {
        StringBuilder sb = new StringBuilder();
        for (int i = 1; i <= m.getColumnCount(); i++) {
          String v = r.getString(i);
          sb.append(i > 1 ? "|" : "").append(v == null ? "NULL" : v);
        }
        out.add(sb.toString());
      }
    }
    return out;
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
