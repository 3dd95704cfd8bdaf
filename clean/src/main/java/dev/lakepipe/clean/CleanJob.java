package dev.lakepipe.clean;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import dev.lakepipe.core.LakepipeErrors;
import dev.lakepipe.core.Persisted;
import dev.lakepipe.core.Lineage;
import dev.lakepipe.core.QuarantineTable;
import dev.lakepipe.core.RunContext;
import dev.lakepipe.core.SparkSessionFactory;
import dev.lakepipe.core.TableCatalog;
import dev.lakepipe.core.TableRef;
import dev.lakepipe.core.config.LakepipeConfig;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code lakepipe clean}: {@code bronze.records} to {@code silver.records}. Normalises, validates and applies
 * the missing-value policy row by row ({@link RowCleaning}), then removes exact and near duplicates and
 * settles label conflicts ({@link Deduplication}). Every decision is recorded: duplicates in
 * {@code ops.duplicates} (duplicate id, keeper id, kind, action, similarity; with
 * {@code clean.near-duplicates.action = keep} near duplicates stay in silver, recorded as {@code kept}),
 * rejected rows in {@code ops.quarantine} (reason and rule id), and a profile of input and output in
 * {@code ops.dq_report}, every run.
 *
 * <p>Silver is recomputed whole from bronze and replaced in one Delta transaction, so duplicate decisions
 * see all rows; decisions and the report are replaced per run id, so a re-run with the same run id replaces
 * rather than duplicates. Conservation ({@code in = kept + duplicates + quarantined}) is checked before any
 * table is written. Deterministic: the same bronze and conf give the same decisions at any partition count.
 */
public final class CleanJob {

  private static final Logger LOG = LoggerFactory.getLogger(CleanJob.class);
  public static final String STAGE = "clean";

  private CleanJob() {}

  public static CleanReport run(SparkSession spark, LakepipeConfig config, RunContext run) {
    CleanSettings settings = CleanSettings.parse(config);
    return SparkSessionFactory.withJobGroup(spark, "CLEAN", "lakepipe clean run " + run.runId(),
        () -> execute(spark, config, settings, run));
  }

  private static CleanReport execute(SparkSession spark, LakepipeConfig config, CleanSettings s, RunContext run) {
    TableCatalog catalog = new TableCatalog(spark, config.tables());
    catalog.registerAll();
    TableRef bronzeRef = catalog.table("bronze-records");
    TableRef silverRef = catalog.table("silver-records");
    try (Persisted persisted = new Persisted()) {
      Persisted.Cut bronzeCut = persisted.cutAndCount(catalog.read(bronzeRef, "ingest"));
      Dataset<Row> bronze = bronzeCut.rows();
      RowCleaning.Result rows = RowCleaning.apply(bronze, s.rows(), config.dataset(), run);
      Dataset<Row> kept = persisted.cut(rows.kept());
      long t0 = System.nanoTime();
      Deduplication.Result dedup = Deduplication.apply(kept, s.exactKey(), s.near(), s.keepNear(), s.minAgreement(),
          config.dataset(), run, persisted);
      persisted.adopt(dedup.near().components());
      persisted.adopt(dedup.near().pairs());

      // Each output is materialised once, by the one job that also counts it: the counts below are of the
      // rows that are written, not of a recomputation.
      List<String> silverColumns = new ArrayList<>(List.of(bronze.columns()));
      silverColumns.add(RowCleaning.FLAGS);
      Persisted.Cut silverCut = persisted.cutAndCount(dedup.kept()
          .withColumn(Lineage.RUN_ID, lit(run.runId()))
          .select(silverColumns.stream().map(c -> col(c)).toArray(Column[]::new)));
      Dataset<Row> silver = silverCut.rows();
      Column removedRow = col("action").equalTo(Deduplication.REMOVED);
      Persisted.Cut duplicatesCut = persisted.cutAndCount(dedup.duplicates(),
          sum(when(removedRow.and(col("kind").equalTo(Deduplication.KIND_EXACT)), 1)),
          sum(when(removedRow.and(col("kind").equalTo(Deduplication.KIND_NEAR)), 1)),
          sum(when(col("action").equalTo(Deduplication.KEPT), 1)));
      Dataset<Row> duplicates = duplicatesCut.rows();
      Persisted.Cut quarantinedCut = persisted.cutAndCount(rows.quarantined().unionByName(dedup.quarantined()),
          sum(when(col("reason_code").equalTo(Deduplication.LABEL_CONFLICT), 1)));
      Dataset<Row> quarantined = quarantinedCut.rows();
      Dataset<Row> removed = duplicates.filter(removedRow);

      long t1 = System.nanoTime();
      long in = bronzeCut.count();
      long keptCount = silverCut.count();
      long exact = duplicatesCut.aggregate(0);
      long near = duplicatesCut.aggregate(1);
      long nearKept = duplicatesCut.aggregate(2);
      long quarantinedCount = quarantinedCut.count();
      long conflictCount = quarantinedCut.aggregate(0);
      checkConservation(in, keptCount, exact, near, quarantinedCount);

      long t2 = System.nanoTime();
      QuarantineTable.write(catalog, quarantined);
      catalog.replaceRun(catalog.table("duplicates"), duplicates.select(
          Deduplication.DUPLICATES_COLUMNS.stream().map(c -> col(c)).toArray(Column[]::new)), run.runId());
      catalog.overwrite(silverRef, silver);
      catalog.replaceRun(catalog.table("dq-report"), DqReport.build(bronze, silver, quarantined, removed,
          config.dataset(), s.rows().flagColumns(), bronzeRef.name(), silverRef.name(), run), run.runId());

      long t3 = System.nanoTime();
      LOG.info("clean: near-duplicate search {} s, decisions and counts {} s, writes {} s",
          seconds(t1 - t0), seconds(t2 - t1), seconds(t3 - t2));
      CleanReport report = new CleanReport(run.runId(), in, keptCount, exact, near, quarantinedCount,
          conflictCount, nearKept, dedup.nearStats());
      LOG.info("clean: {} in, {} kept, {} exact and {} near duplicates, {} quarantined ({} in label conflicts)",
          in, keptCount, exact, near, quarantinedCount, conflictCount);
      return report;
    }
  }

  /**
   * The stage's conservation rule, judged on its counts before anything is written: every bronze row is kept,
   * removed as an exact or near duplicate, or quarantined. Throws the job error (exit code 1) otherwise.
   */
  static void checkConservation(long in, long kept, long exact, long near, long quarantined) {
    if (in != kept + exact + near + quarantined) {
      throw LakepipeErrors.conservationBroken(STAGE, in + " in, but " + kept + " kept + " + exact
          + " exact + " + near + " near duplicates + " + quarantined + " quarantined");
    }
  }

  private static String seconds(long nanos) {
    return String.format(java.util.Locale.ROOT, "%.1f", nanos / 1e9);
  }
}
