package dev.lakepipe.features;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.lakepipe.core.config.ConfigProblems;
import dev.lakepipe.core.config.DatasetSchema;
import dev.lakepipe.core.testing.SparkTestBase;
import dev.lakepipe.core.testing.TestConfigs;
import java.math.BigDecimal;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/** Each split policy's guarantee, proven exactly on hand-built rows. */
class SplitterTest extends SparkTestBase {

  static final DatasetSchema SCHEMA = TestConfigs.of("""
      dataset { name = t, columns { id = id, text = [text], label = label, event-time = event_time,
        categorical = [sender] } }
      """).dataset();
  static final StructType ROW = new StructType()
      .add("_record_id", DataTypes.StringType).add("id", DataTypes.StringType)
      .add("text", DataTypes.StringType).add("label", DataTypes.StringType)
      .add("event_time", DataTypes.TimestampType).add("sender", DataTypes.StringType);
  static final StructType LINK = new StructType()
      .add("removed_record_id", DataTypes.StringType).add("kept_record_id", DataTypes.StringType);
  static final Instant T0 = Instant.parse("2002-08-01T00:00:00Z");

  static SplitSettings settings(String hocon) {
    ConfigProblems problems = new ConfigProblems("test");
    SplitSettings s = SplitSettings.parse(ConfigFactory.parseString(hocon), SCHEMA, problems);
    assertThat(problems.problems()).isEmpty();
    return s;
  }

  static Row row(String id, String label, Instant time, String sender) {
    return RowFactory.create("r-" + id, id, "text of " + id, label, time == null ? null : Timestamp.from(time),
        sender);
  }

  /** {@code n} rows of {@code label}, ids {@code <prefix><i>}, one minute apart from T0. */
  static List<Row> rows(String prefix, String label, int n) {
    List<Row> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(row(prefix + i, label, T0.plusSeconds(60L * i), null));
    }
    return out;
  }

  static Dataset<Row> df(List<Row> rows) {
    return spark.createDataFrame(rows, ROW);
  }

  static Dataset<Row> links(String... pairs) {
    List<Row> out = new ArrayList<>();
    for (int i = 0; i < pairs.length; i += 2) {
      out.add(RowFactory.create("r-" + pairs[i], "r-" + pairs[i + 1]));
    }
    return spark.createDataFrame(out, LINK);
  }

  static Map<String, String> splitOf(Dataset<Row> assigned) {
    Map<String, String> out = new TreeMap<>();
    assigned.select("_record_id", "split").collectAsList().forEach(r -> out.put(r.getString(0), r.getString(1)));
    return out;
  }

  /** label -> split -> rows. */
  static Map<String, Map<String, Long>> counts(Dataset<Row> assigned, String by) {
    Map<String, Map<String, Long>> out = new TreeMap<>();
    for (Row r : assigned.groupBy("label", by).count().collectAsList()) {
      out.computeIfAbsent(r.getString(0), k -> new TreeMap<>()).put(String.valueOf(r.get(1)), r.getLong(2));
    }
    return out;
  }

  @Test
  void stratifiedCountsAreTheRoundedCumulativeTargets() {
    List<Row> rows = new ArrayList<>(rows("h", "ham", 50));
    rows.addAll(rows("s", "spam", 21));
    Splitter.Result r = Splitter.assign(df(rows), links(), settings("split.policy = stratified"), SCHEMA, 7,
        Splitter.Previous.NONE);
    // ham 50: cuts at round(50*0.8) = 40 and round(50*0.9) = 45 -> 40 / 5 / 5.
    // spam 21: cuts at round(16.8) = 17 and round(18.9) = 19 -> 17 / 2 / 2.
    assertThat(counts(r.assigned(), "split")).isEqualTo(Map.of(
        "ham", Map.of("train", 40L, "validation", 5L, "test", 5L),
        "spam", Map.of("train", 17L, "validation", 2L, "test", 2L)));
    assertThat(r.rejected().count()).isZero();
  }

  @Test
  void everyClassSizeFrom1To30IsWithinOneRowOfItsShare() {
    List<Row> rows = new ArrayList<>();
    for (int n = 1; n <= 30; n++) {
      rows.addAll(rows("c" + n + "-", "c" + n, n));
    }
    SplitSettings s = settings("split.fractions { train = 0.7, validation = 0.2, test = 0.1 }");
    Map<String, Map<String, Long>> counts = counts(Splitter.assign(df(rows), links(), s, SCHEMA, 3,
        Splitter.Previous.NONE).assigned(), "split");
    assertThat(counts).hasSize(30);
    counts.forEach((label, bySplit) -> {
      long n = Long.parseLong(label.substring(1));
      assertThat(bySplit.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(n);
      Map.of("train", 0.7, "validation", 0.2, "test", 0.1).forEach((split, f) ->
          assertThat(Math.abs(bySplit.getOrDefault(split, 0L) - n * f)).as(label + " " + split)
              .isLessThanOrEqualTo(1.0));
    });
  }

  @Test
  void sameSeedSameSplitsAtAnyPartitioningAnotherSeedDiffers() {
    List<Row> rows = new ArrayList<>(rows("h", "ham", 40));
    rows.addAll(rows("s", "spam", 20));
    SplitSettings s = settings("split.policy = stratified");
    Map<String, String> a = splitOf(Splitter.assign(df(rows), links(), s, SCHEMA, 42, Splitter.Previous.NONE)
        .assigned());
    Map<String, String> b = splitOf(Splitter.assign(df(rows).repartition(5), links(), s, SCHEMA, 42,
        Splitter.Previous.NONE).assigned());
    Map<String, String> other = splitOf(Splitter.assign(df(rows), links(), s, SCHEMA, 43, Splitter.Previous.NONE)
        .assigned());
    assertThat(b).isEqualTo(a);
    assertThat(other).isNotEqualTo(a);
    assertThat(other.values().stream().filter("train"::equals).count()).isEqualTo(48);
  }

  @Test
  void addingTenPercentNewRowsMovesNoOldRowAndKeepsTheProportions() {
    List<Row> old = new ArrayList<>(rows("h", "ham", 60));
    old.addAll(rows("s", "spam", 40));
    SplitSettings s = settings("split.policy = stratified");
    Dataset<Row> first = Splitter.assign(df(old), links(), s, SCHEMA, 42, Splitter.Previous.NONE).assigned();
    Map<String, String> before = splitOf(first);

    List<Row> grown = new ArrayList<>(old);
    grown.addAll(rows("hn", "ham", 6));
    grown.addAll(rows("sn", "spam", 4));
    Dataset<Row> second = Splitter.assign(df(grown), links(), s, SCHEMA, 42,
        new Splitter.Previous(first.select("_record_id", "split", "fold"), null, null)).assigned();
    Map<String, String> after = splitOf(second);
    before.forEach((id, split) -> assertThat(after.get(id)).as(id).isEqualTo(split));
    // ham 66: targets round(52.8) = 53 and round(59.4) = 59 -> 53 / 6 / 7 (old 48 / 6 / 6, new 5 / 0 / 1).
    // spam 44: targets round(35.2) = 35 and round(39.6) = 40 -> 35 / 5 / 4 (old 32 / 4 / 4, new 3 / 1 / 0).
    assertThat(counts(second, "split")).isEqualTo(Map.of(
        "ham", Map.of("train", 53L, "validation", 6L, "test", 7L),
        "spam", Map.of("train", 35L, "validation", 5L, "test", 4L)));
    // Without the memory, hash ranks shift and old rows would move: the memory is what keeps them.
    Map<String, String> fresh = splitOf(Splitter.assign(df(grown), links(), s, SCHEMA, 42, Splitter.Previous.NONE)
        .assigned());
    assertThat(before.keySet().stream().filter(id -> !before.get(id).equals(fresh.get(id))).count()).isPositive();
  }

  @Test
  void timeOrderedByFractionsWithGapIsStrictAndTiesGoToTheLaterSplit() {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      rows.add(row("t" + i, i % 2 == 0 ? "ham" : "spam", T0.plusSeconds(3600L * i), null));
    }
    rows.add(row("tie", "ham", T0.plusSeconds(3600L * 16), null));
    rows.add(row("none", "ham", null, null));
    SplitSettings s = settings("""
        split { policy = time, fractions { train = 0.6, validation = 0.2, test = 0.2 }, gap = 2h }
        """);
    Splitter.Result r = Splitter.assign(df(rows), links(), s, SCHEMA, 1, Splitter.Previous.NONE);
    // 21 timed rows in order t0..t15, (t16, tie), t17..t19. Cut-offs: the rows at index round(21*0.6) = 13
    // (t13) and round(21*0.8) = 17 (t16, which 'tie' shares). Train t < t13 - 2h, gap [t11, t13), validation
    // [t13, t16 - 2h) = t13, gap t14, t15, test t16, tie, t17..t19.
    assertThat(r.validationCutoff()).isEqualTo(T0.plusSeconds(3600L * 13));
    assertThat(r.testCutoff()).isEqualTo(T0.plusSeconds(3600L * 16));
    Map<String, String> split = splitOf(r.assigned());
    for (int i = 0; i < 20; i++) {
      String expected = i <= 10 ? "train" : i <= 12 ? "gap" : i == 13 ? "validation" : i <= 15 ? "gap" : "test";
      assertThat(split.get("r-t" + i)).as("t" + i).isEqualTo(expected);
    }
    assertThat(split.get("r-tie")).isEqualTo("test");
    assertThat(r.rejected().select("_record_id", Splitter.REASON).collectAsList())
        .containsExactly(RowFactory.create("r-none", Splitter.MISSING_EVENT_TIME));
    List<LeakageChecks.Check> checks = LeakageChecks.run(r.assigned(), links(), s, SCHEMA);
    assertThat(checks).allMatch(LeakageChecks.Check::passed);
    assertThat(checks.stream().filter(c -> c.name().equals(LeakageChecks.TIME_ORDER)).findFirst().get().detail())
        .contains("train ends 2002-08-01T10:00:00Z, validation starts 2002-08-01T13:00:00Z");
  }

  @Test
  void timeOrderedByExplicitCutoffsAndReusedCutoffsKeepOldRows() {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      rows.add(row("t" + i, "ham", T0.plusSeconds(86400L * i), null));
    }
    SplitSettings s = settings("""
        split { policy = time, cutoffs { validation = "2002-08-05T00:00:00Z", test = "2002-08-08T00:00:00Z" } }
        """);
    Map<String, Long> bySplit = new TreeMap<>();
    Splitter.assign(df(rows), links(), s, SCHEMA, 1, Splitter.Previous.NONE).assigned().groupBy("split").count()
        .collectAsList().forEach(r -> bySplit.put(r.getString(0), r.getLong(1)));
    assertThat(bySplit).isEqualTo(Map.of("train", 4L, "validation", 3L, "test", 3L));

    // By fractions, a second run given the first run's cut-offs places new (later) rows after them.
    SplitSettings byFraction = settings("split { policy = time, fractions { train = 0.5, test = 0.5 } }");
    Splitter.Result first = Splitter.assign(df(rows), links(), byFraction, SCHEMA, 1, Splitter.Previous.NONE);
    assertThat(first.testCutoff()).isEqualTo(T0.plusSeconds(86400L * 5));
    List<Row> grown = new ArrayList<>(rows);
    grown.add(row("new", "ham", T0.plusSeconds(86400L * 30), null));
    Splitter.Result second = Splitter.assign(df(grown), links(), byFraction, SCHEMA, 1,
        new Splitter.Previous(null, first.validationCutoff(), first.testCutoff()));
    assertThat(second.testCutoff()).isEqualTo(first.testCutoff());
    Map<String, String> before = splitOf(first.assigned());
    Map<String, String> after = splitOf(second.assigned());
    before.forEach((id, sp) -> assertThat(after.get(id)).isEqualTo(sp));
    assertThat(after.get("r-new")).isEqualTo("test");
  }

  @Test
  void groupsNeverShareASplitAndNullGroupsStandAlone() {
    List<Row> rows = new ArrayList<>();
    int[] sizes = {9, 7, 5, 4, 3, 3, 2, 1, 1, 1};
    for (int g = 0; g < sizes.length; g++) {
      for (int i = 0; i < sizes[g]; i++) {
        rows.add(row("g" + g + "-" + i, i % 3 == 0 ? "spam" : "ham", T0, "sender" + g + "@x.org"));
      }
    }
    rows.add(row("lone1", "ham", T0, null));
    rows.add(row("lone2", "spam", T0, null));
    SplitSettings s = settings("split { policy = group, group-column = sender, folds = 3 }");
    Splitter.Result r = Splitter.assign(df(rows), links(), s, SCHEMA, 11, Splitter.Previous.NONE);
    Dataset<Row> a = r.assigned();
    assertThat(a.count()).isEqualTo(38);
    assertThat(a.filter(col("sender").isNotNull()).groupBy("sender").agg(
        org.apache.spark.sql.functions.countDistinct("split").as("n"),
        org.apache.spark.sql.functions.countDistinct("fold").as("f")).filter("n > 1 OR f > 1").count()).isZero();
    assertThat(LeakageChecks.run(a, links(), s, SCHEMA)).allMatch(LeakageChecks.Check::passed);
    // Folds exist exactly outside test.
    assertThat(a.filter("split = 'test' AND fold IS NOT NULL").count()).isZero();
    assertThat(a.filter("split <> 'test' AND fold IS NULL").count()).isZero();
  }

  @Test
  void stratifiedFoldsAreBalancedWithinOneRowPerClass() {
    List<Row> rows = new ArrayList<>(rows("h", "ham", 24));
    rows.addAll(rows("s", "spam", 10));
    SplitSettings s = settings("split { fractions { train = 1.0 }, folds = 3 }");
    Dataset<Row> a = Splitter.assign(df(rows), links(), s, SCHEMA, 5, Splitter.Previous.NONE).assigned();
    // ham 24 -> 8 / 8 / 8; spam 10: cuts at round(10/3) = 3 and round(20/3) = 7 -> 3 / 4 / 3.
    assertThat(counts(a, "fold")).isEqualTo(Map.of(
        "ham", Map.of("0", 8L, "1", 8L, "2", 8L),
        "spam", Map.of("0", 3L, "1", 4L, "2", 3L)));
    assertThat(a.select("split").distinct().collectAsList()).containsExactly(RowFactory.create("train"));
  }

  @Test
  void aNearDuplicatePairARandomSplitWouldSeparateStaysTogether() {
    List<Row> rows = new ArrayList<>(rows("h", "ham", 30));
    rows.addAll(rows("s", "spam", 10));
    Dataset<Row> pair = links("h3", "h17");
    SplitSettings apart = settings("split.near-duplicates = fail");
    SplitSettings together = settings("split.near-duplicates = together");
    // Seed 7 is one under which rows assigned one by one put the pair on both sides: found once by trying seeds
    // 1, 2, ... (1 to 6 happen to keep them together). The failing check below proves it still separates them.
    long seed = 7;

    Dataset<Row> failing = Splitter.assign(df(rows), pair, apart, SCHEMA, seed, Splitter.Previous.NONE).assigned();
    LeakageChecks.Check check = LeakageChecks.run(failing, pair, apart, SCHEMA).stream()
        .filter(c -> c.name().equals(LeakageChecks.NEAR_DUPLICATES)).findFirst().orElseThrow();
    assertThat(check.passed()).isFalse();
    assertThat(check.detail()).startsWith("1 near-duplicate pairs span splits, e.g. r-h3 (").contains("r-h17 (");

    Dataset<Row> kept = Splitter.assign(df(rows), pair, together, SCHEMA, seed, Splitter.Previous.NONE).assigned();
    Map<String, String> m = splitOf(kept);
    assertThat(m.get("r-h3")).isEqualTo(m.get("r-h17"));
    assertThat(LeakageChecks.run(kept, pair, together, SCHEMA)).allMatch(LeakageChecks.Check::passed);
    assertThat(kept.count()).isEqualTo(40);
  }

  @Test
  void underTheTimePolicyTheLaterMemberOfASpanningClusterIsQuarantined() {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      rows.add(row("t" + i, "ham", T0.plusSeconds(3600L * i), null));
    }
    SplitSettings s = settings("split { policy = time, fractions { train = 0.5, test = 0.5 } }");
    Splitter.Result r = Splitter.assign(df(rows), links("t8", "t1"), s, SCHEMA, 1, Splitter.Previous.NONE);
    assertThat(r.assigned().count()).isEqualTo(9);
    List<Row> rejected = r.rejected().select("_record_id", Splitter.REASON, Splitter.MESSAGE).collectAsList();
    assertThat(rejected).hasSize(1);
    assertThat(rejected.get(0).getString(1)).isEqualTo(Splitter.NEAR_DUPLICATE_ACROSS_SPLITS);
    assertThat(rejected.get(0).getString(2)).isEqualTo("Cannot place record r-t8 in split test: it is a near "
        + "duplicate of record r-t1 in split train, and a time-ordered split cannot keep both in one split. Remove "
        + "the duplicate at the source, or set features.split.near-duplicates = fail to stop instead.");
  }

  @Test
  void aLabelOnlyInTheGapFailsTheLabelCheck() {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      rows.add(row("t" + i, i == 4 ? "spam" : "ham", T0.plusSeconds(3600L * i), null));
    }
    // Test starts at t5 (index round(10 * 0.5)); with a 1 h gap t4 is in the gap, the only spam row.
    SplitSettings s = settings("split { policy = time, fractions { train = 0.5, test = 0.5 }, gap = 1h }");
    Splitter.Result r = Splitter.assign(df(rows), links(), s, SCHEMA, 1, Splitter.Previous.NONE);
    assertThat(splitOf(r.assigned()).get("r-t4")).isEqualTo("gap");
    LeakageChecks.Check labels = LeakageChecks.run(r.assigned(), links(), s, SCHEMA).stream()
        .filter(c -> c.name().equals(LeakageChecks.LABELS)).findFirst().orElseThrow();
    assertThat(labels.passed()).isFalse();
    assertThat(labels.detail()).startsWith("labels missing from train: 'spam' in gap.");
  }

  @Test
  void cumulativeNeedsFillOnlyWhatOldRowsLack() {
    List<BigDecimal> f = List.of(new BigDecimal("0.8"), new BigDecimal("0.1"), new BigDecimal("0.1"));
    assertThat(Splitter.cumulativeNeeds(5, f, new long[3])).containsExactly(4, 5, 5);
    assertThat(Splitter.cumulativeNeeds(66, f, new long[] {48, 6, 6})).containsExactly(5, 5, 6);
    // Old rows over their target take nothing and never move: train holds 10 of 11 rows' target 9.
    assertThat(Splitter.cumulativeNeeds(11, f, new long[] {10, 0, 0})).containsExactly(0, 1, 2);
  }
}
