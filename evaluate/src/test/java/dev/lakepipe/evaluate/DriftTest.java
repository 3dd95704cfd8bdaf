package dev.lakepipe.evaluate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.lakepipe.core.testing.SparkTestBase;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

class DriftTest extends SparkTestBase {

  private static final StructType SCHEMA = new StructType()
      .add("x", DataTypes.DoubleType, true).add("cat", DataTypes.StringType, true)
      .add("label", DataTypes.StringType, true);

  /** x: 1, 2, 2, 3, 5 (+ a null); cat: a a b b (null) a; label: ham spam ham spam ham spam. */
  private static Dataset<Row> reference() {
    return spark.createDataFrame(List.of(
        RowFactory.create(1.0, "a", "ham"), RowFactory.create(2.0, "a", "spam"), RowFactory.create(2.0, "b", "ham"),
        RowFactory.create(3.0, "b", "spam"), RowFactory.create(5.0, null, "ham"), RowFactory.create(null, "a", "spam")),
        SCHEMA);
  }

  /** x: 2, 3, 3, 4, 6, 7; cat: a c c a b b; label as reference. */
  private static Dataset<Row> current() {
    return spark.createDataFrame(List.of(
        RowFactory.create(2.0, "a", "ham"), RowFactory.create(3.0, "c", "spam"), RowFactory.create(3.0, "c", "ham"),
        RowFactory.create(4.0, "a", "spam"), RowFactory.create(6.0, "b", "ham"), RowFactory.create(7.0, "b", "spam")),
        SCHEMA);
  }

  private static Map<String, Row> compare(Drift.Thresholds t) {
    Map<String, Row> out = new LinkedHashMap<>();
    Drift.compare(reference(), current(), List.of("x"), List.of("cat", "label"), t).collectAsList()
        .forEach(r -> out.put(r.getString(0), r));
    return out;
  }

  @Test
  void ksStatisticAndAsymptoticPValue() {
    Row x = compare(Drift.Thresholds.DEFAULT).get("x");

    // ECDFs at the pooled values 1..7: ref .2 .6 .8 .8 1 1 1, cur 0 1/6 3/6 4/6 4/6 5/6 1;
    // gaps .2, 13/30, .3, 2/15, 1/3, 1/6, 0 → D = 13/30 (at 2, where the tie in ref counts twice).
    // scipy.stats.ks_2samp gives the same statistic 0.43333333333333335.
    assertThat(x.getString(1)).isEqualTo("ks");
    assertThat(x.getDouble(2)).isCloseTo(13.0 / 30, within(1e-12));
    // en = 5·6 / 11, λ = sqrt(en)·D = 0.7156264473321344; scipy.stats.kstwobign.sf(λ) = 0.6850891093457763.
    assertThat(x.getDouble(3)).isCloseTo(0.6850891093457763, within(1e-9));
    assertThat(x.getLong(4)).isEqualTo(5L);
    assertThat(x.getLong(5)).isEqualTo(6L);
    assertThat(x.getBoolean(6)).isFalse();
    // Thresholds are parameters: p 0.685 < 0.9 is drift.
    assertThat(compare(new Drift.Thresholds(0.9, 0.2)).get("x").getBoolean(6)).isTrue();
  }

  @Test
  void kolmogorovSeriesMatchesScipy() {
    // scipy.stats.kstwobign.sf at λ = 0.3, 0.5, 1.0, 1.5, 2.5 (both branches of the series).
    assertThat(Drift.kolmogorovSurvival(0.3)).isCloseTo(0.9999906941986655, within(1e-12));
    assertThat(Drift.kolmogorovSurvival(0.5)).isCloseTo(0.9639452436648751, within(1e-12));
    assertThat(Drift.kolmogorovSurvival(1.0)).isCloseTo(0.26999967167735456, within(1e-12));
    assertThat(Drift.kolmogorovSurvival(1.5)).isCloseTo(0.022217962616525127, within(1e-12));
    assertThat(Drift.kolmogorovSurvival(2.5)).isCloseTo(7.453306344157342e-06, within(1e-15));
    assertThat(Drift.kolmogorovSurvival(0.0)).isEqualTo(1.0);
  }

  @Test
  void psiByHandWithEpsilonForEmptyCategories() {
    Map<String, Row> m = compare(Drift.Thresholds.DEFAULT);
    Row cat = m.get("cat");

    // Shares ref / cur of 6 rows each: a 3/6 vs 2/6, b 2/6 vs 2/6, c 0 (→ 1e-4) vs 2/6, (null) 1/6 vs 0 (→ 1e-4).
    double e = 1e-4;
    double psi = (2.0 / 6 - 3.0 / 6) * Math.log((2.0 / 6) / (3.0 / 6))
        + 0
        + (2.0 / 6 - e) * Math.log((2.0 / 6) / e)
        + (e - 1.0 / 6) * Math.log(e / (1.0 / 6));
    assertThat(cat.getString(1)).isEqualTo("psi");
    assertThat(cat.getDouble(2)).isCloseTo(psi, within(1e-9));
    assertThat(psi).isCloseTo(4.007, within(1e-3));
    assertThat(cat.isNullAt(3)).isTrue();
    assertThat(cat.getLong(4)).isEqualTo(6L);
    assertThat(cat.getBoolean(6)).isTrue();
    // The label has the same shares on both sides: PSI 0, no drift.
    assertThat(m.get("label").getDouble(2)).isEqualTo(0.0);
    assertThat(m.get("label").getBoolean(6)).isFalse();
  }
}
