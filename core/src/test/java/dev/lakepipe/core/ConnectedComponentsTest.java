package dev.lakepipe.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lakepipe.core.testing.SparkTestBase;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

class ConnectedComponentsTest extends SparkTestBase {

  private static final StructType EDGES = new StructType()
      .add("src", DataTypes.StringType, false)
      .add("dst", DataTypes.StringType, false);

  private static Dataset<Row> edges(List<String[]> pairs) {
    List<Row> rows = new ArrayList<>();
    for (String[] p : pairs) {
      rows.add(RowFactory.create(p[0], p[1]));
    }
    return spark.createDataFrame(rows, EDGES);
  }

  private static Map<String, String> components(Dataset<Row> edges, int maxRounds) {
    Map<String, String> out = new TreeMap<>();
    for (Row r : ConnectedComponents.of(edges, "src", "dst", maxRounds).collectAsList()) {
      assertThat(out.put(r.getString(0), r.getString(1))).as("node %s listed once", r.getString(0)).isNull();
    }
    return out;
  }

  @Test
  void labelsEveryNodeWithTheSmallestIdOfItsComponent() {
    Dataset<Row> e = edges(List.of(
        new String[] {"c", "b"}, new String[] {"b", "a"}, new String[] {"d", "e"}, new String[] {"e", "d"},
        new String[] {"f", "f"}, new String[] {"z", "c"}));

    assertThat(components(e, 20)).isEqualTo(Map.of(
        "a", "a", "b", "a", "c", "a", "z", "a",
        "d", "d", "e", "d"));
  }

  @Test
  void longChainConvergesInFewRounds() {
    List<String[]> chain = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      // Shuffled direction and order, so the chain is not handed over sorted.
      String a = String.format(Locale.ROOT, "n%03d", (i * 7) % 300);
      String b = String.format(Locale.ROOT, "n%03d", (i * 7 + 1) % 300);
      chain.add(i % 2 == 0 ? new String[] {a, b} : new String[] {b, a});
    }

    Map<String, String> labels = components(edges(chain), 20);

    assertThat(labels).hasSize(300);
    assertThat(labels.values()).containsOnly("n000");
  }

  @Test
  void failsClearlyWhenRoundsRunOut() {
    List<String[]> chain = new ArrayList<>();
    for (int i = 0; i < 64; i++) {
      chain.add(new String[] {String.format(Locale.ROOT, "n%02d", i), String.format(Locale.ROOT, "n%02d", i + 1)});
    }

    assertThatThrownBy(() -> ConnectedComponents.of(edges(chain), "src", "dst", 1))
        .hasMessageContaining("Cannot find connected components: the similarity graph did not converge to stars "
            + "in 1 rounds");
  }
}
