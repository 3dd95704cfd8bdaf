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

  /** Through Spark's rounds (no graph is solved on the driver). */
  private static Map<String, String> components(Dataset<Row> edges, int maxRounds) {
    return components(edges, maxRounds, 0);
  }

  private static Map<String, String> components(Dataset<Row> edges, int maxRounds, int localEdgeLimit) {
    Map<String, String> out = new TreeMap<>();
    for (Row r : ConnectedComponents.of(edges, "src", "dst", maxRounds, localEdgeLimit).collectAsList()) {
      assertThat(out.put(r.getString(0), r.getString(1))).as("node %s listed once", r.getString(0)).isNull();
    }
    return out;
  }

  /** n00 - n01 - ... - n{length}: {@code length} edges in order. */
  private static List<String[]> chain(int length) {
    List<String[]> chain = new ArrayList<>();
    for (int i = 0; i < length; i++) {
      chain.add(new String[] {String.format(Locale.ROOT, "n%02d", i), String.format(Locale.ROOT, "n%02d", i + 1)});
    }
    return chain;
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
    List<String[]> chain = chain(64);

    assertThatThrownBy(() -> ConnectedComponents.of(edges(chain), "src", "dst", 1, 0))
        .hasMessageContaining("Cannot find connected components: the similarity graph did not converge to stars "
            + "in 1 rounds");
  }

  @Test
  void smallGraphsSolvedOnTheDriverGetTheLabelsOfTheRounds() {
    // Two components of the example above, the 300-node chain, and ids whose smallest differs between UTF-16
    // order (String.compareTo: U+1F600, a surrogate pair from 0xD83D, before U+FF21 'Ａ') and Spark's order of
    // UTF-8 bytes (U+FF21 from 0xEF before U+1F600 from 0xF0).
    List<String[]> graph = new ArrayList<>(List.of(
        new String[] {"c", "b"}, new String[] {"b", "a"}, new String[] {"d", "e"}, new String[] {"e", "d"},
        new String[] {"f", "f"}, new String[] {"z", "c"},
        new String[] {"x\uFF21", "x\uD83D\uDE00"}, new String[] {"x\uD83D\uDE00", "x\uFF22"}));
    for (int i = 0; i < 300; i++) {
      String a = String.format(Locale.ROOT, "n%03d", (i * 7) % 300);
      String b = String.format(Locale.ROOT, "n%03d", (i * 7 + 1) % 300);
      graph.add(i % 2 == 0 ? new String[] {a, b} : new String[] {b, a});
    }

    Map<String, String> local = components(edges(graph), 1, 1000);
    Map<String, String> rounds = components(edges(graph), 20, 0);

    assertThat(local).hasSize(309).isEqualTo(rounds);
    assertThat(local).containsEntry("z", "a").containsEntry("e", "d").doesNotContainKey("f")
        .containsEntry("n299", "n000")
        .containsEntry("x\uD83D\uDE00", "x\uFF21").containsEntry("x\uFF22", "x\uFF21");
  }

  @Test
  void aGraphOverTheLimitTakesTheRounds() {
    List<String[]> chain = chain(64);

    // 64 edges, 63 allowed on the driver: the rounds run, and one round is not enough for a chain.
    assertThatThrownBy(() -> ConnectedComponents.of(edges(chain), "src", "dst", 1, 63))
        .hasMessageContaining("did not converge to stars in 1 rounds");
    assertThat(components(edges(chain), 1, 64)).hasSize(65).containsEntry("n64", "n00");
  }

  @Test
  void longIdsSolvedOnTheDriver() {
    StructType longs = new StructType().add("src", DataTypes.LongType, false).add("dst", DataTypes.LongType, false);
    Dataset<Row> e = spark.createDataFrame(List.of(RowFactory.create(5L, -3L), RowFactory.create(-3L, 10L),
        RowFactory.create(7L, 8L)), longs);

    Map<Long, Long> out = new TreeMap<>();
    for (Row r : ConnectedComponents.of(e, "src", "dst", 5).collectAsList()) {
      out.put(r.getLong(0), r.getLong(1));
    }

    assertThat(out).isEqualTo(Map.of(5L, -3L, -3L, -3L, 10L, -3L, 7L, 7L, 8L, 7L));
  }
}
