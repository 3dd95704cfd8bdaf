package dev.lakepipe.train;

import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import scala.Tuple2;

/**
 * A network's mean loss over a set of minibatches, each scored whole on the executors, weighted by its examples:
 * the mean of the per-example losses (plus the network's regularisation term), as DL4J reports a score.
 *
 * <p>Not DL4J's {@code SparkComputationGraph.calculateScoreMultiDataSet}: it re-batches each partition's
 * minibatches into batches of 64 examples ({@code IteratorMultiDataSetIterator}), and a split that leaves a single
 * example makes a features array of rank 0 ("Input that is not a matrix; expected matrix (rank 2), got rank 0
 * array with shape []", e.g. a 1-example minibatch followed by one of 128). Training on the 3,000,000-row flight
 * table failed that way at its first validation (minibatches of 512, 596 of them, one of a single row).
 * {@code ValidationLossTest} keeps both the failing case and the result this class gives for it.
 */
final class ValidationLoss {

  private ValidationLoss() {}

  /** The mean loss of {@code network} over {@code sets}; NaN when they hold no example. */
  static double of(JavaSparkContext sc, JavaRDD<MultiDataSet> sets, ComputationGraph network) {
    Broadcast<INDArray> params = sc.broadcast(network.params().dup());
    try {
      Tuple2<Long, Double> total = sets.mapPartitions(new Score(network.getConfiguration().toJson(), params))
          .reduce((a, b) -> new Tuple2<>(a._1() + b._1(), a._2() + b._2()));
      return total._1() == 0 ? Double.NaN : total._2() / total._1();
    } finally {
      params.destroy();
    }
  }

  /** Per partition: (examples, sum over its minibatches of score × examples). */
  private record Score(String json, Broadcast<INDArray> params)
      implements FlatMapFunction<Iterator<MultiDataSet>, Tuple2<Long, Double>> {

    @Override
    public Iterator<Tuple2<Long, Double>> call(Iterator<MultiDataSet> sets) {
      long examples = 0;
      double sum = 0;
      if (sets.hasNext()) {
        ComputationGraph network = new ComputationGraph(ComputationGraphConfiguration.fromJson(json));
        network.init(params.value().dup(), false);
        while (sets.hasNext()) {
          MultiDataSet ds = sets.next();
          long n = ds.getFeatures(0).size(0);
          sum += network.score(ds, false) * n;
          examples += n;
        }
        Nd4j.getExecutioner().commit();
      }
      return List.of(new Tuple2<>(examples, sum)).iterator();
    }
  }
}
