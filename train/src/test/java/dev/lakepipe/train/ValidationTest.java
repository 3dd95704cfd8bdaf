package dev.lakepipe.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.lakepipe.core.testing.SparkTestBase;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.junit.jupiter.api.Test;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * {@link Validation} on minibatches of 1, 128 and 7 examples in one partition: DL4J's own Spark scoring fails on
 * them (its re-batching to 64 leaves a 1-example split of rank 0); this class gives the example-weighted mean of the
 * minibatches' scores, which is the score of all 136 examples at once, and the evaluation of all 136.
 */
class ValidationTest extends SparkTestBase {

  @Test
  void scoresEveryMinibatchWholeWhereDl4jsRebatchingFails() {
    ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().seed(7).graphBuilder()
        .addInputs("in")
        .addLayer("d", new DenseLayer.Builder().nIn(5).nOut(4).activation(Activation.TANH).build(), "in")
        .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(4).nOut(2)
            .activation(Activation.SOFTMAX).build(), "d")
        .setOutputs("out")
        .build();
    ComputationGraph network = new ComputationGraph(conf);
    network.init();
    Nd4j.getRandom().setSeed(11);
    List<MultiDataSet> sets = new ArrayList<>();
    for (int n : new int[] {1, 128, 7}) {
      INDArray labels = Nd4j.zeros(DataType.FLOAT, n, 2);
      for (int r = 0; r < n; r++) {
        labels.putScalar(r, r % 3 == 0 ? 1 : 0, 1f);
      }
      sets.add(new org.nd4j.linalg.dataset.MultiDataSet(Nd4j.rand(DataType.FLOAT, n, 5), labels));
    }
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    JavaRDD<MultiDataSet> rdd = sc.parallelize(sets, 1);

    SparkComputationGraph dl4j = new SparkComputationGraph(sc, network,
        new ParameterAveragingTrainingMaster.Builder(1).build());
    // The 1-example split has shape [] (rank 0); merged with others it fails here, alone it fails in the first
    // layer ("got rank 0 array with shape []", as on the flight table).
    assertThatThrownBy(() -> dl4j.calculateScoreMultiDataSet(rdd, true))
        .hasStackTraceContaining("features rank must be in range 2 to 4 inclusive. "
            + "First example features shape: []");

    double expected = 0;
    for (MultiDataSet ds : sets) {
      expected += network.score(ds, false) * ds.getFeatures(0).size(0);
    }
    expected /= 136;
    MultiDataSet merged = org.nd4j.linalg.dataset.MultiDataSet.merge(sets);
    assertThat(expected).isCloseTo(network.score(merged, false), within(1e-5));
    Evaluation local = new Evaluation(List.of("a", "b"));
    local.eval(merged.getLabels(0), network.output(false, merged.getFeatures(0))[0]);

    for (int partitions : new int[] {1, 3}) {
      Validation.Outcome v = Validation.of(sc, sc.parallelize(sets, partitions), network, List.of("a", "b"));
      assertThat(v.loss()).as("%d partitions", partitions).isCloseTo(expected, within(1e-9));
      assertThat(v.evaluation().getNumRowCounter()).isEqualTo(136);
      for (int actual = 0; actual < 2; actual++) {
        for (int predicted = 0; predicted < 2; predicted++) {
          assertThat(v.evaluation().getConfusion().getCount(actual, predicted))
              .isEqualTo(local.getConfusion().getCount(actual, predicted));
        }
      }
    }
    // Class 1 is row r % 3 == 0 of each minibatch: 1 of 1, 43 of 128 (0, 3, ..., 126), 3 of 7 (0, 3, 6).
    assertThat(local.classCount(1)).isEqualTo(1 + 43 + 3);
  }
}
