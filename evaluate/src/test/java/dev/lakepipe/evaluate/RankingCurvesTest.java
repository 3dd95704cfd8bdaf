package dev.lakepipe.evaluate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.lakepipe.core.testing.SparkTestBase;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

class RankingCurvesTest extends SparkTestBase {

  private static final double EPS = 1e-9;

  /** Points as [x, y, threshold (NaN for null)] sorted by threshold descending, null first. */
  private static List<double[]> points(Dataset<Row> curve, String cls) {
    List<double[]> out = new ArrayList<>();
    for (Row r : curve.filter(org.apache.spark.sql.functions.col("class").equalTo(cls))
        .orderBy(org.apache.spark.sql.functions.col("threshold").desc_nulls_first()).collectAsList()) {
      out.add(new double[] {r.getDouble(1), r.getDouble(2), r.isNullAt(3) ? Double.NaN : r.getDouble(3)});
    }
    return out;
  }

  @Test
  void binaryRocAndPrPointsByHand() {
    Dataset<Row> p = ClassificationMetricsTest.binary();
    List<double[]> roc = points(RankingCurves.roc(p, List.of("ham", "spam"), 200), "spam");

    // Scores .9 pos, .8 neg, .8 pos, .4 neg, .4 pos, .1 neg; predict spam at score ≥ t.
    // (fpr, tpr): start (0, 0); t .9 → (0, 1/3); .8 → (1/3, 2/3); .4 → (2/3, 1); .1 → (1, 1).
    double[][] expected = {{0, 0, Double.NaN}, {0, 1.0 / 3, 0.9}, {1.0 / 3, 2.0 / 3, 0.8}, {2.0 / 3, 1, 0.4},
        {1, 1, 0.1}};
    assertPoints(roc, expected);
    // Trapezoids: 0 + 1/3·(1/3 + 2/3)/2 + 1/3·(2/3 + 1)/2 + 1/3·1 = 3/18 + 5/18 + 6/18 = 7/9, the AUC.
    double area = 0;
    for (int i = 1; i < roc.size(); i++) {
      area += (roc.get(i)[0] - roc.get(i - 1)[0]) * (roc.get(i)[1] + roc.get(i - 1)[1]) / 2;
    }
    assertThat(area).isCloseTo(7.0 / 9, within(EPS));

    // (recall, precision): end (0, 1); .9 → (1/3, 1); .8 → (2/3, 2/3); .4 → (1, 3/5); .1 → (1, 1/2).
    List<double[]> pr = points(RankingCurves.pr(p, List.of("ham", "spam"), 200), "spam");
    assertPoints(pr, new double[][] {{0, 1, Double.NaN}, {1.0 / 3, 1, 0.9}, {2.0 / 3, 2.0 / 3, 0.8},
        {1, 0.6, 0.4}, {1, 0.5, 0.1}});
  }

  @Test
  void oneCurvePerClassBeyondTwoClasses() {
    Dataset<Row> roc = RankingCurves.roc(ClassificationMetricsTest.threeClass(), List.of("a", "b", "c"), 200);
    assertThat(roc.select("class").distinct().as(org.apache.spark.sql.Encoders.STRING()).collectAsList())
        .containsExactlyInAnyOrder("a", "b", "c");
    // a's scores: .7 .5 .3 .5 .2 .4 → 5 distinct + the origin.
    assertThat(points(roc, "a")).hasSize(6);
  }

  @Test
  void longCurvesAreThinnedKeepingBothEnds() {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      double s = (i + 0.5) / 50;
      rows.add(ClassificationMetricsTest.row("r" + i, i % 3 == 0 ? 1 : 0, s >= 0.5 ? 1 : 0, "s", 1 - s, s));
    }
    Dataset<Row> p = spark.createDataFrame(rows, ClassificationMetricsTest.SCHEMA);
    List<double[]> roc = points(RankingCurves.roc(p, List.of("ham", "spam"), 10), "spam");

    // 50 distinct scores: ranks 0, 7, ..., 49 (stride ceil(49 / 7) = 7) → 8, plus the origin.
    assertThat(roc).hasSizeLessThanOrEqualTo(10).hasSize(9);
    assertThat(roc.get(1)[2]).isCloseTo(49.5 / 50, within(EPS));
    assertThat(roc.get(roc.size() - 1)[2]).isCloseTo(0.5 / 50, within(EPS));
    assertThat(roc.get(roc.size() - 1)[0]).isEqualTo(1.0);
  }

  @Test
  void prefixSumIsExactAcrossManySortedPartitions() {
    // Group g1: scores 1..30, positive when divisible by 3; group g2: scores 1..10, all negative, each twice.
    List<Row> rows = new ArrayList<>();
    for (int i = 1; i <= 30; i++) {
      rows.add(org.apache.spark.sql.RowFactory.create("g1", (double) i, i % 3 == 0 ? 1L : 0L, i % 3 == 0 ? 0L : 1L));
    }
    for (int i = 1; i <= 20; i++) {
      rows.add(org.apache.spark.sql.RowFactory.create("g2", (double) ((i + 1) / 2), 0L, 1L));
    }
    Dataset<Row> in = spark.createDataFrame(rows, new org.apache.spark.sql.types.StructType()
        .add("k", "string").add("_score", "double").add("_pos", "long").add("_neg", "long"));
    String partitions = spark.conf().get("spark.sql.shuffle.partitions");
    String coalesce = spark.conf().get("spark.sql.adaptive.coalescePartitions.enabled");
    try {
      spark.conf().set("spark.sql.shuffle.partitions", "7");
      spark.conf().set("spark.sql.adaptive.coalescePartitions.enabled", "false");
      Dataset<Row> cum = RankingCurves.cumulative(in.repartition(3), List.of("k"));
      assertThat(cum.javaRDD().getNumPartitions()).isEqualTo(7);
      List<Row> out = cum.orderBy("k", "_score").collectAsList();

      assertThat(out).hasSize(40);
      for (int i = 1; i <= 30; i++) {
        Row r = out.get(i - 1);
        // Up to score i: floor(i / 3) positives, i - floor(i / 3) negatives; rank i - 1; totals 10 and 20.
        assertThat(r.<Long>getAs("_cum_pos")).isEqualTo(i / 3L);
        assertThat(r.<Long>getAs("_cum_neg")).isEqualTo(i - i / 3L);
        assertThat(r.<Long>getAs("_rank")).isEqualTo(i - 1L);
        assertThat(r.<Long>getAs("_total_pos")).isEqualTo(10L);
        assertThat(r.<Long>getAs("_total_neg")).isEqualTo(20L);
        assertThat(r.<Long>getAs("_distinct")).isEqualTo(30L);
      }
      for (int i = 1; i <= 10; i++) {
        Row r = out.get(30 + i - 1);
        // Ties grouped: two negatives per score.
        assertThat(r.<Long>getAs("_neg")).isEqualTo(2L);
        assertThat(r.<Long>getAs("_cum_neg")).isEqualTo(2L * i);
        assertThat(r.<Long>getAs("_rank")).isEqualTo(i - 1L);
        assertThat(r.<Long>getAs("_distinct")).isEqualTo(10L);
      }
      // The three-class AUCs come out the same through seven sorted partitions.
      Map<String, Row> m = ClassificationMetricsTest.byKey(ClassificationMetrics.compute(
          ClassificationMetricsTest.threeClass(), List.of("a", "b", "c"), List.of(), 0, 0));
      assertThat(ClassificationMetricsTest.value(m, "all|*|a|roc_auc")).isCloseTo(0.9375, within(EPS));
      assertThat(ClassificationMetricsTest.value(m, "all|*|a|pr_auc")).isCloseTo(5.0 / 6, within(EPS));
    } finally {
      spark.conf().set("spark.sql.shuffle.partitions", partitions);
      spark.conf().set("spark.sql.adaptive.coalescePartitions.enabled", coalesce);
    }
  }

  private static void assertPoints(List<double[]> actual, double[][] expected) {
    assertThat(actual).hasSize(expected.length);
    for (int i = 0; i < expected.length; i++) {
      assertThat(actual.get(i)[0]).as("x of point %s", i).isCloseTo(expected[i][0], within(EPS));
      assertThat(actual.get(i)[1]).as("y of point %s", i).isCloseTo(expected[i][1], within(EPS));
      if (Double.isNaN(expected[i][2])) {
        assertThat(actual.get(i)[2]).isNaN();
      } else {
        assertThat(actual.get(i)[2]).isCloseTo(expected[i][2], within(EPS));
      }
    }
  }
}
