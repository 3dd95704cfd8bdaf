package dev.lakepipe.evaluate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakepipe.core.testing.SparkTestBase;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

class ConfusionTest extends SparkTestBase {

  @Test
  void everyPairOfTheLabelSetIsPresentZerosIncluded() {
    Dataset<Row> m = Confusion.matrix(ClassificationMetricsTest.imbalanced(), List.of("a", "b", "c"));
    Map<String, Long> cells = new LinkedHashMap<>();
    m.collectAsList().forEach(r -> cells.put(r.getString(0) + "|" + r.getString(1) + "|" + r.getString(2) + "→"
        + r.getString(3), r.getLong(4)));

    assertThat(m.columns()).containsExactly("slice", "slice_value", "actual", "predicted", "count");
    assertThat(cells).containsOnly(
        Map.entry("all|*|a→a", 5L), Map.entry("all|*|a→b", 1L), Map.entry("all|*|a→c", 0L),
        Map.entry("all|*|b→a", 1L), Map.entry("all|*|b→b", 2L), Map.entry("all|*|b→c", 0L),
        Map.entry("all|*|c→a", 1L), Map.entry("all|*|c→b", 0L), Map.entry("all|*|c→c", 0L));
  }

  @Test
  void perSliceMatricesAreCompleteToo() {
    Dataset<Row> m = Confusion.matrix(ClassificationMetricsTest.binary(), List.of("ham", "spam"), List.of("_source"));

    // all + crm + web + (null), 4 cells each.
    assertThat(m.count()).isEqualTo(16);
    // web = r5 only: spam predicted ham.
    assertThat(m.filter("slice_value = 'web' and count > 0").collectAsList())
        .singleElement().satisfies(r -> {
          assertThat(r.getString(2)).isEqualTo("spam");
          assertThat(r.getString(3)).isEqualTo("ham");
          assertThat(r.getLong(4)).isEqualTo(1L);
        });
    assertThat(m.filter("slice = 'all'").groupBy().sum("count").first().getLong(0)).isEqualTo(6L);
  }
}
