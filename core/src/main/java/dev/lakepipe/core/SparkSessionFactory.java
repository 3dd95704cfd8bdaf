package dev.lakepipe.core;

import dev.lakepipe.core.config.LakepipeConfig;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the SparkSession every stage runs in, with Delta Lake's SQL extension and catalog on. A session that
 * already exists (spark-submit's, Databricks', a test's) is reused; its static settings then win.
 */
public final class SparkSessionFactory {

  private static final Logger LOG = LoggerFactory.getLogger(SparkSessionFactory.class);

  /**
   * Settings every Lakepipe session has, whatever the conf says: Delta on; datetimes parsed with the Java time
   * API only; and timestamps written to and read from Parquet as they are (raw data holds dates such as year
   * 102 from two-digit-year mail headers, which clean flags; ingest must keep them, not fail on them).
   */
  public static final Map<String, String> REQUIRED_CONF = Map.of(
      "spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension",
      "spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog",
      "spark.sql.legacy.timeParserPolicy", "CORRECTED",
      "spark.sql.parquet.int96RebaseModeInWrite", "CORRECTED",
      "spark.sql.parquet.int96RebaseModeInRead", "CORRECTED",
      "spark.sql.parquet.datetimeRebaseModeInWrite", "CORRECTED",
      "spark.sql.parquet.datetimeRebaseModeInRead", "CORRECTED");

  /** The static setting of Spark's compiled-code cache size (see {@link #EMBEDDED_CONF}). */
  public static final String CODEGEN_CACHE = "spark.sql.codegen.cache.maxEntries";

  /**
   * Settings of embedded Spark ({@code --env local}) that the conf does not set itself: adaptive query execution
   * with partition coalescing, starting from 8 shuffle partitions and coalescing small ones towards 64 MiB (on
   * 100 rows a shuffle then runs one or two tasks; on millions, as many as the data needs up to the initial
   * number). Not applied to sessions of other environments (YARN, standalone, Databricks): a cluster's own
   * settings stand unless {@code spark.conf} in the conf says otherwise. The stages give the same results at any
   * partition count, so these change speed only.
   *
   * <p>And Delta's snapshot partitions: each time a table's state is rebuilt from its log (a read after a commit,
   * a write's conflict check), Delta spreads the log's actions over {@code spark.databricks.delta.snapshotPartitions}
   * tasks, 50 unless set. On one machine more tasks than cores only queue: measured on {@code ./lakepipe run}
   * over the sample (2 cores), 19 such 50-task stages took 20.8 s of the run's 145 s. Embedded Spark uses as many
   * as the machine has cores, at most Delta's 50.
   *
   * <p>And Spark's cache of compiled query code ({@code spark.sql.codegen.cache.maxEntries}, a static setting, 100
   * unless set): one {@code run} of the sample compiles about 1,050 distinct pieces of generated code, so with 100
   * entries code evicted in one stage is compiled again in the next. With 2,000: 1,357 compilations (13.0 s) became
   * 1,054 (11.4 s), within the run's noise (96 s and 97 s); a JVM that runs the same queries again and again gains
   * more (the clean module's stage tests: 118 s became 103 s). The cache holds the generated classes.
   */
  public static final Map<String, String> EMBEDDED_CONF = Map.of(
      "spark.sql.adaptive.enabled", "true",
      "spark.sql.adaptive.coalescePartitions.enabled", "true",
      "spark.sql.shuffle.partitions", "8",
      "spark.sql.adaptive.advisoryPartitionSizeInBytes", "64m",
      "spark.databricks.delta.snapshotPartitions",
      Integer.toString(Math.min(50, Runtime.getRuntime().availableProcessors())),
      CODEGEN_CACHE, "2000");

  /** The master of embedded Spark (env local) when neither the conf nor a launcher sets one. */
  public static final String LOCAL_MASTER = "local[*]";

  private SparkSessionFactory() {}

  public static SparkSession create(LakepipeConfig config, String stage) {
    SparkSession.Builder b = SparkSession.builder().appName(config.spark().appName() + " " + stage);
    config.spark().master().ifPresent(b::master);
    if (config.spark().master().isEmpty() && config.env() == LakepipeConfig.Env.LOCAL
        && System.getProperty("spark.master") == null && SparkSession.getDefaultSession().isEmpty()) {
      // A conf kept outside conf/ has no local.conf beside it: embedded Spark still needs a master.
      LOG.info("spark.master is not set and no launcher set one; embedded Spark runs on {}", LOCAL_MASTER);
      b.master(LOCAL_MASTER);
    }
    if (config.tables().mode() == dev.lakepipe.core.config.TableSettings.Mode.PATH
        && !config.spark().conf().containsKey("spark.sql.warehouse.dir")) {
      // Keep Spark's own catalog folder inside the warehouse instead of the working directory.
      b.config("spark.sql.warehouse.dir",
          new org.apache.hadoop.fs.Path(config.tables().warehouse(), "_catalog").toString());
    }
    if (config.env() == LakepipeConfig.Env.LOCAL) {
      EMBEDDED_CONF.forEach((k, v) -> {
        if (!config.spark().conf().containsKey(k) && System.getProperty(k) == null) {
          b.config(k, v);
        }
      });
    }
    for (Map.Entry<String, String> e : config.spark().conf().entrySet()) {
      b.config(e.getKey(), e.getValue());
    }
    REQUIRED_CONF.forEach(b::config);
    SparkSession spark = b.getOrCreate();
    LOG.info("Spark {} session for {} (master {})", spark.version(), stage, spark.sparkContext().master());
    return spark;
  }

  /**
   * An embedded session for commands that run before any conf exists ({@code lakepipe init}): the master of
   * {@code LAKEPIPE_SPARK_MASTER} (as {@code conf/local.conf} reads it) or {@link #LOCAL_MASTER}, the
   * {@link #REQUIRED_CONF} settings, UTC, no UI, Spark's catalog folder under the system temp folder rather than
   * the working directory. An existing session or a launcher's master (spark-submit's, a test's) wins.
   */
  public static SparkSession local(String stage) {
    SparkSession.Builder b = SparkSession.builder().appName("lakepipe " + stage)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.warehouse.dir",
            new java.io.File(System.getProperty("java.io.tmpdir"), "lakepipe-" + stage + "-catalog").toURI()
                .toString());
    if (System.getProperty("spark.master") == null && SparkSession.getActiveSession().isEmpty()
        && SparkSession.getDefaultSession().isEmpty()) {
      b.master(System.getenv().getOrDefault("LAKEPIPE_SPARK_MASTER", LOCAL_MASTER));
    }
    REQUIRED_CONF.forEach(b::config);
    SparkSession spark = b.getOrCreate();
    LOG.info("Spark {} session for {} (master {})", spark.version(), stage, spark.sparkContext().master());
    return spark;
  }

  /** Runs {@code body} under a Spark job group, so the UI and logs say which stage a job belongs to. */
  public static <T> T withJobGroup(SparkSession spark, String group, String description,
      java.util.function.Supplier<T> body) {
    spark.sparkContext().setJobGroup(group, description, false);
    try {
      return body.get();
    } finally {
      spark.sparkContext().clearJobGroup();
    }
  }
}
