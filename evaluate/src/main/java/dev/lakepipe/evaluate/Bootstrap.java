package dev.lakepipe.evaluate;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.element_at;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.xxhash64;

import dev.lakepipe.core.LakepipeErrors;
import dev.lakepipe.core.Lineage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import scala.Tuple2;

/**
 * Percentile bootstrap confidence intervals for the headline metrics: {@code accuracy}, {@code macro_f1} and, for
 * binary predictions, {@code roc_auc}, over all rows.
 *
 * <p><b>Resampling.</b> Replicate {@code r} of {@code B} gives each row a Poisson(1) weight (the usual
 * distributed stand-in for drawing n rows with replacement), drawn by inverting the Poisson(1) CDF at a uniform
 * taken from a SplitMix64 mix of (seed, r, xxhash64 of the row key). A row's weights thus depend on its key only,
 * never on partitioning or order; every sum is of integer weights (exact, order-free), so the intervals are
 * identical at any input or shuffle partition count. The key column ({@code _record_id} by default) must be
 * unique and not null: rows sharing a key share their weights.
 *
 * <p><b>Cost and what the driver holds.</b> Each row carries B weights through map-side combining. Accuracy
 * and macro F1 come from weighted confusion cells: {@code k² × B} longs reach the driver. ROC AUC needs the
 * exact rank statistic per replicate: rows are combined per distinct score into {@code 2B} weighted counts
 * (positive, negative), sorted by score, and put through the same two-pass prefix sum as
 * {@link RankingCurves} (the numerator {@code Σ pos·(2·neg below + neg at)} is kept in longs, so it is exact);
 * the driver holds {@code 2B} longs per sorted partition. The shuffle carries one {@code 2B}-long row per
 * distinct score per partition, so B multiplies the AUC shuffle size; the point estimates come from
 * {@link ClassificationMetrics}, not from here.
 *
 * <p><b>Interval.</b> The 2.5th and 97.5th percentiles of the replicate values with linear interpolation
 * (NumPy's default {@code percentile}); replicates where a metric is undefined (no positive or no negative
 * weight for AUC) are left out.
 */
public final class Bootstrap {

  public static final int DEFAULT_REPLICATES = 200;
  public static final double LOW = 0.025;
  public static final double HIGH = 0.975;

  /** How to resample: {@code replicates} 0 means no intervals. */
  public record Settings(int replicates, long seed, String keyColumn) {
    public static final Settings NONE = new Settings(0, 0L, Lineage.RECORD_ID);

    public Settings {
      LakepipeErrors.checkArgument(replicates >= 0, "Cannot bootstrap: replicates must be at least 0, got %s",
          replicates);
    }

    /** 200 replicates keyed by {@code _record_id}. */
    public static Settings of(long seed) {
      return new Settings(DEFAULT_REPLICATES, seed, Lineage.RECORD_ID);
    }
  }

  /** A percentile interval of one metric. */
  public record Interval(String metric, double low, double high) {}

  private Bootstrap() {}

  /**
   * Intervals for {@code accuracy}, {@code macro_f1} and (two labels) {@code roc_auc}. Needs
   * {@code label_index}, {@code predicted_index}, {@code probabilities} (binary) and the key column. Empty
   * when {@code s.replicates()} is 0 or there are no rows.
   */
  public static List<Interval> intervals(Dataset<Row> predictions, int classes, Settings s) {
    if (s.replicates() == 0) {
      return List.of();
    }
    LakepipeErrors.checkArgument(classes >= 2, "Cannot bootstrap: need at least 2 classes, got %s", classes);
    List<String> needed = new ArrayList<>(List.of(ClassificationMetrics.LABEL_INDEX,
        ClassificationMetrics.PREDICTED_INDEX, s.keyColumn()));
    if (classes == 2) {
      needed.add(ClassificationMetrics.PROBABILITIES);
    }
    MetricRow.requireColumns(predictions, "bootstrap", needed);
    int b = s.replicates();
    long seed = s.seed();
    int partitions = Integer.parseInt(predictions.sparkSession().conf().get("spark.sql.shuffle.partitions"));
    JavaRDD<Row> rows = predictions.select(
        col(ClassificationMetrics.LABEL_INDEX).cast("int"),
        col(ClassificationMetrics.PREDICTED_INDEX).cast("int"),
        classes == 2
            ? element_at(col(ClassificationMetrics.PROBABILITIES).cast("array<double>"), 2)
            : lit(0.0).cast("double"),
        xxhash64(col(s.keyColumn()).cast("string"))).javaRDD();

    // Weighted confusion cells per replicate, combined map-side: k² keys of B longs each.
    Map<Integer, long[]> cells = new HashMap<>();
    rows.mapPartitionsToPair(it -> {
      Map<Integer, long[]> m = new HashMap<>();
      int[] w = new int[b];
      while (it.hasNext()) {
        Row r = it.next();
        weights(seed, r.getLong(3), w);
        long[] c = m.computeIfAbsent(r.getInt(0) * classes + r.getInt(1), k -> new long[b]);
        for (int i = 0; i < b; i++) {
          c[i] += w[i];
        }
      }
      List<Tuple2<Integer, long[]>> out = new ArrayList<>();
      m.forEach((k, v) -> out.add(new Tuple2<>(k, v)));
      return out.iterator();
    }).reduceByKey(Bootstrap::add, partitions).collect().forEach(t -> cells.put(t._1(), t._2()));

    List<Interval> out = new ArrayList<>();
    double[] accuracy = new double[b];
    double[] macroF1 = new double[b];
    for (int i = 0; i < b; i++) {
      long n = 0;
      long correct = 0;
      long[] support = new long[classes];
      long[] predicted = new long[classes];
      long[] tp = new long[classes];
      for (Map.Entry<Integer, long[]> e : cells.entrySet()) {
        int y = e.getKey() / classes;
        int p = e.getKey() % classes;
        long w = e.getValue()[i];
        n += w;
        support[y] += w;
        predicted[p] += w;
        if (y == p) {
          correct += w;
          tp[y] += w;
        }
      }
      accuracy[i] = n == 0 ? Double.NaN : (double) correct / n;
      double f1Sum = 0;
      int present = 0;
      for (int c = 0; c < classes; c++) {
        if (support[c] + predicted[c] > 0) {
          present++;
          f1Sum += 2.0 * tp[c] / (support[c] + predicted[c]);
        }
      }
      macroF1[i] = present == 0 ? Double.NaN : f1Sum / present;
    }
    addInterval(out, "accuracy", accuracy);
    addInterval(out, "macro_f1", macroF1);
    if (classes == 2) {
      addInterval(out, "roc_auc", aucReplicates(rows, b, seed, partitions));
    }
    return out;
  }

  /** Exact weighted ROC AUC per replicate: distinct scores sorted, two-pass prefix sum of negative weights. */
  private static double[] aucReplicates(JavaRDD<Row> rows, int b, long seed, int partitions) {
    JavaPairRDD<Double, long[]> sorted = rows.mapToPair(r -> {
      int[] w = new int[b];
      weights(seed, r.getLong(3), w);
      long[] v = new long[2 * b];
      int offset = r.getInt(0) == 1 ? 0 : b;
      for (int i = 0; i < b; i++) {
        v[offset + i] = w[i];
      }
      return new Tuple2<>(r.getDouble(2) + 0.0, v); // + 0.0 folds -0.0 into 0.0
    }).reduceByKey(Bootstrap::add, partitions).sortByKey(true, partitions);

    // Pass 1: negative weight per replicate in each sorted partition.
    List<Tuple2<Integer, long[]>> negatives = sorted.mapPartitionsWithIndex((idx, it) -> {
      long[] neg = new long[b];
      while (it.hasNext()) {
        long[] v = it.next()._2();
        for (int i = 0; i < b; i++) {
          neg[i] += v[b + i];
        }
      }
      return List.of(new Tuple2<>(idx, neg)).iterator();
    }, true).collect();
    Map<Integer, long[]> below = new HashMap<>();
    long[] running = new long[b];
    negatives.stream().sorted((x, y) -> Integer.compare(x._1(), y._1())).forEach(t -> {
      below.put(t._1(), running.clone());
      for (int i = 0; i < b; i++) {
        running[i] += t._2()[i];
      }
    });

    // Pass 2: Σ pos · (2 · negatives below + negatives at the score), and positive totals, per partition.
    List<long[]> partial = sorted.mapPartitionsWithIndex((idx, it) -> {
      long[] negBelow = below.getOrDefault(idx, new long[b]).clone();
      long[] acc = new long[2 * b];
      while (it.hasNext()) {
        long[] v = it.next()._2();
        for (int i = 0; i < b; i++) {
          acc[i] += v[i] * (2 * negBelow[i] + v[b + i]);
          acc[b + i] += v[i];
          negBelow[i] += v[b + i];
        }
      }
      return List.of(acc).iterator();
    }, true).collect();
    long[] total = new long[2 * b];
    partial.forEach(a -> add(total, a));
    double[] auc = new double[b];
    for (int i = 0; i < b; i++) {
      long pos = total[b + i];
      long neg = running[i];
      auc[i] = pos == 0 || neg == 0 ? Double.NaN : total[i] / (2.0 * pos * neg);
    }
    return auc;
  }

  private static void addInterval(List<Interval> out, String metric, double[] values) {
    double[] defined = Arrays.stream(values).filter(v -> !Double.isNaN(v)).sorted().toArray();
    if (defined.length > 0) {
      out.add(new Interval(metric, percentile(defined, LOW), percentile(defined, HIGH)));
    }
  }

  /** NumPy's default (linear) percentile of sorted values, q in [0, 1]. */
  static double percentile(double[] sorted, double q) {
    double h = (sorted.length - 1) * q;
    int lo = (int) Math.floor(h);
    int hi = Math.min(lo + 1, sorted.length - 1);
    return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
  }

  /** The Poisson(1) weight of a row (by its key hash) in every replicate. */
  static void weights(long seed, long keyHash, int[] out) {
    for (int r = 0; r < out.length; r++) {
      long z = mix(mix(seed ^ 0x9E3779B97F4A7C15L * (r + 1)) ^ keyHash);
      out[r] = poisson1((z >>> 11) * 0x1.0p-53);
    }
  }

  /** SplitMix64's finalizer. */
  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** Inverse CDF of Poisson(1) at u in [0, 1). */
  static int poisson1(double u) {
    double p = Math.exp(-1.0);
    double cdf = p;
    int k = 0;
    while (u >= cdf && k < 30) {
      k++;
      p /= k;
      cdf += p;
    }
    return k;
  }

  private static long[] add(long[] a, long[] b) {
    for (int i = 0; i < a.length; i++) {
      a[i] += b[i];
    }
    return a;
  }
}
