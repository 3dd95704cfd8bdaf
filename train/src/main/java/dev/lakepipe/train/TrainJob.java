package dev.lakepipe.train;

import static org.apache.spark.sql.functions.col;

import dev.lakepipe.core.LakepipeErrors;
import dev.lakepipe.core.Lineage;
import dev.lakepipe.core.RunContext;
import dev.lakepipe.core.SparkSessionFactory;
import dev.lakepipe.core.TableCatalog;
import dev.lakepipe.core.TableRef;
import dev.lakepipe.core.config.LakepipeConfig;
import dev.lakepipe.core.model.ModelStore;
import dev.lakepipe.core.model.ModelVersion;
import dev.lakepipe.features.FittedFeatures;
import java.io.IOException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.hadoop.fs.FileUtil;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code lakepipe train}: the features run that wrote {@code gold.dataset} → a model version in the model store.
 *
 * <ol>
 *   <li>Find the features run (gold's {@code run_id}), its manifest row, fitted pipeline and Parquet export;
 *       check that the network fits the data (inputs present, at least two labels, non-empty splits) before
 *       anything is written.</li>
 *   <li>Write the train and validation splits as minibatch files on the executors ({@link Minibatches}),
 *       reused when the gold version and shapes are unchanged.</li>
 *   <li>Pre-flight ({@link Preflight}): is distributing this network worth it?</li>
 *   <li>Train epoch by epoch ({@link Trainer}): parameter averaging or gradient sharing, warm-up + cosine
 *       learning rate, validation on the executors, early stopping, a checkpoint per epoch; a row of
 *       {@code results.training_history} per epoch (a run starts by making the run's rows those of its
 *       checkpoint, so a resumed run records every epoch once).</li>
 *   <li>Publish: the best epoch's network as {@code <store>/<version>/model.zip}, {@code model.json} last, then
 *       the run's row in {@code results.models}. A run that fails publishes no version and no models row.</li>
 * </ol>
 * {@link Mode#RESUME} continues the run named by the run id (or the newest unfinished one) from its last
 * checkpoint; the data version and settings must be those the checkpoint recorded.
 */
public final class TrainJob {

  private static final Logger LOG = LoggerFactory.getLogger(TrainJob.class);
  public static final String STAGE = "train";

  /** Start afresh, or continue a stopped run from its last checkpoint. */
  public enum Mode { FRESH, RESUME }

  static final StructType HISTORY = new StructType()
      .add(Lineage.RUN_ID, DataTypes.StringType, false)
      .add("model_version", DataTypes.StringType, false)
      .add("epoch", DataTypes.IntegerType, false)
      .add("iteration", DataTypes.LongType, false)
      .add("learning_rate", DataTypes.DoubleType, false)
      .add("train_loss", DataTypes.DoubleType, false)
      .add("validation_loss", DataTypes.DoubleType, false)
      .add("validation_accuracy", DataTypes.DoubleType, false)
      .add("validation_macro_f1", DataTypes.DoubleType, false)
      .add("examples_per_second", DataTypes.DoubleType, false)
      .add("seconds", DataTypes.DoubleType, false)
      .add("master", DataTypes.StringType, false)
      .add("workers", DataTypes.IntegerType, false)
      .add("best_so_far", DataTypes.BooleanType, false)
      .add("recorded_at", DataTypes.TimestampType, false);

  static final StructType MODELS = new StructType()
      .add("model_version", DataTypes.StringType, false)
      .add(Lineage.RUN_ID, DataTypes.StringType, false)
      .add("features_run", DataTypes.StringType, false)
      .add("gold_version", DataTypes.LongType, false)
      .add("network", DataTypes.StringType, false)
      .add("parameters", DataTypes.LongType, false)
      .add("inputs", DataTypes.createArrayType(DataTypes.StringType, false), false)
      .add("labels", DataTypes.createArrayType(DataTypes.StringType, false), false)
      .add("best_epoch", DataTypes.IntegerType, false)
      .add("epochs_run", DataTypes.IntegerType, false)
      .add("stop_reason", DataTypes.StringType, false)
      .add("metric", DataTypes.StringType, false)
      .add("best_metric", DataTypes.DoubleType, false)
      .add("majority_baseline_macro_f1", DataTypes.DoubleType, false)
      .add("master", DataTypes.StringType, false)
      .add("workers", DataTypes.IntegerType, false)
      .add("batch_size", DataTypes.IntegerType, false)
      .add("preflight", DataTypes.StringType, false)
      .add("conf_fingerprint", DataTypes.StringType, false)
      .add("artifact_path", DataTypes.StringType, false)
      .add("pipeline_path", DataTypes.StringType, false)
      .add("created_at", DataTypes.TimestampType, false);

  private TrainJob() {}

  public static TrainReport run(SparkSession spark, LakepipeConfig config, RunContext run, Mode mode,
      Consumer<String> progress) {
    TrainSettings settings = TrainSettings.parse(config);
    return run(spark, config, settings, run, mode, progress, List.of());
  }

  /** As {@link #run(SparkSession, LakepipeConfig, RunContext, Mode, Consumer)}, with extra worker listeners (tests). */
  static TrainReport run(SparkSession spark, LakepipeConfig config, TrainSettings settings, RunContext run,
      Mode mode, Consumer<String> progress, List<TrainingListener> listeners) {
    return SparkSessionFactory.withJobGroup(spark, "TRAIN", "lakepipe train run " + run.runId(),
        () -> execute(spark, config, settings, run, mode, progress, listeners));
  }

  private static TrainReport execute(SparkSession spark, LakepipeConfig config, TrainSettings s, RunContext run,
      Mode mode, Consumer<String> progress, List<TrainingListener> listeners) {
    TableCatalog catalog = new TableCatalog(spark, config.tables());
    catalog.registerAll();
    TableRef goldRef = catalog.table("gold-dataset");
    TableRef manifestRef = catalog.table("split-manifest");
    Dataset<Row> gold = catalog.read(goldRef, "features");
    long goldVersion = catalog.version(goldRef);
    Row goldRun = gold.select(Lineage.RUN_ID).limit(1).collectAsList().stream().findFirst().orElseThrow(() ->
        LakepipeErrors.jobFailed("train", goldRef.name() + " is empty. Run 'lakepipe features' on a silver table "
            + "with rows first.", null));
    String featuresRun = goldRun.getString(0);
    List<Row> manifest = catalog.read(manifestRef, "features")
        .where(col(Lineage.RUN_ID).equalTo(featuresRun).and(col("split").equalTo("train")))
        .select("pipeline_path", "export_path").collectAsList();
    if (manifest.isEmpty() || manifest.get(0).isNullAt(0) || manifest.get(0).isNullAt(1)) {
      throw LakepipeErrors.jobFailed("train", "the features run " + featuresRun + " that wrote " + goldRef.name()
          + " has no pipeline or export in " + manifestRef.name() + ". Run 'lakepipe features' again.", null);
    }
    String pipelinePath = manifest.get(0).getString(0);
    String exportPath = manifest.get(0).getString(1);
    FittedFeatures fitted = FittedFeatures.load(spark, pipelinePath);
    List<String> labels = fitted.labels();
    Map<String, String> stats = fitted.statistics();
    int sequenceLength = Integer.parseInt(stats.getOrDefault("text.max-length", "0"));
    boolean sequence = stats.containsKey("text.max-length");
    int vocabulary = sequence ? Integer.parseInt(stats.getOrDefault("text.vocabulary", "0")) + 2 : 0;
    NetworkFactory.Shape shape = new NetworkFactory.Shape(fitted.featureSize(), sequence ? sequenceLength : 0,
        vocabulary, labels.size());
    NetworkFactory.check(s.network(), shape);
    List<String> inputs = NetworkFactory.inputs(s.network());
    double[] classWeights = labels.stream().mapToDouble(l -> fitted.classWeights().getOrDefault(l, 1.0)).toArray();

    Dataset<Row> trainRows = readSplit(spark, exportPath, "train");
    Dataset<Row> validationRows = readSplit(spark, exportPath, "validation");
    Minibatches.Export trainData = Minibatches.prepare(spark, trainRows, s.minibatchPath(),
        new Minibatches.Key(goldVersion, featuresRun, "train", s.batchSize(), inputs, labels.size(), s.seed()));
    Minibatches.Export validationData = Minibatches.prepare(spark, validationRows, s.minibatchPath(),
        new Minibatches.Key(goldVersion, featuresRun, "validation", s.batchSize(), inputs, labels.size(), s.seed()));

    int workers = TrainingMasters.workers(s, spark.sparkContext());
    int iterationsPerEpoch = (int) Math.max(1, (trainData.batches() + workers - 1) / workers);
    ComputationGraphConfiguration conf = NetworkFactory.build(s, shape, classWeights, iterationsPerEpoch);

    ModelStore store = new ModelStore(s.modelStore(), spark.sparkContext().hadoopConfiguration());
    String version = run.runId();
    Checkpoints checkpoints = new Checkpoints(store, version);
    ComputationGraph network;
    Checkpoints.State state;
    String fingerprint = s.fingerprint();
    if (mode == Mode.RESUME) {
      Checkpoints.Loaded loaded = checkpoints.latest();
      if (!loaded.state().fingerprint().equals(fingerprint) || loaded.state().goldVersion() != goldVersion) {
        throw LakepipeErrors.jobFailed("resume training run '" + version + "'", String.format(java.util.Locale.ROOT,
            "its checkpoint was made with %s; now %s. Resume with the settings and data it started with, or run "
                + "'lakepipe train' without --resume to start over.",
            loaded.state().goldVersion() != goldVersion ? "gold version " + loaded.state().goldVersion()
                : "other train settings",
            loaded.state().goldVersion() != goldVersion ? "gold is at version " + goldVersion
                : "the conf differs"), null);
      }
      network = loaded.network();
      state = loaded.state();
      progress.accept(String.format(java.util.Locale.ROOT, "train: resuming run %s after epoch %d", version,
          state.epoch()));
    } else {
      if (checkpoints.any()) {
        LOG.info("train: run {} starts afresh; removing its earlier checkpoints", version);
        checkpoints.clear();
      }
      network = new ComputationGraph(conf);
      network.init();
      state = new Checkpoints.State(0, fingerprint, goldVersion, EarlyStopping.start(), List.of());
    }

    String preflight = "pre-flight: off (train.preflight = false)";
    if (s.preflight() && mode == Mode.FRESH) {
      Preflight.Verdict v = Preflight.measure(spark, conf, trainData, s, workers);
      preflight = v.message();
      if (v.worthIt()) {
        LOG.info("train: {}", preflight);
      } else {
        LOG.warn("train: {}", preflight);
      }
      progress.accept(preflight);
    }
    double baseline = majorityBaseline(validationRows, fitted.majorityLabelIndex());

    TableRef historyRef = catalog.table("training-history");
    // The run's rows are those of its checkpoint's history: a run killed between a checkpoint and its history
    // row, or after a row but before the next checkpoint, or a fresh run reusing a run id, all end consistent.
    if (catalog.exists(historyRef)) {
      catalog.delta(historyRef).delete(col(Lineage.RUN_ID).equalTo(run.runId()));
    }
    if (!state.history().isEmpty()) {
      catalog.append(historyRef, historyRows(spark, state.history(), run.runId(), s, workers));
    }
    Trainer trainer = new Trainer(spark, s, workers, run.runId(), labels,
        NetworkFactory.schedule(s.schedule(), s.epochs(), iterationsPerEpoch), listeners);
    Trainer.Result result = trainer.train(network, trainData, validationData, checkpoints, state,
        record -> catalog.append(historyRef, historyRows(spark, List.of(record), run.runId(), s, workers)),
        progress);

    // Publish: the best network, its record, then the models row.
    Path modelZip = store.modelZip(version);
    try {
      FileUtil.copy(store.fs(), new Path(new Path(checkpoints.dir(), Checkpoints.BEST), ModelStore.MODEL_ZIP),
          store.fs(), modelZip, false, spark.sparkContext().hadoopConfiguration());
    } catch (IOException e) {
      throw LakepipeErrors.jobFailed("publish model " + version, e.getMessage(), e);
    }
    EpochRecord best = result.history().stream().filter(r -> r.epoch() == result.earlyStopping().bestEpoch())
        .findFirst().orElseThrow();
    Map<String, Double> metric = new LinkedHashMap<>();
    metric.put(s.earlyStopping().metric(), best.metric(s.earlyStopping().metric()));
    metric.put("validation_macro_f1", best.validationMacroF1());
    metric.put("validation_accuracy", best.validationAccuracy());
    metric.put("majority_baseline_macro_f1", baseline);
    Map<String, String> extra = new LinkedHashMap<>();
    extra.put("class_weights", java.util.Arrays.toString(classWeights));
    extra.put("loss", "class-weighted cross-entropy (LossMCXENT with the fitted class weights)");
    ModelVersion record = new ModelVersion(version, run.runId(), Instant.now().toString(), inputs, labels,
        featuresRun, pipelinePath, fitted.featureSize(), shape.sequenceLength(), goldVersion, fingerprint,
        TrainSettings.render(config.raw()), summary(s, shape), result.best().numParams(), s.master().id(), workers,
        result.earlyStopping().bestEpoch(), result.epochsRun(), result.stopReason(), metric, preflight, extra);
    store.publish(record);
    catalog.replaceRun(catalog.table("models"), modelsRow(spark, record, best, s, baseline, modelZip.toString()),
        run.runId());
    LOG.info("train: run {} published model {} (best epoch {}, {} {})", run.runId(), version,
        record.bestEpoch(), s.earlyStopping().metric(), best.metric(s.earlyStopping().metric()));
    return new TrainReport(version, modelZip.toString(), result.history(), record.bestEpoch(),
        s.earlyStopping().metric(), result.stopReason(), preflight, s.master().id(), workers, trainData.rows(),
        baseline);
  }

  private static Dataset<Row> readSplit(SparkSession spark, String exportPath, String split) {
    String path = new Path(exportPath, split).toString();
    try {
      return spark.read().parquet(path);
    } catch (Exception e) { // AnalysisException when the folder is missing
      throw LakepipeErrors.jobFailed("train", "the " + split + " split has no Parquet export at " + path + " ("
          + e.getMessage() + "). Run 'lakepipe features' again; it writes the export.", e);
    }
  }

  /**
   * Macro-F1 on the validation rows of always predicting {@code majority} (train's most frequent label): the bar
   * a model must clear. That class gets F1 {@code 2 n_m / (n + n_m)} (precision n_m / n, recall 1), every
   * other class present gets 0; the mean is over the classes present in validation.
   */
  static double majorityBaseline(Dataset<Row> validation, int majority) {
    long n = 0;
    long nm = 0;
    int present = 0;
    for (Row r : validation.groupBy("label_index").count().collectAsList()) {
      n += r.getLong(1);
      present++;
      if ((int) ((Number) r.get(0)).doubleValue() == majority) {
        nm = r.getLong(1);
      }
    }
    return n == 0 ? 0 : 2.0 * nm / (n + nm) / present;
  }

  static String summary(TrainSettings s, NetworkFactory.Shape shape) {
    TrainSettings.Network n = s.network();
    return switch (n.type()) {
      case "mlp" -> String.format(java.util.Locale.ROOT, "mlp %d -> %s -> %d (%s%s%s, %s)", shape.featureSize(),
          n.hidden(), shape.classes(), n.activation(), n.dropout() > 0 ? ", dropout " + n.dropout() : "",
          n.batchNorm() ? ", batch norm" : "", s.optimizer().type());
      default -> String.format(java.util.Locale.ROOT, "%s embedding %dx%d%s -> %s%s -> %s -> %d (%s)", n.type(),
          shape.vocabulary(), n.embeddingSize(), n.attentionHeads() > 0 ? " + attention x" + n.attentionHeads() : "",
          n.type().equals("text-cnn") ? "conv" + n.kernelSize() + "x" + n.filters() : "lstm" + n.lstmSize(),
          n.withFeatures() ? " + features " + shape.featureSize() : "", n.hidden(), shape.classes(),
          s.optimizer().type());
    };
  }

  private static Dataset<Row> historyRows(SparkSession spark, List<EpochRecord> records, String runId,
      TrainSettings s, int workers) {
    Timestamp now = Timestamp.from(Instant.now());
    return spark.createDataFrame(records.stream().map(r -> RowFactory.create(runId, runId, r.epoch(),
        r.iteration(), r.learningRate(), r.trainLoss(), r.validationLoss(), r.validationAccuracy(),
        r.validationMacroF1(), r.examplesPerSecond(), r.seconds(), s.master().id(), workers, r.bestSoFar(), now))
        .toList(), HISTORY);
  }

  private static Dataset<Row> modelsRow(SparkSession spark, ModelVersion v, EpochRecord best, TrainSettings s,
      double baseline, String artifact) {
    List<Row> rows = new ArrayList<>();
    rows.add(RowFactory.create(v.modelVersion(), v.runId(), v.featuresRun(), v.goldVersion(), v.network(),
        v.parameters(), scala.collection.JavaConverters.asScalaBuffer(v.inputs()).toSeq(),
        scala.collection.JavaConverters.asScalaBuffer(v.labels()).toSeq(), v.bestEpoch(), v.epochs(),
        v.stopReason(), s.earlyStopping().metric(), best.metric(s.earlyStopping().metric()), baseline, v.master(),
        v.workers(), s.batchSize(), v.preflight(), v.confFingerprint(), artifact, v.featuresPath(),
        Timestamp.from(Instant.parse(v.createdAt()))));
    return spark.createDataFrame(rows, MODELS);
  }
}
