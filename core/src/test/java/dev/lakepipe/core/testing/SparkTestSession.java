package dev.lakepipe.core.testing;

import dev.lakepipe.core.SparkSessionFactory;
import org.apache.spark.sql.SparkSession;

/**
 * The one {@code local[2]} SparkSession a test JVM shares (starting Spark costs seconds, so test classes reuse
 * it): Delta extension and catalog on, two shuffle partitions, UTC, no UI. Stopped when the JVM exits.
 */
public final class SparkTestSession {

  private static SparkSession spark;

  private SparkTestSession() {}

  public static synchronized SparkSession get() {
    if (spark == null) {
      SparkSession.Builder b = SparkSession.builder()
          .master("local[2]")
          .appName("lakepipe-test");
      SparkSessionFactory.REQUIRED_CONF.forEach(b::config);
      spark = b
          .config("spark.sql.shuffle.partitions", "2")
          .config("spark.default.parallelism", "2")
          .config("spark.sql.session.timeZone", "UTC")
          .config("spark.ui.enabled", "false")
          .config("spark.sql.warehouse.dir",
              System.getProperty("java.io.tmpdir") + "/lakepipe-test-warehouse-" + ProcessHandle.current().pid())
          .config("spark.databricks.delta.snapshotPartitions", "2")
          // As embedded Spark has it: the stage tests of a module run the same queries again and again.
          .config(SparkSessionFactory.CODEGEN_CACHE, SparkSessionFactory.EMBEDDED_CONF.get(SparkSessionFactory.CODEGEN_CACHE))
          .getOrCreate();
      spark.sparkContext().setLogLevel("WARN");
      Runtime.getRuntime().addShutdownHook(new Thread(() -> spark.stop()));
    }
    return spark;
  }
}
