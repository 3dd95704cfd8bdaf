package dev.lakepipe.features;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lakepipe.core.testing.SparkTestBase;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.SortOrder;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.window.WindowExec;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import scala.collection.JavaConverters;

/**
 * The two-phase running sum behind the split quota and oversampling ranks: exact sums worked out by hand where
 * rows fall in several sub-buckets, equality with the single window it replaces, and the shape that makes it
 * scale (the window over rows is partitioned by stratum and sub-bucket, so one stratum runs in many tasks).
 */
class PrefixSumTest extends SparkTestBase {

  private static final StructType ROWS = new StructType()
      .add("stratum", DataTypes.StringType).add("id", DataTypes.StringType)
      .add("position", DataTypes.DoubleType).add("size", DataTypes.LongType).add("subs", DataTypes.LongType);

  private static Map<String, Long> sumsBefore(Dataset<Row> rows) {
    Dataset<Row> out = PrefixSum.before(rows, "stratum",
        PrefixSum.subBucket(col("position"), col("subs")), col("size"), "before", col("position"), col("id"));
    Map<String, Long> sums = new TreeMap<>();
    out.select("id", "before").collectAsList().forEach(r -> sums.put(r.getString(0), r.getLong(1)));
    return sums;
  }

  @Test
  void runningSumsCrossSubBucketBoundariesExactly() {
    // Rows listed out of order on purpose; a3 and a2 tie on position and are ordered by id.
    List<Row> rows = List.of(
        RowFactory.create("b", "b1", 0.80, 7L, 2L),
        RowFactory.create("a", "a6", 0.90, 6L, 4L),
        RowFactory.create("a", "a3", 0.30, 3L, 4L),
        RowFactory.create("a", "a1", 0.10, 2L, 4L),
        RowFactory.create("b", "b3", 0.45, 2L, 2L),
        RowFactory.create("a", "a5", 0.70, 5L, 4L),
        RowFactory.create("a", "a2", 0.30, 1L, 4L),
        RowFactory.create("b", "b2", 0.20, 1L, 2L),
        RowFactory.create("a", "a4", 0.60, 4L, 4L));
    // By hand. Stratum a, 4 sub-buckets, sub = floor(position * 4): a1 0.4 -> 0; a2, a3 1.2 -> 1; a4 2.4 and
    // a5 2.8 -> 2; a6 3.6 -> 3. Sub totals 2, 1+3 = 4, 4+5 = 9, 6; offsets 0, 2, 6, 15. Within a sub-bucket in
    // (position, id) order: a1 0 + 0 = 0; a2 2 + 0 = 2; a3 2 + 1 = 3; a4 6 + 0 = 6; a5 6 + 4 = 10; a6 15 + 0 = 15.
    // These are the plain running sums of sizes 2, 1, 3, 4, 5, 6 before each row: 0, 2, 3, 6, 10, 15.
    // Stratum b, 2 sub-buckets: b2 0.4 -> 0; b3 0.9 -> 0; b1 1.6 -> 1. Sub totals 1 + 2 = 3, 7; offsets 0, 3.
    // b2 0; b3 0 + 1 = 1; b1 3 + 0 = 3.
    Map<String, Long> expected = new TreeMap<>(Map.of("a1", 0L, "a2", 2L, "a3", 3L, "a4", 6L, "a5", 10L,
        "a6", 15L, "b1", 3L, "b2", 0L, "b3", 1L));
    assertThat(sumsBefore(spark.createDataFrame(rows, ROWS))).isEqualTo(expected);
  }

  @Test
  void equalsTheSingleWindowOnSkewedStrataWithTies() {
    // 3,000 rows in three strata of 2,400 / 500 / 100 rows, positions from only 200 values (many ties, broken by
    // id), sizes 1..5; sub-buckets shared out as the splitter does (stratum rows out of all rows).
    Random random = new Random(7);
    int[] strata = {2400, 500, 100};
    long all = 3000;
    List<Row> rows = new ArrayList<>();
    for (int s = 0; s < strata.length; s++) {
      long subs = PrefixSum.subBuckets(strata[s], all);
      for (int i = 0; i < strata[s]; i++) {
        rows.add(RowFactory.create("s" + s, "s" + s + "-" + i, random.nextInt(200) / 200.0,
            1L + random.nextInt(5), subs));
      }
    }
    // 1024 * 2400 / 3000 = 819.2 -> 820; 1024 * 500 / 3000 = 170.7 -> 171; 1024 * 100 / 3000 = 34.1 -> 35.
    assertThat(rows.stream().map(r -> r.getLong(4)).distinct().toList()).containsExactly(820L, 171L, 35L);
    Dataset<Row> in = spark.createDataFrame(rows, ROWS).repartition(3);
    // The oracle: the single window partitioned by stratum that PrefixSum replaces (Spark's own, not ours).
    Map<String, Long> single = new TreeMap<>();
    in.withColumn("before", coalesce(sum("size").over(Window.partitionBy("stratum").orderBy("position", "id")
            .rowsBetween(Window.unboundedPreceding(), -1)), lit(0L)))
        .select("id", "before").collectAsList().forEach(r -> single.put(r.getString(0), r.getLong(1)));
    assertThat(single).hasSize(3000);
    assertThat(sumsBefore(in)).isEqualTo(single);
  }

  @Test
  void underTheGroupPolicyTheQuotaWindowRunsInManyTasks() {
    // One stratum (the group policy's), 400 single-row units with hashes u = ((i * 7) mod 400) / 400: every
    // multiple of 1/400 once. 400 new rows, so the stratum gets all 1,024 sub-buckets: floor(u * 1024) differs
    // for every unit (1024 / 400 > 1), and every running sum crosses sub-bucket boundaries.
    StructType unitSchema = new StructType().add("_unit", DataTypes.StringType).add("_size", DataTypes.LongType)
        .add("_stratum", DataTypes.StringType).add("_prev", DataTypes.StringType).add("_prev_values", DataTypes.LongType)
        .add("_u", DataTypes.DoubleType);
    List<Row> units = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      units.add(RowFactory.create(String.format("u%03d", i), 1L, "", null, 0L, ((i * 7) % 400) / 400.0));
    }
    Map<String, String> before = new LinkedHashMap<>();
    for (String key : List.of("spark.sql.adaptive.enabled", "spark.sql.shuffle.partitions")) {
      before.put(key, spark.conf().get(key));
    }
    try {
      // AQE off: it would coalesce these few rows into one partition; 4 partitions for the window's shuffle.
      spark.conf().set("spark.sql.adaptive.enabled", "false");
      spark.conf().set("spark.sql.shuffle.partitions", "4");
      Splitter.Quota quota = Splitter.quota(spark.createDataFrame(units, unitSchema), List.of("train", "test"),
          List.of(new BigDecimal("0.75"), new BigDecimal("0.25")));
      assertThat(quota.moved()).isZero();
      Dataset<Row> placed = quota.units();

      // By hand: n = 400, train's target round(400 * 0.75) = 300; the unit with hash u has 400 * u units before
      // it, so train holds exactly the units with u < 0.75, i.e. (i * 7) mod 400 < 300.
      Map<String, String> expected = new TreeMap<>();
      for (int i = 0; i < 400; i++) {
        expected.put(String.format("u%03d", i), (i * 7) % 400 < 300 ? "train" : "test");
      }
      Map<String, String> actual = new TreeMap<>();
      placed.select("_unit", "_bucket").collectAsList().forEach(r -> actual.put(r.getString(0), r.getString(1)));
      assertThat(actual).isEqualTo(expected);

      // The window over units is partitioned by (stratum, sub-bucket); only the offsets' window, over the small
      // aggregated table, is partitioned by the stratum alone.
      assertThat(windows(placed)).containsExactlyInAnyOrder(
          "[_stratum, _prefix_sub] by [_u, _unit]", "[_stratum] by [_prefix_sub]");
      // And so the one stratum's units are spread over the window's partitions (one partition held all 400 when
      // the window was partitioned by the stratum).
      List<Integer> perPartition = placed.javaRDD().mapPartitions(it -> {
        int n = 0;
        for (; it.hasNext(); it.next()) {
          n++;
        }
        return List.of(n).iterator();
      }).collect();
      List<Integer> nonEmpty = perPartition.stream().filter(n -> n > 0).collect(Collectors.toList());
      assertThat(nonEmpty).as("rows per partition: %s", perPartition).hasSizeGreaterThan(1);
      assertThat(nonEmpty.stream().mapToInt(Integer::intValue).sum()).isEqualTo(400);
    } finally {
      before.forEach((key, value) -> spark.conf().set(key, value));
    }
  }

  @Test
  void oversamplingRanksEachClassByStratumAndSubBucket() {
    // The plan only (the ranks' values are AugmentationTest's, worked out with a reference XXH64): the rank
    // window is partitioned by (label, sub-bucket), not by label alone.
    StructType schema = new StructType().add("_record_id", DataTypes.StringType).add("text", DataTypes.StringType)
        .add("label", DataTypes.StringType);
    List<Row> rows = List.of(RowFactory.create("h1", "a", "ham"), RowFactory.create("h2", "b", "ham"),
        RowFactory.create("h3", "c", "ham"), RowFactory.create("s1", "d", "spam"));
    Dataset<Row> copies = Augmentation.apply(spark.createDataFrame(rows, schema),
        new AugmentSettings(AugmentSettings.Text.none(List.of("text")), true),
        new dev.lakepipe.core.config.DatasetSchema("t", "id", List.of("text"), "label", "event_time", List.of(), List.of(),
            List.of()), 42L);
    // (_w0 is the name Spark's planner gives the computed order key, xxhash64(42, _record_id).)
    assertThat(windows(copies)).containsExactlyInAnyOrder(
        "[label, _prefix_sub] by [_w0, _record_id]", "[label] by [_prefix_sub]");
    // spam needs 2 copies of its one row.
    assertThat(copies.count()).isEqualTo(2);
  }

  /** Every window of the physical plan as "[partition columns] by [order keys]". */
  private static List<String> windows(Dataset<Row> ds) {
    List<String> out = new ArrayList<>();
    collectWindows(ds.queryExecution().sparkPlan(), out);
    return out;
  }

  private static void collectWindows(SparkPlan plan, List<String> out) {
    if (plan instanceof WindowExec w) {
      String partition = JavaConverters.seqAsJavaList(w.partitionSpec()).stream().map(PrefixSumTest::shown)
          .collect(Collectors.joining(", ", "[", "]"));
      String order = JavaConverters.seqAsJavaList(w.orderSpec()).stream().map(o -> shown(((SortOrder) o).child()))
          .collect(Collectors.joining(", ", "[", "]"));
      out.add(partition + " by " + order);
    }
    JavaConverters.seqAsJavaList(plan.children()).forEach(c -> collectWindows(c, out));
  }

  private static String shown(Expression e) {
    return e instanceof Attribute a ? a.name() : e.sql();
  }
}
