package dev.lakepipe.clean;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import dev.lakepipe.core.Lineage;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Turns duplicate memberships into decisions: which row of each cluster is kept, which are removed, and
 * whether the cluster's labels agree enough to keep it at all.
 *
 * <p>The keeper of a cluster is its row with the earliest event time (rows without one last), then the
 * smallest {@code _record_id}: the same rule for exact and near duplicates, so decisions do not depend on
 * partitioning or arrival order. Aggregations use {@code min(struct(...))}, which aggregates partially, so a
 * cluster of a million rows does not sort on one task.
 *
 * <p>Label conflicts: within a cluster, the most frequent label (ties: the smaller label) must hold at least
 * {@code minAgreement} of the labelled members; the keeper then carries that label. Otherwise the whole
 * cluster is quarantined. Pure: no I/O.
 */
final class DuplicateClusters {

  static final String KEPT_ID = "kept_record_id";
  static final String CLUSTER_SIZE = "cluster_size";
  static final String CLUSTER_LABEL = "cluster_label";
  static final String AGREEMENT = "label_agreement";
  static final String CONFLICT = "label_conflict";
  static final String LABEL_COUNTS = "label_counts";

  private DuplicateClusters() {}

  /** Sort key of the keeper rule: event time (nulls last), then _record_id; min() of it is the keeper. */
  static Column keeperOrder(String eventTimeColumn) {
    Column t = eventTimeColumn == null ? lit(null).cast("timestamp") : col(eventTimeColumn);
    return struct(t.isNull().as("no_time"), t.as("t"), col(Lineage.RECORD_ID).as("id"));
  }

  /**
   * The keeper of each cluster: {@code cluster_id, kept_record_id}. {@code membership} holds
   * {@code _record_id, cluster_id}; {@code rows} supplies the event time.
   */
  static Dataset<Row> keepers(Dataset<Row> membership, Dataset<Row> rows, String eventTimeColumn) {
    Dataset<Row> withOrder = membership.join(
        rows.select(col(Lineage.RECORD_ID), keeperOrder(eventTimeColumn).as("order")), Lineage.RECORD_ID);
    return withOrder.groupBy(ExactDuplicates.CLUSTER_ID)
        .agg(min(col("order")).getField("id").as(KEPT_ID));
  }

  /**
   * Label decision per final cluster. {@code assignment} holds {@code _record_id, kept_record_id} for every
   * member (keepers map to themselves); {@code rows} supplies labels. Returns per kept id: cluster size, the
   * majority label, its share of labelled members, whether it conflicts, and the label counts as text.
   */
  static Dataset<Row> labelDecisions(Dataset<Row> assignment, Dataset<Row> rows, String labelColumn,
      double minAgreement) {
    Dataset<Row> labelled = assignment.join(rows.select(col(Lineage.RECORD_ID), col(labelColumn).as("label")),
        Lineage.RECORD_ID);
    Dataset<Row> perLabel = labelled.groupBy(col(KEPT_ID), col("label")).agg(count(lit(1)).as("n"));
    // Majority: highest count, then the smallest label: the min of (-count, label).
    Dataset<Row> decided = perLabel.groupBy(KEPT_ID).agg(
        sum(col("n")).as(CLUSTER_SIZE),
        sum(when(col("label").isNotNull(), col("n")).otherwise(0)).as("labelled"),
        min(when(col("label").isNotNull(), struct(col("n").multiply(-1).as("neg_n"), col("label").as("label"))))
            .as("top"),
        org.apache.spark.sql.functions.sort_array(org.apache.spark.sql.functions.collect_list(
            org.apache.spark.sql.functions.concat(coalesce(col("label"), lit("(none)")), lit("="),
                col("n").cast("string")))).as("counts"));
    Column top = col("top").getField("label");
    Column topCount = col("top").getField("neg_n").multiply(-1);
    Column agreement = when(col("labelled").gt(0), topCount.divide(col("labelled"))).otherwise(lit(1.0));
    return decided.select(
        col(KEPT_ID),
        col(CLUSTER_SIZE),
        top.as(CLUSTER_LABEL),
        agreement.as(AGREEMENT),
        agreement.lt(lit(minAgreement)).as(CONFLICT),
        org.apache.spark.sql.functions.concat_ws(", ", col("counts")).as(LABEL_COUNTS));
  }
}
