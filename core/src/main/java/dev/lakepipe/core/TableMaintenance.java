package dev.lakepipe.core;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Delta housekeeping over the project's tables: {@code OPTIMIZE} (compaction of small files into large ones) and
 * {@code VACUUM} (deleting the data files no version within the retention period refers to).
 *
 * <p>Why it is needed: every run writes new files. Silver, gold and the per-run tables are rewritten whole or per
 * run, so each run leaves the previous files behind as history (what time travel reads), and incremental ingests
 * append small files. Without VACUUM the warehouse grows by a copy of silver and gold per run; without OPTIMIZE
 * readers open ever more small files. Neither changes what a table reads as: OPTIMIZE commits a version with the
 * same rows in fewer files, VACUUM only removes files no version within the retention reads.
 *
 * <p>The retention bounds time travel: after a VACUUM with retention R, versions older than R may no longer be
 * readable. Delta refuses a retention below its table property {@code delta.deletedFileRetentionDuration}
 * (7 days by default) unless told otherwise, because a job that started reading before the VACUUM may still need
 * the files; {@link #run} lifts that check only when the caller says the short retention is meant.
 */
public final class TableMaintenance {

  /** Delta's default {@code delta.deletedFileRetentionDuration}: below it Delta refuses to VACUUM unless told. */
  public static final Duration DELTA_DEFAULT_RETENTION = Duration.ofDays(7);

  private static final String RETENTION_CHECK = "spark.databricks.delta.retentionDurationCheck.enabled";
  /**
   * VACUUM lists a table's folders in this many tasks; Spark's default, 10,000, made every VACUUM of a small table
   * 10,000 tasks (minutes on 2 cores, each task generating code). The cluster's cores list as fast.
   */
  private static final String LISTING_PARALLELISM = "spark.sql.sources.parallelPartitionDiscovery.parallelism";

  /**
   * What maintenance did to one table: its data files before and after OPTIMIZE (the current version's, from
   * {@code DESCRIBE DETAIL}), the files VACUUM deleted, and the version it ended at. {@code present} is false for
   * a table no stage has written yet (the other figures are then 0).
   */
  public record Result(TableRef table, boolean present, long filesBefore, long filesAfter, long filesDeleted,
      long version) {}

  private TableMaintenance() {}

  /**
   * OPTIMIZE (when {@code optimize}) then VACUUM with {@code retention} every table of {@code catalog} that exists,
   * in the catalog's order. {@code shortRetention} must be true for a retention below
   * {@link #DELTA_DEFAULT_RETENTION}; Delta's own check is then lifted for this call and restored after.
   */
  public static List<Result> run(SparkSession spark, TableCatalog catalog, boolean optimize, Duration retention,
      boolean shortRetention) {
    LakepipeErrors.checkArgument(shortRetention || retention.compareTo(DELTA_DEFAULT_RETENTION) >= 0,
        "Cannot vacuum with a retention of %s h: below Delta's 168 h a reader that started before may lose its "
            + "files", retention.toHours());
    String previousCheck = spark.conf().get(RETENTION_CHECK, "true");
    String previousListing = spark.conf().get(LISTING_PARALLELISM, "10000");
    if (shortRetention) {
      spark.conf().set(RETENTION_CHECK, "false");
    }
    spark.conf().set(LISTING_PARALLELISM, Integer.toString(Math.max(1, spark.sparkContext().defaultParallelism())));
    try {
      List<Result> out = new ArrayList<>();
      for (TableRef t : catalog.tables()) {
        out.add(catalog.exists(t) ? maintain(spark, catalog, t, optimize, retention)
            : new Result(t, false, 0, 0, 0, -1));
      }
      return out;
    } finally {
      spark.conf().set(RETENTION_CHECK, previousCheck);
      spark.conf().set(LISTING_PARALLELISM, previousListing);
    }
  }

  private static Result maintain(SparkSession spark, TableCatalog catalog, TableRef t, boolean optimize,
      Duration retention) {
    String target = t.sqlTarget();
    long before = numFiles(spark, target);
    if (optimize) {
      catalog.delta(t).optimize().executeCompaction();
    }
    long after = numFiles(spark, target);
    // Fractional hours: VACUUM takes them, and a retention of 90 minutes must not round down to 1 hour.
    double hours = retention.toSeconds() / 3600.0;
    // VACUUM itself returns only the table's path; its dry run lists the files it would delete (counted on the
    // executors, never collected). Both list the table's folder, so the count costs one more listing.
    long deleted = spark.sql("VACUUM " + target + " RETAIN " + hours + " HOURS DRY RUN").count();
    catalog.delta(t).vacuum(hours);
    return new Result(t, true, before, after, deleted, catalog.version(t));
  }

  private static long numFiles(SparkSession spark, String target) {
    Row detail = spark.sql("DESCRIBE DETAIL " + target).first();
    return detail.getLong(detail.fieldIndex("numFiles"));
  }
}
