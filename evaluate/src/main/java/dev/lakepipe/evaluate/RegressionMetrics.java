package dev.lakepipe.evaluate;

import static org.apache.spark.sql.functions.abs;
import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.pow;
import static org.apache.spark.sql.functions.sqrt;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.var_pop;
import static org.apache.spark.sql.functions.when;

import dev.lakepipe.core.LakepipeErrors;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Regression metrics in the long format of {@link MetricRow} (class {@code "*"}), for "all" and every slice value:
 * {@code mae}, {@code rmse}, {@code r2} and {@code rows}, from numeric {@code label} and {@code prediction}.
 * R² = 1 - SS_res / SS_tot with SS_tot = n · population variance of the label; when the label is constant R² is
 * 1 for a perfect fit and 0 otherwise (scikit-learn's {@code r2_score}). One aggregation; nothing is collected.
 */
public final class RegressionMetrics {

  public static final String LABEL = "label";
  public static final String PREDICTION = "prediction";

  private RegressionMetrics() {}

  public static Dataset<Row> compute(Dataset<Row> predictions, List<String> sliceColumns, long minSupport) {
    LakepipeErrors.checkArgument(minSupport >= 0, "Cannot compute regression metrics: minSupport must be at "
        + "least 0, got %s", minSupport);
    MetricRow.requireColumns(predictions, "regression", List.of(LABEL, PREDICTION));
    Column y = col(LABEL).cast("double");
    Column err = col(PREDICTION).cast("double").minus(y);
    Dataset<Row> stats = MetricRow.explodeSlices(predictions, sliceColumns)
        .groupBy(MetricRow.SLICE, MetricRow.SLICE_VALUE)
        .agg(count(lit(1)).as("_rows"), avg(abs(err)).as("_mae"), sum(pow(err, 2)).as("_ss_res"),
            var_pop(y).multiply(count(lit(1))).as("_ss_tot"));
    Column ssRes = col("_ss_res");
    Column ssTot = col("_ss_tot");
    Column r2 = when(ssTot.gt(0), lit(1.0).minus(ssRes.divide(ssTot)))
        .when(ssRes.equalTo(0), 1.0).otherwise(0.0);
    return MetricRow.finish(stats.select(col(MetricRow.SLICE), col(MetricRow.SLICE_VALUE),
            lit(MetricRow.ANY).as(MetricRow.CLASS), col("_rows").as(MetricRow.SUPPORT), col("_rows"),
            explode(array(
                metric("mae", col("_mae")),
                metric("rmse", sqrt(ssRes.divide(col("_rows")))),
                metric("r2", r2),
                metric("rows", col("_rows").cast("double")))).as("_m"))
        .select(col(MetricRow.SLICE), col(MetricRow.SLICE_VALUE), col(MetricRow.CLASS),
            col("_m.metric").as(MetricRow.METRIC), col("_m.value").as(MetricRow.VALUE), col(MetricRow.SUPPORT),
            col("_rows")), minSupport)
        .orderBy(MetricRow.SLICE, MetricRow.SLICE_VALUE, MetricRow.METRIC);
  }

  private static Column metric(String name, Column value) {
    return struct(lit(name).as("metric"), value.cast("double").as("value"));
  }
}
