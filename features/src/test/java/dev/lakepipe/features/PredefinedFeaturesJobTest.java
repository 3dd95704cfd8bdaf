package dev.lakepipe.features;

import static dev.lakepipe.features.FeaturesJobTest.counts;
import static dev.lakepipe.features.FeaturesJobTest.splits;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lakepipe.core.RunContext;
import dev.lakepipe.core.config.LakepipeConfig;
import dev.lakepipe.core.testing.SparkTestBase;
import dev.lakepipe.core.testing.TestConfigs;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The features stage with {@code split.policy = predefined}, end to end: silver rows from two sources (and a
 * third no split names), gold's split per source, the quarantine, the manifest, and a second run that keeps
 * every old row where it was.
 */
class PredefinedFeaturesJobTest extends SparkTestBase {

  static final StructType SILVER = new StructType()
      .add("id", DataTypes.StringType).add("text", DataTypes.StringType).add("label", DataTypes.StringType)
      .add("event_time", DataTypes.TimestampType).add("size_bytes", DataTypes.DoubleType)
      .add("sender", DataTypes.StringType)
      .add("_record_id", DataTypes.StringType).add("_source", DataTypes.StringType)
      .add("_source_file", DataTypes.StringType).add("_source_row", DataTypes.LongType)
      .add("_ingested_at", DataTypes.TimestampType).add("run_id", DataTypes.StringType)
      .add("_flags", DataTypes.createArrayType(DataTypes.StringType));
  static final Instant T0 = Instant.parse("2002-01-01T00:00:00Z");

  @TempDir
  Path dir;

  LakepipeConfig config(String split) {
    return TestConfigs.of("""
        dataset {
          name = "t"
          columns { id = id, text = [text], label = label, event-time = event_time, numeric = [size_bytes],
            categorical = [sender] }
        }
        tables.warehouse = "%s"
        ingest.sources {
          flights_train { format = csv, path = "in/train" }
          flights_test { format = csv, path = "in/test" }
          flights_extra { format = csv, path = "in/extra" }
        }
        features {
          text.num-features = 64
          export.rows-per-file = 10
          split { %s }
        }
        """.formatted(dir.resolve("lake"), split));
  }

  /** A silver row of {@code source}; its text is unique to its id, so no text is shared across splits. */
  static Row silverRow(String source, String file, String id, String label, int i, Instant time) {
    boolean ham = label.equals("ham");
    String text = ham ? "meeting notes " + id + " for the project team" : "buy cheap pills " + id + " click now";
    return RowFactory.create(id, text, label, time == null ? null : Timestamp.from(time),
        ham ? 1000.0 + 10 * i : 5000.0 + 100 * i, ham ? "alice@x.org" : "spammer@bad.biz", "r-" + id, source,
        file, (long) i + 2, Timestamp.from(T0), "clean-1", new String[0]);
  }

  static List<Row> rows(String source, String prefix, String label, int from, int to) {
    List<Row> out = new ArrayList<>();
    for (int i = from; i < to; i++) {
      out.add(silverRow(source, "file:/in/" + source + "/part-0.csv", prefix + i, label, i,
          T0.plusSeconds(86400L * i)));
    }
    return out;
  }

  void writeSilver(List<Row> rows) {
    spark.createDataFrame(rows, SILVER).write().format("delta").mode(SaveMode.Overwrite)
        .option("overwriteSchema", "true").save(dir.resolve("lake/silver/records").toString());
  }

  @Test
  void eachSourceKeepsItsGivenSplitInGoldAndTheManifestAndASecondRunMovesNoOldRow() {
    List<Row> silver = new ArrayList<>(rows("flights_train", "h", "ham", 0, 30));
    silver.addAll(rows("flights_train", "s", "spam", 0, 10));
    silver.addAll(rows("flights_test", "th", "ham", 0, 6));
    silver.addAll(rows("flights_test", "ts", "spam", 0, 4));
    silver.addAll(rows("flights_extra", "x", "ham", 0, 1));
    writeSilver(silver);
    LakepipeConfig config = config("""
        policy = predefined
        predefined {
          by = source
          splits { train = [flights_train], test = [flights_test] }
          validation-from-train = stratified
        }
        fractions.validation = 0.1
        """);
    FeaturesReport report = FeaturesJob.run(spark, config, RunContext.of("p-1"));

    assertThat(List.of(report.in(), report.placed(), report.quarantined())).containsExactly(51L, 50L, 1L);
    assertThat(report.policy()).isEqualTo("predefined");
    // The test source is the test split, whole; validation is round(n * 0.1) of each label of the train source.
    assertThat(counts("SELECT _source, split, count(*) FROM gold.dataset GROUP BY _source, split")).isEqualTo(Map.of(
        "flights_train", Map.of("train", 36L, "validation", 4L),
        "flights_test", Map.of("test", 10L)));
    assertThat(counts("SELECT split, label, count(*) FROM gold.dataset GROUP BY split, label")).isEqualTo(Map.of(
        "train", Map.of("ham", 27L, "spam", 9L),
        "validation", Map.of("ham", 3L, "spam", 1L),
        "test", Map.of("ham", 6L, "spam", 4L)));
    assertThat(spark.sql("SELECT _record_id, stage, reason_code, rule_id, column_name, raw_value FROM ops.quarantine")
        .collectAsList()).containsExactly(RowFactory.create("r-x0", "features", "SPLIT_NOT_GIVEN",
            "features.split.predefined.splits", "_source", "flights_extra"));

    // The manifest: policy predefined, each split's counts, validation's share of the given train rows, and the
    // given-splits check among the five that passed.
    assertThat(spark.sql("SELECT split, rows, class_counts['ham'], class_counts['spam'], policy, target_fraction, "
        + "checks_passed, size(checks), exists(checks, c -> c.check = 'given-splits-kept' AND c.passed) "
        + "FROM ops.split_manifest WHERE run_id = 'p-1' ORDER BY split").collectAsList()).containsExactly(
            RowFactory.create("test", 10L, 6L, 4L, "predefined", null, true, 5, true),
            RowFactory.create("train", 36L, 27L, 9L, "predefined", null, true, 5, true),
            RowFactory.create("validation", 4L, 3L, 1L, "predefined", 0.1, true, 5, true));

    // A second run over grown silver reuses the assignment: no old row moves, new test rows are test.
    Map<String, String> before = splits();
    silver.addAll(rows("flights_train", "h", "ham", 30, 33));
    silver.addAll(rows("flights_test", "ts", "spam", 4, 5));
    writeSilver(silver);
    FeaturesReport second = FeaturesJob.run(spark, config, RunContext.of("p-2"));
    assertThat(second.reusedPreviousAssignment()).isTrue();
    Map<String, String> after = splits();
    before.forEach((id, split) -> assertThat(after.get(id)).as(id).isEqualTo(split));
    assertThat(after.get("r-ts4")).isEqualTo("test");
    // ham 33 given train rows: validation round(3.3) = 3, which the old rows already hold.
    assertThat(counts("SELECT split, label, count(*) FROM gold.dataset GROUP BY split, label")).isEqualTo(Map.of(
        "train", Map.of("ham", 30L, "spam", 9L),
        "validation", Map.of("ham", 3L, "spam", 1L),
        "test", Map.of("ham", 6L, "spam", 5L)));
  }

  @Test
  void validationCarvedByTimeRecordsItsCutoffAndTheNextRunReusesIt() {
    List<Row> silver = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      silver.add(silverRow("flights", "file:/in/flights/train/part-0.csv", "t" + i, i % 2 == 0 ? "ham" : "spam", i,
          T0.plusSeconds(86400L * i)));
    }
    silver.add(silverRow("flights", "file:/in/flights/train/part-1.csv", "untimed", "ham", 0, null));
    for (int i = 0; i < 4; i++) {
      silver.add(silverRow("flights", "file:/in/flights/test/part-0.csv", "e" + i, i % 2 == 0 ? "ham" : "spam", i,
          T0.plusSeconds(86400L * i)));
    }
    writeSilver(silver);
    LakepipeConfig config = config("""
        policy = predefined
        predefined {
          by = file
          splits { train = ["train/*.csv"], test = ["test/*.csv"] }
          validation-from-train = time
        }
        fractions.validation = 0.2
        """);
    FeaturesReport report = FeaturesJob.run(spark, config, RunContext.of("t-1"));

    // 20 timed train rows: validation takes round(20 * 0.2) = 4, cut at the time of the row at index 16.
    assertThat(List.of(report.in(), report.placed(), report.quarantined())).containsExactly(25L, 24L, 1L);
    Instant cutoff = T0.plusSeconds(86400L * 16);
    assertThat(counts("SELECT split, label, count(*) FROM gold.dataset GROUP BY split, label")).isEqualTo(Map.of(
        "train", Map.of("ham", 8L, "spam", 8L),
        "validation", Map.of("ham", 2L, "spam", 2L),
        "test", Map.of("ham", 2L, "spam", 2L)));
    assertThat(spark.sql("SELECT _record_id, reason_code, rule_id, column_name FROM ops.quarantine").collectAsList())
        .containsExactly(RowFactory.create("r-untimed", "MISSING_EVENT_TIME",
            "features.split.predefined.validation-from-train", "event_time"));
    assertThat(spark.sql("SELECT split, lower_bound, upper_bound FROM ops.split_manifest WHERE run_id = 't-1' "
        + "ORDER BY split").collectAsList()).containsExactly(
            RowFactory.create("test", null, null),
            RowFactory.create("train", null, Timestamp.from(cutoff)),
            RowFactory.create("validation", Timestamp.from(cutoff), null));

    // Two more train rows, one late and one in the middle. Cut afresh, index 22 - round(22 * 0.2) = 18 would be day
    // 17 and move t16 to train; the reused cut-off keeps every old row and puts the late row in validation.
    Map<String, String> before = splits();
    silver.add(silverRow("flights", "file:/in/flights/train/part-2.csv", "late", "spam", 30,
        T0.plusSeconds(86400L * 30)));
    silver.add(silverRow("flights", "file:/in/flights/train/part-2.csv", "mid", "ham", 5,
        T0.plusSeconds(86400L * 5 + 43200)));
    writeSilver(silver);
    FeaturesJob.run(spark, config, RunContext.of("t-2"));
    Map<String, String> after = splits();
    before.forEach((id, split) -> assertThat(after.get(id)).as(id).isEqualTo(split));
    assertThat(after.get("r-late")).isEqualTo("validation");
    assertThat(after.get("r-mid")).isEqualTo("train");
  }
}
