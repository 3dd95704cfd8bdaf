package dev.lakepipe.train;

import dev.lakepipe.core.RunContext;
import dev.lakepipe.core.config.LakepipeConfig;
import dev.lakepipe.core.testing.TestConfigs;
import dev.lakepipe.features.FeaturesJob;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * A small labelled dataset taken through the real features stage into a warehouse: 80 ham and 40 spam
 * messages whose words tell the classes apart (ham: meeting, notes, schedule; spam: cheap, pills, offer), with
 * a size column. Stratified 0.8 / 0.1 / 0.1: train 64 ham + 32 spam, validation 8 + 4, test 8 + 4.
 */
final class TrainFixture {

  static final StructType SILVER = new StructType()
      .add("id", DataTypes.StringType).add("text", DataTypes.StringType).add("label", DataTypes.StringType)
      .add("size_bytes", DataTypes.DoubleType)
      .add("_record_id", DataTypes.StringType).add("_source", DataTypes.StringType)
      .add("_source_file", DataTypes.StringType).add("_source_row", DataTypes.LongType)
      .add("_ingested_at", DataTypes.TimestampType).add("run_id", DataTypes.StringType)
      .add("_flags", DataTypes.createArrayType(DataTypes.StringType));

  private static final String[] HAM = {"meeting", "notes", "schedule", "project", "team", "agenda", "review"};
  private static final String[] SPAM = {"cheap", "pills", "offer", "click", "winner", "free", "limited"};

  private TrainFixture() {}

  /** The default text features: hashed TF-IDF over 32 slots, every train term kept. */
  static final String TFIDF = "text { num-features = 32, min-doc-freq = 1 }";

  static String conf(Path warehouse, String train) {
    return conf(warehouse, TFIDF, train);
  }

  /** The fixture's conf with these {@code features} text keys (e.g. the sequence representation). */
  static String conf(Path warehouse, String features, String train) {
    return """
        dataset {
          name = "t"
          columns { id = id, text = [text], label = label, numeric = [size_bytes] }
        }
        tables.warehouse = "%s"
        features {
          export.rows-per-file = 16
          split.folds = 0
          %s
        }
        train {
          batch-size = 8
          epochs = 4
          workers = 2
          preflight = false
          stall-timeout = 60s
          network { hidden = [8] }
          learning-rate { base = 0.01, floor = 0.001, warmup-epochs = 1 }
          %s
        }
        """.formatted(warehouse, features, train);
  }

  static LakepipeConfig config(Path warehouse, String train) {
    return TestConfigs.of(conf(warehouse, train));
  }

  static LakepipeConfig config(Path warehouse, String features, String train) {
    return TestConfigs.of(conf(warehouse, features, train));
  }

  /** Writes silver and runs the features stage, so the warehouse holds gold, its export and manifest. */
  static void build(SparkSession spark, Path warehouse) {
    build(spark, warehouse, TFIDF);
  }

  /** As {@link #build(SparkSession, Path)}, with these {@code features} text keys. */
  static void build(SparkSession spark, Path warehouse, String features) {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 120; i++) {
      boolean ham = i < 80;
      String[] words = ham ? HAM : SPAM;
      String text = words[i % words.length] + " " + words[(i / 2 + 3) % words.length] + " message " + i + " "
          + words[(i * 5 + 1) % words.length];
      String id = (ham ? "h" : "s") + i;
      rows.add(RowFactory.create(id, text, ham ? "ham" : "spam", ham ? 1000.0 + 7 * i : 4000.0 + 11 * i,
          "r-" + id, "src", "file:/in/" + id, (long) i, Timestamp.from(Instant.parse("2002-01-01T00:00:00Z")),
          "clean-1", new String[0]));
    }
    spark.createDataFrame(rows, SILVER).write().format("delta").mode(SaveMode.Overwrite)
        .save(warehouse.resolve("silver/records").toString());
    FeaturesJob.run(spark, config(warehouse, features, ""), RunContext.of("features-1"));
  }
}
