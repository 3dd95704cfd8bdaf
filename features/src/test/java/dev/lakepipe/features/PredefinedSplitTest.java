package dev.lakepipe.features;

import static dev.lakepipe.features.SplitterTest.links;
import static dev.lakepipe.features.SplitterTest.splitOf;
import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.ConfigFactory;
import dev.lakepipe.core.LakepipeException;
import dev.lakepipe.core.config.ConfigProblems;
import dev.lakepipe.core.config.DatasetSchema;
import dev.lakepipe.core.testing.SparkTestBase;
import dev.lakepipe.core.testing.TestConfigs;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/**
 * The predefined policy's guarantees on hand-built rows: given test and validation rows never move, validation
 * carved out of given train takes exact per-label counts, unmatched rows are quarantined or stop the stage,
 * near-duplicate links never pull a given row out of its split, and the conf is checked.
 */
class PredefinedSplitTest extends SparkTestBase {

  static final DatasetSchema SCHEMA = TestConfigs.of("""
      dataset { name = t, columns { id = id, text = [text], label = label, event-time = event_time,
        categorical = [sender, split_name] } }
      """).dataset();
  static final StructType ROW = new StructType()
      .add("_record_id", DataTypes.StringType).add("id", DataTypes.StringType)
      .add("text", DataTypes.StringType).add("label", DataTypes.StringType)
      .add("event_time", DataTypes.TimestampType).add("sender", DataTypes.StringType)
      .add("split_name", DataTypes.StringType)
      .add("_source", DataTypes.StringType).add("_source_file", DataTypes.StringType);
  static final Instant T0 = Instant.parse("2002-08-01T00:00:00Z");

  static SplitSettings settings(String hocon) {
    ConfigProblems problems = new ConfigProblems("test");
    SplitSettings s = SplitSettings.parse(ConfigFactory.parseString(hocon), SCHEMA, problems);
    assertThat(problems.problems()).isEmpty();
    return s;
  }

  static List<String> problems(String hocon) {
    ConfigProblems problems = new ConfigProblems("test");
    SplitSettings.parse(ConfigFactory.parseString(hocon), SCHEMA, problems);
    return problems.problems();
  }

  static Row row(String id, String label, Instant time, String source, String file, String splitName) {
    return RowFactory.create("r-" + id, id, "text of " + id, label, time == null ? null : Timestamp.from(time),
        null, splitName, source, file);
  }

  /** {@code n} rows of {@code label} from {@code source}, ids {@code <prefix><i>}, one hour apart from T0. */
  static List<Row> fromSource(String source, String prefix, String label, int n) {
    List<Row> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(row(prefix + i, label, T0.plusSeconds(3600L * i), source, "file:/data/" + source + "/part-0.csv",
          null));
    }
    return out;
  }

  /** {@code n} rows of {@code label} whose split_name is {@code splitName}. */
  static List<Row> named(String splitName, String prefix, String label, int n) {
    List<Row> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(row(prefix + i, label, T0.plusSeconds(3600L * i), "flights", "file:/data/flights.csv", splitName));
    }
    return out;
  }

  static Dataset<Row> df(List<Row> rows) {
    return spark.createDataFrame(rows, ROW);
  }

  /** split -> label -> rows. */
  static Map<String, Map<String, Long>> counts(Dataset<Row> assigned) {
    Map<String, Map<String, Long>> out = new TreeMap<>();
    for (Row r : assigned.groupBy("split", "label").count().collectAsList()) {
      out.computeIfAbsent(r.getString(0), k -> new TreeMap<>()).put(r.getString(1), r.getLong(2));
    }
    return out;
  }

  static Map<String, String> reasons(Dataset<Row> rejected) {
    Map<String, String> out = new TreeMap<>();
    rejected.select("_record_id", Splitter.REASON).collectAsList()
        .forEach(r -> out.put(r.getString(0), r.getString(1)));
    return out;
  }

  static final String BY_SOURCE = """
      split {
        policy = predefined
        predefined {
          by = source
          splits { train = ["flights_train"], test = ["flights_test"] }
          validation-from-train = stratified
        }
        fractions.validation = 0.15
      }
      """;

  @Test
  void bySourceEveryGivenTestRowStaysAndValidationIsCarvedFromTrainPerLabel() {
    List<Row> rows = new ArrayList<>(fromSource("flights_train", "a", "ham", 30));
    rows.addAll(fromSource("flights_train", "b", "spam", 10));
    rows.addAll(fromSource("flights_test", "ta", "ham", 6));
    rows.addAll(fromSource("flights_test", "tb", "spam", 4));
    SplitSettings s = settings(BY_SOURCE);
    assertThat(s.activeSplits()).containsExactly("train", "validation", "test");

    Splitter.Result r = Splitter.assign(df(rows), links(), s, SCHEMA, 42, Splitter.Previous.NONE);
    Map<String, String> split = splitOf(r.assigned());
    assertThat(split).hasSize(50);
    for (int i = 0; i < 6; i++) {
      assertThat(split.get("r-ta" + i)).as("ta" + i).isEqualTo("test");
    }
    for (int i = 0; i < 4; i++) {
      assertThat(split.get("r-tb" + i)).as("tb" + i).isEqualTo("test");
    }
    // Validation is round(n * 0.15) of each label's given train rows, half up: ham round(4.5) = 5 of 30,
    // spam round(1.5) = 2 of 10. Test is exactly the test source.
    assertThat(counts(r.assigned())).isEqualTo(Map.of(
        "train", Map.of("ham", 25L, "spam", 8L),
        "validation", Map.of("ham", 5L, "spam", 2L),
        "test", Map.of("ham", 6L, "spam", 4L)));
    assertThat(r.rejected().count()).isZero();
    List<LeakageChecks.Check> checks = LeakageChecks.run(r.assigned(), links(), s, SCHEMA);
    assertThat(checks).allMatch(LeakageChecks.Check::passed);
    assertThat(checks.stream().filter(c -> c.name().equals(LeakageChecks.GIVEN_SPLITS)).findFirst().orElseThrow()
        .detail()).isEqualTo("every row is in the split its _source gives (validation carved out of given train "
            + "by stratified)");

    // Another seed picks other validation rows, never another test set.
    Splitter.Result other = Splitter.assign(df(rows), links(), s, SCHEMA, 7, Splitter.Previous.NONE);
    Map<String, String> otherSplit = splitOf(other.assigned());
    assertThat(otherSplit).isNotEqualTo(split);
    assertThat(testIds(otherSplit)).isEqualTo(testIds(split));
    assertThat(counts(other.assigned())).isEqualTo(counts(r.assigned()));
  }

  @Test
  void byColumnQuarantinesUnmatchedRowsAndFoldsCoverTrainAndValidation() {
    List<Row> rows = new ArrayList<>(named("train", "tr-h", "ham", 8));
    rows.addAll(named("train", "tr-s", "spam", 4));
    rows.addAll(named("dev", "dev-h", "ham", 2));
    rows.addAll(named("valid", "val-s", "spam", 1));
    rows.addAll(named("test", "te-h", "ham", 3));
    rows.addAll(named("test", "te-s", "spam", 2));
    rows.addAll(named("holdout", "ho-h", "ham", 2));
    rows.addAll(named(null, "none-s", "spam", 1));
    String conf = """
        split {
          policy = predefined
          predefined {
            by = column
            column = split_name
            splits { train = ["train"], validation = ["dev", "valid"], test = ["test"] }
          }
          folds = 3
        }
        """;
    SplitSettings s = settings(conf);
    Splitter.Result r = Splitter.assign(df(rows), links(), s, SCHEMA, 42, Splitter.Previous.NONE);

    assertThat(counts(r.assigned())).isEqualTo(Map.of(
        "train", Map.of("ham", 8L, "spam", 4L),
        "validation", Map.of("ham", 2L, "spam", 1L),
        "test", Map.of("ham", 3L, "spam", 2L)));
    assertThat(reasons(r.rejected())).isEqualTo(Map.of("r-ho-h0", "SPLIT_NOT_GIVEN", "r-ho-h1", "SPLIT_NOT_GIVEN",
        "r-none-s0", "SPLIT_NOT_GIVEN"));
    Map<String, String> messages = new TreeMap<>();
    r.rejected().select("_record_id", Splitter.MESSAGE).collectAsList()
        .forEach(x -> messages.put(x.getString(0), x.getString(1)));
    assertThat(messages.get("r-ho-h0")).isEqualTo("Cannot place record r-ho-h0 in a given split: its split_name "
        + "'holdout' matches no value under features.split.predefined.splits. Add it to the list of its split there, "
        + "or set features.split.predefined.unmatched = fail to stop instead.");
    assertThat(messages.get("r-none-s0")).startsWith("Cannot place record r-none-s0 in a given split: its "
        + "split_name (empty) matches no value");
    // Conservation: every input row is placed or rejected, once.
    List<String> all = new ArrayList<>(splitOf(r.assigned()).keySet());
    all.addAll(reasons(r.rejected()).keySet());
    assertThat(all).hasSize(rows.size()).doesNotHaveDuplicates();
    assertThat(r.rejected().columns()).containsExactly(df(rows).withColumn(Splitter.REASON, col("id"))
        .withColumn(Splitter.MESSAGE, col("id")).columns());

    // Folds over the 15 rows outside test, per label: ham 10 cut at round(3.33) = 3 and round(6.67) = 7 ->
    // 3 / 4 / 3; spam 5 at round(1.67) = 2 and round(3.33) = 3 -> 2 / 1 / 2. Test rows have none.
    Map<String, Map<String, Long>> folds = new TreeMap<>();
    for (Row x : r.assigned().filter("fold IS NOT NULL").groupBy("label", "fold").count().collectAsList()) {
      folds.computeIfAbsent(x.getString(0), k -> new TreeMap<>()).put(String.valueOf(x.get(1)), x.getLong(2));
    }
    assertThat(folds).isEqualTo(Map.of("ham", Map.of("0", 3L, "1", 4L, "2", 3L),
        "spam", Map.of("0", 2L, "1", 1L, "2", 2L)));
    assertThat(r.assigned().filter("split = 'test' AND fold IS NOT NULL").count()).isZero();
    assertThat(LeakageChecks.run(r.assigned(), links(), s, SCHEMA)).allMatch(LeakageChecks.Check::passed);

    // unmatched = fail stops instead, naming the values in order with their rows.
    SplitSettings failing = settings(conf.replace("column = split_name", "column = split_name, unmatched = fail"));
    assertThatThrownBy(() -> Splitter.assign(df(rows), links(), failing, SCHEMA, 42, Splitter.Previous.NONE))
        .isInstanceOf(LakepipeException.class)
        .hasMessage("Cannot place the rows in their given splits: 3 rows of silver match no value under "
            + "features.split.predefined.splits; their split_name values: (empty) (1 row), 'holdout' (2 rows). Add "
            + "each value to the list of its split there, or set features.split.predefined.unmatched = quarantine "
            + "to quarantine such rows (reason SPLIT_NOT_GIVEN).");
  }

  @Test
  void aNearDuplicateOfAGivenTestRowIsQuarantinedAndTheTestRowKept() {
    List<Row> rows = new ArrayList<>(fromSource("flights_train", "a", "ham", 10));
    rows.addAll(fromSource("flights_train", "b", "spam", 5));
    rows.addAll(fromSource("flights_valid", "va", "ham", 2));
    rows.addAll(fromSource("flights_valid", "vb", "spam", 1));
    rows.addAll(fromSource("flights_test", "ta", "ham", 3));
    rows.addAll(fromSource("flights_test", "tb", "spam", 2));
    String conf = """
        split {
          policy = predefined
          predefined.by = source
          predefined.splits { train = [flights_train], validation = [flights_valid], test = [flights_test] }
        }
        """;
    // train ~ test, validation ~ train, validation ~ test, and a pair inside train.
    Dataset<Row> pairs = links("a3", "ta1", "va0", "a7", "va1", "tb0", "a8", "a9");
    SplitSettings s = settings(conf);
    Splitter.Result r = Splitter.assign(df(rows), pairs, s, SCHEMA, 42, Splitter.Previous.NONE);

    // Test wins over validation and train, validation over train; the pair inside train stays.
    assertThat(reasons(r.rejected())).isEqualTo(Map.of("r-a3", "NEAR_DUPLICATE_ACROSS_SPLITS",
        "r-a7", "NEAR_DUPLICATE_ACROSS_SPLITS", "r-va1", "NEAR_DUPLICATE_ACROSS_SPLITS"));
    assertThat(r.rejected().filter(col("_record_id").equalTo("r-a3")).select(Splitter.MESSAGE).first().getString(0))
        .isEqualTo("Cannot place record r-a3 in split train: it is a near duplicate of record r-ta1 in split test, "
            + "and a given split is kept as given (features.split.predefined). Remove the duplicate at the source, or "
            + "set features.split.near-duplicates = fail to stop instead.");
    Map<String, String> split = splitOf(r.assigned());
    assertThat(split.get("r-ta1")).isEqualTo("test");
    assertThat(split.get("r-tb0")).isEqualTo("test");
    assertThat(split.get("r-va0")).isEqualTo("validation");
    assertThat(split.get("r-a8")).isEqualTo("train");
    assertThat(split.get("r-a9")).isEqualTo("train");
    assertThat(counts(r.assigned())).isEqualTo(Map.of(
        "train", Map.of("ham", 8L, "spam", 5L),
        "validation", Map.of("ham", 1L, "spam", 1L),
        "test", Map.of("ham", 3L, "spam", 2L)));
    assertThat(LeakageChecks.run(r.assigned(), pairs, s, SCHEMA)).allMatch(LeakageChecks.Check::passed);

    // near-duplicates = fail: nothing is rejected, the given splits are kept, and the leakage check fails.
    SplitSettings failing = settings(conf.replace("predefined.by = source",
        "predefined.by = source\nnear-duplicates = fail"));
    Splitter.Result kept = Splitter.assign(df(rows), pairs, failing, SCHEMA, 42, Splitter.Previous.NONE);
    assertThat(kept.rejected().count()).isZero();
    Map<String, LeakageChecks.Check> checks = LeakageChecks.run(kept.assigned(), pairs, failing, SCHEMA).stream()
        .collect(Collectors.toMap(LeakageChecks.Check::name, c -> c));
    assertThat(checks.get(LeakageChecks.GIVEN_SPLITS).passed()).isTrue();
    assertThat(checks.get(LeakageChecks.NEAR_DUPLICATES).passed()).isFalse();
    assertThat(checks.get(LeakageChecks.NEAR_DUPLICATES).detail()).startsWith("3 near-duplicate pairs span splits, "
        + "e.g. r-a3 (train) ~ r-ta1 (test)");
  }

  @Test
  void theSameSeedTwiceAndAddedRowsMoveNoOldRowAndNoSeedOrMemoryMovesATestRow() {
    List<Row> rows = new ArrayList<>(fromSource("flights_train", "a", "ham", 40));
    rows.addAll(fromSource("flights_train", "b", "spam", 20));
    rows.addAll(fromSource("flights_test", "ta", "ham", 5));
    rows.addAll(fromSource("flights_test", "tb", "spam", 5));
    SplitSettings s = settings(BY_SOURCE.replace("0.15", "0.1"));
    Dataset<Row> first = Splitter.assign(df(rows), links(), s, SCHEMA, 42, Splitter.Previous.NONE).assigned();
    Map<String, String> before = splitOf(first);
    assertThat(splitOf(Splitter.assign(df(rows).repartition(3), links(), s, SCHEMA, 42, Splitter.Previous.NONE)
        .assigned())).isEqualTo(before);

    List<Row> grown = new ArrayList<>(rows);
    grown.addAll(fromSource("flights_train", "an", "ham", 4));
    grown.addAll(fromSource("flights_train", "bn", "spam", 2));
    grown.addAll(fromSource("flights_test", "tan", "ham", 1));
    Dataset<Row> second = Splitter.assign(df(grown), links(), s, SCHEMA, 42,
        new Splitter.Previous(first.select("_record_id", "split", "fold"), null, null)).assigned();
    Map<String, String> after = splitOf(second);
    before.forEach((id, split) -> assertThat(after.get(id)).as(id).isEqualTo(split));
    // ham 44 given train: validation round(4.4) = 4, which the old 40 rows already hold (round(4.0) = 4);
    // spam 22: round(2.2) = 2, held by the old 20. The new train rows all go to train, the new test row to test.
    assertThat(counts(second)).isEqualTo(Map.of(
        "train", Map.of("ham", 40L, "spam", 20L),
        "validation", Map.of("ham", 4L, "spam", 2L),
        "test", Map.of("ham", 6L, "spam", 5L)));
    assertThat(after.get("r-tan0")).isEqualTo("test");

    // A previous assignment that claims test rows elsewhere, and other seeds, leave the test set as given.
    List<Row> forged = new ArrayList<>(first.select("_record_id", "split", "fold").collectAsList());
    forged.replaceAll(x -> x.getString(0).startsWith("r-t") ? RowFactory.create(x.getString(0), "train", 0) : x);
    Dataset<Row> memory = spark.createDataFrame(forged, first.select("_record_id", "split", "fold").schema());
    for (long seed : new long[] {42, 43, 7}) {
      Map<String, String> m = splitOf(Splitter.assign(df(grown), links(), s, SCHEMA, seed,
          new Splitter.Previous(memory, null, null)).assigned());
      assertThat(testIds(m)).as("seed " + seed).isEqualTo(grown.stream().map(x -> x.getString(0))
          .filter(id -> id.startsWith("r-t")).sorted().toList());
    }
  }

  @Test
  void byFileGlobsWithValidationCarvedByTimeAndAFileTwoSplitsClaim() {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      rows.add(row("tr" + i, i % 2 == 0 ? "ham" : "spam", T0.plusSeconds(3600L * i), "flights",
          "file:/data/flights/train/part-" + i % 2 + ".csv", null));
    }
    rows.add(row("tr-tie", "ham", T0.plusSeconds(3600L * 6), "flights", "file:/data/flights/train/part-9.csv", null));
    rows.add(row("tr-untimed", "ham", null, "flights", "file:/data/flights/train/part-0.csv", null));
    rows.add(row("te0", "ham", T0, "flights", "file:/data/flights/test/part-0.csv", null));
    rows.add(row("te1", "spam", null, "flights", "file:/data/flights/test-2002.csv", null));
    rows.add(row("both", "ham", T0, "flights", "file:/data/flights/train/latest-test.csv", null));
    rows.add(row("other", "ham", T0, "flights", "file:/data/other/part-0.csv", null));
    SplitSettings s = settings("""
        split {
          policy = predefined
          predefined {
            by = file
            splits { train = ["train/*.csv"], test = ["test/*.csv", "**/*test*.csv"] }
            validation-from-train = time
          }
          fractions.validation = 0.25
        }
        """);
    Splitter.Result r = Splitter.assign(df(rows), links(), s, SCHEMA, 42, Splitter.Previous.NONE);

    // 9 timed given train rows (tr0..tr7, tr-tie at tr6's time): validation takes round(9 * 0.25) = 2, so the
    // cut-off is the time of the row at index 9 - 2 = 7 in time order, tr6 (index 6 and 7: tr6, tr-tie);
    // ties at the cut-off go to validation with it: tr6, tr-tie, tr7.
    assertThat(r.validationCutoff()).isEqualTo(T0.plusSeconds(3600L * 6));
    Map<String, String> split = splitOf(r.assigned());
    assertThat(split).isEqualTo(new TreeMap<>(Map.ofEntries(
        Map.entry("r-tr0", "train"), Map.entry("r-tr1", "train"), Map.entry("r-tr2", "train"),
        Map.entry("r-tr3", "train"), Map.entry("r-tr4", "train"), Map.entry("r-tr5", "train"),
        Map.entry("r-tr6", "validation"), Map.entry("r-tr-tie", "validation"), Map.entry("r-tr7", "validation"),
        Map.entry("r-te0", "test"), Map.entry("r-te1", "test"))));
    assertThat(reasons(r.rejected())).isEqualTo(Map.of("r-tr-untimed", "MISSING_EVENT_TIME",
        "r-both", "SPLIT_GIVEN_TWICE", "r-other", "SPLIT_NOT_GIVEN"));
    assertThat(r.rejected().filter(col("_record_id").equalTo("r-both")).select(Splitter.MESSAGE).first()
        .getString(0)).isEqualTo("Cannot place record r-both in a given split: its _source_file "
            + "'file:/data/flights/train/latest-test.csv' matches a glob of train and test under "
            + "features.split.predefined.splits. Make the lists of different splits disjoint.");
    assertThat(LeakageChecks.run(r.assigned(), links(), s, SCHEMA)).allMatch(LeakageChecks.Check::passed);

    // A later run given the cut-off keeps it: a new late train row goes to validation, old rows stay.
    List<Row> grown = new ArrayList<>(rows);
    grown.add(row("tr-new", "spam", T0.plusSeconds(3600L * 30), "flights", "file:/data/flights/train/n.csv", null));
    Splitter.Result second = Splitter.assign(df(grown), links(), s, SCHEMA, 42,
        new Splitter.Previous(null, r.validationCutoff(), null));
    Map<String, String> after = splitOf(second.assigned());
    split.forEach((id, sp) -> assertThat(after.get(id)).as(id).isEqualTo(sp));
    assertThat(after.get("r-tr-new")).isEqualTo("validation");
  }

  @Test
  void fileGlobsMatchTheWholePathOrATrailingRunOfItsFolders() {
    assertThat(matches("**/train*.csv", "file:/data/train-2002.csv", "train1.csv", "hdfs://nn/a/b/train.csv"))
        .containsExactly(true, true, true);
    assertThat(matches("**/train*.csv", "file:/data/train/x.csv", "file:/data/train.csv.gz"))
        .containsExactly(false, false);
    assertThat(matches("train/*.csv", "file:/data/flights/train/a.csv", "file:/data/flights/train/sub/a.csv",
        "file:/data/pretrain/a.csv")).containsExactly(true, false, false);
    assertThat(matches("/data/flights/*.csv", "file:/data/flights/a.csv", "hdfs://nn:8020/data/flights/a.csv",
        "file:/x/data/flights/a.csv")).containsExactly(true, true, false);
    assertThat(matches("{train,dev}/part-?.csv", "s3a://b/dev/part-1.csv", "s3a://b/test/part-1.csv",
        "s3a://b/dev/part-10.csv")).containsExactly(true, false, false);
    assertThat(matches("[!t]*.csv", "file:/d/a.csv", "file:/d/t.csv")).containsExactly(true, false);
    assertThat(matches("a+b (1).csv", "file:/d/a+b (1).csv", "file:/d/aab (1).csv")).containsExactly(true, false);
    assertThatThrownBy(() -> FileGlob.regex("**/train[.csv"))
        .hasMessage("has a '[' at position 9 that is never closed with ']'");
    assertThatThrownBy(() -> FileGlob.regex("{train,dev/*.csv")).hasMessage("has a '{' that is never closed with '}'");
  }

  @Test
  void confProblemsNameTheKeyAndTheFix() {
    String base = "split { policy = predefined, predefined { by = source, splits { train = [a], test = [b] } }, %s }";
    assertThat(problems("split.policy = predefined")).containsExactly("Key features.split.predefined is missing: "
        + "policy = predefined needs the given splits, e.g. predefined { by = source, splits { train = "
        + "[\"flights_train\"], test = [\"flights_test\"] } }.");
    assertThat(problems("split { policy = predefined, predefined { by = folder, splitz { train = [a] } } }"))
        .containsExactly("Unknown key features.split.predefined.splitz. Did you mean "
                + "'features.split.predefined.splits'?",
            "Key features.split.predefined.by is 'folder'. Use one of source, file, column.",
            "Key features.split.predefined.splits is missing. Give each split's source name (a key of "
                + "ingest.sources), e.g. splits { train = [\"flights_train\"], test = [\"flights_test\"] }.");
    assertThat(problems("split { policy = predefined, predefined { by = source, splits { train = [a, b], "
        + "test = [b] } } }")).containsExactly("Key features.split.predefined.splits lists 'b' under both train and "
            + "test. A row belongs to one split: keep it in one list.");
    assertThat(problems("split { policy = predefined, predefined { by = source, splits { train = [a] } } }"))
        .containsExactly("Key features.split.predefined.splits.test is missing: policy = predefined needs the test "
            + "rows given, e.g. test = [\"flights_test\"].");
    assertThat(problems("split { policy = predefined, predefined { by = column, column = fold_name, "
        + "splits { train = [a], test = [b] } } }")).containsExactly("Key features.split.predefined.column names "
            + "'fold_name', which is not a canonical column. Declare it under dataset.columns.categorical (and map "
            + "it in each source's columns), or use one of: id, text, sender, split_name.");
    assertThat(problems("split { policy = predefined, predefined { by = column, column = label, "
        + "splits { train = [a], test = [b] } } }")).singleElement().asString()
        .startsWith("Key features.split.predefined.column names the label column 'label'");
    assertThat(problems("split { policy = predefined, predefined { by = column, splits { train = [a], "
        + "test = [b] } } }")).singleElement().asString().startsWith("Key features.split.predefined.column is missing");
    assertThat(problems("split { policy = predefined, predefined { by = file, splits { train = [\"**/train[.csv\"], "
        + "test = [b] } } }")).containsExactly("Key features.split.predefined.splits.train has the glob "
            + "'**/train[.csv', which has a '[' at position 9 that is never closed with ']'. Fix it (* within a "
            + "folder, ** across folders, ?, [abc], {a,b}; \\ escapes).");
    assertThat(problems(base.formatted("fractions { train = 0.8, validation = 0.1, test = 0.1 }, gap = 1d, "
        + "cutoffs.test = \"2002-09-01T00:00:00Z\", group-column = sender"))).containsExactly(
            "Key features.split.fractions.train does not apply to policy = predefined: the given splits decide train "
                + "and test. Remove it (only fractions.validation is read, with "
                + "features.split.predefined.validation-from-train).",
            "Key features.split.fractions.test does not apply to policy = predefined: the given splits decide train "
                + "and test. Remove it (only fractions.validation is read, with "
                + "features.split.predefined.validation-from-train).",
            "Key features.split.fractions.validation applies only with features.split.predefined."
                + "validation-from-train = stratified or time, as the share of the given train rows carved out as "
                + "validation. Remove it, or set validation-from-train.",
            "Key features.split.cutoffs applies only to policy = time, but policy is predefined. Remove it, or set "
                + "features.split.policy = time.",
            "Key features.split.gap applies only to policy = time, but policy is predefined. Remove it.",
            "Key features.split.group-column applies only to policy = group, but policy is predefined. Remove it, "
                + "or set features.split.policy = group.");
    assertThat(problems("split { policy = predefined, predefined { by = source, splits { train = [a], "
        + "validation = [c], test = [b] }, validation-from-train = stratified } }")).containsExactly("Keys "
            + "features.split.predefined.splits.validation and features.split.predefined.validation-from-train = "
            + "stratified are both set. Validation is either given or carved out of the given train rows: remove "
            + "one of them.");
    assertThat(problems("split { policy = predefined, predefined { by = source, splits { train = [a], test = [b] }, "
        + "validation-from-train = time }, folds = 5, fractions.validation = 1.5 }")).containsExactly(
            "Key features.split.fractions.validation is 1.5. Use a share of the given train rows above 0 and below 1, "
                + "e.g. 0.1.",
            "Key features.split.folds is set with features.split.predefined.validation-from-train = time. Shuffled "
                + "folds would train on the future; use validation-from-train = stratified for k folds, or folds = 0.");
    assertThat(problems("split { policy = stratified, predefined.by = source }")).containsExactly("Key "
        + "features.split.predefined applies only to policy = predefined, but policy is stratified. Remove it, or set "
        + "features.split.policy = predefined.");
  }

  @Test
  void sourceNamesAreCheckedAgainstIngestSourcesAndTheSplitColumnMustNotBeAFeature() {
    String dataset = """
        dataset { name = t, columns { id = id, text = [text], label = label, categorical = [sender, split_name] } }
        ingest.sources { flights_train { format = csv, path = x }, flights_test { format = csv, path = y } }
        """;
    ConfigProblems problems = new ConfigProblems("test");
    FeaturesSettings.parse(ConfigFactory.parseString(dataset + """
        features.split { policy = predefined, predefined { by = source,
          splits { train = [flights_train], test = [flights_tst] } } }
        """).resolve(), TestConfigs.of(dataset).dataset(), problems);
    assertThat(problems.problems()).containsExactly("Key features.split.predefined.splits.test names source "
        + "'flights_tst', which is not under ingest.sources. Use one of: flights_test, flights_train.");

    ConfigProblems column = new ConfigProblems("test");
    FeaturesSettings.parse(ConfigFactory.parseString(dataset + """
        features.split { policy = predefined, predefined { by = column, column = split_name,
          splits { train = [train], test = [test] } } }
        """).resolve(), TestConfigs.of(dataset).dataset(), column);
    assertThat(column.problems()).containsExactly("Key features.split.predefined.column names 'split_name', which "
        + "is also a feature (features.categorical.columns): train rows would all carry one value and test rows "
        + "another. List features.categorical.columns without it (by default it holds every "
        + "dataset.columns.categorical column).");
  }

  @Test
  void theFingerprintHoldsTheGivenSplitsAndOtherPoliciesKeepTheirs() {
    SplitSettings a = settings(BY_SOURCE);
    SplitSettings reordered = settings(BY_SOURCE.replace("train = [\"flights_train\"]",
        "train = [\"flights_extra\", \"flights_train\"]"));
    SplitSettings reordered2 = settings(BY_SOURCE.replace("train = [\"flights_train\"]",
        "train = [\"flights_train\", \"flights_extra\"]"));
    assertThat(a.fingerprint(42)).isNotEqualTo(reordered.fingerprint(42));
    assertThat(reordered.fingerprint(42)).isEqualTo(reordered2.fingerprint(42));
    assertThat(a.fingerprint(42)).isNotEqualTo(settings(BY_SOURCE.replace("stratified", "time")).fingerprint(42));
    assertThat(a.fingerprint(42)).isNotEqualTo(settings(BY_SOURCE.replace("by = source",
        "by = source, unmatched = fail")).fingerprint(42));
    // The stratified default's fingerprint is the one earlier releases wrote, so their assignments are reused.
    assertThat(settings("").fingerprint(42)).isEqualTo("1d6f4946ff4f3ebc");
  }

  private static List<String> testIds(Map<String, String> split) {
    return split.entrySet().stream().filter(e -> e.getValue().equals("test")).map(Map.Entry::getKey).sorted()
        .toList();
  }

  private static List<Boolean> matches(String glob, String... paths) {
    Pattern p = Pattern.compile(FileGlob.regex(glob));
    List<Boolean> out = new ArrayList<>();
    for (String path : paths) {
      out.add(p.matcher(path).find());
    }
    return out;
  }
}
