package dev.lakepipe.evaluate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.lakepipe.core.testing.SparkTestBase;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/** Reliability bins and ECE of the six-row binary example of ClassificationMetricsTest, by hand. */
class CalibrationTest extends SparkTestBase {

  private static final double EPS = 1e-9;

  /** class|bin to the row. */
  private static Map<String, Row> bins(Dataset<Row> bins) {
    Map<String, Row> out = new LinkedHashMap<>();
    for (Row r : bins.filter("slice = 'all'").collectAsList()) {
      out.put(r.getString(2) + "|" + r.getInt(3), r);
    }
    return out;
  }

  @Test
  void topClassAndPositiveClassReliability() {
    Dataset<Row> bins = Calibration.bins(ClassificationMetricsTest.binary(), List.of("ham", "spam"), 10);
    Map<String, Row> b = bins(bins);

    assertThat(bins.columns()).containsExactly("slice", "slice_value", "class", "bin", "lower", "upper", "count",
        "mean_confidence", "accuracy");
    // Every bin of both diagrams, empty ones included.
    assertThat(b).hasSize(20);
    // Top class (confidence of the predicted class): r1 .9 ✓, r2 .8 ✗, r3 .8 ✓, r4 .6 ✓, r5 .6 ✗, r6 .9 ✓.
    assertBin(b.get("*|9"), 2, 0.9, 1.0);
    assertBin(b.get("*|8"), 2, 0.8, 0.5);
    assertBin(b.get("*|6"), 2, 0.6, 0.5);
    assertThat(b.get("*|0").getLong(6)).isZero();
    assertThat(b.get("*|0").isNullAt(7)).isTrue();
    assertThat(b.get("*|6").getDouble(4)).isCloseTo(0.6, within(EPS));
    assertThat(b.get("*|6").getDouble(5)).isCloseTo(0.7, within(EPS));
    // Positive class spam (its probability; accuracy = share truly spam): .9 pos | .8 neg, .8 pos | .4 neg,
    // .4 pos | .1 neg.
    assertBin(b.get("spam|9"), 1, 0.9, 1.0);
    assertBin(b.get("spam|8"), 2, 0.8, 0.5);
    assertBin(b.get("spam|4"), 2, 0.4, 0.5);
    assertBin(b.get("spam|1"), 1, 0.1, 0.0);

    Map<String, Double> ece = new LinkedHashMap<>();
    Calibration.ece(bins).collectAsList().forEach(r -> ece.put(r.getString(2), r.getDouble(3)));
    // Top: (2·|1 - .9| + 2·|.5 - .8| + 2·|.5 - .6|) / 6 = 1/6.
    assertThat(ece.get("*")).isCloseTo(1.0 / 6, within(EPS));
    // Spam: (1·.1 + 2·.3 + 2·.1 + 1·.1) / 6 = 1/6.
    assertThat(ece.get("spam")).isCloseTo(1.0 / 6, within(EPS));
  }

  @Test
  void probabilityOneFallsInTheLastBin() {
    assertThat(spark.range(1).select(Calibration.binIndex(org.apache.spark.sql.functions.lit(1.0), 10))
        .first().getInt(0)).isEqualTo(9);
    assertThat(spark.range(1).select(Calibration.binIndex(org.apache.spark.sql.functions.lit(0.0), 10))
        .first().getInt(0)).isEqualTo(0);
  }

  private static void assertBin(Row r, long count, double confidence, double accuracy) {
    assertThat(r.getLong(6)).isEqualTo(count);
    assertThat(r.getDouble(7)).isCloseTo(confidence, within(EPS));
    assertThat(r.getDouble(8)).isCloseTo(accuracy, within(EPS));
  }
}
