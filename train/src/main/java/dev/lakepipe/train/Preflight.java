package dev.lakepipe.train;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.SerializableConfiguration;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * Before training: does distributing this network pay? Times a few minibatches of the real data on the driver
 * (compute per iteration, after one warm-up) and a trivial Spark job with one task per worker (the fixed cost of
 * an averaging round), adds moving the parameters twice per worker at {@link #BYTES_PER_MS}, and predicts the
 * speed-up of {@code workers} workers over one:
 * {@code workers × f × t / (f × t + overhead)} for averaging frequency {@code f} and {@code t} ms per iteration.
 * Below 1, distribution is slower than one worker; DL4J's own guidance is that iterations of about 1 ms are too
 * small to scale at all. The verdict is printed, logged and recorded in {@code results.models}.
 */
final class Preflight {

  /** Assumed throughput of moving parameters between driver and executors: 1 GB/s. */
  static final double BYTES_PER_MS = 1e6;
  static final int TIMED_BATCHES = 5;

  /** The measurement and what follows from it. */
  record Verdict(double msPerIteration, double roundOverheadMs, double predictedSpeedup, boolean worthIt,
      String message) {}

  private Preflight() {}

  static Verdict measure(SparkSession spark, ComputationGraphConfiguration conf, Minibatches.Export train,
      TrainSettings s, int workers) {
    SerializableConfiguration hadoop = new SerializableConfiguration(spark.sparkContext().hadoopConfiguration());
    List<String> paths = Minibatches.paths(spark, train).take(TIMED_BATCHES + 1);
    List<MultiDataSet> batches = new ArrayList<>();
    for (String p : paths) {
      try {
        batches.add(Trainer.load(p, hadoop));
      } catch (java.io.IOException e) {
        return new Verdict(Double.NaN, Double.NaN, Double.NaN, true, "pre-flight skipped: " + e.getMessage());
      }
    }
    ComputationGraph net = new ComputationGraph(conf.clone());
    net.init();
    net.fit(batches.get(0)); // warm-up: JIT and native buffers
    double[] ms = new double[Math.max(1, batches.size() - 1)];
    for (int i = 1; i < batches.size(); i++) {
      long t0 = System.nanoTime();
      net.fit(batches.get(i));
      ms[i - 1] = (System.nanoTime() - t0) / 1e6;
    }
    if (batches.size() == 1) {
      long t0 = System.nanoTime();
      net.fit(batches.get(0));
      ms[0] = (System.nanoTime() - t0) / 1e6;
    }
    double perIteration = median(ms);
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    List<Integer> one = new ArrayList<>();
    for (int i = 0; i < workers; i++) {
      one.add(i);
    }
    double[] job = new double[3];
    for (int i = 0; i < job.length; i++) {
      long t0 = System.nanoTime();
      jsc.parallelize(one, workers).map(x -> x + 1).count();
      job[i] = (System.nanoTime() - t0) / 1e6;
    }
    double transfer = net.numParams() * 4.0 * 2 * workers / BYTES_PER_MS;
    return judge(perIteration, median(job) + transfer, net.numParams(), workers, s);
  }

  /**
   * The verdict for {@code perIteration} ms of compute per iteration and {@code overhead} ms per averaging
   * round: the predicted speed-up {@code w f t / (f t + o)}, worth it above 1 with iterations of at least 1 ms.
   */
  static Verdict judge(double perIteration, double overhead, long parameters, int workers, TrainSettings s) {
    int f = s.master() == TrainSettings.Master.AVERAGING ? s.averagingFrequency() : 1;
    double speedup = workers * f * perIteration / (f * perIteration + overhead);
    boolean worth = workers > 1 && speedup > 1.0 && perIteration >= 1.0;
    String message;
    if (workers <= 1) {
      message = String.format(Locale.ROOT, "pre-flight: %.2f ms per iteration; one worker, nothing to distribute",
          perIteration);
    } else if (worth) {
      message = String.format(Locale.ROOT, "pre-flight: %.2f ms per iteration, %.0f ms per averaging round "
          + "(%,d parameters): %d workers should run about %.1fx as fast as one", perIteration, overhead,
          parameters, workers, speedup);
    } else {
      int better = (int) Math.ceil(4 * overhead / Math.max(perIteration, 1e-3));
      message = String.format(Locale.ROOT, "pre-flight WARNING: %.2f ms per iteration against %.0f ms per "
              + "averaging round (%,d parameters): %d workers are predicted at %.2fx one worker, so distributed "
              + "training cannot pay off here%s. Raise train.batch-size (now %d) so an iteration does more work, "
              + "or train.averaging.frequency (now %d) to about %d, or use train.workers = 1.",
          perIteration, overhead, parameters, workers, speedup,
          perIteration < 1.0 ? " (DL4J: iterations of ~1 ms are too small to scale)" : "", s.batchSize(),
          s.averagingFrequency(), better);
    }
    return new Verdict(perIteration, overhead, speedup, worth, message);
  }

  private static double median(double[] v) {
    double[] c = v.clone();
    Arrays.sort(c);
    return c.length % 2 == 1 ? c[c.length / 2] : (c[c.length / 2 - 1] + c[c.length / 2]) / 2;
  }
}
