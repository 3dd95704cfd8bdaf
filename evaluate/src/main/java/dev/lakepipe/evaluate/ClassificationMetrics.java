package dev.lakepipe.evaluate;

import static org.apache.spark.sql.functions.abs;
import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.element_at;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.first;
import static org.apache.spark.sql.functions.greatest;
import static org.apache.spark.sql.functions.least;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.log;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import dev.lakepipe.core.LakepipeErrors;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Classification metrics of predictions, overall and per class, for "all" rows and every value of every slice
 * column, in the long format of {@link MetricRow}.
 *
 * <p>Input: one row per example with {@code label_index} (true class, int or double), {@code predicted_index}
 * and {@code probabilities} (array of k doubles summing to 1); {@code labels.get(i)} names class i. Other
 * columns are ignored except the slice columns.
 *
 * <p>Metrics ({@code class "*"}): {@code accuracy}; {@code macro_precision}, {@code macro_recall},
 * {@code macro_f1} (unweighted means over the classes present in the slice, as a true or a predicted class,
 * scikit-learn's default without {@code labels=}); {@code micro_f1}; {@code weighted_f1} (per-class F1 weighted
 * by support); {@code log_loss} (mean of {@code -ln p(true class)}, p clipped to [1e-15, 1 - 1e-15], natural
 * log); {@code roc_auc} and {@code pr_auc} (binary: positive class is index 1; more classes: unweighted mean of
 * the one-vs-rest values of the classes where they are defined); {@code ece} (10 equal-width bins over the
 * predicted class's probability, see {@link Calibration}); {@code baseline_accuracy} and
 * {@code baseline_macro_f1} (always predicting {@code majorityIndex}, the train majority passed in, scored on
 * the slice's rows; its macro F1 averages over the classes present as true class plus the majority class);
 * {@code rows}. Per class: {@code precision}, {@code recall}, {@code f1} (0 when undefined, scikit-learn's
 * {@code zero_division=0}), {@code support}, {@code roc_auc}, {@code pr_auc} (one-vs-rest). ROC AUC is the
 * Mann-Whitney statistic with half credit for ties (the trapezoidal area over distinct thresholds), computed
 * exactly in integers; PR AUC is average precision as scikit-learn's {@code average_precision_score}
 * ({@code Σ (R_n - R_{n-1}) P_n} over distinct thresholds, descending, ties grouped). A metric that is undefined
 * for a slice (AUC of a class without positive or negative rows) has no row.
 *
 * <p>Cost: two aggregations of the sliced rows (one to (slice, true, predicted, confidence bin) cells, one to
 * (slice, class, distinct score) for the AUCs), plus the prefix sum of {@link RankingCurves}, which runs one job
 * eagerly; the rest is lazy and small. The driver holds only that prefix sum's per-partition offsets and, with
 * a bootstrap, the {@link Bootstrap} aggregates. Callers should persist the predictions, which are read about
 * three times. Deterministic, except for the last bits of float sums (log loss, ECE, average precision).
 */
public final class ClassificationMetrics {

  public static final String LABEL_INDEX = "label_index";
  public static final String PREDICTED_INDEX = "predicted_index";
  public static final String PROBABILITIES = "probabilities";
  /** Probabilities are clipped to [CLIP, 1 - CLIP] in log loss. */
  public static final double CLIP = 1e-15;
  /** Bins of the ECE. */
  public static final int ECE_BINS = 10;

  private ClassificationMetrics() {}

  /** {@link #compute(Dataset, List, List, long, int, Bootstrap.Settings)} without confidence intervals. */
  public static Dataset<Row> compute(Dataset<Row> predictions, List<String> labels, List<String> sliceColumns,
      long minSupport, int majorityIndex) {
    return compute(predictions, labels, sliceColumns, minSupport, majorityIndex, Bootstrap.Settings.NONE);
  }

  /**
   * The metrics table ({@link MetricRow#SCHEMA}), ordered by slice, slice value, class, metric. Slices with fewer
   * than {@code minSupport} rows are kept and flagged {@code below_min_support}. With bootstrap replicates,
   * {@code ci_low} / {@code ci_high} are filled on the "all" rows of accuracy, macro_f1 and (binary) roc_auc.
   */
  public static Dataset<Row> compute(Dataset<Row> predictions, List<String> labels, List<String> sliceColumns,
      long minSupport, int majorityIndex, Bootstrap.Settings bootstrap) {
    int k = labels.size();
    LakepipeErrors.checkArgument(k >= 2, "Cannot compute classification metrics: need at least 2 labels, got %s",
        k);
    LakepipeErrors.checkArgument(majorityIndex >= 0 && majorityIndex < k, "Cannot compute classification "
        + "metrics: majorityIndex must be in [0, %s), got %s", k, majorityIndex);
    LakepipeErrors.checkArgument(minSupport >= 0, "Cannot compute classification metrics: minSupport must be "
        + "at least 0, got %s", minSupport);
    MetricRow.requireColumns(predictions, "classification", List.of(LABEL_INDEX, PREDICTED_INDEX, PROBABILITIES));

    Column y = col(LABEL_INDEX);
    Column p = col(PREDICTED_INDEX);
    Column probs = col(PROBABILITIES);
    Set<String> keep = new LinkedHashSet<>(sliceColumns);
    keep.removeAll(List.of(LABEL_INDEX, PREDICTED_INDEX, PROBABILITIES));
    List<Column> base = new ArrayList<>(List.of(y.cast("int").as(LABEL_INDEX), p.cast("int").as(PREDICTED_INDEX),
        probs.cast("array<double>").as(PROBABILITIES)));
    keep.forEach(c -> base.add(col(c)));
    Dataset<Row> sliced = MetricRow.explodeSlices(predictions.select(base.toArray(Column[]::new)), sliceColumns);
    String s = MetricRow.SLICE;
    String sv = MetricRow.SLICE_VALUE;

    // Cells: (slice, true, predicted, confidence bin) with rows, summed confidence and summed log loss.
    Column trueProb = least(greatest(element_at(probs, y.plus(1)), lit(CLIP)), lit(1 - CLIP));
    Dataset<Row> cells = sliced
        .withColumn("_conf", element_at(probs, p.plus(1)))
        .withColumn("_bin", Calibration.binIndex(col("_conf"), ECE_BINS))
        .withColumn("_ll", log(trueProb).multiply(-1))
        .groupBy(col(s), col(sv), y, p, col("_bin"))
        .agg(count(lit(1)).as("_n"), sum("_conf").as("_conf_sum"), sum("_ll").as("_ll_sum"));

    Column hits = when(y.equalTo(p), col("_n")).otherwise(0L);
    Dataset<Row> sliceStats = cells.groupBy(col(s), col(sv), col("_bin"))
        .agg(sum("_n").as("_n"), sum("_conf_sum").as("_conf_sum"), sum(hits).as("_hits"),
            sum("_ll_sum").as("_ll_sum"))
        .groupBy(col(s), col(sv))
        .agg(sum("_n").as("_rows"), sum("_hits").as("_correct"),
            sum("_ll_sum").divide(sum("_n")).as("_log_loss"),
            sum(abs(col("_hits").minus(col("_conf_sum")))).divide(sum("_n")).as("_ece"));

    Column c = col("_c");
    Dataset<Row> classStats = cells.crossJoin(classes(predictions, labels))
        .groupBy(col(s), col(sv), c, col(MetricRow.CLASS))
        .agg(sum(when(y.equalTo(c), col("_n")).otherwise(0L)).as("_support"),
            sum(when(p.equalTo(c), col("_n")).otherwise(0L)).as("_predicted"),
            sum(when(y.equalTo(c).and(p.equalTo(c)), col("_n")).otherwise(0L)).as("_tp"))
        .withColumn("_precision", when(col("_predicted").gt(0), col("_tp").divide(col("_predicted"))).otherwise(0.0))
        .withColumn("_recall", when(col("_support").gt(0), col("_tp").divide(col("_support"))).otherwise(0.0))
        .withColumn("_f1", when(col("_support").plus(col("_predicted")).gt(0),
            col("_tp").multiply(2.0).divide(col("_support").plus(col("_predicted")))).otherwise(0.0))
        .withColumn("_present", col("_support").plus(col("_predicted")).gt(0));

    Column present = col("_present");
    Column majority = c.equalTo(majorityIndex);
    Dataset<Row> averages = classStats.groupBy(col(s), col(sv))
        .agg(avg(when(present, col("_precision"))).as("_macro_precision"),
            avg(when(present, col("_recall"))).as("_macro_recall"),
            avg(when(present, col("_f1"))).as("_macro_f1"),
            sum(col("_f1").multiply(col("_support"))).divide(sum("_support")).as("_weighted_f1"),
            sum("_tp").multiply(2.0).divide(sum("_support").plus(sum("_predicted"))).as("_micro_f1"),
            sum(when(majority, col("_support")).otherwise(0L)).as("_majority_support"),
            sum(when(col("_support").gt(0).or(majority), 1L).otherwise(0L)).as("_baseline_classes"));

    // One sorted (slice, class, distinct score) aggregate serves every slice and class.
    Dataset<Row> cum = RankingCurves.cumulative(
        RankingCurves.oneVsRest(sliced, IntStream.range(0, k).toArray()), List.of(s, sv, "_class"));
    Column tp = col(RankingCurves.TOTAL_POS).minus(col(RankingCurves.CUM_POS)).plus(col(RankingCurves.POS));
    Column fp = col(RankingCurves.TOTAL_NEG).minus(col(RankingCurves.CUM_NEG)).plus(col(RankingCurves.NEG));
    Column negBelow = col(RankingCurves.CUM_NEG).minus(col(RankingCurves.NEG));
    Dataset<Row> aucByClass = cum.groupBy(col(s), col(sv), col("_class").as("_c"))
        .agg(sum(col(RankingCurves.POS).multiply(negBelow.multiply(2).plus(col(RankingCurves.NEG)))).as("_auc2"),
            sum(when(col(RankingCurves.POS).gt(0), col(RankingCurves.POS).multiply(tp.divide(tp.plus(fp)))))
                .as("_ap"),
            first(RankingCurves.TOTAL_POS).as("_P"), first(RankingCurves.TOTAL_NEG).as("_N"))
        .select(col(s), col(sv), col("_c"),
            when(col("_P").gt(0).and(col("_N").gt(0)),
                col("_auc2").divide(lit(2.0).multiply(col("_P")).multiply(col("_N")))).as("_roc_auc"),
            when(col("_P").gt(0), col("_ap").divide(col("_P"))).as("_pr_auc"));
    Dataset<Row> aucOverall = k == 2
        ? aucByClass.filter(col("_c").equalTo(1)).select(col(s), col(sv), col("_roc_auc"), col("_pr_auc"))
        : aucByClass.groupBy(col(s), col(sv)).agg(avg("_roc_auc").as("_roc_auc"), avg("_pr_auc").as("_pr_auc"));

    Column rows = col("_rows");
    Column majoritySupport = col("_majority_support");
    Dataset<Row> overall = sliceStats.join(averages, MetricRow.on(s, sv))
        .join(aucOverall, MetricRow.on(s, sv), "left")
        .select(col(s), col(sv), lit(MetricRow.ANY).as(MetricRow.CLASS), rows.as(MetricRow.SUPPORT), rows,
            explode(array(
                metric("accuracy", col("_correct").divide(rows)),
                metric("macro_precision", col("_macro_precision")),
                metric("macro_recall", col("_macro_recall")),
                metric("macro_f1", col("_macro_f1")),
                metric("micro_f1", col("_micro_f1")),
                metric("weighted_f1", col("_weighted_f1")),
                metric("log_loss", col("_log_loss")),
                metric("roc_auc", col("_roc_auc")),
                metric("pr_auc", col("_pr_auc")),
                metric("ece", col("_ece")),
                metric("baseline_accuracy", majoritySupport.divide(rows)),
                metric("baseline_macro_f1", majoritySupport.multiply(2.0).divide(majoritySupport.plus(rows))
                    .divide(col("_baseline_classes"))),
                metric("rows", rows.cast("double")))).as("_m"));

    Dataset<Row> perClass = classStats.join(aucByClass, MetricRow.on(s, sv, "_c"), "left")
        .join(sliceStats.select(s, sv, "_rows"), MetricRow.on(s, sv))
        .select(col(s), col(sv), col(MetricRow.CLASS), col("_support").as(MetricRow.SUPPORT), rows,
            explode(array(
                metric("precision", col("_precision")),
                metric("recall", col("_recall")),
                metric("f1", col("_f1")),
                metric("support", col("_support").cast("double")),
                metric("roc_auc", col("_roc_auc")),
                metric("pr_auc", col("_pr_auc")))).as("_m"));

    Dataset<Row> metrics = overall.unionByName(perClass)
        .select(col(s), col(sv), col(MetricRow.CLASS), col("_m.metric").as(MetricRow.METRIC),
            col("_m.value").as(MetricRow.VALUE), col(MetricRow.SUPPORT), rows)
        .filter(col(MetricRow.VALUE).isNotNull());

    List<Bootstrap.Interval> intervals = Bootstrap.intervals(predictions, k, bootstrap);
    if (!intervals.isEmpty()) {
      List<Row> ci = intervals.stream()
          .map(i -> RowFactory.create(MetricRow.ALL, MetricRow.ANY, MetricRow.ANY, i.metric(), i.low(), i.high()))
          .toList();
      Dataset<Row> ciRows = predictions.sparkSession().createDataFrame(ci, new StructType()
          .add(s, DataTypes.StringType).add(sv, DataTypes.StringType).add(MetricRow.CLASS, DataTypes.StringType)
          .add(MetricRow.METRIC, DataTypes.StringType)
          .add(MetricRow.CI_LOW, DataTypes.DoubleType).add(MetricRow.CI_HIGH, DataTypes.DoubleType));
      metrics = metrics.join(ciRows, MetricRow.on(s, sv, MetricRow.CLASS, MetricRow.METRIC), "left");
    }
    return MetricRow.finish(metrics, minSupport).orderBy(s, sv, MetricRow.CLASS, MetricRow.METRIC);
  }

  /** The class names as an array column: {@code element_at(names(labels), index + 1)} names an index. */
  static Column names(List<String> labels) {
    return array(labels.stream().map(org.apache.spark.sql.functions::lit).toArray(Column[]::new));
  }

  private static Column metric(String name, Column value) {
    return struct(lit(name).as("metric"), value.cast("double").as("value"));
  }

  /** The label set as a small frame: {@code _c} (index), {@code class} (name). */
  private static Dataset<Row> classes(Dataset<Row> any, List<String> labels) {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < labels.size(); i++) {
      rows.add(RowFactory.create(i, labels.get(i)));
    }
    return any.sparkSession().createDataFrame(rows, new StructType()
        .add("_c", DataTypes.IntegerType, false).add(MetricRow.CLASS, DataTypes.StringType, false));
  }
}
