package dev.lakepipe.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakepipe.core.RunContext;
import dev.lakepipe.core.WarehouseLock;
import dev.lakepipe.core.testing.SparkTestBase;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher's promises, through {@code ./lakepipe} itself ({@link Launcher}): exit 0 on success, 2 for a
 * usage or configuration error, 1 for a job failure, each failure as one paragraph on stderr with no Java stack
 * trace there (the trace is in the log file the message names); and one run at a time per warehouse: two
 * ingests started at once both succeed and bronze holds every row once, and a run that finds the warehouse
 * locked fails at once naming the holder and the fix.
 */
class LauncherIT extends SparkTestBase {

  @TempDir
  Path dir;

  private static final String TAB_AT = "\tat ";

  private static void assertOneParagraphWithoutStackTrace(Launcher.Result r, Path log) {
    assertThat(r.err().lines().filter(l -> l.startsWith(TAB_AT) || l.startsWith("Caused by"))).as(r.err()).isEmpty();
    assertThat(r.err()).as("the message names the log file").contains("Details and the stack trace: " + log + ".");
  }

  @Test
  void exitCodesAndMessages() throws Exception {
    Path warehouse = dir.resolve("lake");
    Path conf = RunFixture.write(dir, warehouse);
    Launcher launcher = new Launcher(dir.resolve("logs"));
    Path log = launcher.logFile();

    // 0: a good conf.
    Launcher.Result ok = launcher.run("validate-conf", "--conf", conf.toString());
    assertThat(ok.code()).as(ok.err()).isZero();
    assertThat(ok.out()).startsWith("Configuration OK (" + conf);

    // 2: a misspelt key, named with the key it should be.
    Path typo = dir.resolve("typo.conf");
    Files.writeString(typo, Files.readString(conf).replace("format = jsonl", "format = jsonl\n  delimter = \";\""));
    Launcher.Result bad = launcher.run("ingest", "--conf", typo.toString());
    assertThat(bad.code()).as(bad.err()).isEqualTo(2);
    assertThat(bad.err()).startsWith("lakepipe: Cannot start: the configuration (" + typo)
        .contains(") has 1 problem:", "  - Unknown key ingest.sources.mail.delimter.");
    assertOneParagraphWithoutStackTrace(bad, log);

    // 2: no conf file at all.
    Launcher.Result missing = launcher.run("validate-conf", "--conf", dir.resolve("nope.conf").toString());
    assertThat(missing.code()).as(missing.err()).isEqualTo(2);
    assertThat(missing.err()).startsWith("lakepipe: Cannot read conf file " + dir.resolve("nope.conf")
        + ": no such file. Pass --conf with the path of a HOCON file, e.g. conf/application.conf.");
    assertOneParagraphWithoutStackTrace(missing, log);
    assertThat(Files.exists(warehouse)).as("nothing ran").isFalse();

    // 1: a job failure: features before clean has written silver.records (a corrupt input file no longer
    // fails a run: ingest quarantines it, see BadInputTest). The stack trace goes to the log file; the console
    // gets what is missing, where, and the fix.
    Launcher.Result failed = launcher.run("features", "--conf", conf.toString());
    assertThat(failed.code()).as(failed.err()).isEqualTo(1);
    assertThat(failed.err()).contains("lakepipe: Cannot read table silver.records: no Delta table at ")
        .contains("Run 'lakepipe clean' first.", "Details and the stack trace: " + log);
    assertOneParagraphWithoutStackTrace(failed, log);
    String logged = Files.readString(log);
    assertThat(logged).contains("lakepipe features failed (exit 1): Cannot read table silver.records",
        "lakepipe validate-conf failed (exit 2): Cannot read conf file ", TAB_AT + "dev.lakepipe.");
  }

  @Test
  void twoIngestsAtOnceBothSucceedAndBronzeHasEveryRowOnce() throws Exception {
    Path warehouse = dir.resolve("lake");
    Path conf = RunFixture.write(dir, warehouse);
    Launcher launcher = new Launcher(dir.resolve("logs"));

    // The two start together; whichever locks the warehouse first ingests, the other waits for it and then finds
    // every file in ops.ingest_log. Without the lock both would MERGE the same 46 rows into bronze at once.
    Process a = launcher.start("ingest", "--conf", conf.toString(), "--run-id", "a", "--set",
        "tables.lock-timeout=5m");
    Process b = launcher.start("ingest", "--conf", conf.toString(), "--run-id", "b", "--set",
        "tables.lock-timeout=5m");
    Launcher.Result ra = launcher.finish(a, 1);
    Launcher.Result rb = launcher.finish(b, 2);
    assertThat(ra.code()).as(ra.err()).isZero();
    assertThat(rb.code()).as(rb.err()).isZero();
    // total: files, read, written, quarantined, already present (RunFixture: 47 read, 46 written, 1 quarantined).
    assertThat(List.of(total(ra.out()), total(rb.out()))).containsExactlyInAnyOrder(
        List.of(1L, 47L, 46L, 1L, 0L), List.of(0L, 0L, 0L, 0L, 0L));

    Row bronze = spark.sql("SELECT count(*), count(DISTINCT _record_id) FROM delta.`" + warehouse
        + "/bronze/records`").first();
    assertThat(List.of(bronze.getLong(0), bronze.getLong(1))).containsExactly(46L, 46L);
    assertThat(spark.read().format("delta").load(warehouse + "/ops/quarantine").count()).isEqualTo(1);
    assertThat(spark.read().format("delta").load(warehouse + "/ops/ingest_log").count()).isEqualTo(1);
    // Bronze was written once: a create, and no second commit.
    assertThat(spark.sql("DESCRIBE HISTORY delta.`" + warehouse + "/bronze/records`").count()).isEqualTo(1);

    // A run that finds the warehouse held fails at once (tables.lock-timeout = 0s), naming the holder.
    String host = InetAddress.getLocalHost().getHostName();
    try (WarehouseLock held = WarehouseLock.acquire(new org.apache.hadoop.fs.Path(warehouse.toString()),
        new org.apache.hadoop.conf.Configuration(), RunContext.of("holder"), Duration.ZERO, "test")) {
      Launcher.Result refused = launcher.run("ingest", "--conf", conf.toString(), "--run-id", "c");
      assertThat(refused.code()).as(refused.err()).isEqualTo(1);
      assertThat(refused.err()).contains("lakepipe: Cannot run lakepipe ingest: another run (run_id holder, pid "
          + ProcessHandle.current().pid() + " on host " + host + ") holds the warehouse file:" + warehouse + " since ",
          ". Wait for it to finish (or set tables.lock-timeout, e.g. 10m, to wait for it), or remove file:"
              + warehouse.resolve("_lakepipe.lock") + " if that process is gone.");
      assertOneParagraphWithoutStackTrace(refused, launcher.logFile());
    }
    assertThat(spark.read().format("delta").load(warehouse + "/ops/ingest_log").count()).isEqualTo(1);
  }

  /** The numbers of the ingest report's {@code total} line. */
  private static List<Long> total(String out) {
    String line = out.lines().filter(l -> l.startsWith("total ")).findFirst().orElseThrow(() ->
        new AssertionError("no total line in:\n" + out));
    List<Long> numbers = new ArrayList<>();
    Arrays.stream(line.trim().split("\\s+")).skip(1).forEach(n -> numbers.add(Long.parseLong(n)));
    return numbers;
  }
}
