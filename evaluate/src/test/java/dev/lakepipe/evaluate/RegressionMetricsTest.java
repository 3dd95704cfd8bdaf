package dev.lakepipe.evaluate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.lakepipe.core.testing.SparkTestBase;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

class RegressionMetricsTest extends SparkTestBase {

  @Test
  void maeRmseAndR2ByHand() {
    StructType schema = new StructType().add("label", DataTypes.DoubleType).add("prediction", DataTypes.DoubleType)
        .add("region", DataTypes.StringType);
    Dataset<Row> p = spark.createDataFrame(List.of(
        RowFactory.create(1.0, 1.5, "n"), RowFactory.create(2.0, 2.0, "n"),
        RowFactory.create(3.0, 2.0, "s"), RowFactory.create(4.0, 5.0, "s")), schema);
    Map<String, Row> m = ClassificationMetricsTest.byKey(RegressionMetrics.compute(p, List.of("region"), 3));

    // Errors .5, 0, -1, 1: MAE 2.5 / 4; SS_res 2.25 → RMSE sqrt(2.25 / 4) = .75;
    // mean label 2.5, SS_tot 2.25 + .25 + .25 + 2.25 = 5 → R² = 1 - 2.25 / 5 = .55.
    assertThat(ClassificationMetricsTest.value(m, "all|*|*|mae")).isCloseTo(0.625, within(1e-9));
    assertThat(ClassificationMetricsTest.value(m, "all|*|*|rmse")).isCloseTo(0.75, within(1e-9));
    assertThat(ClassificationMetricsTest.value(m, "all|*|*|r2")).isCloseTo(0.55, within(1e-9));
    assertThat(ClassificationMetricsTest.value(m, "all|*|*|rows")).isEqualTo(4.0);
    // Region n: errors .5, 0 → MAE .25; labels 1, 2 → SS_tot .5, SS_res .25 → R² .5. Two rows < 3: flagged.
    assertThat(ClassificationMetricsTest.value(m, "region|n|*|mae")).isCloseTo(0.25, within(1e-9));
    assertThat(ClassificationMetricsTest.value(m, "region|n|*|r2")).isCloseTo(0.5, within(1e-9));
    assertThat(m.get("region|n|*|r2").getBoolean(8)).isTrue();
    assertThat(m.get("all|*|*|r2").getBoolean(8)).isFalse();
  }
}
