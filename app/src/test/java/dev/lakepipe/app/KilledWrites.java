package dev.lakepipe.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.delta.tables.DeltaTable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.SparkSession;

/**
 * What the kill tests ({@link KilledRunsIT}, {@link StandaloneClusterIT}) share: the Delta commit file to kill a
 * process at, waiting for it, and the check that every table is still readable at the version it had.
 */
final class KilledWrites {

  private KilledWrites() {}

  /** The file of {@code table}'s commit {@code version} under {@code warehouse} (table as "db/name"). */
  static Path commit(Path warehouse, String table, long version) {
    return warehouse.resolve(table).resolve("_delta_log").resolve(String.format(Locale.ROOT, "%020d.json", version));
  }

  /**
   * Waits until {@code trigger} exists, the process has ended or the timeout has passed, then kills the process
   * (SIGKILL) and waits for it to end; true when the trigger appeared.
   */
  static boolean killWhen(Path trigger, Process p, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!Files.exists(trigger) && p.isAlive() && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    boolean seen = Files.exists(trigger);
    p.destroyForcibly();
    assertThat(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).as("the killed process ended").isTrue();
    return seen;
  }

  static long version(SparkSession spark, Path warehouse, String table) {
    return DeltaTable.forPath(spark, warehouse.resolve(table).toString()).history(1).select("version").first()
        .getLong(0);
  }

  /** Each table's latest version and its row count. */
  static Map<String, long[]> versionsAndCounts(SparkSession spark, Path warehouse, List<String> tables) {
    Map<String, long[]> out = new LinkedHashMap<>();
    for (String t : tables) {
      out.put(t, new long[] {version(spark, warehouse, t),
          spark.read().format("delta").load(warehouse.resolve(t).toString()).count()});
    }
    return out;
  }

  /**
   * After a kill: every table reads at the version it had before with the rows it had, and its current version is
   * that one or the killed run's one whole next commit, which reads too.
   */
  static void assertReadableAtPreviousOrNew(SparkSession spark, Path warehouse, Map<String, long[]> before) {
    before.forEach((t, vc) -> {
      String path = warehouse.resolve(t).toString();
      assertThat(spark.read().format("delta").option("versionAsOf", vc[0]).load(path).count()).as(t)
          .isEqualTo(vc[1]);
      assertThat(version(spark, warehouse, t)).as(t).isBetween(vc[0], vc[0] + 1);
      assertThat(spark.read().format("delta").load(path).count()).as(t).isNotNegative();
    });
  }
}
