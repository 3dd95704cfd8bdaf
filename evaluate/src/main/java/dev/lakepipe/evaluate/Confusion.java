package dev.lakepipe.evaluate;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;

import dev.lakepipe.core.LakepipeErrors;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Confusion matrices ({@code results.confusion}): columns {@code slice, slice_value, actual, predicted, count},
 * one row per (slice, slice value) and every (actual, predicted) pair of the label set, zero cells included, so a
 * table reader never has to infer a missing cell. One aggregation to (slice, true, predicted) cells, completed
 * by a join with the k² label pairs; nothing is collected. Indices outside the label set are not counted.
 */
public final class Confusion {

  public static final String ACTUAL = "actual";
  public static final String PREDICTED = "predicted";
  public static final String COUNT = "count";

  private Confusion() {}

  /** Over all rows (slice "all"). */
  public static Dataset<Row> matrix(Dataset<Row> predictions, List<String> labels) {
    return matrix(predictions, labels, List.of());
  }

  /** For "all" and every value of every slice column. Needs {@code label_index} and {@code predicted_index}. */
  public static Dataset<Row> matrix(Dataset<Row> predictions, List<String> labels, List<String> sliceColumns) {
    LakepipeErrors.checkArgument(!labels.isEmpty(), "Cannot build a confusion matrix: the label set is empty");
    MetricRow.requireColumns(predictions, "confusion",
        List.of(ClassificationMetrics.LABEL_INDEX, ClassificationMetrics.PREDICTED_INDEX));
    Dataset<Row> cells = MetricRow.explodeSlices(predictions, sliceColumns)
        .groupBy(col(MetricRow.SLICE), col(MetricRow.SLICE_VALUE),
            col(ClassificationMetrics.LABEL_INDEX).cast("int").as("_y"),
            col(ClassificationMetrics.PREDICTED_INDEX).cast("int").as("_p"))
        .agg(count(lit(1)).as(COUNT));

    List<Row> pairs = new ArrayList<>();
    for (int a = 0; a < labels.size(); a++) {
      for (int p = 0; p < labels.size(); p++) {
        pairs.add(RowFactory.create(a, p, labels.get(a), labels.get(p)));
      }
    }
    Dataset<Row> grid = predictions.sparkSession().createDataFrame(pairs, new StructType()
        .add("_y", DataTypes.IntegerType).add("_p", DataTypes.IntegerType)
        .add(ACTUAL, DataTypes.StringType).add(PREDICTED, DataTypes.StringType));
    return cells.select(MetricRow.SLICE, MetricRow.SLICE_VALUE).distinct().crossJoin(grid)
        .join(cells, MetricRow.on(MetricRow.SLICE, MetricRow.SLICE_VALUE, "_y", "_p"), "left")
        .select(col(MetricRow.SLICE), col(MetricRow.SLICE_VALUE), col(ACTUAL), col(PREDICTED),
            coalesce(col(COUNT), lit(0L)).as(COUNT));
  }
}
