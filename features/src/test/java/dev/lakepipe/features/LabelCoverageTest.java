package dev.lakepipe.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lakepipe.core.LakepipeException;
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
 * Labels through the features stage on a table with no text and no id column (label, event time, one numeric,
 * one categorical column): a time split where a label first appears after train, and labels too rare to learn.
 */
class LabelCoverageTest extends SparkTestBase {

  static final StructType SILVER = new StructType()
      .add("label", DataTypes.StringType).add("event_time", DataTypes.TimestampType)
      .add("temp", DataTypes.DoubleType).add("kind", DataTypes.StringType)
      .add("_record_id", DataTypes.StringType).add("_source", DataTypes.StringType)
      .add("_source_file", DataTypes.StringType).add("_source_row", DataTypes.LongType)
      .add("_ingested_at", DataTypes.TimestampType).add("run_id", DataTypes.StringType)
      .add("_flags", DataTypes.createArrayType(DataTypes.StringType));
  static final Instant T0 = Instant.parse("2012-01-01T00:00:00Z");

  @TempDir
  Path dir;

  LakepipeConfig config(String features) {
    return TestConfigs.of("""
        dataset {
          name = "weather"
          columns { label = label, event-time = event_time, numeric = [temp], categorical = [kind] }
        }
        tables.warehouse = "%s"
        features {
          event-time.parts = [month, day-of-week]
          %s
        }
        """.formatted(dir.resolve("lake"), features));
  }

  static Row row(int i, String label) {
    return RowFactory.create(label, Timestamp.from(T0.plusSeconds(86400L * i)), 10.0 + i, i % 3 == 0 ? "x" : "y",
        "r" + (100 + i), "weather", "weather.csv", (long) i + 2, Timestamp.from(T0), "clean-1", new String[0]);
  }

  void writeSilver(List<Row> rows) {
    spark.createDataFrame(rows, SILVER).write().format("delta").mode(SaveMode.Overwrite)
        .option("overwriteSchema", "true").save(dir.resolve("lake/silver/records").toString());
  }

  /**
   * 20 days, one row each. Days 0..15 alternate a, b (8 each); day 16 a, 17 c, 18 b, 19 c. Time fractions
   * 0.8 / 0.1 / 0.1 cut at the rows at index round(16) and round(18): train = days 0..15, validation = 16, 17,
   * test = 18, 19. Label c first appears in validation.
   */
  static List<Row> newLabelLate() {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      rows.add(row(i, i % 2 == 0 ? "a" : "b"));
    }
    rows.add(row(16, "a"));
    rows.add(row(17, "c"));
    rows.add(row(18, "b"));
    rows.add(row(19, "c"));
    return rows;
  }

  @Test
  void aLabelFirstSeenAfterTrainIsQuarantinedWithItsReasonAndCounted() {
    writeSilver(newLabelLate());
    FeaturesReport report = FeaturesJob.run(spark, config("split { policy = time, unseen-labels = quarantine }"),
        RunContext.of("lc-1"));

    assertThat(List.of(report.in(), report.placed(), report.quarantined())).containsExactly(20L, 18L, 2L);
    assertThat(FeaturesJobTest.counts("SELECT split, label, count(*) FROM gold.dataset GROUP BY split, label"))
        .isEqualTo(Map.of("train", Map.of("a", 8L, "b", 8L), "validation", Map.of("a", 1L),
            "test", Map.of("b", 1L)));
    assertThat(spark.sql("SELECT _record_id, reason_code, rule_id, column_name, raw_value, message "
        + "FROM ops.quarantine WHERE stage = 'features' ORDER BY _record_id").collectAsList())
        .extracting(r -> List.of(r.getString(0), r.getString(1), r.getString(2), r.getString(3), r.getString(4)))
        .containsExactly(List.of("r117", "LABEL_NOT_IN_TRAIN", "features.split.unseen-labels", "label", "c"),
            List.of("r119", "LABEL_NOT_IN_TRAIN", "features.split.unseen-labels", "label", "c"));
    assertThat(spark.sql("SELECT message FROM ops.quarantine WHERE _record_id = 'r117'").first().getString(0))
        .isEqualTo("Cannot keep record r117 in split validation: its label 'c' has no train row, so the model "
            + "cannot learn it. Quarantined because features.split.unseen-labels = quarantine; to keep it, place "
            + "rows of this label in train (another split policy or cut-off), or merge rare labels "
            + "(features.rare-labels.action = merge).");
    // The manifest counts them on the split they were taken from; the rows add up to silver's 20.
    assertThat(spark.sql("SELECT split, rows, quarantined_rows, checks_passed FROM ops.split_manifest "
        + "WHERE run_id = 'lc-1' ORDER BY split").collectAsList())
        .extracting(r -> List.of(r.getString(0), r.getLong(1), r.getJavaMap(2), r.getBoolean(3)))
        .containsExactly(List.of("test", 1L, Map.of("LABEL_NOT_IN_TRAIN", 1L), true),
            List.of("train", 16L, Map.of(), true),
            List.of("validation", 1L, Map.of("LABEL_NOT_IN_TRAIN", 1L), true));
    // No text: no text check ran, and the vector is temp (scaled) + its missing slot + kind (x, y, unknown)
    // + month + day of week + time missing = 8 slots.
    assertThat(spark.sql("SELECT transform(checks, c -> c.check) FROM ops.split_manifest WHERE split = 'train'")
        .first().<String>getList(0)).containsExactly("record-ids-unique", "near-duplicates-within-split",
            "labels-seen-in-train", "time-order");
    assertThat(spark.sql("SELECT pipeline_statistics['vector.size'] FROM ops.split_manifest WHERE split = 'train'")
        .first().getString(0)).isEqualTo("8");
  }

  @Test
  void byDefaultALabelFirstSeenAfterTrainStopsTheStage() {
    writeSilver(newLabelLate());
    assertThatThrownBy(() -> FeaturesJob.run(spark, config("split.policy = time"), RunContext.of("lc-2")))
        .isInstanceOf(LakepipeException.class)
        .hasMessageContaining("labels-seen-in-train: labels missing from train: 'c' in test, 'c' in validation");
  }

  /** a 20, b 10, x 2, y 1. Stratified 0.8 / 0.1 / 0.1: a 16/2/2, b 8/1/1, x round(1.6) = 2/0/0, y 1/0/0. */
  static List<Row> rareLabels() {
    List<Row> rows = new ArrayList<>();
    int i = 0;
    for (String[] spec : new String[][] {{"a", "20"}, {"b", "10"}, {"x", "2"}, {"y", "1"}}) {
      for (int k = 0; k < Integer.parseInt(spec[1]); k++) {
        rows.add(row(i++, spec[0]));
      }
    }
    return rows;
  }

  @Test
  void labelsWithTooFewTrainRowsAreQuarantined() {
    writeSilver(rareLabels());
    FeaturesReport report = FeaturesJob.run(spark, config("min-class-rows = 3"), RunContext.of("lc-3"));

    assertThat(List.of(report.in(), report.placed(), report.quarantined())).containsExactly(33L, 30L, 3L);
    assertThat(FeaturesJobTest.counts("SELECT split, label, count(*) FROM gold.dataset GROUP BY split, label"))
        .isEqualTo(Map.of("train", Map.of("a", 16L, "b", 8L), "validation", Map.of("a", 2L, "b", 1L),
            "test", Map.of("a", 2L, "b", 1L)));
    assertThat(spark.sql("SELECT raw_value, reason_code, rule_id, count(*) FROM ops.quarantine "
        + "GROUP BY 1, 2, 3 ORDER BY 1").collectAsList())
        .containsExactly(RowFactory.create("x", "RARE_LABEL", "features.min-class-rows", 2L),
            RowFactory.create("y", "RARE_LABEL", "features.min-class-rows", 1L));
    assertThat(spark.sql("SELECT quarantined_rows FROM ops.split_manifest WHERE split = 'train'").first()
        .getJavaMap(0)).isEqualTo(Map.of("RARE_LABEL", 3L));
  }

  @Test
  void rareLabelsMergeIntoOneLabelThatKeepsTheirOriginalNames() {
    writeSilver(rareLabels());
    FeaturesReport report = FeaturesJob.run(spark,
        config("min-class-rows = 3\nrare-labels { action = merge, merge-into = other }"), RunContext.of("lc-4"));

    assertThat(List.of(report.in(), report.placed(), report.quarantined())).containsExactly(33L, 33L, 0L);
    assertThat(report.labels()).containsExactly("a", "b", "other");
    assertThat(FeaturesJobTest.counts("SELECT split, label, count(*) FROM gold.dataset GROUP BY split, label"))
        .isEqualTo(Map.of("train", Map.of("a", 16L, "b", 8L, "other", 3L), "validation", Map.of("a", 2L, "b", 1L),
            "test", Map.of("a", 2L, "b", 1L)));
    assertThat(spark.sql("SELECT merged_from_label, count(*) FROM gold.dataset WHERE label = 'other' "
        + "GROUP BY 1 ORDER BY 1").collectAsList())
        .containsExactly(RowFactory.create("x", 2L), RowFactory.create("y", 1L));
    assertThat(spark.sql("SELECT count(*) FROM gold.dataset WHERE merged_from_label IS NOT NULL "
        + "AND label <> 'other'").first().getLong(0)).isZero();
    assertThat(spark.sql("SELECT merged_labels FROM ops.split_manifest WHERE split = 'train'").first()
        .getJavaMap(0)).isEqualTo(Map.of("x", 2L, "y", 1L));
  }

  @Test
  void aMergedLabelStillTooRareIsQuarantinedWhole() {
    writeSilver(rareLabels());
    FeaturesReport report = FeaturesJob.run(spark,
        config("min-class-rows = 4\nrare-labels.action = merge"), RunContext.of("lc-5"));

    assertThat(List.of(report.placed(), report.quarantined())).containsExactly(30L, 3L);
    assertThat(report.labels()).containsExactly("a", "b");
    assertThat(spark.sql("SELECT message FROM ops.quarantine WHERE raw_value = 'y'").first().getString(0))
        .contains("has fewer than features.min-class-rows = 4 train rows, even merged into 'other'");
  }
}
