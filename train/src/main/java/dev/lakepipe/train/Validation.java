package dev.lakepipe.train;

import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One pass of a network over the validation minibatches on the executors, each minibatch scored and evaluated
 * whole: the mean per-example loss (each minibatch's score weighted by its examples, as DL4J reports a score,
 * regularisation term included) and the classification {@link Evaluation}.
 *
 * <p>Not DL4J's {@code SparkComputationGraph.calculateScoreMultiDataSet} and {@code doEvaluation}: both re-batch
 * each partition's minibatches into batches of 64 examples ({@code IteratorMultiDataSetIterator},
 * {@code EvaluationRunner}), and a split that leaves a single example makes a features array of rank 0 ("Input
 * that is not a matrix; expected matrix (rank 2), got rank 0 array with shape []"), e.g. a 1-example minibatch
 * followed by one of 128. Training on the 3,000,000-row flight table failed that way at its first validation
 * (minibatches of 512, 596 of them). {@code ValidationTest} keeps the failing case and what this class gives.
 */
final class Validation {

  /** The mean loss (NaN when there is no example) and the evaluation over every example. */
  record Outcome(double loss, Evaluation evaluation) {}

  private Validation() {}

  static Outcome of(JavaSparkContext sc, JavaRDD<MultiDataSet> sets, ComputationGraph network, List<String> labels) {
    Broadcast<INDArray> params = sc.broadcast(network.params().dup());
    try {
      Part total = sets.mapPartitions(new Pass(network.getConfiguration().toJson(), params, labels))
          .reduce(Part::plus);
      return new Outcome(total.examples() == 0 ? Double.NaN : total.weightedScore() / total.examples(),
          total.evaluation());
    } finally {
      params.destroy();
    }
  }

  /** One partition's examples, sum of score × examples over its minibatches, and evaluation. */
  private record Part(long examples, double weightedScore, Evaluation evaluation) implements java.io.Serializable {
    Part plus(Part o) {
      evaluation.merge(o.evaluation);
      return new Part(examples + o.examples, weightedScore + o.weightedScore, evaluation);
    }
  }

  private record Pass(String json, Broadcast<INDArray> params, List<String> labels)
      implements FlatMapFunction<Iterator<MultiDataSet>, Part> {

    @Override
    public Iterator<Part> call(Iterator<MultiDataSet> sets) {
      long examples = 0;
      double sum = 0;
      Evaluation evaluation = new Evaluation(labels);
      if (sets.hasNext()) {
        ComputationGraph network = new ComputationGraph(ComputationGraphConfiguration.fromJson(json));
        network.init(params.value().dup(), false);
        while (sets.hasNext()) {
          MultiDataSet ds = sets.next();
          long n = ds.getFeatures(0).size(0);
          sum += network.score(ds, false) * n;
          examples += n;
          INDArray[] out = network.output(false, ds.getFeatures(), ds.getFeaturesMaskArrays());
          evaluation.eval(ds.getLabels(0), out[0]);
        }
        Nd4j.getExecutioner().commit();
      }
      return List.of(new Part(examples, sum, evaluation)).iterator();
    }
  }
}
