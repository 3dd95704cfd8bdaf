package dev.lakepipe.train;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.first;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lakepipe.core.SparkSessionFactory;
import dev.lakepipe.core.config.LakepipeConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.util.SerializableConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * The features stage's Parquet export of gold ({@code <warehouse>/export/gold_dataset}, written by
 * {@code ./lakepipe run}) as the train benchmarks use it: the three splits' rows (persisted), the number of
 * classes, the feature size, the class weights (the export's {@code weight} column is the class weight of the
 * row's label), and each split as {@link Minibatches} files written once under {@code bench/target/train-bench}
 * (keyed by the export's features run and the batch size, so a second run reuses them).
 *
 * <p>Evaluation here runs on the driver over the minibatch files, the same code for every network a benchmark
 * compares, so accuracy and macro-F1 ({@link MacroF1}, the Trainer's rule) are computed alike on both sides.
 */
final class GoldSplits {

  static final String MINIBATCH_ROOT = "bench/target/train-bench/minibatches";

  final String exportDir;
  final String featuresRun;
  final Dataset<Row> train;
  final Dataset<Row> validation;
  final Dataset<Row> test;
  final int classes;
  final int featureSize;
  final double[] classWeights;
  final Minibatches.Export trainBatches;
  final Minibatches.Export validationBatches;
  final Minibatches.Export testBatches;
  final SerializableConfiguration hadoop;

  private GoldSplits(String exportDir, String featuresRun, Dataset<Row> train, Dataset<Row> validation,
      Dataset<Row> test, int classes, int featureSize, double[] classWeights, Minibatches.Export trainBatches,
      Minibatches.Export validationBatches, Minibatches.Export testBatches, SerializableConfiguration hadoop) {
    this.exportDir = exportDir;
    this.featuresRun = featuresRun;
    this.train = train;
    this.validation = validation;
    this.test = test;
    this.classes = classes;
    this.featureSize = featureSize;
    this.classWeights = classWeights;
    this.trainBatches = trainBatches;
    this.validationBatches = validationBatches;
    this.testBatches = testBatches;
    this.hadoop = hadoop;
  }

  /** A {@code local[2]} session as the pipeline's, Spark UI off, Spark's log at WARN (to stderr). */
  static SparkSession localSession(String app) {
    SparkSession.Builder b = SparkSession.builder().master("local[2]").appName(app);
    SparkSessionFactory.REQUIRED_CONF.forEach(b::config);
    SparkSession spark = b
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate();
    spark.sparkContext().setLogLevel("WARN");
    return spark;
  }

  /** The conf the benchmarks read unless told otherwise: the sample's. */
  static final String DEFAULT_CONF = "conf/application.conf";

  /** The train settings of {@code conf/application.conf} (+ {@code conf/local.conf}) with the warehouse given. */
  static TrainSettings settings(String warehouse) {
    return settings(warehouse, DEFAULT_CONF);
  }

  /** The train settings of {@code conf} (+ the {@code local.conf} beside it, if any) with the warehouse given. */
  static TrainSettings settings(String warehouse, String conf) {
    LakepipeConfig config = LakepipeConfig.load(Path.of(conf), LakepipeConfig.Env.LOCAL,
        Map.of("tables.warehouse", warehouse));
    return TrainSettings.parse(config);
  }

  static GoldSplits load(SparkSession spark, String warehouse, int batchSize, long seed) {
    String exportDir = dev.lakepipe.features.ExportSettings.defaultPath(warehouse);
    org.apache.hadoop.fs.Path manifest = new org.apache.hadoop.fs.Path(exportDir, "_lakepipe_export.json");
    String featuresRun;
    try {
      FileSystem fs = manifest.getFileSystem(spark.sparkContext().hadoopConfiguration());
      try (InputStream in = fs.open(manifest)) {
        JsonNode json = new ObjectMapper().readTree(in);
        featuresRun = json.get("run_id").asText();
      }
    } catch (IOException e) {
      throw new IllegalStateException("Cannot read the gold export: " + manifest + " is missing (" + e.getMessage()
          + "). Run './lakepipe run' first; it writes the export.", e);
    }
    Dataset<Row> train = read(spark, exportDir, "train");
    Dataset<Row> validation = read(spark, exportDir, "validation");
    Dataset<Row> test = read(spark, exportDir, "test");
    List<Row> weights = train.groupBy("label_index").agg(first(col("weight")).as("w")).orderBy("label_index")
        .collectAsList();
    int classes = (int) ((Number) weights.get(weights.size() - 1).get(0)).doubleValue() + 1;
    double[] classWeights = new double[classes];
    java.util.Arrays.fill(classWeights, 1.0);
    for (Row r : weights) {
      classWeights[(int) ((Number) r.get(0)).doubleValue()] = r.getDouble(1);
    }
    int featureSize = ((Vector) train.select("features").first().get(0)).size();
    List<String> inputs = List.of(NetworkFactory.FEATURES);
    Minibatches.Export tb = Minibatches.prepare(spark, train, MINIBATCH_ROOT,
        new Minibatches.Key(0, featuresRun, "train", batchSize, inputs, classes, seed));
    Minibatches.Export vb = Minibatches.prepare(spark, validation, MINIBATCH_ROOT,
        new Minibatches.Key(0, featuresRun, "validation", batchSize, inputs, classes, seed));
    Minibatches.Export sb = Minibatches.prepare(spark, test, MINIBATCH_ROOT,
        new Minibatches.Key(0, featuresRun, "test", batchSize, inputs, classes, seed));
    return new GoldSplits(exportDir, featuresRun, train, validation, test, classes, featureSize, classWeights, tb, vb,
        sb, new SerializableConfiguration(spark.sparkContext().hadoopConfiguration()));
  }

  private static Dataset<Row> read(SparkSession spark, String exportDir, String split) {
    Dataset<Row> rows = spark.read().parquet(new org.apache.hadoop.fs.Path(exportDir, split).toString())
        .persist(StorageLevel.MEMORY_AND_DISK());
    rows.count();
    return rows;
  }

  NetworkFactory.Shape shape() {
    return new NetworkFactory.Shape(featureSize, 0, 0, classes);
  }

  /** The paths of an export's minibatch files, sorted (the benchmark's data are small; the job never collects). */
  static List<String> paths(SparkSession spark, Minibatches.Export e) {
    List<String> out = new ArrayList<>(Minibatches.paths(spark, e).collect());
    out.sort(null);
    return out;
  }

  MultiDataSet load(String path) {
    try {
      return Trainer.load(path, hadoop);
    } catch (IOException e) {
      throw new IllegalStateException("Cannot read minibatch " + path + ": " + e.getMessage(), e);
    }
  }

  /** Accuracy and macro-F1 of {@code net} over {@code batches}, on the driver. */
  double[] evaluate(ComputationGraph net, List<MultiDataSet> batches) {
    Evaluation ev = new Evaluation(classes);
    for (MultiDataSet m : batches) {
      INDArray out = net.output(false, m.getFeatures())[0];
      ev.eval(m.getLabels(0), out);
    }
    return new double[] {ev.accuracy(), MacroF1.of(ev, classes)};
  }

  void release() {
    train.unpersist();
    validation.unpersist();
    test.unpersist();
  }
}
