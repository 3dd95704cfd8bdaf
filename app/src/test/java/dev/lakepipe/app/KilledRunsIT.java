package dev.lakepipe.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakepipe.core.testing.SparkTestBase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * A clean and a features run killed with {@code kill -9} in the middle of their writes ({@code ./lakepipe} in a
 * JVM of its own, killed as soon as the stage's first Delta commit appears): every table stays readable at the
 * version it had before (or holds the killed run's whole commit), and the next run with the same run id ends
 * with exactly the counts of an undisturbed run, nothing doubled. Then features run twice with one run id
 * changes nothing but gold's version. One warehouse for the class ({@link RunFixture}, counts derived there);
 * the tests run in order, each on what the one before left. The in-process re-runs also take over the lock
 * file the killed JVM left behind.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KilledRunsIT extends SparkTestBase {

  @TempDir
  static Path dir;
  static Path warehouse;
  static Path conf;
  static Launcher launcher;

  @BeforeAll
  static void ingestAndCleanOnce() throws Exception {
    warehouse = dir.resolve("lake");
    conf = RunFixture.write(dir, warehouse);
    launcher = new Launcher(dir.resolve("logs"));
    cliOk("ingest", "--run-id", "i1");
    cliOk("clean", "--run-id", "c0");
  }

  @Test
  @Order(1)
  void aCleanKilledDuringItsWritesLeavesTablesReadableAndItsRetryCountsExactly() throws Exception {
    List<String> tables = List.of("bronze/records", "ops/quarantine", "ops/duplicates", "silver/records",
        "ops/dq_report");
    Map<String, long[]> before = KilledWrites.versionsAndCounts(spark, warehouse, tables);

    // Clean writes ops.quarantine (nothing new: c0 quarantined the same rows, so no commit), ops.duplicates,
    // silver, ops.dq_report; the kill comes with the ops.duplicates commit.
    Launcher.Result killed = killWhen(commit("ops/duplicates", before.get("ops/duplicates")[0] + 1),
        "clean", "--run-id", "c1");
    assertThat(killed.out()).as("killed before clean finished").doesNotContain("clean (run c1)");
    KilledWrites.assertReadableAtPreviousOrNew(spark, warehouse, before);
    Row silverNow = spark.sql("SELECT count(*), count(DISTINCT _record_id), min(run_id), max(run_id) FROM delta.`"
        + warehouse + "/silver/records`").first();
    assertThat(silverNow.getLong(0)).isEqualTo(40);
    assertThat(silverNow.getLong(1)).isEqualTo(40);
    assertThat(silverNow.getString(2)).as("one run's silver, whole").isEqualTo(silverNow.getString(3));

    String out = cliOk("clean", "--run-id", "c1");
    // in, kept, exact, near, quarantined, label conflicts (RunFixture: 46 = 40 + 4 + 0 + 2).
    assertThat(out).containsPattern("(?m)^clean\\s+46\\s+40\\s+4\\s+0\\s+2\\s+0\\s*$");
    assertThat(rows("SELECT run_id, count(*), count(DISTINCT _record_id) FROM delta.`" + warehouse
        + "/silver/records` GROUP BY run_id")).containsExactly("c1|40|40");
    assertThat(rows("SELECT run_id, kind, count(*), count(DISTINCT removed_record_id) FROM delta.`" + warehouse
        + "/ops/duplicates` GROUP BY run_id, kind ORDER BY run_id"))
        .containsExactly("c0|exact|4|4", "c1|exact|4|4");
    // Quarantine is keyed by stage, source, file, row and reason: c1 found c0's two rows already there.
    assertThat(rows("SELECT stage, run_id, count(*) FROM delta.`" + warehouse
        + "/ops/quarantine` GROUP BY stage, run_id ORDER BY stage"))
        .containsExactly("clean|c0|2", "ingest|i1|1");
    assertThat(rows("SELECT count(*) FROM delta.`" + warehouse + "/ops/dq_report` WHERE run_id = 'c1'"))
        .isEqualTo(rows("SELECT count(*) FROM delta.`" + warehouse + "/ops/dq_report` WHERE run_id = 'c0'"));
    assertThat(Files.readString(warehouse.resolve("_lakepipe.lock"))).as("taken over, then released").isEmpty();
  }

  @Test
  @Order(2)
  void featuresKilledDuringItsWritesLeaveGoldReadableAndItsRetryCountsExactly() throws Exception {
    cliOk("features", "--run-id", "f0");
    Map<String, String> f0Splits = splits();
    List<String> tables = List.of("silver/records", "ops/quarantine", "ops/split_manifest", "gold/dataset");
    Map<String, long[]> before = KilledWrites.versionsAndCounts(spark, warehouse, tables);

    // Features saves the pipeline, writes the Parquet export, then ops.split_manifest, ops.quarantine (nothing
    // here) and last gold; the kill comes with the manifest's commit.
    Launcher.Result killed = killWhen(commit("ops/split_manifest", before.get("ops/split_manifest")[0] + 1),
        "features", "--run-id", "f1");
    assertThat(killed.out()).as("killed before features finished").doesNotContain("features (run f1)");
    KilledWrites.assertReadableAtPreviousOrNew(spark, warehouse, before);
    assertThat(rows("SELECT count(*), count(DISTINCT _record_id), count(DISTINCT run_id) FROM delta.`" + warehouse
        + "/gold/dataset`")).containsExactly("40|40|1");

    String out = cliOk("features", "--run-id", "f1");
    // in, placed, quarantined, augmented
    assertThat(out).containsPattern("(?m)^features\\s+40\\s+40\\s+0\\s+0\\s*$");
    checkGold("f1");
    assertThat(splits()).as("f1 kept f0's assignment").isEqualTo(f0Splits);
    // The manifest has one set of rows per run: f1's retry replaced what the killed f1 wrote.
    assertThat(rows("SELECT split, rows, class_counts FROM delta.`" + warehouse
        + "/ops/split_manifest` WHERE run_id = 'f1' ORDER BY split")).isEqualTo(rows("SELECT split, rows, "
        + "class_counts FROM delta.`" + warehouse + "/ops/split_manifest` WHERE run_id = 'f0' ORDER BY split"));
    assertThat(rows("SELECT count(*) FROM delta.`" + warehouse + "/ops/quarantine` WHERE stage = 'features'"))
        .containsExactly("0");
  }

  @Test
  @Order(3)
  void featuresRunTwiceWithOneRunIdChangesOnlyGoldsVersion() throws Exception {
    long goldVersion = version("gold/dataset");
    Map<String, String> before = splits();
    List<String> manifest = rows("SELECT split, rows, class_counts, fold_counts FROM delta.`" + warehouse
        + "/ops/split_manifest` WHERE run_id = 'f1' ORDER BY split");

    cliOk("features", "--run-id", "f1");

    checkGold("f1");
    assertThat(splits()).isEqualTo(before);
    assertThat(version("gold/dataset")).as("replaced whole, once").isEqualTo(goldVersion + 1);
    assertThat(rows("SELECT split, rows, class_counts, fold_counts FROM delta.`" + warehouse
        + "/ops/split_manifest` WHERE run_id = 'f1' ORDER BY split")).isEqualTo(manifest);
  }

  /** Gold after a whole features run {@code runId}: RunFixture's 16 / 2 / 2 per label, and the export agrees. */
  private static void checkGold(String runId) {
    assertThat(rows("SELECT split, label, count(*), count(DISTINCT _record_id), min(run_id), max(run_id) FROM delta.`"
        + warehouse + "/gold/dataset` GROUP BY split, label ORDER BY split, label")).containsExactly(
            "test|ham|2|2|" + runId + "|" + runId, "test|spam|2|2|" + runId + "|" + runId,
            "train|ham|16|16|" + runId + "|" + runId, "train|spam|16|16|" + runId + "|" + runId,
            "validation|ham|2|2|" + runId + "|" + runId, "validation|spam|2|2|" + runId + "|" + runId);
    // One folder of Parquet files per split.
    assertThat(spark.read().option("recursiveFileLookup", "true").option("pathGlobFilter", "*.parquet")
        .parquet(warehouse.resolve("export/gold_dataset").toString()).count()).isEqualTo(40);
  }

  private static Map<String, String> splits() {
    Map<String, String> out = new TreeMap<>();
    spark.sql("SELECT _record_id, split FROM delta.`" + warehouse + "/gold/dataset`").collectAsList()
        .forEach(r -> out.put(r.getString(0), r.getString(1)));
    return out;
  }

  /** Runs the CLI in this JVM and returns its stdout; fails on a non-zero exit. */
  private static String cliOk(String... args) {
    String[] all = new String[args.length + 2];
    all[0] = args[0];
    all[1] = "--conf";
    all[2] = conf.toString();
    System.arraycopy(args, 1, all, 3, args.length - 1);
    CliConfigErrorsTest.Result r = CliConfigErrorsTest.cli(all);
    assertThat(r.code()).as("%s: %s", String.join(" ", all), r.err()).isZero();
    return r.out();
  }

  /** Starts {@code ./lakepipe args --conf conf} and kills it (SIGKILL) as soon as {@code trigger} exists. */
  private static Launcher.Result killWhen(Path trigger, String command, String... args) throws Exception {
    String[] all = new String[args.length + 3];
    all[0] = command;
    all[1] = "--conf";
    all[2] = conf.toString();
    System.arraycopy(args, 0, all, 3, args.length);
    Process p = launcher.start(all);
    int n = launcher.started();
    boolean seen = KilledWrites.killWhen(trigger, p, Duration.ofMinutes(4));
    Launcher.Result r = launcher.finish(p, n);
    assertThat(seen).as("%s appeared; stderr:%n%s", trigger, r.err()).isTrue();
    assertThat(r.code()).as("killed by SIGKILL").isEqualTo(128 + 9);
    return r;
  }

  private static Path commit(String table, long version) {
    return KilledWrites.commit(warehouse, table, version);
  }

  private static long version(String table) {
    return KilledWrites.version(spark, warehouse, table);
  }

  private static List<String> rows(String sql) {
    return spark.sql(sql).collectAsList().stream().map(r -> {
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < r.length(); i++) {
        sb.append(i == 0 ? "" : "|").append(r.isNullAt(i) ? "NULL" : String.valueOf(r.get(i)));
      }
      return sb.toString();
    }).toList();
  }
}
