package dev.lakepipe.evaluate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.lakepipe.core.testing.SparkTestBase;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/** Every metric on small predictions, the expected values worked out by hand in the comments. */
class ClassificationMetricsTest extends SparkTestBase {

  static final double EPS = 1e-9;

  static final StructType SCHEMA = new StructType()
      .add("_record_id", DataTypes.StringType, false)
      .add("label_index", DataTypes.IntegerType, false)
      .add("predicted_index", DataTypes.IntegerType, false)
      .add("probabilities", DataTypes.createArrayType(DataTypes.DoubleType), false)
      .add("_source", DataTypes.StringType, true);

  static Row row(String id, int y, int p, String source, double... probs) {
    return RowFactory.create(id, y, p, Arrays.stream(probs).boxed().toList(), source);
  }

  /**
   * The binary example: positive-class scores 0.9 pos, 0.8 neg, 0.8 pos, 0.4 neg, 0.4 pos, 0.1 neg, predicted
   * positive at 0.5 or more. Sources crm (r1..r4), web (r5), null (r6).
   */
  static Dataset<Row> binary() {
    double[] s = {0.9, 0.8, 0.8, 0.4, 0.4, 0.1};
    int[] y = {1, 0, 1, 0, 1, 0};
    String[] src = {"crm", "crm", "crm", "crm", "web", null};
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < s.length; i++) {
      rows.add(row("r" + (i + 1), y[i], s[i] >= 0.5 ? 1 : 0, src[i], 1 - s[i], s[i]));
    }
    return spark.createDataFrame(rows, SCHEMA);
  }

  /** Imbalanced three classes a (6), b (3), c (1): (true, predicted) a→a ×5, a→b, b→a, b→b ×2, c→a. */
  static Dataset<Row> imbalanced() {
    int[][] yp = {{0, 0}, {0, 0}, {0, 0}, {0, 0}, {0, 0}, {0, 1}, {1, 0}, {1, 1}, {1, 1}, {2, 0}};
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < yp.length; i++) {
      double[] probs = new double[] {0.2, 0.2, 0.2};
      probs[yp[i][1]] = 0.6;
      rows.add(row("r" + i, yp[i][0], yp[i][1], "s", probs));
    }
    return spark.createDataFrame(rows, SCHEMA);
  }

  /** Three classes a, b, c with probabilities for the one-vs-rest AUC. */
  static Dataset<Row> threeClass() {
    return spark.createDataFrame(List.of(
        row("r1", 0, 0, "s", 0.7, 0.2, 0.1),
        row("r2", 0, 0, "s", 0.5, 0.3, 0.2),
        row("r3", 1, 1, "s", 0.3, 0.6, 0.1),
        row("r4", 1, 0, "s", 0.5, 0.4, 0.1),
        row("r5", 2, 2, "s", 0.2, 0.3, 0.5),
        row("r6", 2, 0, "s", 0.4, 0.2, 0.4)), SCHEMA);
  }

  /** slice|slice_value|class|metric to the row. */
  static Map<String, Row> byKey(Dataset<Row> metrics) {
    Map<String, Row> out = new LinkedHashMap<>();
    for (Row r : metrics.collectAsList()) {
      out.put(r.getString(0) + "|" + r.getString(1) + "|" + r.getString(2) + "|" + r.getString(3), r);
    }
    return out;
  }

  static double value(Map<String, Row> m, String key) {
    assertThat(m).containsKey(key);
    return m.get(key).getDouble(4);
  }

  @Test
  void binaryMetricsByHand() {
    Map<String, Row> m = byKey(ClassificationMetrics.compute(binary(), List.of("ham", "spam"), List.of(), 0, 0));

    // Right: r1 (0.9 pos), r3 (0.8 pos), r4 (0.4 neg), r6 (0.1 neg): 4 of 6.
    assertThat(value(m, "all|*|*|accuracy")).isCloseTo(4.0 / 6, within(EPS));
    assertThat(value(m, "all|*|*|micro_f1")).isCloseTo(4.0 / 6, within(EPS));
    // spam: predicted r1 r2 r3, true r1 r3 r5, tp 2 → P = R = F1 = 2/3; ham: predicted r4 r5 r6, true r2 r4 r6,
    // tp 2 → 2/3 too.
    for (String c : List.of("ham", "spam")) {
      assertThat(value(m, "all|*|" + c + "|precision")).isCloseTo(2.0 / 3, within(EPS));
      assertThat(value(m, "all|*|" + c + "|recall")).isCloseTo(2.0 / 3, within(EPS));
      assertThat(value(m, "all|*|" + c + "|f1")).isCloseTo(2.0 / 3, within(EPS));
      assertThat(value(m, "all|*|" + c + "|support")).isEqualTo(3.0);
      assertThat(m.get("all|*|" + c + "|f1").getLong(7)).isEqualTo(3L);
    }
    assertThat(value(m, "all|*|*|macro_precision")).isCloseTo(2.0 / 3, within(EPS));
    assertThat(value(m, "all|*|*|macro_recall")).isCloseTo(2.0 / 3, within(EPS));
    assertThat(value(m, "all|*|*|macro_f1")).isCloseTo(2.0 / 3, within(EPS));
    assertThat(value(m, "all|*|*|weighted_f1")).isCloseTo(2.0 / 3, within(EPS));

    // ROC AUC, Mann-Whitney with half credit for ties over the 3 × 3 (pos, neg) pairs:
    // pos 0.9 beats 0.8, 0.4, 0.1 → 3; pos 0.8 ties 0.8 (½), beats 0.4, 0.1 → 2.5; pos 0.4 ties 0.4 (½),
    // beats 0.1 → 1.5. (3 + 2.5 + 1.5) / 9 = 7/9.
    assertThat(value(m, "all|*|*|roc_auc")).isCloseTo(7.0 / 9, within(EPS));
    assertThat(value(m, "all|*|spam|roc_auc")).isCloseTo(7.0 / 9, within(EPS));
    // ham one-vs-rest scores 1 - s: pos 0.9 0.6 0.2 vs neg 0.6 0.2 0.1 → the mirror image, 7/9 as well.
    assertThat(value(m, "all|*|ham|roc_auc")).isCloseTo(7.0 / 9, within(EPS));

    // Average precision (scikit-learn): thresholds descending, ties grouped.
    // ≥0.9: TP 1 FP 0, P 1, R 1/3. ≥0.8: TP 2 FP 1, P 2/3, R 2/3. ≥0.4: TP 3 FP 2, P 3/5, R 1. ≥0.1: R stays 1.
    // AP = 1/3·1 + 1/3·2/3 + 1/3·3/5 = 15/45 + 10/45 + 9/45 = 34/45.
    assertThat(value(m, "all|*|*|pr_auc")).isCloseTo(34.0 / 45, within(EPS));
    assertThat(value(m, "all|*|spam|pr_auc")).isCloseTo(34.0 / 45, within(EPS));

    // Log loss: p(true class) = 0.9, 0.2, 0.8, 0.6, 0.4, 0.9.
    double logLoss = -(Math.log(0.9) + Math.log(0.2) + Math.log(0.8) + Math.log(0.6) + Math.log(0.4)
        + Math.log(0.9)) / 6;
    assertThat(value(m, "all|*|*|log_loss")).isCloseTo(logLoss, within(EPS));

    // ECE over the predicted class's probability: bin 9 {r1 ✓ .9, r6 ✓ .9}: |1 - .9| = .1;
    // bin 8 {r2 ✗ .8, r3 ✓ .8}: |.5 - .8| = .3; bin 6 {r4 ✓ .6, r5 ✗ .6}: |.5 - .6| = .1.
    // ECE = 2/6 · .1 + 2/6 · .3 + 2/6 · .1 = 1/6.
    assertThat(value(m, "all|*|*|ece")).isCloseTo(1.0 / 6, within(EPS));

    // Always predicting ham (majorityIndex 0): accuracy 3/6; ham F1 = 2·3 / (3 + 6) = 2/3, spam F1 0 → 1/3.
    assertThat(value(m, "all|*|*|baseline_accuracy")).isCloseTo(0.5, within(EPS));
    assertThat(value(m, "all|*|*|baseline_macro_f1")).isCloseTo(1.0 / 3, within(EPS));
    assertThat(value(m, "all|*|*|rows")).isEqualTo(6.0);
    assertThat(m.get("all|*|*|rows").getLong(7)).isEqualTo(6L);
    assertThat(m.get("all|*|*|accuracy").isNullAt(5)).isTrue();
    assertThat(m.keySet()).hasSize(13 + 2 * 6);
  }

  @Test
  void macroAndWeightedF1DifferOnImbalancedClasses() {
    Map<String, Row> m = byKey(ClassificationMetrics.compute(imbalanced(), List.of("a", "b", "c"), List.of(), 0, 0));

    // a: support 6, predicted 7 (5 + b→a + c→a), tp 5 → P 5/7, R 5/6, F1 = 2·5 / (6 + 7) = 10/13.
    assertThat(value(m, "all|*|a|precision")).isCloseTo(5.0 / 7, within(EPS));
    assertThat(value(m, "all|*|a|recall")).isCloseTo(5.0 / 6, within(EPS));
    assertThat(value(m, "all|*|a|f1")).isCloseTo(10.0 / 13, within(EPS));
    // b: support 3, predicted 3, tp 2 → 2/3 each. c: support 1, never predicted → 0 (zero_division 0).
    assertThat(value(m, "all|*|b|f1")).isCloseTo(2.0 / 3, within(EPS));
    assertThat(value(m, "all|*|c|precision")).isEqualTo(0.0);
    assertThat(value(m, "all|*|c|f1")).isEqualTo(0.0);
    // macro F1 = (10/13 + 2/3 + 0) / 3 = 56/117; weighted = (6·10/13 + 3·2/3 + 1·0) / 10 = 43/65.
    assertThat(value(m, "all|*|*|macro_f1")).isCloseTo(56.0 / 117, within(EPS));
    assertThat(value(m, "all|*|*|weighted_f1")).isCloseTo(43.0 / 65, within(EPS));
    // macro P = (5/7 + 2/3 + 0) / 3 = 29/63; macro R = (5/6 + 2/3 + 0) / 3 = 1/2; accuracy 7/10 = micro F1.
    assertThat(value(m, "all|*|*|macro_precision")).isCloseTo(29.0 / 63, within(EPS));
    assertThat(value(m, "all|*|*|macro_recall")).isCloseTo(0.5, within(EPS));
    assertThat(value(m, "all|*|*|accuracy")).isCloseTo(0.7, within(EPS));
    assertThat(value(m, "all|*|*|micro_f1")).isCloseTo(0.7, within(EPS));
    // Always a: accuracy 6/10; a F1 = 2·6 / (6 + 10) = 3/4 over 3 classes → 1/4.
    assertThat(value(m, "all|*|*|baseline_accuracy")).isCloseTo(0.6, within(EPS));
    assertThat(value(m, "all|*|*|baseline_macro_f1")).isCloseTo(0.25, within(EPS));
  }

  @Test
  void threeClassOneVsRestAuc() {
    Map<String, Row> m = byKey(ClassificationMetrics.compute(threeClass(), List.of("a", "b", "c"), List.of(), 0, 0));

    // a: pos .7 .5 vs neg .3 .5 .2 .4 → .7 beats 4; .5 beats 3, ties 1 → 3.5; 7.5 / 8 = 0.9375.
    assertThat(value(m, "all|*|a|roc_auc")).isCloseTo(0.9375, within(EPS));
    // b: pos .6 .4 vs neg .2 .3 .3 .2 → 1. c: pos .5 .4 vs neg .1 .2 .1 .1 → 1.
    assertThat(value(m, "all|*|b|roc_auc")).isCloseTo(1.0, within(EPS));
    assertThat(value(m, "all|*|c|roc_auc")).isCloseTo(1.0, within(EPS));
    // Macro one-vs-rest: (0.9375 + 1 + 1) / 3.
    assertThat(value(m, "all|*|*|roc_auc")).isCloseTo(2.9375 / 3, within(EPS));
    // a AP: ≥.7 TP 1 FP 0 (P 1, R ½); ≥.5 TP 2 FP 1 (P 2/3, R 1) → ½ + ½·2/3 = 5/6. b, c: 1. Macro 17/18.
    assertThat(value(m, "all|*|a|pr_auc")).isCloseTo(5.0 / 6, within(EPS));
    assertThat(value(m, "all|*|*|pr_auc")).isCloseTo(17.0 / 18, within(EPS));
  }

  @Test
  void logLossClipsZeroProbabilities() {
    Dataset<Row> p = spark.createDataFrame(List.of(
        row("r1", 1, 0, "s", 1.0, 0.0),
        row("r2", 0, 0, "s", 0.5, 0.5)), SCHEMA);
    Map<String, Row> m = byKey(ClassificationMetrics.compute(p, List.of("ham", "spam"), List.of(), 0, 0));

    // r1's true class has probability 0, clipped to 1e-15: -ln(1e-15) = 15 ln 10. r2: -ln 0.5 = ln 2.
    assertThat(value(m, "all|*|*|log_loss")).isCloseTo((15 * Math.log(10) + Math.log(2)) / 2, within(EPS));
  }

  @Test
  void slicesBelowMinSupportAreFlaggedNotDropped() {
    Dataset<Row> metrics = ClassificationMetrics.compute(binary(), List.of("ham", "spam"), List.of("_source"), 3, 0);
    Map<String, Row> m = byKey(metrics);

    assertThat(metrics.columns()).containsExactly("slice", "slice_value", "class", "metric", "value", "ci_low",
        "ci_high", "support", "below_min_support");
    // crm = r1..r4: right r1, r3, r4 → 3/4; web = r5 (wrong); the null source = r6 (right).
    assertThat(value(m, "_source|crm|*|accuracy")).isCloseTo(0.75, within(EPS));
    assertThat(value(m, "_source|web|*|accuracy")).isEqualTo(0.0);
    assertThat(value(m, "_source|(null)|*|accuracy")).isEqualTo(1.0);
    assertThat(m.get("_source|crm|*|accuracy").getLong(7)).isEqualTo(4L);
    assertThat(m.get("_source|crm|spam|recall").getLong(7)).isEqualTo(2L);
    // crm AUC: pos .9 .8 vs neg .8 .4 → 2 + 1.5 = 3.5 / 4.
    assertThat(value(m, "_source|crm|*|roc_auc")).isCloseTo(0.875, within(EPS));
    // web holds one positive only: no AUC row there.
    assertThat(m).doesNotContainKey("_source|web|*|roc_auc");
    assertThat(m).doesNotContainKey("_source|web|spam|roc_auc");

    assertThat(m.get("all|*|*|accuracy").getBoolean(8)).isFalse();
    assertThat(m.get("_source|crm|*|accuracy").getBoolean(8)).isFalse();
    assertThat(m.get("_source|web|*|accuracy").getBoolean(8)).isTrue();
    assertThat(m.get("_source|(null)|spam|f1").getBoolean(8)).isTrue();
    assertThat(metrics.select("slice", "slice_value").distinct().count()).isEqualTo(4);
  }

  @Test
  void argumentsAreChecked() {
    assertThatThrownBy(() -> ClassificationMetrics.compute(binary(), List.of("ham", "spam"), List.of(), 0, 2))
        .hasMessage("Cannot compute classification metrics: majorityIndex must be in [0, 2), got 2");
    assertThatThrownBy(() -> ClassificationMetrics.compute(binary().drop("probabilities"), List.of("ham", "spam"),
        List.of("region"), 0, 0))
        .hasMessageContaining("column(s) [probabilities] missing");
  }
}
