package dev.lakepipe.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import com.typesafe.config.ConfigFactory;
import dev.lakepipe.core.config.ConfigProblems;
import dev.lakepipe.core.config.DatasetSchema;
import dev.lakepipe.core.testing.SparkTestBase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.feature.HashingTF;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fitted feature pipeline on real Spark with hand-built rows. One model ({@link #fitted}) is fitted once on
 * the eight TRAIN rows and shared; the other fits change one thing each. Every expected number is worked out by
 * hand from the TRAIN rows alone in the comments.
 */
class FeaturePipelineTest extends SparkTestBase {

  private static final DatasetSchema SCHEMA = new DatasetSchema("t", "id", List.of("text", "subject"), "label",
      "event_time", List.of("size_bytes"), List.of("sender", "content_type"), List.of("id", "text", "label"));
  private static final StructType SILVER = SCHEMA.sparkSchema()
      .add("_record_id", DataTypes.StringType)
      .add("run_id", DataTypes.StringType);
  private static final double LN_9_2 = Math.log(9.0 / 2.0);
  private static final double LN_3 = Math.log(3.0);
  private static final double LN_9_4 = Math.log(9.0 / 4.0);

  /**
   * Train rows. size_bytes valid values 0, 2, 4, 8, 20, 38, 40 (7 values, t8 missing): the median is the 4th
   * smallest, 8, unambiguous for an odd count (Spark's approxQuantile gives the same on 7 values; the pipeline
   * computes it exactly anyway). The mean of the valid values is 112 / 7 = 16, so median and mean imputation
   * differ. After filling t8 with 8 the values are 0, 2, 4, 8, 20, 38, 40, 8: mean 120 / 8 = 15, deviations
   * -15, -13, -11, -7, 5, 23, 25, -7, squares summing to 1792, sample variance 1792 / 7 = 256, std 16.
   * Labels: 6 ham, 2 spam. Text terms (words, lowercased; t8's subject joins its text) and their document
   * frequencies over the 8 documents: at, noon 3; meeting, project, notes, the, cheap 2; every other term 1.
   */
  private static final List<Row> TRAIN = List.of(
      row("t1", "Meeting at noon", null, "ham", "2002-08-22T11:26:25Z", 0.0, "a@x", "text/plain"),
      row("t2", "Lunch at noon?", null, "ham", "2002-08-23T09:00:00Z", 2.0, "a@x", "text/plain"),
      row("t3", "Project meeting notes", null, "ham", "2002-08-24T10:00:00Z", 4.0, "b@x", "text/plain"),
      row("t4", "Notes for the project", null, "ham", "2002-08-25T11:00:00Z", 8.0, "b@x", "text/plain"),
      row("t5", "Call me at noon", null, "ham", "2002-08-26T12:00:00Z", 20.0, "a@x", "text/plain"),
      row("t6", "The report isn't ready", null, "ham", "2002-08-27T13:00:00Z", 38.0, "b@x", "text/plain"),
      row("t7", "Cheap pills, CHEAP!", null, "spam", "2002-08-28T14:00:00Z", 40.0, "s@spam", "text/html"),
      row("t8", "Win cheap prizes now", "Prizes", "spam", null, null, "s@spam", null));

  /** Test rows, far from the train distribution: size_bytes 100 and 300; unseen and null categories. */
  private static final List<Row> TEST = List.of(
      row("s1", "Cheap lottery tickets", null, "spam", "2024-02-29T23:30:00Z", 100.0, "new@y", "text/html"),
      row("s2", "noon meeting", null, "ham", null, 300.0, null, "image/png"),
      row("s3", null, "Re: meeting", "ham", "2003-01-05T00:00:00Z", null, "a@x", "text/plain"));

  private static final String ALL_PARTS = "event-time.parts = [hour, day-of-week, day-of-month, month, year]";

  // Slots of the shared model: text 0-4095, then numeric, indicator, sender (a@x, b@x, s@spam, unknown),
  // content_type (text/html, text/plain, unknown), then hour, day-of-week, day-of-month, month, year, missing.
  private static final int NUMERIC = 4096;
  private static final int MISSING = 4097;
  private static final int SENDER = 4098;
  private static final int CONTENT_TYPE = 4102;
  private static final int TIME = 4105;

  private static FittedFeatures fitted;

  private static String wholeStageCodegen;

  /**
   * Fits the shared model. Whole-stage code generation is off while this class runs: it compiles every new plan
   * shape with Janino, and these ~40 small, different plans spent more time compiling than computing (about
   * 60 s instead of 33 s). Expressions are still compiled; the setting is restored for other test classes.
   */
  @BeforeAll
  static void fitShared() {
    wholeStageCodegen = spark.conf().get("spark.sql.codegen.wholeStage");
    spark.conf().set("spark.sql.codegen.wholeStage", "false");
    fitted = FeaturePipeline.fit(train(), settings(ALL_PARTS), SCHEMA);
  }

  @AfterAll
  static void restoreCodegen() {
    spark.conf().set("spark.sql.codegen.wholeStage", wholeStageCodegen);
  }

  private static Row row(String id, String text, String subject, String label, String eventTime, Double size,
      String sender, String contentType) {
    return RowFactory.create(id, text, subject, label, eventTime == null ? null : Timestamp.from(
        Instant.parse(eventTime)), size, sender, contentType, "r-" + id, "clean-1");
  }

  private static Dataset<Row> train() {
    return spark.createDataFrame(TRAIN, SILVER);
  }

  private static Dataset<Row> test() {
    return spark.createDataFrame(TEST, SILVER);
  }

  private static FeatureSettings settings(String hocon) {
    ConfigProblems problems = new ConfigProblems("test");
    FeatureSettings s = FeatureSettings.parse(ConfigFactory.parseString(hocon), SCHEMA, problems);
    problems.throwIfAny();
    return s;
  }

  /** id to features vector. */
  private static Map<String, Vector> vectors(Dataset<Row> rows) {
    Map<String, Vector> out = new TreeMap<>();
    rows.select("id", FeaturePipeline.FEATURES).collectAsList().forEach(r -> out.put(r.getString(0), r.getAs(1)));
    return out;
  }

  /** The non-zero entries of {@code v} within [from, to). */
  private static Map<Integer, Double> nonZero(Vector v, int from, int to) {
    Map<Integer, Double> out = new TreeMap<>();
    for (int i = from; i < to; i++) {
      if (v.apply(i) != 0.0) {
        out.put(i, v.apply(i));
      }
    }
    return out;
  }

  private static int slot(String term, int numFeatures) {
    return new HashingTF().setNumFeatures(numFeatures).indexOf(term);
  }

  private static List<Row> sorted(Dataset<Row> rows) {
    return rows.orderBy("id").collectAsList();
  }

  /**
   * The descriptions of the Spark jobs {@code body} starts. Marker jobs before and after bound them: the listener
   * bus delivers events in order, so once the closing marker has arrived every job in between has too.
   */
  private static List<String> jobsStartedBy(Runnable body) {
    List<String> started = new CopyOnWriteArrayList<>();
    SparkListener listener = new SparkListener() {
      @Override
      public void onJobStart(SparkListenerJobStart job) {
        started.add(String.valueOf(job.properties().getProperty("spark.job.description")));
      }
    };
    spark.sparkContext().addSparkListener(listener);
    try {
      spark.sparkContext().setJobDescription("before");
      spark.range(1).collectAsList();
      spark.sparkContext().setJobDescription(null);
      body.run();
      spark.sparkContext().setJobDescription("after");
      spark.range(1).collectAsList();
      long deadline = System.nanoTime() + 30_000_000_000L;
      while (!started.contains("after") && System.nanoTime() < deadline) {
        Thread.onSpinWait();
      }
      assertThat(started).contains("before", "after");
      return started.subList(started.lastIndexOf("before") + 1, started.indexOf("after"));
    } finally {
      spark.sparkContext().setJobDescription(null);
      spark.sparkContext().removeSparkListener(listener);
    }
  }

  // ---- numeric: the acceptance point ---------------------------------------------------------------------

  @Test
  void numericStatisticsAreThoseOfTheTrainRowsAloneComputedByHand() {
    Map<String, String> stats = fitted.statistics();
    // Median of 0, 2, 4, 8, 20, 38, 40 is 8; after filling t8: mean 15, sample std 16 (class comment).
    assertThat(stats).containsEntry("numeric.size_bytes.impute", "median")
        .containsEntry("numeric.size_bytes.fill", "8.0")
        .containsEntry("numeric.size_bytes.missing", "1")
        .containsEntry("numeric.size_bytes.mean", "15.0")
        .containsEntry("numeric.size_bytes.std", "16.0");

    // (x - 15) / 16: train t1 0 -> -0.9375, t7 40 -> 1.5625, t8 missing -> 8 -> -0.4375;
    // test s1 100 -> 5.3125, s2 300 -> 17.8125, s3 missing -> -0.4375.
    Map<String, Vector> train = vectors(fitted.transform(train()));
    Map<String, Vector> test = vectors(fitted.transform(test()));
    assertThat(train.get("t1").apply(NUMERIC)).isEqualTo(-0.9375);
    assertThat(train.get("t7").apply(NUMERIC)).isEqualTo(1.5625);
    assertThat(train.get("t8").apply(NUMERIC)).isEqualTo(-0.4375);
    assertThat(test.get("s1").apply(NUMERIC)).isEqualTo(5.3125);
    assertThat(test.get("s2").apply(NUMERIC)).isEqualTo(17.8125);
    assertThat(test.get("s3").apply(NUMERIC)).isEqualTo(-0.4375);
  }

  @Test
  void fittingOnAllRowsWouldGiveOtherStatisticsSoTheSharedModelSawOnlyTrain() {
    // All 11 rows: valid 0, 2, 4, 8, 20, 38, 40, 100, 300 -> median (5th of 9) 20, not 8. Filling t8 and s3
    // with 20: sum 512 + 40 = 552, mean 552 / 11 = 50.18..., not 15. IDF over 11 documents: noon is in t1, t2,
    // t5, s2 -> ln(12 / 5) instead of the train-only ln(9 / 4); lottery (s1 only) -> ln(12 / 2) instead of 0.
    FittedFeatures all = FeaturePipeline.fit(train().union(test()), settings(ALL_PARTS), SCHEMA);

    assertThat(all.statistics()).containsEntry("numeric.size_bytes.fill", "20.0")
        .containsEntry("text.train-documents", "11");
    assertThat(Double.parseDouble(all.statistics().get("numeric.size_bytes.mean")))
        .isCloseTo(552.0 / 11.0, within(1e-12));
    Vector s1 = vectors(all.transform(test())).get("s1");
    Vector s2 = vectors(all.transform(test())).get("s2");
    assertThat(s2.apply(slot("noon", 4096))).isCloseTo(Math.log(12.0 / 5.0), within(1e-12));
    assertThat(s1.apply(slot("lottery", 4096))).isCloseTo(Math.log(6.0), within(1e-12));

    assertThat(fitted.statistics()).containsEntry("text.train-documents", "8");
    assertThat(vectors(fitted.transform(test())).get("s2").apply(slot("noon", 4096)))
        .isCloseTo(LN_9_4, within(1e-12));
  }

  @Test
  void missingIndicatorsMarkNullAndNanBeforeImputation() {
    Map<String, Vector> train = vectors(fitted.transform(train()));
    Map<String, Vector> test = vectors(fitted.transform(test()));
    assertThat(train.entrySet().stream().filter(e -> e.getValue().apply(MISSING) == 1.0).map(Map.Entry::getKey))
        .containsExactly("t8");
    assertThat(test.entrySet().stream().filter(e -> e.getValue().apply(MISSING) == 1.0).map(Map.Entry::getKey))
        .containsExactly("s3");

    // NaN is missing too: filled with 8 -> (8 - 15) / 16 = -0.4375, indicator 1.
    Dataset<Row> nan = spark.createDataFrame(
        List.of(row("n1", "noon", null, "ham", null, Double.NaN, "a@x", "text/plain")), SILVER);
    Vector v = vectors(fitted.transform(nan)).get("n1");
    assertThat(v.apply(NUMERIC)).isEqualTo(-0.4375);
    assertThat(v.apply(MISSING)).isEqualTo(1.0);
  }

  @Test
  void sameTrainRowsInOtherPartitionsGiveTheSameModel() {
    FittedFeatures three = FeaturePipeline.fit(train().repartition(3), settings(ALL_PARTS), SCHEMA);

    assertThat(three.statistics()).isEqualTo(fitted.statistics());
    assertThat(sorted(three.transform(test()))).isEqualTo(sorted(fitted.transform(test())));
  }

  // ---- categorical ---------------------------------------------------------------------------------------

  @Test
  void oneHotHasASlotPerTrainCategoryAndOneUnknownSlotForUnseenValuesAndNulls() {
    assertThat(fitted.statistics())
        .containsEntry("categorical.sender.categories", "3")
        .containsEntry("categorical.sender.values", "a@x, b@x, s@spam")
        // t8's null content type is not a category: only the two train values are.
        .containsEntry("categorical.content_type.categories", "2")
        .containsEntry("categorical.content_type.values", "text/html, text/plain")
        .containsEntry("categorical.content_type.encoding", "one-hot")
        .containsEntry("categorical.content_type.train-values", "2")
        .containsEntry("categorical.content_type.null-train-rows", "1")
        .containsEntry("categorical.content_type.unknown-train-rows", "1")
        .containsEntry("categorical.sender.unknown-train-rows", "0");

    Map<String, Vector> test = vectors(fitted.transform(test()));
    Map<String, Vector> train = vectors(fitted.transform(train()));
    // sender slots 4098-4101: a@x, b@x, s@spam, unknown. new@y (test only) and null both go to unknown.
    assertThat(nonZero(test.get("s1"), SENDER, SENDER + 4)).containsExactly(Map.entry(SENDER + 3, 1.0));
    assertThat(nonZero(test.get("s2"), SENDER, SENDER + 4)).containsExactly(Map.entry(SENDER + 3, 1.0));
    assertThat(nonZero(test.get("s3"), SENDER, SENDER + 4)).containsExactly(Map.entry(SENDER, 1.0));
    assertThat(nonZero(train.get("t7"), SENDER, SENDER + 4)).containsExactly(Map.entry(SENDER + 2, 1.0));
    // content_type slots 4102-4104: text/html, text/plain, unknown.
    assertThat(nonZero(test.get("s1"), CONTENT_TYPE, CONTENT_TYPE + 3)).containsExactly(Map.entry(CONTENT_TYPE, 1.0));
    assertThat(nonZero(test.get("s2"), CONTENT_TYPE, CONTENT_TYPE + 3))
        .containsExactly(Map.entry(CONTENT_TYPE + 2, 1.0));
    assertThat(nonZero(test.get("s3"), CONTENT_TYPE, CONTENT_TYPE + 3))
        .containsExactly(Map.entry(CONTENT_TYPE + 1, 1.0));
    assertThat(nonZero(train.get("t8"), CONTENT_TYPE, CONTENT_TYPE + 3))
        .containsExactly(Map.entry(CONTENT_TYPE + 2, 1.0));
  }

  @Test
  void indexEncodingMeanImputationAndNoScalingOrIndicators() {
    FittedFeatures indexed = FeaturePipeline.fit(train(), settings("""
        text.num-features = 16
        numeric { impute = mean, missing-indicators = false, standardize = false }
        categorical.encoding = index
        class-weights = none
        """), SCHEMA);

    // Layout: text 0-15, size_bytes 16 (raw, filled with the train mean 112 / 7 = 16), sender 17, content_type 18.
    assertThat(indexed.featureSize()).isEqualTo(19);
    assertThat(indexed.statistics()).containsEntry("numeric.size_bytes.fill", "16.0")
        .doesNotContainKeys("numeric.size_bytes.mean", "numeric.size_bytes.std")
        .containsEntry("vector.layout", "text.tfidf 0-15; numeric.size_bytes 16; categorical.sender 17; "
            + "categorical.content_type 18");
    Map<String, Vector> test = vectors(indexed.transform(test()));
    // sender index: a@x 0, b@x 1, s@spam 2, unknown 3; content_type: text/html 0, text/plain 1, unknown 2.
    assertThat(List.of(test.get("s1").apply(16), test.get("s1").apply(17), test.get("s1").apply(18)))
        .containsExactly(100.0, 3.0, 0.0);
    assertThat(List.of(test.get("s2").apply(16), test.get("s2").apply(17), test.get("s2").apply(18)))
        .containsExactly(300.0, 3.0, 2.0);
    assertThat(List.of(test.get("s3").apply(16), test.get("s3").apply(17), test.get("s3").apply(18)))
        .containsExactly(16.0, 0.0, 1.0);
    assertThat(test.get("s1").size()).isEqualTo(19);
    assertThat(indexed.classWeights()).containsExactly(Map.entry("ham", 1.0), Map.entry("spam", 1.0));
  }

  /** A row of the categorical tests: only id, label, sender and content type matter. */
  private static Row categorical(String id, String sender, String contentType) {
    return row(id, "hello", null, "ham", null, null, sender, contentType);
  }

  /**
   * Train rows whose most frequent senders differ from those of all rows: ord 4, atl 3, jfk 2, sfo 1, null 1.
   * Content types: text/plain 6, text/html 4, null 1.
   */
  private static final List<Row> CARDINALITY_TRAIN = List.of(
      categorical("o1", "ord", "text/plain"), categorical("o2", "ord", "text/plain"),
      categorical("o3", "ord", "text/html"), categorical("o4", "ord", "text/html"),
      categorical("o5", "atl", "text/plain"), categorical("o6", "atl", "text/plain"),
      categorical("o7", "atl", "text/html"), categorical("o8", "jfk", "text/html"),
      categorical("o9", "jfk", "text/plain"), categorical("o10", "sfo", "text/plain"),
      categorical("o11", null, null));

  /** Validation rows: sfo is rare in train (1 row) but the most frequent value of all rows (7). */
  private static final List<Row> CARDINALITY_VALIDATION = List.of(
      categorical("v1", "sfo", "text/plain"), categorical("v2", "sfo", "image/png"),
      categorical("v3", "sfo", "text/plain"), categorical("v4", "sfo", "text/plain"),
      categorical("v5", "sfo", "text/plain"), categorical("v6", "sfo", "text/plain"),
      categorical("v7", "lax", "text/html"), categorical("v8", null, "text/plain"));

  private static final String TOP_TWO_SENDERS = """
      text.num-features = 16
      numeric.columns = []
      categorical { columns = [sender], max-categories = 2 }
      """;

  @Test
  void maxCategoriesKeepsTheMostFrequentTrainValuesAndSendsTheRestToUnknown() {
    Dataset<Row> train = spark.createDataFrame(CARDINALITY_TRAIN, SILVER);
    Dataset<Row> validation = spark.createDataFrame(CARDINALITY_VALIDATION, SILVER);
    FittedFeatures top = FeaturePipeline.fit(train, settings(TOP_TWO_SENDERS), SCHEMA);

    // Train counts ord 4, atl 3, jfk 2, sfo 1: the top two are ord and atl, in slots alphabetically (atl 16,
    // ord 17), unknown 18. Unknown train rows: jfk 2 + sfo 1 + null 1 = 4.
    assertThat(top.statistics())
        .containsEntry("categorical.sender.encoding", "one-hot")
        .containsEntry("categorical.sender.train-values", "4")
        .containsEntry("categorical.sender.categories", "2")
        .containsEntry("categorical.sender.values", "atl, ord")
        .containsEntry("categorical.sender.null-train-rows", "1")
        .containsEntry("categorical.sender.unknown-train-rows", "4")
        .containsEntry("vector.layout", "text.tfidf 0-15; categorical.sender 16-18");
    assertThat(top.featureSize()).isEqualTo(19);
    Map<String, Vector> tr = vectors(top.transform(train));
    Map<String, Vector> va = vectors(top.transform(validation));
    assertThat(nonZero(tr.get("o1"), 16, 19)).containsExactly(Map.entry(17, 1.0));
    assertThat(nonZero(tr.get("o5"), 16, 19)).containsExactly(Map.entry(16, 1.0));
    for (String id : List.of("o8", "o9", "o10", "o11")) {
      assertThat(nonZero(tr.get(id), 16, 19)).as(id).containsExactly(Map.entry(18, 1.0));
    }
    // sfo is frequent only outside train: every validation sfo row is unknown, like lax (unseen) and null.
    for (String id : List.of("v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8")) {
      assertThat(nonZero(va.get(id), 16, 19)).as(id).containsExactly(Map.entry(18, 1.0));
    }

    // Fitted on all rows instead, sfo (7 rows) would be kept and atl (3) dropped: ord 16, sfo 17, unknown 18.
    FittedFeatures all = FeaturePipeline.fit(train.union(validation), settings(TOP_TWO_SENDERS), SCHEMA);
    assertThat(all.statistics()).containsEntry("categorical.sender.values", "ord, sfo");
    assertThat(nonZero(vectors(all.transform(validation)).get("v1"), 16, 19)).containsExactly(Map.entry(17, 1.0));
  }

  @Test
  void minCategoryRowsDropsRareValuesAndTiesAreBrokenByValue() {
    // sender: c 2, b 2, a 2, e 3, d 1. min-category-rows 2 drops d; of e 3 and the tie a, b, c at 2,
    // max-categories 3 keeps e, a and b (c is last by value). Slots a 16, b 17, e 18, unknown 19.
    // content_type (index, max 1): x 4, y 4, z 1, null 1: z is below 2 rows; x wins the tie with y.
    // Index x 0, unknown 1. Unknown train rows: sender c 2 + d 1 = 3; content_type y 4 + z 1 + null 1 = 6.
    List<Row> rows = List.of(
        categorical("g1", "c", "y"), categorical("g2", "c", "y"), categorical("g3", "b", "y"),
        categorical("g4", "b", "y"), categorical("g5", "a", "x"), categorical("g6", "a", "x"),
        categorical("g7", "e", "x"), categorical("g8", "e", "x"), categorical("g9", "e", "z"),
        categorical("g10", "d", null));
    String conf = """
        text.num-features = 16
        numeric.columns = []
        categorical {
          min-category-rows = 2
          max-categories = 3
          per-column { content_type { encoding = index, max-categories = 1 } }
        }
        """;
    FittedFeatures fit = FeaturePipeline.fit(spark.createDataFrame(rows, SILVER), settings(conf), SCHEMA);

    assertThat(fit.statistics())
        .containsEntry("categorical.sender.train-values", "5")
        .containsEntry("categorical.sender.values", "a, b, e")
        .containsEntry("categorical.sender.unknown-train-rows", "3")
        .containsEntry("categorical.content_type.encoding", "index")
        .containsEntry("categorical.content_type.train-values", "3")
        .containsEntry("categorical.content_type.values", "x")
        .containsEntry("categorical.content_type.null-train-rows", "1")
        .containsEntry("categorical.content_type.unknown-train-rows", "6")
        .containsEntry("vector.layout", "text.tfidf 0-15; categorical.sender 16-19; categorical.content_type 20");
    Map<String, Vector> v = vectors(fit.transform(spark.createDataFrame(rows, SILVER)));
    Map<String, List<Double>> expected = new TreeMap<>(Map.of(
        "g1", List.of(0.0, 0.0, 0.0, 1.0, 1.0), "g3", List.of(0.0, 1.0, 0.0, 0.0, 1.0),
        "g5", List.of(1.0, 0.0, 0.0, 0.0, 0.0), "g7", List.of(0.0, 0.0, 1.0, 0.0, 0.0),
        "g9", List.of(0.0, 0.0, 1.0, 0.0, 1.0), "g10", List.of(0.0, 0.0, 0.0, 1.0, 1.0)));
    Map<String, List<Double>> actual = new TreeMap<>();
    for (String id : expected.keySet()) {
      List<Double> slots = new ArrayList<>();
      for (int i = 16; i < 21; i++) {
        slots.add(v.get(id).apply(i));
      }
      actual.put(id, slots);
    }
    assertThat(actual).containsExactlyEntriesOf(expected);

    // The choice does not depend on row order or partitioning.
    List<Row> reversed = new ArrayList<>(rows);
    java.util.Collections.reverse(reversed);
    FittedFeatures again = FeaturePipeline.fit(spark.createDataFrame(reversed, SILVER).repartition(3),
        settings(conf), SCHEMA);
    assertThat(again.statistics()).isEqualTo(fit.statistics());

    // No sender has 4 train rows: nothing is kept, and the one remaining slot (unknown) takes every row.
    FittedFeatures none = FeaturePipeline.fit(spark.createDataFrame(rows, SILVER), settings("""
        text.num-features = 16
        numeric.columns = []
        categorical { columns = [sender], min-category-rows = 4 }
        """), SCHEMA);
    assertThat(none.statistics()).containsEntry("categorical.sender.categories", "0")
        .containsEntry("categorical.sender.unknown-train-rows", "10")
        .containsEntry("vector.layout", "text.tfidf 0-15; categorical.sender 16");
    assertThat(vectors(none.transform(spark.createDataFrame(rows, SILVER))).values())
        .allSatisfy(vector -> assertThat(vector.apply(16)).isEqualTo(1.0));
  }

  /**
   * MurmurHash3 x86_32 as Austin Appleby published it, written out here so the expected buckets do not come
   * from Spark's own hashing code.
   */
  private static int murmur3(String text, int seed) {
    byte[] data = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    int h = seed;
    int blocks = data.length / 4;
    for (int i = 0; i < blocks; i++) {
      int k = (data[4 * i] & 0xff) | (data[4 * i + 1] & 0xff) << 8 | (data[4 * i + 2] & 0xff) << 16
          | (data[4 * i + 3] & 0xff) << 24;
      h ^= Integer.rotateLeft(k * 0xcc9e2d51, 15) * 0x1b873593;
      h = Integer.rotateLeft(h, 13) * 5 + 0xe6546b64;
    }
    int tail = 0;
    int rest = data.length % 4;
    for (int j = rest - 1; j >= 0; j--) {
      tail = (tail << 8) | (data[4 * blocks + j] & 0xff);
    }
    if (rest > 0) {
      h ^= Integer.rotateLeft(tail * 0xcc9e2d51, 15) * 0x1b873593;
    }
    h ^= data.length;
    h ^= h >>> 16;
    h *= 0x85ebca6b;
    h ^= h >>> 13;
    h *= 0xc2b2ae35;
    return h ^ (h >>> 16);
  }

  /** The hashed slot of {@code value} in column {@code column}: murmur3 of "column=value", seed 42, mod n. */
  private static int bucket(String column, String value, int buckets) {
    return Math.floorMod(murmur3(column + "=" + value, 42), buckets);
  }

  @Test
  void murmur3InTheTestMatchesPublishedVectors() {
    // Test vectors for MurmurHash3_x86_32 with seed 0x9747b28c, covering tails of 0 to 3 bytes.
    int seed = 0x9747b28c;
    assertThat(murmur3("", 0)).isEqualTo(0);
    assertThat(murmur3("", 1)).isEqualTo(0x514E28B7);
    assertThat(murmur3("a", seed)).isEqualTo(0x7FA09EA6);
    assertThat(murmur3("ab", seed)).isEqualTo(0x74875592);
    assertThat(murmur3("abc", seed)).isEqualTo(0xC84A62DD);
    assertThat(murmur3("abcd", seed)).isEqualTo(0xF0478627);
    assertThat(murmur3("Hello, world!", seed)).isEqualTo(0x24884CBA);
    assertThat(murmur3("The quick brown fox jumps over the lazy dog", seed)).isEqualTo(0x2FA826CD);
  }

  @Test
  void hashedColumnsPutEachValueInItsMurmur3BucketAndNullsNowhere() {
    FittedFeatures hashed = FeaturePipeline.fit(train(), settings("""
        text.num-features = 16
        numeric.columns = []
        categorical { encoding = hashed, hash-buckets = 16, per-column { content_type { hash-buckets = 4 } } }
        """), SCHEMA);

    // Layout: text 0-15, sender 16-31, content_type 32-35. Nothing is fitted: the counts are for the manifest.
    assertThat(hashed.statistics())
        .containsEntry("categorical.sender.encoding", "hashed")
        .containsEntry("categorical.sender.hash-buckets", "16")
        .containsEntry("categorical.sender.train-values", "3")
        .containsEntry("categorical.sender.null-train-rows", "0")
        .containsEntry("categorical.content_type.hash-buckets", "4")
        .containsEntry("categorical.content_type.train-values", "2")
        .containsEntry("categorical.content_type.null-train-rows", "1")
        .doesNotContainKeys("categorical.sender.categories", "categorical.sender.unknown-train-rows")
        .containsEntry("vector.layout", "text.tfidf 0-15; categorical.sender 16-31; categorical.content_type 32-35");
    assertThat(hashed.featureSize()).isEqualTo(36);

    List<Row> all = new ArrayList<>(TRAIN);
    all.addAll(TEST);
    Map<String, Vector> v = vectors(hashed.transform(spark.createDataFrame(all, SILVER)));
    assertThat(v).hasSize(11);
    for (Row r : all) {
      String id = r.getString(0);
      String sender = r.getString(6);
      String contentType = r.getString(7);
      // Values unseen in train (new@y, image/png) have a bucket like any other; null leaves the block at 0.
      Map<Integer, Double> senderSlots = sender == null ? Map.of() : Map.of(16 + bucket("sender", sender, 16), 1.0);
      Map<Integer, Double> typeSlots = contentType == null ? Map.of()
          : Map.of(32 + bucket("content_type", contentType, 4), 1.0);
      assertThat(nonZero(v.get(id), 16, 32)).as("sender of %s", id).isEqualTo(senderSlots);
      assertThat(nonZero(v.get(id), 32, 36)).as("content_type of %s", id).isEqualTo(typeSlots);
    }
    assertThat(TEST.get(1).isNullAt(6)).as("s2 has no sender").isTrue();
    assertThat(TRAIN.get(7).isNullAt(7)).as("t8 has no content type").isTrue();
  }

  @Test
  void keptCategoriesAndHashedColumnsSaveAndLoadWithThePipeline(@TempDir Path dir) {
    Dataset<Row> train = spark.createDataFrame(CARDINALITY_TRAIN, SILVER);
    Dataset<Row> rows = train.union(spark.createDataFrame(CARDINALITY_VALIDATION, SILVER));
    FittedFeatures fit = FeaturePipeline.fit(train, settings("""
        text.num-features = 16
        numeric.columns = []
        categorical {
          max-categories = 2
          per-column { content_type { encoding = hashed, hash-buckets = 8 } }
        }
        """), SCHEMA);
    String path = dir.resolve("cardinality-model").toString();
    fit.save(path);

    FittedFeatures loaded = FittedFeatures.load(spark, path);

    assertThat(sorted(loaded.transform(rows))).isEqualTo(sorted(fit.transform(rows)));
    assertThat(loaded.statistics()).containsExactlyEntriesOf(fit.statistics());
    assertThat(loaded.settings()).isEqualTo(fit.settings());
    assertThat(loaded.settings().categorical().column("content_type").hashBuckets()).isEqualTo(8);
    // The kept values came back from the saved Spark stage, not from refitting.
    String[][] kept = null;
    for (Transformer t : loaded.pipelineModel().stages()) {
      if (t instanceof org.apache.spark.ml.feature.StringIndexerModel m) {
        kept = m.labelsArray();
      }
    }
    assertThat(kept).isDeepEqualTo(new String[][] {{"atl", "ord"}});
    // sfo (frequent only outside train) is still unknown after loading: slots atl 16, ord 17, unknown 18.
    Vector v1 = vectors(loaded.transform(rows)).get("v1");
    assertThat(nonZero(v1, 16, 19)).containsExactly(Map.entry(18, 1.0));
    assertThat(nonZero(v1, 19, 27)).containsExactly(Map.entry(19 + bucket("content_type", "text/plain", 8), 1.0));
  }

  // ---- text ----------------------------------------------------------------------------------------------

  @Test
  void wordsAreLowercasedUnicodeWordTokensWeightedByTheTrainIdf() {
    // The hand computation below needs each term in its own slot; check that first.
    List<String> terms = List.of("meeting", "at", "noon", "lunch", "project", "notes", "for", "the", "call", "me",
        "report", "isn't", "ready", "cheap", "pills", "win", "prizes", "now", "lottery", "tickets", "re");
    Set<Integer> slots = terms.stream().map(t -> slot(t, 4096)).collect(Collectors.toSet());
    assertThat(slots).hasSize(terms.size());
    assertThat(fitted.statistics()).containsEntry("text.vocabulary", "18")
        .containsEntry("text.representation", "tfidf").containsEntry("text.tokenizer", "words");

    // idf = ln((8 + 1) / (df + 1)): df 1 -> ln 4.5, df 2 -> ln 3, df 3 -> ln 2.25; unseen in train -> 0.
    Map<String, Vector> train = vectors(fitted.transform(train()));
    Map<String, Vector> test = vectors(fitted.transform(test()));
    // t7 "Cheap pills, CHEAP!": cheap twice (case folded, punctuation dropped).
    assertThat(nonZero(train.get("t7"), 0, 4096)).containsExactlyInAnyOrderEntriesOf(Map.of(
        slot("cheap", 4096), 2 * LN_3, slot("pills", 4096), LN_9_2));
    // t8 "Win cheap prizes now" + subject "Prizes": prizes twice, from both text columns.
    assertThat(nonZero(train.get("t8"), 0, 4096)).containsExactlyInAnyOrderEntriesOf(Map.of(
        slot("win", 4096), LN_9_2, slot("cheap", 4096), LN_3, slot("prizes", 4096), 2 * LN_9_2,
        slot("now", 4096), LN_9_2));
    // t6: "isn't" is one token.
    assertThat(nonZero(train.get("t6"), 0, 4096)).containsExactlyInAnyOrderEntriesOf(Map.of(
        slot("the", 4096), LN_3, slot("report", 4096), LN_9_2, slot("isn't", 4096), LN_9_2,
        slot("ready", 4096), LN_9_2));
    // s1: lottery and tickets never occur in train, so min-doc-freq 1 gives them weight 0.
    assertThat(nonZero(test.get("s1"), 0, 4096)).containsExactly(Map.entry(slot("cheap", 4096), LN_3));
    assertThat(nonZero(test.get("s2"), 0, 4096)).containsExactlyInAnyOrderEntriesOf(Map.of(
        slot("noon", 4096), LN_9_4, slot("meeting", 4096), LN_3));
    // s3 has no text, only the subject "Re: meeting".
    assertThat(nonZero(test.get("s3"), 0, 4096)).containsExactly(Map.entry(slot("meeting", 4096), LN_3));
  }

  /** Character 3-grams as NGram writes them: the characters joined by single spaces. */
  private static String gram(String chars) {
    return chars.codePoints().mapToObj(Character::toString).collect(Collectors.joining(" "));
  }

  @Test
  void charNgramsWorkForJapaneseAndChineseWithoutSpaces() {
    // The words tokenizer would make each of these sentences one token, sharing nothing between rows.
    List<Row> train = List.of(
        row("c1", "今日は良い天気です", null, "ham", null, null, null, null),
        row("c2", "明日は雨です", null, "ham", null, null, null, null),
        row("c3", "我喜欢学习中文", null, "spam", null, null, null, null),
        row("c4", "ab cd", null, "spam", null, null, null, null));
    List<Row> test = List.of(
        row("d1", "明日は良い天気でしょう", null, "ham", null, null, null, null),
        row("d2", "我喜欢中文", null, "spam", null, null, null, null),
        row("d3", "  AB \n\t CD ", null, "spam", null, null, null, null));
    FittedFeatures chars = FeaturePipeline.fit(spark.createDataFrame(train, SILVER), settings("""
        text { columns = [text], tokenizer = char-ngrams, num-features = 65536 }
        numeric.columns = []
        categorical.columns = []
        """), SCHEMA);

    // The 4 train rows' 3-grams are all different: df 1, idf ln(5 / 2). d1's 3-grams 日は良 は良い 良い天 い天気
    // 天気で occur in c1, 明日は in c2; 気でし でしょ しょう occur in no train row (weight 0).
    double idf = Math.log(5.0 / 2.0);
    Map<String, Vector> tr = vectors(chars.transform(spark.createDataFrame(train, SILVER)));
    Map<String, Vector> te = vectors(chars.transform(spark.createDataFrame(test, SILVER)));
    assertThat(chars.featureSize()).isEqualTo(65536);
    Map<Integer, Double> d1 = new TreeMap<>();
    for (String g : List.of("日は良", "は良い", "良い天", "い天気", "天気で", "明日は")) {
      d1.put(slot(gram(g), 65536), idf);
    }
    assertThat(nonZero(te.get("d1"), 0, 65536)).containsExactlyInAnyOrderEntriesOf(d1);
    Set<Integer> sharedWithC1 = new HashSet<>(nonZero(tr.get("c1"), 0, 65536).keySet());
    sharedWithC1.retainAll(nonZero(te.get("d1"), 0, 65536).keySet());
    assertThat(sharedWithC1).hasSize(5);
    // Chinese: 我喜欢 is shared with c3; 喜欢中 and 欢中文 are not in train.
    assertThat(nonZero(te.get("d2"), 0, 65536)).containsExactly(Map.entry(slot(gram("我喜欢"), 65536), idf));
    // Letters are lowercased and whitespace runs collapse to one space (ends trimmed): d3 reads "ab cd" like c4.
    assertThat(te.get("d3")).isEqualTo(tr.get("c4"));
    assertThat(nonZero(tr.get("c4"), 0, 65536)).hasSize(3);
  }

  // ---- event time ----------------------------------------------------------------------------------------

  @Test
  void eventTimePartsAreUtcWhateverTheSessionTimeZone() {
    // s1 2024-02-29T23:30Z: hour 23, Thursday (Spark: Sunday 1 .. Saturday 7) 5, day 29, month 2, year 2024.
    // s2 has no event time: parts 0, missing 1. s3 2003-01-05T00:00Z: hour 0, Sunday 1, day 5, month 1, 2003.
    Map<String, List<Double>> expected = Map.of(
        "s1", List.of(23.0, 5.0, 29.0, 2.0, 2024.0, 0.0),
        "s2", List.of(0.0, 0.0, 0.0, 0.0, 0.0, 1.0),
        "s3", List.of(0.0, 1.0, 5.0, 1.0, 2003.0, 0.0));
    String zone = spark.conf().get("spark.sql.session.timeZone");
    try {
      for (String z : List.of("UTC", "Asia/Tokyo", "America/Los_Angeles")) {
        spark.conf().set("spark.sql.session.timeZone", z);
        Map<String, Vector> test = vectors(fitted.transform(test()));
        for (String id : expected.keySet()) {
          List<Double> parts = new ArrayList<>();
          for (int i = TIME; i < TIME + 6; i++) {
            parts.add(test.get(id).apply(i));
          }
          assertThat(parts).as("%s in session time zone %s", id, z).isEqualTo(expected.get(id));
        }
      }
    } finally {
      spark.conf().set("spark.sql.session.timeZone", zone);
    }
  }

  // ---- the whole vector, columns and errors --------------------------------------------------------------

  @Test
  void transformKeepsEveryInputColumnAddsFeaturesNeedsNoLabelAndRunsNoJob() {
    assertThat(fitted.featureSize()).isEqualTo(4111);
    assertThat(fitted.statistics()).containsEntry("vector.size", "4111").containsEntry("vector.layout",
        "text.tfidf 0-4095; numeric.size_bytes 4096; missing.size_bytes 4097; categorical.sender 4098-4101; "
            + "categorical.content_type 4102-4104; event-time.hour 4105; event-time.day-of-week 4106; "
            + "event-time.day-of-month 4107; event-time.month 4108; event-time.year 4109; event-time.missing 4110");

    Dataset<Row> unlabelled = test().drop("label").withColumn("extra", lit(7));
    List<Dataset<Row>> transformed = new ArrayList<>();
    assertThat(jobsStartedBy(() -> transformed.add(fitted.transform(unlabelled)))).as("jobs run by transform")
        .isEmpty();
    Dataset<Row> out = transformed.get(0);
    assertThat(jobsStartedBy(out::count)).as("jobs run by count, to show they are seen").isNotEmpty();

    List<String> expectedColumns = new ArrayList<>(List.of(unlabelled.columns()));
    expectedColumns.add("features");
    assertThat(out.columns()).containsExactlyElementsOf(expectedColumns);
    List<Row> rows = sorted(out);
    assertThat(rows).extracting(r -> r.<Vector>getAs("features").size()).containsOnly(4111);
    assertThat(rows).extracting(r -> r.<String>getAs("_record_id")).containsExactly("r-s1", "r-s2", "r-s3");
    // The labelled transform gives the same vectors.
    assertThat(vectors(out)).isEqualTo(vectors(fitted.transform(test())));
  }

  @Test
  void transformNamesMissingInputColumnsAndRefusesToOverwriteFeatures() {
    assertThatThrownBy(() -> fitted.transform(test().drop("sender", "event_time")))
        .hasMessageStartingWith("Cannot transform features: the rows have no columns 'sender', 'event_time' "
            + "(they have: id, text, subject, label, size_bytes, content_type, _record_id, run_id).");
    assertThatThrownBy(() -> fitted.transform(fitted.transform(test())))
        .hasMessage("Cannot transform features: the rows already have a column 'features'. "
            + "Drop it before transforming again.");
  }

  @Test
  void labelsAreIndexedAlphabeticallyAndWeightedFromTrainCounts() {
    assertThat(fitted.labels()).containsExactly("ham", "spam");
    // 6 ham, 2 spam: ham 8 / (2 * 6) = 2/3, spam 8 / (2 * 2) = 2.
    assertThat(fitted.classWeights().keySet()).containsExactly("ham", "spam");
    assertThat(fitted.classWeights().get("ham")).isCloseTo(2.0 / 3.0, within(1e-15));
    assertThat(fitted.classWeights().get("spam")).isEqualTo(2.0);
    assertThat(fitted.statistics()).containsEntry("labels", "ham, spam").containsEntry("label.ham.rows", "6")
        .containsEntry("label.spam.rows", "2").containsEntry("class-weight.spam", "2.0");

    Map<String, Double> index = new TreeMap<>();
    fitted.indexLabels(test()).collectAsList().forEach(r -> index.put(r.getAs("id"), r.getAs("label_index")));
    assertThat(index).containsExactlyEntriesOf(new TreeMap<>(Map.of("s1", 1.0, "s2", 0.0, "s3", 0.0)));

    Map<String, Double> weight = new TreeMap<>();
    fitted.withWeights(train()).collectAsList().forEach(r -> weight.put(r.getAs("id"), r.getAs("weight")));
    assertThat(weight.get("t1")).isCloseTo(2.0 / 3.0, within(1e-15));
    assertThat(weight.get("t7")).isEqualTo(2.0);
    assertThat(weight.values().stream().mapToDouble(Double::doubleValue).sum()).isCloseTo(8.0, within(1e-12));
  }

  @Test
  void aLabelNotSeenInTrainIsAnErrorNamingItAndItsRowCount() {
    Dataset<Row> rows = test().withColumn("label",
        when(col("id").equalTo("s1"), lit(null)).otherwise(lit("eggs")));

    assertThatThrownBy(() -> fitted.indexLabels(rows))
        .hasMessage("Cannot index labels: label 'eggs' (2 rows) and a missing label (1 row) were not in the "
            + "train rows, whose labels are ham, spam. Drop or relabel those rows first; the train split must hold "
            + "every label the model is evaluated on.");
    assertThatThrownBy(() -> fitted.withWeights(rows.where(col("id").notEqual("s1"))))
        .hasMessageStartingWith("Cannot weigh rows: label 'eggs' (2 rows) was not in the train rows, whose labels "
            + "are ham, spam.");
  }

  @Test
  void fittingNeedsLabelledTrainRowsWithTheConfiguredColumns() {
    assertThatThrownBy(() -> FeaturePipeline.fit(train().withColumn("label", lit(null).cast("string")),
        settings(""), SCHEMA))
        .hasMessage("Cannot fit features: none of the 8 train rows has a label in column 'label'. "
            + "Check the split: train rows must be labelled.");
    assertThatThrownBy(() -> FeaturePipeline.fit(train().drop("size_bytes"), settings(""), SCHEMA))
        .hasMessageStartingWith("Cannot fit features on the train rows: the rows have no column 'size_bytes'");
    assertThatThrownBy(() -> FeaturePipeline.fit(train().withColumn("size_bytes", lit(null).cast("double")),
        settings(""), SCHEMA))
        .hasMessage("Cannot fit features: numeric column 'size_bytes' has no value in any of the 8 train rows, "
            + "so there is nothing to fill missing values with. Remove it from features.numeric.columns or fix "
            + "the data.");
    DatasetSchema noEventTime = new DatasetSchema("t", "id", List.of("text", "subject"), "label", null,
        List.of("size_bytes"), List.of("sender", "content_type"), List.of("id", "text", "label"));
    assertThatThrownBy(() -> FeaturePipeline.fit(train(), fitted.settings(), noEventTime))
        .hasMessage("Cannot fit features: event-time parts [hour, day-of-week, day-of-month, month, year] need an "
            + "event-time column, and dataset t has none");
  }

  // ---- save and load -------------------------------------------------------------------------------------

  @Test
  void savedAndLoadedTfidfPipelineTransformsIdentically(@TempDir Path dir) {
    String path = dir.resolve("features-model").toString();
    fitted.save(path);

    // FittedFeatures.load reads <path>/pipeline with Spark's own PipelineModel.read().load.
    FittedFeatures loaded = FittedFeatures.load(spark, path);

    assertThat(sorted(loaded.transform(test()))).isEqualTo(sorted(fitted.transform(test())));
    assertThat(sorted(loaded.transform(train()))).isEqualTo(sorted(fitted.transform(train())));
    assertThat(loaded.labels()).isEqualTo(fitted.labels());
    assertThat(loaded.classWeights()).isEqualTo(fitted.classWeights());
    assertThat(loaded.statistics()).containsExactlyEntriesOf(fitted.statistics());
    assertThat(loaded.featureSize()).isEqualTo(4111);
    assertThat(loaded.settings()).isEqualTo(fitted.settings());
    assertThat(sorted(loaded.indexLabels(test()))).isEqualTo(sorted(fitted.indexLabels(test())));
    assertThat(sorted(loaded.withWeights(test()))).isEqualTo(sorted(fitted.withWeights(test())));
  }

  @Test
  void loadingFromAMissingOrBrokenDirectoryNamesThePath(@TempDir Path dir) throws Exception {
    String missing = dir.resolve("nothing-here").toString();
    assertThatThrownBy(() -> FittedFeatures.load(spark, missing))
        .hasMessage("Cannot load fitted features from " + missing + ": there is no metadata.json there. Pass the "
            + "directory FittedFeatures.save wrote (it holds pipeline/ and metadata.json), or run the features "
            + "stage again.");

    Path broken = Files.createDirectories(dir.resolve("broken"));
    Files.writeString(broken.resolve("metadata.json"), "{ not json");
    assertThatThrownBy(() -> FittedFeatures.load(spark, broken.toString()))
        .hasMessageStartingWith("Cannot load fitted features from " + broken + ": metadata.json is not readable (")
        .hasMessageEndingWith("). Run the features stage again to write it.");

    Files.writeString(broken.resolve("metadata.json"), "{ \"format\": 7 }");
    assertThatThrownBy(() -> FittedFeatures.load(spark, broken.toString()))
        .hasMessage("Cannot load fitted features from " + broken + ": metadata.json is not a fitted-features "
            + "file of format 1. Run the features stage again to write it.");

    // A good metadata.json (as save writes it) without the pipeline next to it.
    Files.writeString(broken.resolve("metadata.json"), FittedFeatures.JSON.writeValueAsString(fitted.metadata()));
    assertThatThrownBy(() -> FittedFeatures.load(spark, broken.toString()))
        .hasMessageStartingWith("Cannot load fitted features from " + broken + ": the Spark pipeline under "
            + broken + "/pipeline is missing or unreadable (")
        .hasMessageEndingWith("). Run the features stage again to write it.");
  }

  // ---- sequence ------------------------------------------------------------------------------------------

  @Test
  void sequenceIdsFollowTrainFrequencyAndSaveAndLoadIdentically(@TempDir Path dir) throws Exception {
    // Train tokens: a 3, d 3, b 2, c 2. Descending count, ties by token: a, d, b, c; vocabulary-size 3 keeps
    // a -> 2, d -> 3, b -> 4; c is out of vocabulary (1). size_bytes 1, 2, 3: median 2, mean 2, std 1.
    List<Row> train = List.of(
        row("q1", "b a a", null, "ham", null, 1.0, null, null),
        row("q2", "c b A", null, "spam", null, 2.0, null, null),
        row("q3", "d d d c", null, "ham", null, 3.0, null, null));
    List<Row> test = List.of(
        row("w1", "A b C e", null, "ham", null, 4.0, null, null),
        row("w2", "a a a a a a d", null, "ham", null, null, null, null),
        row("w3", null, null, "spam", null, 1.0, null, null));
    FittedFeatures seq = FeaturePipeline.fit(spark.createDataFrame(train, SILVER), settings("""
        text { columns = [text], representation = sequence, vocabulary-size = 3, max-length = 5 }
        categorical.columns = []
        """), SCHEMA);

    assertThat(seq.statistics()).containsEntry("text.vocabulary", "3").containsEntry("text.top-tokens", "a, d, b")
        .containsEntry("vector.layout", "numeric.size_bytes 0; missing.size_bytes 1");
    assertThat(seq.featureSize()).isEqualTo(2);
    List<Dataset<Row>> transformed = new ArrayList<>();
    assertThat(jobsStartedBy(() -> transformed.add(seq.transform(spark.createDataFrame(test, SILVER)))))
        .as("jobs run by transform").isEmpty();
    Dataset<Row> out = transformed.get(0);
    assertThat(out.columns()).endsWith("run_id", "features", "text_ids");
    Map<String, List<Integer>> ids = new TreeMap<>();
    Map<String, Vector> features = new TreeMap<>();
    out.collectAsList().forEach(r -> {
      ids.put(r.getAs("id"), r.getList(r.fieldIndex("text_ids")));
      features.put(r.getAs("id"), r.getAs("features"));
    });
    // w1 a b c e -> 2 4 1 1, padded with 0; w2 is cut to 5 ids; w3 has no text: all padding.
    assertThat(ids).containsExactlyEntriesOf(new TreeMap<>(Map.of(
        "w1", List.of(2, 4, 1, 1, 0), "w2", List.of(2, 2, 2, 2, 2), "w3", List.of(0, 0, 0, 0, 0))));
    // features hold no text part: (4 - 2) / 1 = 2 with indicator 0; w2 missing -> 2 -> 0, indicator 1.
    assertThat(features.get("w1").toArray()).containsExactly(2.0, 0.0);
    assertThat(features.get("w2").toArray()).containsExactly(0.0, 1.0);
    assertThat(features.get("w3").toArray()).containsExactly(-1.0, 0.0);

    // Save over a directory holding an older save: both parts are replaced.
    Path path = Files.createDirectories(dir.resolve("sequence-model").resolve("pipeline").resolve("stages"));
    Files.writeString(path.getParent().getParent().resolve("metadata.json"), "{ \"format\": 1 }");
    seq.save(dir.resolve("sequence-model").toString());
    FittedFeatures loaded = FittedFeatures.load(spark, dir.resolve("sequence-model").toString());
    assertThat(sorted(loaded.transform(spark.createDataFrame(test, SILVER)))).isEqualTo(sorted(out));
    assertThat(loaded.statistics()).containsExactlyEntriesOf(seq.statistics());
    // Spark's PipelineModel.read().load found SequenceIndexerModel.read() from the class name it saved.
    List<String> vocabulary = null;
    for (Transformer t : loaded.pipelineModel().stages()) {
      if (t instanceof SequenceIndexerModel m) {
        vocabulary = m.vocabularyList();
      }
    }
    assertThat(vocabulary).containsExactly("a", "d", "b");
  }

  @Test
  void sequenceIndexerSavesAndLoadsItsParams(@TempDir Path dir) throws Exception {
    SequenceIndexer indexer = new SequenceIndexer().setInputCol("tokens").setOutputCol("ids")
        .setVocabularySize(7).setMaxLength(9);
    String path = dir.resolve("indexer").toString();
    indexer.save(path);

    SequenceIndexer loaded = SequenceIndexer.load(path);

    assertThat(loaded.uid()).isEqualTo(indexer.uid());
    assertThat(loaded.getOrDefault(loaded.inputCol())).isEqualTo("tokens");
    assertThat(loaded.getOrDefault(loaded.outputCol())).isEqualTo("ids");
    assertThat(loaded.getOrDefault(loaded.vocabularySize())).isEqualTo(7);
    assertThat(loaded.getOrDefault(loaded.maxLength())).isEqualTo(9);
    assertThat(loaded.explainParams()).isEqualTo(indexer.explainParams());
  }
}
