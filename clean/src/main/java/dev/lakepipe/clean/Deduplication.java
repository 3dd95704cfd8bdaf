package dev.lakepipe.clean;

import static org.apache.spark.sql.functions.array_union;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.format_number;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import dev.lakepipe.core.JoinColumns;
import dev.lakepipe.core.Lineage;
import dev.lakepipe.core.Persisted;
import dev.lakepipe.core.QuarantineTable;
import dev.lakepipe.core.RunContext;
import dev.lakepipe.core.config.DatasetSchema;
import java.sql.Timestamp;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Exact, then near duplicates, then label conflicts, as one set of decisions over the rows row-cleaning kept.
 *
 * <ol>
 *   <li>Exact groups ({@link ExactDuplicates}) collapse to their keeper.</li>
 *   <li>Near duplicates ({@link NearDuplicates}) are looked for among the rows that survive step 1 only;
 *       an exact group joins a near cluster through its keeper. Clusters are transitive.</li>
 *   <li>Every cluster keeps one row ({@link DuplicateClusters#keepers}); a removed row is recorded as
 *       {@code exact} when its exact keeper is the final keeper, {@code near} otherwise, with the exact Jaccard
 *       similarity of its text to the keeper's.</li>
 *   <li>A cluster whose labels disagree beyond {@code minAgreement} is quarantined whole
 *       ({@code LABEL_CONFLICT}); otherwise the keeper carries the majority label.</li>
 * </ol>
 * Every input row ends in exactly one of: kept, removed as a duplicate, quarantined. No I/O; the decisions
 * (one row per clustered row, small) are persisted and materialised once in {@code persisted}, so the kept rows,
 * the duplicate records and the conflict records read them rather than each re-running the clustering.
 */
final class Deduplication {

  static final String KIND_EXACT = "exact";
  static final String KIND_NEAR = "near";
  static final String LABEL_CONFLICT = "LABEL_CONFLICT";
  /** ops.duplicates.action: the duplicate left silver, or (near duplicates with action = keep) stayed, linked. */
  static final String REMOVED = "removed";
  static final String KEPT = "kept";

  /** Columns of {@code ops.duplicates}. */
  static final List<String> DUPLICATES_COLUMNS = List.of("removed_record_id", "kept_record_id", "kind", "action",
      "similarity", "removed_source", "kept_source", "cluster_size", "cluster_label", "label_agreement",
      Lineage.RUN_ID, "decided_at");

  /** {@code near} is the near-duplicate search's result, persisted by it: release its frames when done. */
  record Result(Dataset<Row> kept, Dataset<Row> duplicates, Dataset<Row> quarantined,
      NearDuplicates.Stats nearStats, NearDuplicates.Result near) {}

  private Deduplication() {}

  static Result apply(Dataset<Row> rows, List<String> exactKey, NearDuplicates.Settings near, boolean keepNear,
      double minAgreement, DatasetSchema schema, RunContext run, Persisted persisted) {
    String eventTime = schema.eventTimeColumn();
    String label = schema.labelColumn();
    String id = Lineage.RECORD_ID;

    // 1. Exact groups and their keepers.
    Dataset<Row> exact = ExactDuplicates.groups(rows, exactKey);
    Dataset<Row> exactAssign = exact.join(DuplicateClusters.keepers(exact, rows, eventTime),
            ExactDuplicates.CLUSTER_ID)
        .select(col(id), col(DuplicateClusters.KEPT_ID).as("exact_keeper"));
    Dataset<Row> survivors = rows.join(
        exactAssign.filter(col(id).notEqual(col("exact_keeper"))).select(id), JoinColumns.of(id), "left_anti");

    // 2. Near clusters among the survivors, and their keepers.
    NearDuplicates.Result nearResult = near.enabled() ? NearDuplicates.find(survivors, near) : none(survivors);
    Dataset<Row> nearAssign = nearResult.components()
        .join(DuplicateClusters.keepers(nearResult.components(), survivors, eventTime), ExactDuplicates.CLUSTER_ID)
        .select(col(id).as("rep"), col(DuplicateClusters.KEPT_ID).as("near_keeper"));

    // 3. Final keeper of every clustered row.
    Dataset<Row> assignment = rows.select(id)
        .join(exactAssign, JoinColumns.of(id), "left")
        .withColumn("rep", coalesce(col("exact_keeper"), col(id)))
        .join(nearAssign, JoinColumns.of("rep"), "left")
        .filter(col("exact_keeper").isNotNull().or(col("near_keeper").isNotNull()))
        .select(col(id),
            col("exact_keeper"),
            coalesce(col("near_keeper"), col("rep")).as(DuplicateClusters.KEPT_ID),
            when(col("exact_keeper").isNotNull()
                .and(col("exact_keeper").equalTo(coalesce(col("near_keeper"), col("rep")))), lit(KIND_EXACT))
                .otherwise(lit(KIND_NEAR)).as("kind"));

    // 4. Label decisions per cluster.
    Dataset<Row> decisions = DuplicateClusters.labelDecisions(assignment, rows, label, minAgreement);
    Dataset<Row> decided = persisted.cut(assignment.join(decisions, DuplicateClusters.KEPT_ID));
    Dataset<Row> conflicted = decided.filter(col(DuplicateClusters.CONFLICT));
    Dataset<Row> settled = decided.filter(col(DuplicateClusters.CONFLICT).unary_$bang());

    // With keepNear, only exact duplicates leave: they point at their exact keeper, which stays; every other
    // member stays too, linked to the cluster's keeper as a kept near duplicate.
    Column exactRemoved = col("exact_keeper").isNotNull().and(col("exact_keeper").notEqual(col(id)));
    if (keepNear) {
      settled = settled
          .withColumn(DuplicateClusters.KEPT_ID, when(exactRemoved, col("exact_keeper"))
              .otherwise(col(DuplicateClusters.KEPT_ID)))
          .withColumn("kind", when(exactRemoved, lit(KIND_EXACT)).otherwise(col("kind")));
    }
    Column removed = keepNear ? exactRemoved : lit(true);
    settled = settled.withColumn("action", when(col(id).notEqual(col(DuplicateClusters.KEPT_ID)).and(removed),
        lit(REMOVED)).otherwise(lit(KEPT)));
    Dataset<Row> removedIds = settled.filter(col("action").equalTo(REMOVED)).select(id);
    Dataset<Row> conflictedIds = conflicted.select(id);
    Dataset<Row> keeperLabels = settled.filter(col(id).equalTo(col(DuplicateClusters.KEPT_ID)))
        .select(col(id), col(DuplicateClusters.CLUSTER_LABEL).as("majority_label"));

    Dataset<Row> kept = rows
        .join(removedIds, JoinColumns.of(id), "left_anti")
        .join(conflictedIds, JoinColumns.of(id), "left_anti")
        .join(keeperLabels, JoinColumns.of(id), "left");
    Column changed = col("majority_label").isNotNull().and(col(label).isNull()
        .or(col(label).notEqual(col("majority_label"))));
    kept = kept
        .withColumn(RowCleaning.FLAGS, when(changed,
            array_union(col(RowCleaning.FLAGS), org.apache.spark.sql.functions.array(lit("label:majority"))))
            .otherwise(col(RowCleaning.FLAGS)))
        .withColumn(label, when(changed, col("majority_label")).otherwise(col(label)))
        .drop("majority_label")
        .select(Arrays.stream(rows.columns()).map(c -> col(c)).toArray(Column[]::new));

    Dataset<Row> duplicates = duplicatesRows(settled, rows, schema, near, run);
    Dataset<Row> quarantined = conflictRows(conflicted, rows, schema, minAgreement, run);
    return new Result(kept, duplicates, quarantined, nearResult.stats(), nearResult);
  }

  /** No near-duplicate search (clean.near-duplicates.enabled = false): empty results of the same shape. */
  private static NearDuplicates.Result none(Dataset<Row> rows) {
    org.apache.spark.sql.SparkSession spark = rows.sparkSession();
    org.apache.spark.sql.types.StructType components = new org.apache.spark.sql.types.StructType()
        .add(Lineage.RECORD_ID, "string").add(ExactDuplicates.CLUSTER_ID, "string");
    org.apache.spark.sql.types.StructType pairs = new org.apache.spark.sql.types.StructType()
        .add("id_a", "string").add("id_b", "string").add("jaccard", "double");
    return new NearDuplicates.Result(spark.createDataFrame(List.<Row>of(), components),
        spark.createDataFrame(List.<Row>of(), pairs), new NearDuplicates.Stats(0, 0, 0, 0, 0));
  }

  private static Dataset<Row> duplicatesRows(Dataset<Row> settled, Dataset<Row> rows, DatasetSchema schema,
      NearDuplicates.Settings near, RunContext run) {
    String id = Lineage.RECORD_ID;
    String text = near.column();
    Dataset<Row> removed = settled.filter(col(id).notEqual(col(DuplicateClusters.KEPT_ID))).as("d");
    // Without a text column (a table) there are exact duplicates only: their similarity is 1.
    Column textOrNull = text == null ? lit(null).cast("string").as("_text") : col(text).as("_text");
    Dataset<Row> r = rows.select(col(id), col(Lineage.SOURCE), textOrNull).as("r");
    Dataset<Row> k = rows.select(col(id), col(Lineage.SOURCE), textOrNull).as("k");
    return removed
        .join(r, col("d." + id).equalTo(col("r." + id)))
        .join(k, col("d." + DuplicateClusters.KEPT_ID).equalTo(col("k." + id)))
        .select(
            col("d." + id).as("removed_record_id"),
            col("d." + DuplicateClusters.KEPT_ID).as("kept_record_id"),
            col("d.kind").as("kind"),
            col("d.action").as("action"),
            when(col("d.kind").equalTo(KIND_EXACT), lit(1.0))
                .otherwise(NearDuplicates.textJaccard(col("r._text"), col("k._text"), near)).as("similarity"),
            col("r." + Lineage.SOURCE).as("removed_source"),
            col("k." + Lineage.SOURCE).as("kept_source"),
            col("d." + DuplicateClusters.CLUSTER_SIZE).as("cluster_size"),
            col("d." + DuplicateClusters.CLUSTER_LABEL).as("cluster_label"),
            col("d." + DuplicateClusters.AGREEMENT).as("label_agreement"),
            lit(run.runId()).as(Lineage.RUN_ID),
            lit(Timestamp.from(run.startedAt())).as("decided_at"));
  }

  private static Dataset<Row> conflictRows(Dataset<Row> conflicted, Dataset<Row> rows, DatasetSchema schema,
      double minAgreement, RunContext run) {
    String id = Lineage.RECORD_ID;
    Dataset<Row> joined = conflicted.join(rows, JoinColumns.of(id));
    Column where = concat(lit(" ("), col(Lineage.SOURCE_FILE),
        coalesce(concat(lit(" line "), col(Lineage.SOURCE_ROW).cast("string")), lit("")), lit(")"));
    Column message = concat(lit("Cannot accept record "), col(id), lit(" from "), col(Lineage.SOURCE), where,
        lit(": its duplicate cluster (kept record "), col(DuplicateClusters.KEPT_ID), lit(", "),
        col(DuplicateClusters.CLUSTER_SIZE).cast("string"), lit(" rows) has labels "),
        col(DuplicateClusters.LABEL_COUNTS), lit("; agreement "),
        format_number(col(DuplicateClusters.AGREEMENT), 2),
        lit(" is below clean.label-conflicts.min-agreement " + minAgreement
            + ". Fix the labels at the source, or lower the threshold."));
    return QuarantineTable.ofRecords(joined, List.of(rows.columns()), CleanJob.STAGE, run, lit(LABEL_CONFLICT),
        lit("label-conflicts"), lit(schema.labelColumn()), message, col(schema.labelColumn()));
  }
}
