package dev.lakepipe.evaluate;

import static org.apache.spark.sql.functions.abs;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.element_at;
import static org.apache.spark.sql.functions.floor;
import static org.apache.spark.sql.functions.least;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import dev.lakepipe.core.LakepipeErrors;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Reliability diagrams ({@code results.calibration}) and the expected calibration error they imply.
 *
 * <p>Bins are {@code bins} equal-width intervals of [0, 1], left-closed ({@code [i/bins, (i+1)/bins)}, the last
 * one closed at 1, as scikit-learn's {@code calibration_curve}); a probability {@code q} falls in bin
 * {@code min(floor(q * bins), bins - 1)}. Class {@code "*"} is the top-class reliability: confidence is the
 * probability of the predicted class, "accuracy" the share of its rows predicted right. For binary predictions
 * there is also the positive class's (index 1) curve: confidence is its probability, "accuracy" the share of rows
 * that truly are positive. ECE = sum over bins of (bin rows / rows) * |accuracy - mean confidence|.
 *
 * <p>One aggregation to (slice, slice value, class, bin); every bin is present (empty ones with count 0 and
 * null mean confidence and accuracy). Nothing is collected.
 */
public final class Calibration {

  public static final int DEFAULT_BINS = 10;

  private Calibration() {}

  /** {@link #bins(Dataset, List, List, int)} over all rows only (slice "all"). */
  public static Dataset<Row> bins(Dataset<Row> predictions, List<String> labels, int bins) {
    return bins(predictions, labels, List.of(), bins);
  }

  /**
   * Columns {@code slice, slice_value, class, bin, lower, upper, count, mean_confidence, accuracy}; needs
   * {@code label_index}, {@code predicted_index}, {@code probabilities}.
   */
  public static Dataset<Row> bins(Dataset<Row> predictions, List<String> labels, List<String> sliceColumns,
      int bins) {
    LakepipeErrors.checkArgument(bins >= 1, "Cannot bin probabilities: bins must be at least 1, got %s", bins);
    MetricRow.requireColumns(predictions, "calibration", List.of(ClassificationMetrics.LABEL_INDEX,
        ClassificationMetrics.PREDICTED_INDEX, ClassificationMetrics.PROBABILITIES));
    Column y = col(ClassificationMetrics.LABEL_INDEX).cast("int");
    Column p = col(ClassificationMetrics.PREDICTED_INDEX).cast("int");
    Column probs = col(ClassificationMetrics.PROBABILITIES).cast("array<double>");
    Dataset<Row> sliced = MetricRow.explodeSlices(predictions, sliceColumns);

    Dataset<Row> top = sliced.select(col(MetricRow.SLICE), col(MetricRow.SLICE_VALUE),
        lit(MetricRow.ANY).as(MetricRow.CLASS), element_at(probs, p.plus(1)).as("_conf"),
        when(y.equalTo(p), 1L).otherwise(0L).as("_hit"));
    Dataset<Row> all = top;
    if (labels.size() == 2) {
      all = all.unionByName(sliced.select(col(MetricRow.SLICE), col(MetricRow.SLICE_VALUE),
          lit(labels.get(1)).as(MetricRow.CLASS), element_at(probs, 2).as("_conf"),
          when(y.equalTo(1), 1L).otherwise(0L).as("_hit")));
    }
    Dataset<Row> filled = all.withColumn("bin", binIndex(col("_conf"), bins))
        .groupBy(MetricRow.SLICE, MetricRow.SLICE_VALUE, MetricRow.CLASS, "bin")
        .agg(count(lit(1)).as("count"), sum("_conf").as("_conf_sum"), sum("_hit").as("_hits"));

    List<Row> edges = new ArrayList<>();
    for (int i = 0; i < bins; i++) {
      edges.add(RowFactory.create(i, (double) i / bins, (double) (i + 1) / bins));
    }
    Dataset<Row> binRows = predictions.sparkSession().createDataFrame(edges, new StructType()
        .add("bin", DataTypes.IntegerType).add("lower", DataTypes.DoubleType).add("upper", DataTypes.DoubleType));
    Dataset<Row> keys = filled.select(MetricRow.SLICE, MetricRow.SLICE_VALUE, MetricRow.CLASS).distinct();
    return keys.crossJoin(binRows)
        .join(filled, MetricRow.on(MetricRow.SLICE, MetricRow.SLICE_VALUE, MetricRow.CLASS, "bin"), "left")
        .select(col(MetricRow.SLICE), col(MetricRow.SLICE_VALUE), col(MetricRow.CLASS), col("bin"), col("lower"),
            col("upper"), org.apache.spark.sql.functions.coalesce(col("count"), lit(0L)).as("count"),
            col("_conf_sum").divide(col("count")).as("mean_confidence"),
            col("_hits").divide(col("count")).as("accuracy"));
  }

  /**
   * The ECE of each reliability diagram of {@link #bins}: columns {@code slice, slice_value, class, ece}
   * (null when the diagram has no rows).
   */
  public static Dataset<Row> ece(Dataset<Row> bins) {
    return bins.groupBy(MetricRow.SLICE, MetricRow.SLICE_VALUE, MetricRow.CLASS)
        .agg(sum(when(col("count").gt(0),
                col("count").multiply(abs(col("accuracy").minus(col("mean_confidence"))))))
            .divide(sum(col("count"))).as("ece"));
  }

  /** The bin of a probability: {@code min(floor(q * bins), bins - 1)}. */
  static Column binIndex(Column probability, int bins) {
    return least(floor(probability.multiply(bins)).cast("int"), lit(bins - 1));
  }
}
