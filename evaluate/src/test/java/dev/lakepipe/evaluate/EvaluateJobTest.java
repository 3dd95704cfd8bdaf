package dev.lakepipe.evaluate;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.lit;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.lakepipe.core.Persisted;
import dev.lakepipe.core.RunContext;
import dev.lakepipe.core.TableCatalog;
import dev.lakepipe.core.config.ConfigProblems;
import dev.lakepipe.core.config.LakepipeConfig;
import dev.lakepipe.core.model.ModelStore;
import dev.lakepipe.core.model.ModelVersion;
import dev.lakepipe.core.testing.SparkTestBase;
import dev.lakepipe.core.testing.TestConfigs;
import dev.lakepipe.features.FeaturePipeline;
import dev.lakepipe.features.FeatureSettings;
import dev.lakepipe.features.FittedFeatures;
import dev.lakepipe.ingest.SourceReader;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * The evaluate and score stages on hand-built rows and two hand-set models, every number worked out by hand.
 *
 * <p>Gold (labels ham = 0, spam = 1; content_type one-hot slots html, plain, unknown at the end of the vector):
 * <pre>
 * test  t1 spam html  a 2024-01   t5 ham plain b 2024-02
 *       t2 spam html  a 2024-02   t6 ham plain b 2024-02
 *       t3 spam plain b 2024-01   t7 ham html  b 2024-01
 *       t4 ham  plain a 2024-01   t8 ham plain a 2024-02
 * validation v1 spam html a, v2 ham plain b
 * train r1..r7 (spam 3, ham 4: majority ham) and p1, a poisoned ham row whose features vector has 3 values
 * </pre>
 * Model "m-good": a softmax layer whose only weights are W[html, spam] = ln(17/3) and W[plain, ham] = ln 3, so
 * html rows get p(spam) = 0.85 and plain rows p(ham) = 0.75. On test it gets t3 and t7 wrong: accuracy 6/8;
 * F1 spam 2/3 (tp 2, 3 predicted, 3 true), ham 4/5 → macro F1 11/15; ROC AUC (spam scores 0.85, 0.85, 0.25
 * against ham 0.25 ×4 and 0.85): (4.5 + 4.5 + 2) / 15 = 11/15. Model "m-bad": bias ln 3 on ham only, so every
 * row is ham at 0.75: accuracy 5/8 (source a 2/4, source b 3/4), macro F1 (10/13 + 0) / 2 = 5/13. The second
 * model is evaluated on test only, without bootstrap, to keep the class fast.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EvaluateJobTest extends SparkTestBase {

  static final StructType SILVER = new StructType()
      .add("id", DataTypes.StringType).add("text", DataTypes.StringType).add("label", DataTypes.StringType)
      .add("event_time", DataTypes.TimestampType).add("size_bytes", DataTypes.DoubleType)
      .add("content_type", DataTypes.StringType)
      .add("_record_id", DataTypes.StringType).add("_source", DataTypes.StringType)
      .add("_source_file", DataTypes.StringType).add("_source_row", DataTypes.LongType)
      .add("_ingested_at", DataTypes.TimestampType).add("run_id", DataTypes.StringType)
      .add("split", DataTypes.StringType);

  static final double LN_17_3 = Math.log(17.0 / 3);
  static final double LN_3 = Math.log(3);

  @TempDir
  static Path dir;

  LakepipeConfig config;
  EvaluateSettings settings;
  EvaluateReport first;
  EvaluateReport second;

  static Row row(String id, String label, String type, String source, int month, String split) {
    boolean spam = label.equals("spam");
    String text = spam ? "cheap pills offer now " + id : "meeting notes for the team " + id;
    Instant t = Instant.parse(String.format("2024-%02d-10T12:00:00Z", month));
    return RowFactory.create(id, text, label, Timestamp.from(t), spam ? 5000.0 : 1000.0, type, "r-" + id, source,
        "file:/in/" + source + ".csv", 1L, Timestamp.from(t), "clean-1", split);
  }

  static List<Row> silver() {
    return List.of(
        row("t1", "spam", "html", "a", 1, "test"), row("t2", "spam", "html", "a", 2, "test"),
        row("t3", "spam", "plain", "b", 1, "test"), row("t4", "ham", "plain", "a", 1, "test"),
        row("t5", "ham", "plain", "b", 2, "test"), row("t6", "ham", "plain", "b", 2, "test"),
        row("t7", "ham", "html", "b", 1, "test"), row("t8", "ham", "plain", "a", 2, "test"),
        row("v1", "spam", "html", "a", 1, "validation"), row("v2", "ham", "plain", "b", 1, "validation"),
        row("r1", "spam", "html", "a", 1, "train"), row("r2", "spam", "html", "b", 1, "train"),
        row("r3", "spam", "plain", "a", 1, "train"), row("r4", "ham", "plain", "a", 1, "train"),
        row("r5", "ham", "plain", "b", 2, "train"), row("r6", "ham", "plain", "b", 2, "train"),
        row("r7", "ham", "html", "a", 2, "train"));
  }

  @BeforeAll
  void buildGoldAndModels() throws Exception {
    config = TestConfigs.of("""
        dataset {
          name = "t"
          columns { id = id, text = [text], label = label, event-time = event_time, numeric = [size_bytes],
            categorical = [content_type] }
        }
        tables.warehouse = "%s"
        features { text.num-features = 16 }
        evaluate {
          splits = [test, validation]
          slices = ["_source", "content_type"]
          min-support = 4
          bootstrap { replicates = 20, seed = 7 }
          gate { min { macro_f1 = 0.7 }, max-drop { macro_f1 = 0.02 } }
        }
        """.formatted(dir.resolve("lake")));
    settings = EvaluateSettings.parse(config);

    // Gold: the pipeline fitted on train rows, every row transformed, plus the poisoned train row.
    Dataset<Row> rows = spark.createDataFrame(silver(), SILVER);
    ConfigProblems problems = new ConfigProblems("test");
    FeatureSettings fs = FeatureSettings.parse(config.raw().getConfig("features"), config.dataset(), problems);
    problems.throwIfAny();
    FittedFeatures fitted = FeaturePipeline.fit(rows.filter(col("split").equalTo("train")), fs, config.dataset());
    String pipeline = dir.resolve("pipeline/f-1").toString();
    fitted.save(pipeline);
    Dataset<Row> gold = fitted.withLabels(fitted.transform(rows))
        .withColumn("run_id", lit("f-1")).withColumn("fold", lit(0)).withColumn("augmented", lit(false));
    Row r4 = gold.filter(col("id").equalTo("r4")).first();
    Object[] poison = new Object[r4.size()];
    for (int i = 0; i < poison.length; i++) {
      poison[i] = r4.get(i);
    }
    poison[r4.fieldIndex("id")] = "p1";
    poison[r4.fieldIndex("_record_id")] = "r-p1";
    poison[r4.fieldIndex("features")] = Vectors.dense(1, 2, 3);
    gold = gold.unionByName(spark.createDataFrame(List.of(RowFactory.create(poison)), gold.schema()));
    gold.write().format("delta").save(dir.resolve("lake/gold/dataset").toString());

    int n = fitted.featureSize();
    int html = n - 3;
    int plain = n - 2;
    float[][] good = new float[n][2];
    good[html][1] = (float) LN_17_3;
    good[plain][0] = (float) LN_3;
    publish(fitted, "m-good", good, new float[] {0, 0});
    publish(fitted, "m-bad", new float[n][2], new float[] {(float) LN_3, 0});

    // Two epochs of training history for m-good, for the report's training curves.
    StructType history = new StructType().add("run_id", DataTypes.StringType).add("epoch", DataTypes.IntegerType)
        .add("learning_rate", DataTypes.DoubleType).add("train_loss", DataTypes.DoubleType)
        .add("validation_loss", DataTypes.DoubleType).add("validation_macro_f1", DataTypes.DoubleType)
        .add("best_so_far", DataTypes.BooleanType);
    spark.createDataFrame(List.of(RowFactory.create("m-good", 1, 0.01, 0.9, 0.8, 0.6, true),
            RowFactory.create("m-good", 2, 0.005, 0.7, 0.6, 0.7, true)), history)
        .write().format("delta").save(dir.resolve("lake/results/training_history").toString());

    first = EvaluateJob.run(spark, config, settings.withModel("m-good"), RunContext.of("e-1"), null);
    second = EvaluateJob.run(spark, config, secondSettings(), RunContext.of("e-2"), null);
    new TableCatalog(spark, config.tables()).registerAll();
  }

  EvaluateSettings secondSettings() {
    return new EvaluateSettings(List.of("test"), settings.slices(), settings.minSupport(), settings.batchSize(),
        Bootstrap.Settings.NONE, settings.drift(), settings.gate(), settings.reportPath(), "m-bad",
        settings.modelStore());
  }

  void publish(FittedFeatures fitted, String version, float[][] w, float[] b) throws Exception {
    ComputationGraph net = new ComputationGraph(new NeuralNetConfiguration.Builder().seed(1).graphBuilder()
        .addInputs("features")
        .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(w.length).nOut(2)
            .activation(Activation.SOFTMAX).build(), "features")
        .setOutputs("out").build());
    net.init();
    net.getLayer("out").setParam("W", Nd4j.create(w));
    net.getLayer("out").setParam("b", Nd4j.create(new float[][] {b}));
    ModelStore store = new ModelStore(settings.modelStore(), spark.sparkContext().hadoopConfiguration());
    try (OutputStream out = store.fs().create(store.modelZip(version), true)) {
      ModelSerializer.writeModel(net, out, true);
    }
    store.publish(new ModelVersion(version, version, "2024-03-01T00:00:00Z", List.of("features"), fitted.labels(),
        "f-1", dir.resolve("pipeline/f-1").toString(), fitted.featureSize(), 0, 0L, "fp", "", "softmax",
        net.numParams(), "averaging", 1, 2, 2, "epochs", Map.of(), "off", Map.of()));
  }

  static Map<String, Double> metrics(String sql) {
    Map<String, Double> out = new TreeMap<>();
    spark.sql(sql).collectAsList().forEach(r -> out.put(r.getString(0), r.getDouble(1)));
    return out;
  }

  @Test
  @Order(1)
  void predictionsAndMetricsHoldTheHandWorkedValues() {
    // Predictions: test and validation rows only, with the hand-set probabilities.
    Map<String, Row> predictions = new TreeMap<>();
    spark.sql("SELECT _record_id, split, label, label_index, predicted_label, predicted_index, p_ham, p_spam, "
        + "model_version FROM results.predictions WHERE run_id = 'e-1'").collectAsList()
        .forEach(r -> predictions.put(r.getString(0), r));
    assertThat(predictions.keySet()).containsExactly("r-t1", "r-t2", "r-t3", "r-t4", "r-t5", "r-t6", "r-t7",
        "r-t8", "r-v1", "r-v2");
    assertThat(predictions.get("r-t3").getString(4)).isEqualTo("ham");
    assertThat(predictions.get("r-t3").getDouble(6)).isCloseTo(0.75, within(1e-6));
    assertThat(predictions.get("r-t7").getString(4)).isEqualTo("spam");
    assertThat(predictions.get("r-t7").getDouble(7)).isCloseTo(0.85, within(1e-6));
    assertThat(predictions.get("r-v1").getString(1)).isEqualTo("validation");

    Map<String, Double> all = metrics("SELECT metric, value FROM results.metrics WHERE run_id = 'e-1' "
        + "AND split = 'test' AND slice = 'all' AND class = '*'");
    assertThat(all.get("accuracy")).isCloseTo(0.75, within(1e-9));
    assertThat(all.get("macro_f1")).isCloseTo(11.0 / 15, within(1e-9));
    assertThat(all.get("roc_auc")).isCloseTo(11.0 / 15, within(1e-9));
    assertThat(all.get("baseline_accuracy")).isCloseTo(5.0 / 8, within(1e-9));
    double logLoss = (-2 * Math.log(0.85) - Math.log(0.25) - 4 * Math.log(0.75) - Math.log(0.15)) / 8;
    assertThat(all.get("log_loss")).isCloseTo(logLoss, within(1e-6));
    // ECE: bin 8 holds t1, t2, t7 (confidence 0.85, 2 right), bin 7 the five plain rows (0.75, 4 right).
    assertThat(all.get("ece")).isCloseTo((3 * Math.abs(2.0 / 3 - 0.85) + 5 * Math.abs(0.8 - 0.75)) / 8,
        within(1e-6));
    assertThat(spark.sql("SELECT ci_low, ci_high FROM results.metrics WHERE run_id = 'e-1' AND split = 'test' "
        + "AND slice = 'all' AND metric = 'accuracy'").first().anyNull()).isFalse();

    // Slices, the documented query shape; built-in event_month and text_length are there too.
    Map<String, Double> accuracy = metrics("SELECT concat(slice, '=', slice_value), value FROM results.metrics "
        + "WHERE run_id = 'e-1' AND split = 'test' AND class = '*' AND metric = 'accuracy'");
    assertThat(accuracy).containsEntry("_source=a", 1.0).containsEntry("_source=b", 0.5)
        .containsEntry("content_type=html", 2.0 / 3).containsEntry("content_type=plain", 0.8)
        .containsEntry("event_month=2024-01", 0.5).containsEntry("event_month=2024-02", 1.0)
        .containsEntry("text_length=0-99", 0.75);
    assertThat(spark.sql("SELECT slice, metric, value FROM results.metrics WHERE run_id = 'e-1'").count())
        .isGreaterThan(100);
    // min-support 4: content_type=html (3 rows) is flagged, _source=a (4 rows) is not.
    assertThat(spark.sql("SELECT DISTINCT slice_value, below_min_support FROM results.metrics WHERE run_id = "
        + "'e-1' AND split = 'test' AND slice IN ('content_type', '_source') ORDER BY slice_value").collectAsList())
        .containsExactly(RowFactory.create("a", false), RowFactory.create("b", false),
            RowFactory.create("html", true), RowFactory.create("plain", false));

    // Confusion over all test rows, and calibration with its ECE row.
    Map<String, Long> cells = new TreeMap<>();
    spark.sql("SELECT actual, predicted, count FROM results.confusion WHERE run_id = 'e-1' AND split = 'test' "
        + "AND slice = 'all'").collectAsList()
        .forEach(r -> cells.put(r.getString(0) + ">" + r.getString(1), r.getLong(2)));
    assertThat(cells).isEqualTo(Map.of("spam>spam", 2L, "spam>ham", 1L, "ham>ham", 4L, "ham>spam", 1L));
    assertThat(spark.sql("SELECT bin, count, mean_confidence, accuracy FROM results.calibration WHERE run_id = "
        + "'e-1' AND split = 'test' AND slice = 'all' AND class = '*' AND count > 0 AND bin IS NOT NULL "
        + "ORDER BY bin").collectAsList().stream().map(r -> List.of(r.getInt(0), r.getLong(1),
            Math.round(r.getDouble(2) * 1e6) / 1e6, Math.round(r.getDouble(3) * 1e6) / 1e6)).toList())
        .containsExactly(List.of(7, 5L, 0.75, 0.8), List.of(8, 3L, 0.85, 0.666667));
    assertThat(spark.sql("SELECT ece FROM results.calibration WHERE run_id = 'e-1' AND split = 'test' AND "
        + "slice = 'all' AND class = '*' AND bin IS NULL").first().getDouble(0)).isCloseTo(0.1, within(1e-6));

    // Drift train (7 rows + the poisoned one: spam 3, ham 5; html 3, plain 5) vs test (the same shares): PSI 0.
    Map<String, Row> drift = new HashMap<>();
    spark.sql("SELECT feature, kind, statistic, reference_rows, current_rows, drifted, reference, current "
        + "FROM results.drift WHERE run_id = 'e-1'").collectAsList().forEach(r -> drift.put(r.getString(0), r));
    assertThat(drift.keySet()).containsExactlyInAnyOrder("size_bytes", "content_type", "label");
    assertThat(drift.get("label").getDouble(2)).isCloseTo(0.0, within(1e-12));
    assertThat(drift.get("content_type").getDouble(2)).isCloseTo(0.0, within(1e-12));
    assertThat(drift.get("size_bytes").getString(1)).isEqualTo("ks");
    assertThat(List.of(drift.get("size_bytes").getLong(3), drift.get("size_bytes").getLong(4))).containsExactly(8L,
        8L);
    assertThat(List.of(drift.get("label").getString(6), drift.get("label").getString(7)))
        .containsExactly("train", "test");

    assertThat(first.rowsPerSplit()).isEqualTo(Map.of("test", 8L, "validation", 2L));
    assertThat(first.table()).contains("macro_f1", "0.7333", "BLESSED", "report: ");
  }

  @Test
  @Order(2)
  void theComparisonQueryShowsEachSliceAndTheGateBlessesOneModelAndRefusesTheOther() {
    // The query of docs/evaluate.md, "Compare two runs per slice".
    List<Row> diff = spark.sql("""
        SELECT a.slice, a.slice_value, a.value AS value_a, b.value AS value_b, b.value - a.value AS diff
        FROM results.metrics a
        JOIN results.metrics b
          ON a.split = b.split AND a.slice = b.slice AND a.slice_value = b.slice_value
         AND a.class = b.class AND a.metric = b.metric
        WHERE a.run_id = 'e-1' AND b.run_id = 'e-2' AND a.split = 'test'
          AND a.class = '*' AND a.metric = 'accuracy' AND a.slice IN ('all', '_source')
        ORDER BY a.slice, a.slice_value
        """).collectAsList();
    assertThat(diff).containsExactly(
        RowFactory.create("_source", "a", 1.0, 0.5, -0.5),
        RowFactory.create("_source", "b", 0.5, 0.75, 0.25),
        RowFactory.create("all", "*", 0.75, 0.625, -0.125));

    List<Row> registry = spark.sql("SELECT run_id, model_version, blessed, reasons, previous_blessed_version, "
        + "metrics['macro_f1'] FROM results.model_registry ORDER BY run_id").collectAsList();
    assertThat(registry).hasSize(2);
    assertThat(registry.get(0).getBoolean(2)).isTrue();
    // The majority-class baseline on the 8 test rows (5 ham, 3 spam): always ham gives F1(ham) = 2*5/(5+8) =
    // 10/13 and F1(spam) = 0, macro 5/13 = 0.3846.
    assertThat(registry.get(0).<String>getList(3)).containsExactly(
        "macro_f1 0.7333 > majority-class baseline 0.3846", "macro_f1 0.7333 >= 0.70",
        "macro_f1: no previously blessed model, drop not checked");
    assertThat(registry.get(0).isNullAt(4)).isTrue();
    assertThat(registry.get(1).getBoolean(2)).isFalse();
    // 11/15 - 5/13 = 68/195 = 0.3487
    // The second model's macro-F1 is exactly the baseline's, 5/13: not beating it.
    assertThat(registry.get(1).<String>getList(3)).containsExactly(
        "macro_f1 0.3846 does not beat the majority-class baseline 0.3846 (always predicting train's most frequent "
            + "label); improve the model, or set evaluate.gate.beat-baseline = false to bless it anyway",
        "macro_f1 0.3846 < 0.70 (evaluate.gate.min)", "macro_f1 dropped 0.3487 from m-good, more than 0.02");
    assertThat(registry.get(1).getString(4)).isEqualTo("m-good");
    assertThat(registry.get(1).getDouble(5)).isCloseTo(5.0 / 13, within(1e-9));
    assertThat(second.blessed()).isFalse();
  }

  @Test
  @Order(3)
  void evaluationNeverReadsTrainRows() {
    // The poisoned train row (a 3-value features vector) would fail the run if it were scored; both runs passed.
    assertThat(spark.sql("SELECT count(*) FROM gold.dataset WHERE _record_id = 'r-p1'").first().getLong(0))
        .isEqualTo(1);
    assertThat(spark.sql("SELECT DISTINCT split FROM results.predictions").collectAsList().stream()
        .map(r -> r.getString(0)).toList()).containsExactlyInAnyOrder("test", "validation");
    // And the poison does fail a run that scores train rows: the scorer names it.
    Dataset<Row> train = spark.sql("SELECT * FROM gold.dataset WHERE split = 'train'");
    ModelStore store = new ModelStore(settings.modelStore(), spark.sparkContext().hadoopConfiguration());
    Dataset<Row> scored = ModelScorer.load(spark, store, store.load("m-good"), 4).score(train);
    assertThat(scored.filter(col(ModelScorer.SCORE_ERROR).isNotNull()).select("_record_id", "_score_error")
        .collectAsList()).containsExactly(RowFactory.create("r-p1", "input features has 3 values, the model "
            + "expects " + store.load("m-good").featureSize()));
  }

  @Test
  @Order(4)
  void scoringNewRowsMatchesThePredictionsAndQuarantinesWhatCannotBeScored() {
    String source = dir.resolve("new-rows").toString();
    Dataset<Row> fresh = spark.createDataFrame(silver(), SILVER).filter(col("split").equalTo("test"))
        .drop("split", "run_id", "_ingested_at");
    StructType shape = fresh.schema();
    fresh.unionByName(spark.createDataFrame(List.of(RowFactory.create("n1", null, null, null, 12.0, "plain",
            "r-n1", "a", "file:/in/a.csv", 9L)), shape))
        .write().mode(SaveMode.Overwrite).parquet(source);

    ScoreReport report = ScoreJob.run(spark, config, RunContext.of("s-1"), source, null);
    assertThat(List.of(report.in(), report.scored(), report.unreadable(), report.rejected(), report.missingValue(),
        report.failed())).containsExactly(9L, 8L, 0L, 0L, 1L, 0L);
    assertThat(report.modelVersion()).isEqualTo("m-good");
    new TableCatalog(spark, config.tables()).registerAll();
    assertThat(spark.sql("""
        SELECT count(*), sum(CASE WHEN s.predicted_label = p.predicted_label
                                   AND abs(s.p_spam - p.p_spam) < 1e-6 THEN 1 ELSE 0 END)
        FROM results.scores s JOIN results.predictions p ON s._record_id = p._record_id
        WHERE s.run_id = 's-1' AND p.run_id = 'e-1'
        """).first()).isEqualTo(RowFactory.create(8L, 8L));
    assertThat(spark.sql("SELECT _record_id, reason_code, column_name FROM ops.quarantine WHERE stage = 'score'")
        .collectAsList()).containsExactly(RowFactory.create("r-n1", "missing_value", "text"));

    // No blessed model and no --model: the error names the fix.
    assertThatThrownBy(() -> ScoreJob.blessedModel(new TableCatalog(spark, TestConfigs.of("""
        dataset { name = "t", columns { id = id, text = [text], label = label } }
        tables.warehouse = "%s"
        """.formatted(dir.resolve("empty-lake"))).tables())))
        .hasMessageContaining("no model is blessed in results.model_registry")
        .hasMessageContaining("--model");
  }

  /**
   * A CSV source named in ingest.sources, without a label column (new rows have none): lines 2-9 are t1..t8 as
   * silver holds them, line 10 is t9 with size_bytes -5 (fails clean rule size-range, action quarantine), line 11
   * has three fields where the header has five (ingest's reader: MALFORMED_RECORD). Read 10 = scored 8 +
   * unreadable 1 + rejected 1; the eight scores equal evaluate's predictions for t1..t8.
   */
  @Test
  @Order(7)
  void scoringAnIngestSourceAppliesIngestAndCleanRulesAndMatchesThePredictions() throws Exception {
    Path src = Files.createDirectories(dir.resolve("new-source"));
    StringBuilder csv = new StringBuilder("id,text,event_time,size_bytes,content_type\n");
    for (Row r : spark.createDataFrame(silver(), SILVER).filter(col("split").equalTo("test")).orderBy("id")
        .collectAsList()) {
      csv.append(String.join(",", r.getString(0), r.getString(1), r.getTimestamp(3).toInstant().toString(),
          String.valueOf(r.getDouble(4)), r.getString(5))).append('\n');
    }
    csv.append("t9,meeting notes for the team t9,2024-01-10T12:00:00Z,-5,plain\n");
    csv.append("t10,broken,plain\n");
    Files.writeString(src.resolve("new.csv"), csv);
    LakepipeConfig withSource = TestConfigs.of("""
        dataset {
          name = "t"
          columns { id = id, text = [text], label = label, event-time = event_time, numeric = [size_bytes],
            categorical = [content_type] }
        }
        tables.warehouse = "%s"
        features { text.num-features = 16 }
        ingest.sources.fresh {
          format = csv
          path = "%s"
          columns { id = id, text = text, label = label, event_time = event_time, size_bytes = size_bytes,
            content_type = content_type }
        }
        clean.rules = [{ id = "size-range", column = size_bytes, check = range, min = 0, action = quarantine }]
        """.formatted(dir.resolve("lake"), src));

    ScoreReport report = ScoreJob.run(spark, withSource, RunContext.of("s-2"), "fresh", null);
    assertThat(List.of(report.in(), report.scored(), report.unreadable(), report.rejected(), report.missingValue(),
        report.failed())).containsExactly(10L, 8L, 1L, 1L, 0L, 0L);
    assertThat(report.modelVersion()).isEqualTo("m-good");

    // Which source record is which test row: ingest's loading API gives the same _record_id as score used.
    try (Persisted persisted = new Persisted()) {
      SourceReader.read(spark, withSource, "fresh", SourceReader.Labels.SKIP, ScoreJob.STAGE, RunContext.of("x"),
          persisted).good().select(col("_record_id").as("source_record_id"), concat(lit("r-"), col("id"))
              .as("gold_record_id")).createOrReplaceTempView("fresh_ids");
      new TableCatalog(spark, config.tables()).registerAll();
      assertThat(spark.sql("""
          SELECT count(*), sum(CASE WHEN s.predicted_label = p.predicted_label AND s.model_version = 'm-good'
                                     AND abs(s.p_spam - p.p_spam) < 1e-6 THEN 1 ELSE 0 END)
          FROM results.scores s
          JOIN fresh_ids f ON s._record_id = f.source_record_id
          JOIN results.predictions p ON p._record_id = f.gold_record_id
          WHERE s.run_id = 's-2' AND p.run_id = 'e-1' AND s._source = 'fresh'
          """).first()).isEqualTo(RowFactory.create(8L, 8L));
    }
    assertThat(spark.sql("SELECT count(*) FROM results.scores WHERE run_id = 's-2'").first().getLong(0))
        .isEqualTo(8);
    assertThat(spark.sql("SELECT stage, _source_row, reason_code, rule_id, column_name, raw_value "
        + "FROM ops.quarantine WHERE run_id = 's-2' ORDER BY _source_row").collectAsList()).containsExactly(
            RowFactory.create("score", 10L, "RULE_FAILED", "size-range", "size_bytes", "-5.0"),
            RowFactory.create("score", 11L, "MALFORMED_RECORD", null, null, null));
    assertThat(spark.sql("SELECT raw_record, message FROM ops.quarantine WHERE run_id = 's-2' AND _source_row = 11")
        .first().getString(1)).contains("has 3 fields; the header has 5");

    // A name that is neither a source nor a path: the error lists the sources.
    assertThatThrownBy(() -> ScoreJob.run(spark, withSource, RunContext.of("s-3"), "frsh", null))
        .hasMessageContaining("Cannot score frsh: it is neither a source in ingest.sources (sources: fresh)");
  }

  @Test
  @Order(5)
  void theReportHasEveryChart() throws Exception {
    Path report = Path.of(first.reportPath().replaceFirst("^file:", ""));
    assertThat(report).isEqualTo(dir.resolve("lake/_reports/e-1/report.html"));
    String html = Files.readString(report);
    for (String id : dev.lakepipe.evaluate.report.HtmlReport.SECTION_IDS) {
      assertThat(html).contains("<section id=\"" + id + "\">");
    }
    for (String chart : List.of("training-loss", "validation-metric", "confusion", "roc", "pr", "calibration")) {
      assertThat(html).as(chart).contains("data-chart=\"" + chart + "\"");
    }
    assertThat(html).contains("m-good", "_source", "content_type", "size_bytes");
  }

  @Test
  @Order(6)
  void reRunningWithTheSameRunIdReplacesItsRows() {
    long before = spark.sql("SELECT count(*) FROM results.metrics WHERE run_id = 'e-2'").first().getLong(0);
    EvaluateJob.run(spark, config, secondSettings(), RunContext.of("e-2"), null);
    assertThat(spark.sql("SELECT count(*) FROM results.metrics WHERE run_id = 'e-2'").first().getLong(0))
        .isEqualTo(before);
    assertThat(spark.sql("SELECT count(*) FROM results.model_registry").first().getLong(0)).isEqualTo(2);
    List<String> splits = new ArrayList<>();
    spark.sql("SELECT DISTINCT split FROM results.metrics WHERE run_id = 'e-2'").collectAsList()
        .forEach(r -> splits.add(r.getString(0)));
    assertThat(splits).containsExactly("test");
  }
}
