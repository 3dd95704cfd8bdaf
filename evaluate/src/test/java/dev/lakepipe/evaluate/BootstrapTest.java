package dev.lakepipe.evaluate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakepipe.core.testing.SparkTestBase;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

class BootstrapTest extends SparkTestBase {

  private static final Bootstrap.Settings SETTINGS = new Bootstrap.Settings(50, 7L, "_record_id");
  private static final List<String> LABELS = List.of("ham", "spam");

  /** 40 binary predictions with overlapping scores. */
  private static Dataset<Row> predictions() {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      int y = i % 2;
      double s = ((i * 37) % 100) / 100.0 * 0.6 + 0.4 * y;
      rows.add(ClassificationMetricsTest.row(String.format("r%02d", i), y, s >= 0.5 ? 1 : 0, "s", 1 - s, s));
    }
    return spark.createDataFrame(rows, ClassificationMetricsTest.SCHEMA);
  }

  @Test
  void identicalAtAnyInputOrShufflePartitionCount() {
    List<Bootstrap.Interval> one = Bootstrap.intervals(predictions().repartition(1), 2, SETTINGS);
    List<Bootstrap.Interval> four = Bootstrap.intervals(predictions().repartition(4), 2, SETTINGS);
    String before = spark.conf().get("spark.sql.shuffle.partitions");
    List<Bootstrap.Interval> shuffleOne;
    List<Bootstrap.Interval> shuffleSeven;
    try {
      spark.conf().set("spark.sql.shuffle.partitions", "1");
      shuffleOne = Bootstrap.intervals(predictions().repartition(3), 2, SETTINGS);
      spark.conf().set("spark.sql.shuffle.partitions", "7");
      shuffleSeven = Bootstrap.intervals(predictions().repartition(3), 2, SETTINGS);
    } finally {
      spark.conf().set("spark.sql.shuffle.partitions", before);
    }

    assertThat(one).extracting(Bootstrap.Interval::metric).containsExactly("accuracy", "macro_f1", "roc_auc");
    assertThat(four).isEqualTo(one);
    assertThat(shuffleOne).isEqualTo(one);
    assertThat(shuffleSeven).isEqualTo(one);
    // A different seed resamples differently.
    assertThat(Bootstrap.intervals(predictions(), 2, new Bootstrap.Settings(50, 8L, "_record_id")))
        .isNotEqualTo(one);
  }

  @Test
  void intervalsContainThePointEstimateOnTheAllRows() {
    Map<String, Row> m = ClassificationMetricsTest.byKey(
        ClassificationMetrics.compute(predictions(), LABELS, List.of("_source"), 0, 0, SETTINGS));

    for (String metric : List.of("accuracy", "macro_f1", "roc_auc")) {
      Row r = m.get("all|*|*|" + metric);
      double value = r.getDouble(4);
      assertThat(r.getDouble(5)).as(metric).isLessThan(r.getDouble(6)).isLessThanOrEqualTo(value);
      assertThat(r.getDouble(6)).as(metric).isGreaterThanOrEqualTo(value);
    }
    // Only the "all" rows of the headline metrics get intervals.
    assertThat(m.get("all|*|*|log_loss").isNullAt(5)).isTrue();
    assertThat(m.get("_source|s|*|accuracy").isNullAt(5)).isTrue();
  }

  @Test
  void poissonWeightsInvertTheCdf() {
    // Poisson(1) CDF: P(0) = e^-1 = .3679, ≤1 .7358, ≤2 .9197, ≤3 .9810.
    assertThat(Bootstrap.poisson1(0.0)).isZero();
    assertThat(Bootstrap.poisson1(0.36)).isZero();
    assertThat(Bootstrap.poisson1(0.37)).isEqualTo(1);
    assertThat(Bootstrap.poisson1(0.75)).isEqualTo(2);
    assertThat(Bootstrap.poisson1(0.95)).isEqualTo(3);
    assertThat(Bootstrap.poisson1(0.99)).isEqualTo(4);
    // Mean weight over many keys is about 1.
    int[] w = new int[200];
    long total = 0;
    for (long key = 0; key < 100; key++) {
      Bootstrap.weights(7L, key * 0x9E3779B97F4A7C15L, w);
      for (int x : w) {
        total += x;
      }
    }
    assertThat(total / 20000.0).isBetween(0.97, 1.03);
  }

  @Test
  void percentileInterpolatesLinearly() {
    // NumPy: percentile([1, 2, 3, 4, 5], 2.5) = 1 + 0.1 · 1 = 1.1; 97.5 → 4.9.
    double[] v = {1, 2, 3, 4, 5};
    assertThat(Bootstrap.percentile(v, 0.025)).isEqualTo(1.1, org.assertj.core.api.Assertions.within(1e-12));
    assertThat(Bootstrap.percentile(v, 0.975)).isEqualTo(4.9, org.assertj.core.api.Assertions.within(1e-12));
  }
}
