package dev.lakepipe.clean;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.typesafe.config.ConfigFactory;
import dev.lakepipe.core.config.ConfigProblems;
import dev.lakepipe.core.config.DatasetSchema;
import dev.lakepipe.core.testing.SparkTestBase;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

class NearDuplicatesTest extends SparkTestBase {

  private static final StructType SCHEMA = new StructType()
      .add("_record_id", DataTypes.StringType, false)
      .add("text", DataTypes.StringType, true);

  private static final DatasetSchema DATASET = new DatasetSchema("test", "id", List.of("text", "subject"),
      "label", null, List.of(), List.of(), List.of());

  /** Defaults, with the given shingle size and bucket cap. */
  private static NearDuplicates.Settings settings(int shingleSize, int maxBucketSize) {
    return new NearDuplicates.Settings(true, "text", shingleSize, 16, 4, 0.8, maxBucketSize, 42L);
  }

  private static Dataset<Row> rows(String... idThenText) {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < idThenText.length; i += 2) {
      rows.add(RowFactory.create(idThenText[i], idThenText[i + 1]));
    }
    return spark.createDataFrame(rows, SCHEMA);
  }

  private static Map<String, String> clusters(NearDuplicates.Result r) {
    return r.components().collectAsList().stream()
        .collect(Collectors.toMap(x -> x.getString(0), x -> x.getString(1), (a, b) -> a + "|" + b, TreeMap::new));
  }

  private static Map<String, Double> pairs(NearDuplicates.Result r) {
    return r.pairs().collectAsList().stream()
        .collect(Collectors.toMap(x -> x.getString(0) + "~" + x.getString(1), x -> x.getDouble(2), (a, b) -> -1.0,
            TreeMap::new));
  }

  @Test
  void nearDuplicatesChainIntoOneClusterNamedBySmallestId() {
    // Shingle size 1: a text's shingles are its distinct letters, so the Jaccard values are easy to check.
    // A = a..j (10), B = a..k (11), C = b..l (11).
    // J(A,B) = 10/11 = 0.909, J(B,C) = |b..k| / |a..l| = 10/12 = 0.833, J(A,C) = |b..j| / |a..l| = 9/12 = 0.75.
    Dataset<Row> in = rows("id-b", "abcdefghijk", "id-c", "bcdefghijkl", "id-a", "abcdefghij",
        "id-x", "zyxwvutsrq");

    NearDuplicates.Result r = NearDuplicates.find(in, settings(1, 1000));

    assertThat(clusters(r)).isEqualTo(Map.of("id-a", "id-a", "id-b", "id-a", "id-c", "id-a"));
    assertThat(pairs(r)).containsOnlyKeys("id-a~id-b", "id-b~id-c");
    assertThat(pairs(r).get("id-a~id-b")).isCloseTo(10.0 / 11, within(1e-12));
    assertThat(pairs(r).get("id-b~id-c")).isCloseTo(10.0 / 12, within(1e-12));
    assertThat(r.stats().rows()).isEqualTo(4);
    assertThat(r.stats().verifiedPairs()).isEqualTo(2);
    assertThat(r.stats().candidatePairs()).isGreaterThanOrEqualTo(2);
    assertThat(r.stats().oversizedBuckets()).isZero();
  }

  @Test
  void pairsBelowTheThresholdDoNotLink() {
    // D = m..t (8 letters), E = m..s plus u: 7 shared of 9, J = 0.778 < 0.8.
    Dataset<Row> in = rows("id-d", "mnopqrst", "id-e", "mnopqrsu");

    NearDuplicates.Result r = NearDuplicates.find(in, settings(1, 1000));

    assertThat(r.components().count()).isZero();
    assertThat(r.pairs().count()).isZero();
    assertThat(r.stats().verifiedPairs()).isZero();
  }

  @Test
  void chineseTextWithoutSpacesIsShingledByCharacters() {
    // 15 distinct characters give 14 distinct bigrams; B adds one character and so one bigram: J = 14/15.
    String a = "我们明天早上去公园散步然后喝茶";
    Dataset<Row> in = rows("zh-1", a, "zh-2", a + "吧", "zh-3", "他昨晚在家里看书写字听音乐");

    NearDuplicates.Result r = NearDuplicates.find(in, settings(2, 1000));

    assertThat(clusters(r)).isEqualTo(Map.of("zh-1", "zh-1", "zh-2", "zh-1"));
    assertThat(pairs(r)).containsOnlyKeys("zh-1~zh-2");
    assertThat(pairs(r).get("zh-1~zh-2")).isCloseTo(14.0 / 15, within(1e-12));
  }

  @Test
  void nullAndEmptyTextNeverLink() {
    Dataset<Row> in = rows("n1", null, "n2", null, "e1", "", "e2", "", "t1", "some text", "t2", "other words");

    NearDuplicates.Result r = NearDuplicates.find(in, settings(5, 1000));

    assertThat(r.components().count()).isZero();
    assertThat(r.pairs().count()).isZero();
    assertThat(r.stats().rows()).isEqualTo(6);
    assertThat(r.stats().candidatePairs()).isZero();
  }

  @Test
  void shinglesAndJaccardMatchAHandWorkedExample() {
    // k = 2, lower-cased: "ABCDE" -> {ab, bc, cd, de}; "abcdf" -> {ab, bc, cd, df}: 3 shared of 5, J = 0.6.
    // "xy" is shorter than k = 3 in the second check: one shingle of the whole text.
    Dataset<Row> in = rows("p", "ABCDE", "q", "abcdf");
    NearDuplicates.Settings k2 = settings(2, 1000);
    Dataset<Row> sh = in.select(col("_record_id"), col("text"), NearDuplicates.shingles(col("text"), k2).as("sh"));
    Dataset<Row> both = sh.as("l").crossJoin(sh.as("r"))
        .filter(col("l._record_id").equalTo("p").and(col("r._record_id").equalTo("q")))
        .select(size("l.sh"), size("r.sh"), NearDuplicates.textJaccard(col("l.text"), col("r.text"), k2));

    Row row = both.first();
    assertThat(row.getInt(0)).isEqualTo(4);
    assertThat(row.getInt(1)).isEqualTo(4);
    assertThat(row.getDouble(2)).isCloseTo(0.6, within(1e-12));
    // The packed sets the search shuffles give the same Jaccard, merged in place.
    int[] p = MinHash.shingles("ABCDE", 2);
    int[] q = MinHash.shingles("abcdf", 2);
    assertThat(MinHash.unpack(MinHash.pack(p))).containsExactly(p);
    assertThat(MinHash.jaccard(MinHash.pack(p), MinHash.pack(q))).isCloseTo(0.6, within(1e-12));
    // Negative hashes sort first and survive packing: {-5, -1, 7} and {-1, 7, 9} share 2 of 4.
    assertThat(MinHash.jaccard(MinHash.pack(new int[] {-5, -1, 7}), MinHash.pack(new int[] {-1, 7, 9})))
        .isEqualTo(0.5);

    assertThat(MinHash.shingles("abcd", 2)).isSorted().hasSize(3);
    assertThat(MinHash.shingles("ABAB", 2)).hasSize(2);
    assertThat(MinHash.shingles("xy", 3)).hasSize(1).containsExactly(MinHash.shingles("xy", 2));
    assertThat(MinHash.shingles(null, 3)).isEmpty();
    assertThat(MinHash.shingles("", 3)).isEmpty();

    Dataset<Row> empties = rows("e", "", "f", null);
    List<Row> e = empties.select(NearDuplicates.textJaccard(col("text"), col("text"), k2)).collectAsList();
    assertThat(e).extracting(r -> r.getDouble(0)).containsExactly(0.0, 0.0);
    assertThat(MinHash.jaccard((byte[]) null, null)).isZero();
  }

  @Test
  void sameResultForOneAndSevenPartitions() {
    List<Row> rows = new ArrayList<>();
    String base = "the quarterly report is attached please review the numbers before friday";
    for (int i = 0; i < 60; i++) {
      // 60 copies of one text (oversized with a cap of 20), and 60 variants with one or two words changed.
      rows.add(RowFactory.create(String.format(Locale.ROOT, "c%03d", (i * 37) % 60), base));
      String variant = base.replace("friday", "day" + (i % 7)).replace("numbers", i % 2 == 0 ? "numbers" : "sums");
      rows.add(RowFactory.create(String.format(Locale.ROOT, "v%03d", i), variant + " " + "x".repeat(i % 5)));
    }
    Dataset<Row> in = spark.createDataFrame(rows, SCHEMA);
    NearDuplicates.Settings s = settings(5, 20);

    NearDuplicates.Result one = NearDuplicates.find(in.repartition(1), s);
    NearDuplicates.Result seven = NearDuplicates.find(in.repartition(7), s);

    assertThat(sorted(seven.components())).isEqualTo(sorted(one.components()));
    assertThat(sorted(seven.pairs())).isEqualTo(sorted(one.pairs()));
    assertThat(seven.stats()).isEqualTo(one.stats());
    assertThat(one.stats().oversizedBuckets()).isPositive();
    assertThat(sorted(one.components())).isNotEmpty();
  }

  @Test
  void oversizedBucketsAreWindowedNotExpanded() {
    // 3000 identical texts fill one bucket per band (16) of 3000 > 100 members. Sorted by id, each row pairs
    // with its 16 predecessors: 16 * 3000 - (1 + ... + 16) = 47,864 pairs, the same in every band.
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 3000; i++) {
      rows.add(RowFactory.create(String.format(Locale.ROOT, "r%04d", i), "Limited offer! Buy now, pay later."));
    }
    Dataset<Row> in = spark.createDataFrame(rows, SCHEMA);

    NearDuplicates.Result r = NearDuplicates.find(in, settings(5, 100));

    assertThat(r.stats()).isEqualTo(new NearDuplicates.Stats(3000, 47_864, 47_864, 16, 3000));
    assertThat(r.components().count()).isEqualTo(3000);
    assertThat(r.components().select("cluster_id").distinct().collectAsList())
        .extracting(x -> x.getString(0)).containsExactly("r0000");
  }

  @Test
  void settingsDefaultAndReportBadKeys() {
    ConfigProblems ok = new ConfigProblems("test");
    NearDuplicates.Settings d = NearDuplicates.Settings.parse(ConfigFactory.empty(), "clean.near-duplicates",
        DATASET, ok);
    assertThat(ok.problems()).isEmpty();
    assertThat(d).isEqualTo(new NearDuplicates.Settings(true, "text", 5, 16, 4, 0.8, 1000, 42L));

    ConfigProblems bad = new ConfigProblems("test");
    NearDuplicates.Settings.parse(ConfigFactory.parseString(
        "jacard-threshold = 0.9, bands = 0, jaccard-threshold = 1.5, seed = abc, column = body, enabled = maybe"),
        "clean.near-duplicates", DATASET, bad);
    assertThat(bad.problems()).containsExactlyInAnyOrder(
        "Unknown key clean.near-duplicates.jacard-threshold. Did you mean 'clean.near-duplicates.jaccard-threshold'?",
        "Key clean.near-duplicates.bands must be at least 1, got 0.",
        "Key clean.near-duplicates.jaccard-threshold must be above 0 and at most 1, got 1.5. "
            + "Use a Jaccard similarity such as 0.8.",
        "Key clean.near-duplicates.seed must be a whole number, got 'abc'.",
        "Key clean.near-duplicates.column names 'body', which is not a text column in dataset.columns.text "
            + "(text, subject). Name one of those.",
        "Key clean.near-duplicates.enabled must be true or false, got 'maybe'.");

    ConfigProblems other = new ConfigProblems("test");
    assertThat(NearDuplicates.Settings.parse(ConfigFactory.parseString("column = subject, rows-per-band = 5"),
        "clean.near-duplicates", DATASET, other)).extracting(NearDuplicates.Settings::column,
        NearDuplicates.Settings::rowsPerBand).containsExactly("subject", 5);
    assertThat(other.problems()).isEmpty();
  }

  private static List<String> sorted(Dataset<Row> d) {
    return d.collectAsList().stream().map(Row::toString).sorted().collect(Collectors.toList());
  }

  private static org.apache.spark.sql.Column size(String c) {
    return org.apache.spark.sql.functions.size(col(c));
  }

  @SuppressWarnings("unused")
  private static String show(int[] a) {
    return Arrays.toString(a);
  }
}
