package dev.lakepipe.train;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.lakepipe.core.config.ConfigProblems;
import dev.lakepipe.core.testing.SparkTestBase;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.SerializableConfiguration;
import org.deeplearning4j.core.loader.impl.SerializedMultiDataSetLoader;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * Acceptance 1: parameter averaging with averaging frequency 1, plain SGD and equal data per worker gives, on
 * {@code local[2]}, the parameters of single-JVM training on the combined batch. With SGD one step per worker
 * on minibatches b1 and b2 of equal size, the average of the two new parameter vectors is
 * {@code θ − lr (g1 + g2) / 2}, and the combined minibatch's mean gradient is {@code (g1 + g2) / 2}.
 */
class ParameterAveragingParityTest extends SparkTestBase {

  @TempDir
  Path dir;

  @Test
  void averagingEqualsTheCombinedBatchOnOneJvm() throws Exception {
    TrainSettings s = TrainSettings.parse(ConfigFactory.parseString("""
        train {
          batch-size = 4, workers = 2, seed = 7
          averaging.frequency = 1
          network { hidden = [3], activation = tanh }
          optimizer { type = sgd, momentum = 0 }
          learning-rate { base = 0.1, floor = 0.1, warmup-epochs = 0, cosine = false }
        }"""), null, new ConfigProblems("test"));
    // Eight rows, five features, two classes: two minibatches of four per epoch, one for each worker.
    StructType schema = new StructType().add("_record_id", DataTypes.StringType)
        .add("features", new VectorUDT()).add("label_index", DataTypes.DoubleType);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      rows.add(RowFactory.create("r" + i, Vectors.dense(i * 0.1, 1 - i * 0.1, (i % 3) * 0.5, i % 2, 0.25 * i),
          (double) (i % 2)));
    }
    Dataset<Row> data = spark.createDataFrame(rows, schema);
    Minibatches.Export export = Minibatches.prepare(spark, data, dir.toString(),
        new Minibatches.Key(0, "f", "train", 4, List.of("features"), 2, 7));
    assertThat(export.batches()).isEqualTo(2);

    ComputationGraphConfiguration conf = NetworkFactory.build(s, new NetworkFactory.Shape(5, 0, 0, 2),
        new double[] {1.0, 1.0}, 1);
    ComputationGraph distributed = new ComputationGraph(conf);
    distributed.init();
    ComputationGraph single = distributed.clone();
    var initial = distributed.params().dup();

    JavaRDD<String> paths = Minibatches.paths(spark, export);
    SerializableConfiguration hadoop = new SerializableConfiguration(spark.sparkContext().hadoopConfiguration());
    List<MultiDataSet> batches = new ArrayList<>();
    for (String p : paths.collect()) {
      batches.add(Trainer.load(p, hadoop));
    }
    MultiDataSet combined = org.nd4j.linalg.dataset.MultiDataSet.merge(batches);
    for (int epoch = 1; epoch <= 3; epoch++) {
      new SparkComputationGraph(spark.sparkContext(), distributed, TrainingMasters.averaging(s, 2, epoch))
          .fitPaths(paths, new SerializedMultiDataSetLoader());
      single.fit(combined);
    }
    double diff = distributed.params().sub(single.params()).amaxNumber().doubleValue();
    assertThat(diff).as("max |θ_averaged − θ_single|").isLessThan(1e-5);
    // And training moved the parameters, so equality is not that of two untouched networks.
    assertThat(distributed.params().sub(initial).amaxNumber().doubleValue()).isGreaterThan(1e-3);
    assertThat(distributed.getConfiguration().getIterationCount()).isEqualTo(3);
  }
}
