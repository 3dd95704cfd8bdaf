package dev.lakepipe.evaluate;

import static org.apache.spark.sql.functions.ceil;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat_ws;
import static org.apache.spark.sql.functions.element_at;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import dev.lakepipe.core.LakepipeErrors;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * ROC and precision-recall points for plotting, and the distributed prefix sum over distinct scores that ROC AUC,
 * average precision ({@link ClassificationMetrics}) and the Kolmogorov–Smirnov statistic ({@link Drift}) share.
 *
 * <p><b>Prefix sum over distinct scores.</b> Rows are first aggregated to one row per (group, distinct score)
 * with the positive and negative counts there, so ties are grouped exactly. That aggregate can still grow with
 * the input (continuous scores are mostly distinct), so it is neither collected nor put through a window
 * partitioned by the group (one task per group). Instead, as Spark MLlib's {@code BinaryClassificationMetrics}
 * does: the aggregate is globally sorted by (group, score) (a range shuffle), one job sums positives, negatives
 * and distinct scores per group within each sorted partition, the driver turns those into per-partition
 * starting offsets, and a second pass over the same sorted partitions adds the offsets to a running sum. The
 * driver holds one entry per (sorted partition, group present in it): at most {@code partitions + groups}
 * entries, independent of the row count. Both passes read the same range shuffle output, so the partition
 * boundaries they see are the same; the sort key is unique, so the order within a partition is too.
 *
 * <p><b>Curves.</b> Binary predictions give one curve (positive class = index 1); more classes give one
 * one-vs-rest curve per class. A point per distinct score {@code s} (predict positive when the score is at
 * least {@code s}); curves with more distinct scores than {@code maxPoints} are thinned to evenly spaced score
 * ranks, always keeping the lowest and highest score. The point before the highest threshold (ROC (0, 0), PR
 * recall 0 / precision 1, as scikit-learn) has a null threshold. Rows come in no particular order: sort by
 * threshold to draw.
 */
public final class RankingCurves {

  public static final int DEFAULT_POINTS = 200;

  static final String SCORE = "_score";
  static final String POS = "_pos";
  static final String NEG = "_neg";
  static final String CUM_POS = "_cum_pos";
  static final String CUM_NEG = "_cum_neg";
  static final String RANK = "_rank";
  static final String TOTAL_POS = "_total_pos";
  static final String TOTAL_NEG = "_total_neg";
  static final String DISTINCT = "_distinct";
  private static final String GROUP = "_g";

  private RankingCurves() {}

  /**
   * ROC points: {@code class} (the positive class's name), {@code fpr}, {@code tpr}, {@code threshold}
   * (nullable), at most {@code maxPoints} per class. Classes without both positive and negative rows have no curve.
   */
  public static Dataset<Row> roc(Dataset<Row> predictions, List<String> labels, int maxPoints) {
    Dataset<Row> cum = curveCounts(predictions, labels, maxPoints)
        .filter(col(TOTAL_POS).gt(0).and(col(TOTAL_NEG).gt(0)));
    Column tp = col(TOTAL_POS).minus(col(CUM_POS)).plus(col(POS));
    Column fp = col(TOTAL_NEG).minus(col(CUM_NEG)).plus(col(NEG));
    Dataset<Row> points = thin(cum, maxPoints).select(col(MetricRow.CLASS),
        fp.divide(col(TOTAL_NEG)).as("fpr"), tp.divide(col(TOTAL_POS)).as("tpr"), col(SCORE).as("threshold"));
    Dataset<Row> origin = cum.filter(col(RANK).equalTo(0)).select(col(MetricRow.CLASS), lit(0.0).as("fpr"),
        lit(0.0).as("tpr"), lit(null).cast("double").as("threshold"));
    return points.unionByName(origin);
  }

  /**
   * Precision-recall points: {@code class}, {@code recall}, {@code precision}, {@code threshold} (nullable), at
   * most {@code maxPoints} per class. Classes without positive rows have no curve.
   */
  public static Dataset<Row> pr(Dataset<Row> predictions, List<String> labels, int maxPoints) {
    Dataset<Row> cum = curveCounts(predictions, labels, maxPoints).filter(col(TOTAL_POS).gt(0));
    Column tp = col(TOTAL_POS).minus(col(CUM_POS)).plus(col(POS));
    Column fp = col(TOTAL_NEG).minus(col(CUM_NEG)).plus(col(NEG));
    Dataset<Row> points = thin(cum, maxPoints).select(col(MetricRow.CLASS),
        tp.divide(col(TOTAL_POS)).as("recall"), tp.divide(tp.plus(fp)).as("precision"),
        col(SCORE).as("threshold"));
    Dataset<Row> end = cum.filter(col(RANK).equalTo(0)).select(col(MetricRow.CLASS), lit(0.0).as("recall"),
        lit(1.0).as("precision"), lit(null).cast("double").as("threshold"));
    return points.unionByName(end);
  }

  private static Dataset<Row> curveCounts(Dataset<Row> predictions, List<String> labels, int maxPoints) {
    LakepipeErrors.checkArgument(maxPoints >= 4, "Cannot draw ranking curves: maxPoints must be at least 4, got %s",
        maxPoints);
    LakepipeErrors.checkArgument(labels.size() >= 2, "Cannot draw ranking curves: need at least 2 labels, got %s",
        labels.size());
    MetricRow.requireColumns(predictions, "ranking", List.of(ClassificationMetrics.LABEL_INDEX,
        ClassificationMetrics.PROBABILITIES));
    int[] classes = labels.size() == 2 ? new int[] {1} : IntStream.range(0, labels.size()).toArray();
    Dataset<Row> scores = oneVsRest(predictions, classes)
        .withColumn(MetricRow.CLASS, element_at(ClassificationMetrics.names(labels), col("_class").plus(1)));
    return cumulative(scores, List.of(MetricRow.CLASS));
  }

  /** Keeps evenly spaced score ranks, the first and the last: at most maxPoints - 1 points per group. */
  private static Dataset<Row> thin(Dataset<Row> cum, int maxPoints) {
    Column stride = ceil(col(DISTINCT).minus(1).divide(maxPoints - 3));
    return cum.filter(col(DISTINCT).leq(maxPoints - 1)
        .or(col(RANK).mod(stride).equalTo(0))
        .or(col(RANK).equalTo(col(DISTINCT).minus(1))));
  }

  /**
   * One row per (row, class in {@code classes}): the input's other columns, {@code _class}, {@code _score} (that
   * class's probability), {@code _pos} (1 if the true class) and {@code _neg}.
   */
  static Dataset<Row> oneVsRest(Dataset<Row> in, int[] classes) {
    Column[] cs = IntStream.of(classes).mapToObj(org.apache.spark.sql.functions::lit).toArray(Column[]::new);
    Column y = col(ClassificationMetrics.LABEL_INDEX).cast("int");
    return in.withColumn("_class", explode(org.apache.spark.sql.functions.array(cs)))
        .withColumn(SCORE, element_at(col(ClassificationMetrics.PROBABILITIES).cast("array<double>"),
            col("_class").plus(1)))
        .withColumn(POS, when(y.equalTo(col("_class")), 1L).otherwise(0L))
        .withColumn(NEG, lit(1L).minus(col(POS)));
  }

  /**
   * The prefix sum over distinct scores. {@code in} has the {@code keys} columns, {@code _score} (double,
   * not null) and {@code _pos}, {@code _neg} (long) per row. Returns one row per (keys, distinct score) with the
   * keys, {@code _score}, {@code _pos}, {@code _neg} (counts at that score), {@code _cum_pos}, {@code _cum_neg}
   * (counts at scores up to and including it, ascending), {@code _rank} (0-based rank of the score within its
   * group), {@code _total_pos}, {@code _total_neg} and {@code _distinct} (distinct scores in the group).
   *
   * <p>Runs one Spark job eagerly (the first pass, plus the range shuffle's sampling); the returned frame is
   * lazy and re-reads the same sorted shuffle output.
   */
  static Dataset<Row> cumulative(Dataset<Row> in, List<String> keys) {
    List<Column> groupCols = new ArrayList<>();
    keys.forEach(k -> groupCols.add(col(k)));
    groupCols.add(col(SCORE));
    Dataset<Row> agg = in.groupBy(groupCols.toArray(Column[]::new))
        .agg(sum(col(POS)).cast("long").as(POS), sum(col(NEG)).cast("long").as(NEG))
        .withColumn(GROUP, concat_ws("\u0001", keys.stream().map(k -> col(k).cast("string")).toArray(Column[]::new)))
        .orderBy(col(GROUP), col(SCORE));
    StructType inSchema = agg.schema();
    int g = inSchema.fieldIndex(GROUP);
    int p = inSchema.fieldIndex(POS);
    int n = inSchema.fieldIndex(NEG);
    JavaRDD<Row> sorted = agg.javaRDD();

    // Pass 1: per sorted partition and group, positives, negatives and distinct scores.
    List<PartitionTotals> parts = sorted.mapPartitionsWithIndex((idx, rows) -> {
      Map<String, long[]> t = new LinkedHashMap<>();
      while (rows.hasNext()) {
        Row r = rows.next();
        long[] c = t.computeIfAbsent(r.getString(g), k -> new long[3]);
        c[0] += r.getLong(p);
        c[1] += r.getLong(n);
        c[2] += 1;
      }
      List<PartitionTotals> out = new ArrayList<>();
      t.forEach((k, c) -> out.add(new PartitionTotals(idx, k, c[0], c[1], c[2])));
      return out.iterator();
    }, true).collect();

    // Driver: starting offsets of every partition per group, and group totals.
    Map<Integer, Map<String, long[]>> offsets = new HashMap<>();
    Map<String, long[]> totals = new HashMap<>();
    parts.stream().sorted((a, b) -> Integer.compare(a.partition(), b.partition())).forEach(t -> {
      long[] before = totals.computeIfAbsent(t.group(), k -> new long[3]);
      offsets.computeIfAbsent(t.partition(), k -> new HashMap<>()).put(t.group(), before.clone());
      before[0] += t.pos();
      before[1] += t.neg();
      before[2] += t.distinct();
    });

    // Pass 2: running sums from the offsets.
    JavaRDD<Row> cum = sorted.mapPartitionsWithIndex((idx, rows) -> running(rows, offsets.get(idx), totals, g, p, n),
        true);
    StructType schema = inSchema
        .add(CUM_POS, DataTypes.LongType, false).add(CUM_NEG, DataTypes.LongType, false)
        .add(RANK, DataTypes.LongType, false)
        .add(TOTAL_POS, DataTypes.LongType, false).add(TOTAL_NEG, DataTypes.LongType, false)
        .add(DISTINCT, DataTypes.LongType, false);
    return in.sparkSession().createDataFrame(cum, schema).drop(GROUP);
  }

  private static Iterator<Row> running(Iterator<Row> rows, Map<String, long[]> offsets, Map<String, long[]> totals,
      int g, int p, int n) {
    Map<String, long[]> run = new HashMap<>();
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return rows.hasNext();
      }

      @Override
      public Row next() {
        Row r = rows.next();
        String key = r.getString(g);
        long[] c = run.computeIfAbsent(key, k -> offsets == null || !offsets.containsKey(k)
            ? new long[3] : offsets.get(k).clone());
        c[0] += r.getLong(p);
        c[1] += r.getLong(n);
        long rank = c[2]++;
        long[] t = totals.get(key);
        Object[] v = new Object[r.size() + 6];
        for (int i = 0; i < r.size(); i++) {
          v[i] = r.get(i);
        }
        v[r.size()] = c[0];
        v[r.size() + 1] = c[1];
        v[r.size() + 2] = rank;
        v[r.size() + 3] = t[0];
        v[r.size() + 4] = t[1];
        v[r.size() + 5] = t[2];
        return RowFactory.create(v);
      }
    };
  }

  /** What pass 1 sends to the driver: one per (sorted partition, group present in it). */
  private record PartitionTotals(int partition, String group, long pos, long neg, long distinct)
      implements Serializable {}
}
