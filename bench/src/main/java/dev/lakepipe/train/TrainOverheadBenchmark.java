package dev.lakepipe.train;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.core.loader.impl.SerializedMultiDataSetLoader;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.api.TrainingMaster;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * Issue R1, the overhead of distributed training: Spark training with 2 local workers ({@code local[2]}) against
 * a single-JVM {@code ComputationGraph.fit} on the same minibatch files, network, epochs, learning-rate schedule
 * and effective batch, for a small and a medium MLP, under parameter averaging and gradient sharing.
 *
 * <ul>
 *   <li>Data: the gold export of {@code ./lakepipe run} (argument 1, the warehouse, default {@code lakehouse}),
 *       train split as minibatch files of {@code train.batch-size} rows ({@link GoldSplits}); validation split
 *       for accuracy and macro-F1, evaluated on the driver by the same code for both sides.</li>
 *   <li>Spark side: what {@link Trainer} does per epoch: minibatch paths ordered by
 *       {@link Trainer#order}, a fresh {@link TrainingMasters#averaging} master seeded per epoch (or one
 *       {@link TrainingMasters#sharing} master with {@link TrainingMasters#resetSharedState} around each fit),
 *       {@code SparkComputationGraph.fitPaths}. Checkpoints and validation on the executors are left out, so
 *       only the fit is timed.</li>
 *   <li>Single-JVM side: the same epoch order; each {@code workers} consecutive minibatch files are loaded
 *       ({@link Trainer#load}) and merged into one minibatch of {@code workers × batch-size} rows, then
 *       {@code ComputationGraph.fit}. Same configuration ({@link NetworkFactory#build} with
 *       {@code iterationsPerEpoch = ceil(batches / workers)} for both), so the schedule is the same.</li>
 *   <li>Timing: one warm-up epoch of each side first (not measured), then {@code reps} repetitions, A/B order
 *       alternating, each training a fresh network for {@code epochs} epochs. Ratio = Spark / single wall time of
 *       the fit, per repetition; the table shows the median and the range.</li>
 *   <li>Why: {@link Preflight#measure} times compute per iteration (batch-size rows, on the driver) and an empty
 *       Spark job; the measured time per averaging round (Spark epoch / rounds) is printed next to it.</li>
 * </ul>
 * Arguments: warehouse ({@code lakehouse}), repetitions (3), epochs (train.epochs of the conf), medium hidden
 * layers ({@code 1024,512}). Gradient sharing uses port {@code train.sharing.port + 100} so a concurrent test
 * run on the default port does not collide.
 */
public final class TrainOverheadBenchmark {

  private TrainOverheadBenchmark() {}

  /** A network and master to compare, with its targets. */
  private record Case(String name, TrainSettings settings, double ratioTarget) {}

  /** One side's result over one repetition. */
  private record Side(double seconds, double accuracy, double macroF1, long iterations) {}

  public static void main(String[] args) {
    String warehouse = args.length > 0 ? args[0] : "lakehouse";
    int reps = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    TrainSettings base = GoldSplits.settings(warehouse);
    int epochs = args.length > 2 ? Integer.parseInt(args[2]) : base.epochs();
    List<Integer> medium = args.length > 3
        ? Arrays.stream(args[3].split(",")).map(Integer::valueOf).toList() : List.of(1024, 512);
    long t0 = System.nanoTime();
    SparkSession spark = GoldSplits.localSession("lakepipe train overhead benchmark");
    try {
      run(spark, warehouse, base, reps, epochs, medium);
    } finally {
      spark.stop();
    }
    System.out.printf(Locale.ROOT, "%nwall time of the whole run: %.0f s%n", (System.nanoTime() - t0) / 1e9);
    System.out.printf(Locale.ROOT, "reproduce: java @bench/target/bench-jvm.options -cp \"bench/target/classes:"
        + "$(cat bench/target/bench-classpath.txt)\" dev.lakepipe.train.TrainOverheadBenchmark %s %d %d %s%n",
        warehouse, reps, epochs, String.join(",", medium.stream().map(String::valueOf).toList()));
  }

  private static void run(SparkSession spark, String warehouse, TrainSettings base, int reps, int epochs,
      List<Integer> medium) {
    int workers = 2;
    GoldSplits gold = GoldSplits.load(spark, warehouse, base.batchSize(), base.seed());
    List<String> trainPaths = GoldSplits.paths(spark, gold.trainBatches);
    List<MultiDataSet> validation = GoldSplits.paths(spark, gold.validationBatches).stream().map(gold::load)
        .toList();
    JavaRDD<String> trainRdd = Minibatches.paths(spark, gold.trainBatches).cache();
    trainRdd.count();
    int iterationsPerEpoch = (trainPaths.size() + workers - 1) / workers;
    System.out.printf(Locale.ROOT, "data: %s (features run %s): train %d rows in %d minibatches of %d, validation "
            + "%d rows; %d features, %d classes%nspark: local[2], %d workers; epochs %d, %d iterations per epoch "
            + "(per worker; single JVM: merged minibatches of %d rows); averaging frequency %d; %s, lr %s%n",
        gold.exportDir, gold.featuresRun, gold.trainBatches.rows(), trainPaths.size(), base.batchSize(),
        gold.validationBatches.rows(), gold.featureSize, gold.classes, workers, epochs, iterationsPerEpoch,
        workers * base.batchSize(), base.averagingFrequency(), base.optimizer().type(), base.schedule());

    List<Case> cases = new ArrayList<>();
    for (TrainSettings.Master m : TrainSettings.Master.values()) {
      cases.add(new Case("small " + base.network().hidden(), with(base, m, base.network().hidden(), epochs), 2.0));
      cases.add(new Case("medium " + medium, with(base, m, medium, epochs), 1.25));
    }
    List<String> rows = new ArrayList<>();
    List<String> why = new ArrayList<>();
    for (Case c : cases) {
      TrainSettings s = c.settings();
      ComputationGraphConfiguration conf = NetworkFactory.build(s, gold.shape(), gold.classWeights,
          iterationsPerEpoch);
      TrainingMaster<?, ?> sharing = s.master() == TrainSettings.Master.SHARING
          ? TrainingMasters.sharing(s, spark.sparkContext(), workers) : null;
      // Warm-up: one epoch of each side on a throwaway network (JIT, native buffers, Spark's first jobs).
      single(conf, gold, trainPaths, validation, s, workers, 1);
      spark(spark, conf, gold, trainRdd, validation, s, workers, sharing, 1);
      Preflight.Verdict pre = Preflight.measure(spark, conf, gold.trainBatches, s, workers);
      List<Side> singles = new ArrayList<>();
      List<Side> sparks = new ArrayList<>();
      for (int r = 0; r < reps; r++) {
        if (r % 2 == 0) {
          singles.add(single(conf, gold, trainPaths, validation, s, workers, s.epochs()));
          sparks.add(spark(spark, conf, gold, trainRdd, validation, s, workers, sharing, s.epochs()));
        } else {
          sparks.add(spark(spark, conf, gold, trainRdd, validation, s, workers, sharing, s.epochs()));
          singles.add(single(conf, gold, trainPaths, validation, s, workers, s.epochs()));
        }
        System.err.printf(Locale.ROOT, "[bench] %s %s rep %d: single %.2f s (%d iterations, val acc %.4f), "
                + "spark %.2f s (%d iterations, val acc %.4f)%n", c.name(), s.master().id(), r + 1,
            singles.get(r).seconds(), singles.get(r).iterations(), singles.get(r).accuracy(), sparks.get(r).seconds(),
            sparks.get(r).iterations(), sparks.get(r).accuracy());
      }
      double[] ratios = new double[reps];
      for (int r = 0; r < reps; r++) {
        ratios[r] = sparks.get(r).seconds() / singles.get(r).seconds();
      }
      double ratio = median(ratios);
      double singleEpoch = median(singles.stream().mapToDouble(Side::seconds).toArray()) / s.epochs();
      double sparkEpoch = median(sparks.stream().mapToDouble(Side::seconds).toArray()) / s.epochs();
      double accSingle = median(singles.stream().mapToDouble(Side::accuracy).toArray());
      double accSpark = median(sparks.stream().mapToDouble(Side::accuracy).toArray());
      double f1Single = median(singles.stream().mapToDouble(Side::macroF1).toArray());
      double f1Spark = median(sparks.stream().mapToDouble(Side::macroF1).toArray());
      double gap = (accSingle - accSpark) * 100;
      boolean met = ratio <= c.ratioTarget() && Math.abs(gap) <= 0.5;
      rows.add(String.format(Locale.ROOT, "%-17s %-9s %9d %7.1f | %8.3f %8.3f | %5.2f [%4.2f-%4.2f] %5.2f | "
              + "%.4f %.4f | %.4f %.4f | %+6.2f %+6.2f | %s", c.name(), s.master().id(), numParams(conf), pre.msPerIteration(), singleEpoch, sparkEpoch, ratio,
          Arrays.stream(ratios).min().orElse(0), Arrays.stream(ratios).max().orElse(0), c.ratioTarget(), accSingle,
          f1Single, accSpark, f1Spark, gap, (f1Single - f1Spark) * 100, met ? "yes" : "no"));
      // Where the time goes: averaging rounds per epoch (each a Spark job: broadcast, fit f minibatches per
      // worker, aggregate parameters and updater state) against the compute they hold.
      if (s.master() == TrainSettings.Master.AVERAGING) {
        int rounds = (int) Math.ceil((double) trainPaths.size() / (workers * s.averagingFrequency()));
        double roundMs = sparkEpoch * 1000 / rounds;
        double computeMs = s.averagingFrequency() * pre.msPerIteration();
        why.add(String.format(Locale.ROOT, "%-17s averaging: %d rounds/epoch; measured %.0f ms per round, of which "
                + "compute %d x %.1f ms = %.0f ms (%.0f %%); the rest, %.0f ms, is the round's fixed cost "
                + "(pre-flight estimate %.0f ms: empty Spark job + parameter transfer)", c.name(), rounds, roundMs,
            s.averagingFrequency(), pre.msPerIteration(), computeMs, 100 * computeMs / roundMs, roundMs - computeMs,
            pre.roundOverheadMs()));
      } else {
        double perIterationMs = sparkEpoch * 1000 / iterationsPerEpoch;
        why.add(String.format(Locale.ROOT, "%-17s sharing: %.1f ms per iteration per worker (%d iterations per "
                + "epoch) against %.1f ms compute (pre-flight) and %.1f ms per merged iteration on one JVM",
            c.name(), perIterationMs, iterationsPerEpoch, pre.msPerIteration(), singleEpoch * 1000
                / iterationsPerEpoch));
      }
      System.err.println("[bench] " + rows.get(rows.size() - 1));
    }
    System.out.printf(Locale.ROOT, "%n%-17s %-9s %9s %7s | %8s %8s | %-23s | %-13s | %-13s | %-13s | %s%n",
        "network", "master", "params", "ms/it", "single", "spark", "ratio med [range] tgt", "single acc f1",
        "spark acc f1", "gap pts acc f1", "met");
    System.out.printf(Locale.ROOT, "%-17s %-9s %9s %7s | %8s %8s | %-23s | %-13s | %-13s | %-13s |%n", "", "", "",
        "(b=" + base.batchSize() + ")", "s/epoch", "s/epoch", "", "(validation)", "(validation)", "single-spark");
    rows.forEach(System.out::println);
    System.out.println();
    System.out.println("where the time goes:");
    why.forEach(System.out::println);
    gold.release();
  }

  private static long numParams(ComputationGraphConfiguration conf) {
    ComputationGraph net = new ComputationGraph(conf.clone());
    net.init();
    return net.numParams();
  }

  /** Single-JVM fit: each epoch in the Trainer's order, {@code workers} minibatches merged per iteration. */
  private static Side single(ComputationGraphConfiguration conf, GoldSplits gold, List<String> paths,
      List<MultiDataSet> validation, TrainSettings s, int workers, int epochs) {
    ComputationGraph net = new ComputationGraph(conf.clone());
    net.init();
    System.gc();
    long t0 = System.nanoTime();
    for (int e = 1; e <= epochs; e++) {
      final int epoch = e;
      List<String> ordered = new ArrayList<>(paths);
      ordered.sort(Comparator.comparingLong(p -> Trainer.order(s.seed(), epoch, p)));
      for (int i = 0; i < ordered.size(); i += workers) {
        List<org.nd4j.linalg.dataset.MultiDataSet> group = new ArrayList<>();
        for (int k = i; k < Math.min(ordered.size(), i + workers); k++) {
          group.add((org.nd4j.linalg.dataset.MultiDataSet) gold.load(ordered.get(k)));
        }
        net.fit(group.size() == 1 ? group.get(0) : org.nd4j.linalg.dataset.MultiDataSet.merge(group));
      }
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    double[] v = gold.evaluate(net, validation);
    return new Side(seconds, v[0], v[1], net.getConfiguration().getIterationCount());
  }

  /** Spark fit on {@code local[2]}: what {@link Trainer} runs per epoch, without validation and checkpoints. */
  private static Side spark(SparkSession spark, ComputationGraphConfiguration conf, GoldSplits gold,
      JavaRDD<String> paths, List<MultiDataSet> validation, TrainSettings s, int workers,
      TrainingMaster<?, ?> sharing, int epochs) {
    ComputationGraph net = new ComputationGraph(conf.clone());
    net.init();
    System.gc();
    long t0 = System.nanoTime();
    for (int e = 1; e <= epochs; e++) {
      final int epoch = e;
      final long seed = s.seed();
      TrainingMaster<?, ?> master = sharing != null ? sharing
          : TrainingMasters.averaging(s, workers, Trainer.epochSeed(s.seed(), e));
      SparkComputationGraph sparkNet = new SparkComputationGraph(spark.sparkContext(), net, master);
      JavaRDD<String> ordered = paths.sortBy(p -> Trainer.order(seed, epoch, p), true, paths.getNumPartitions());
      if (sharing != null) {
        TrainingMasters.resetSharedState();
      }
      try {
        sparkNet.fitPaths(ordered, new SerializedMultiDataSetLoader());
      } finally {
        if (sharing != null) {
          TrainingMasters.resetSharedState();
        }
      }
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    double[] v = gold.evaluate(net, validation);
    return new Side(seconds, v[0], v[1], net.getConfiguration().getIterationCount());
  }

  /** {@code s} with another master, hidden layers and epochs; gradient sharing on port + 100. */
  static TrainSettings with(TrainSettings s, TrainSettings.Master master, List<Integer> hidden, int epochs) {
    TrainSettings.Network n = s.network();
    TrainSettings.Network network = new TrainSettings.Network(n.type(), hidden, n.activation(), n.dropout(),
        n.batchNorm(), n.embeddingSize(), n.filters(), n.kernelSize(), n.lstmSize(), n.attentionHeads(),
        n.withFeatures());
    TrainSettings.Sharing sh = s.sharing();
    TrainSettings.Sharing sharing = new TrainSettings.Sharing(sh.controllerAddress(), sh.networkMask(),
        sh.port() + 100, sh.threshold());
    return new TrainSettings(master, 2, s.batchSize(), epochs, s.seed(), s.averagingFrequency(), s.prefetch(),
        sharing, s.stallTimeout(), network, s.optimizer(), s.schedule(), s.earlyStopping(), s.modelStore(),
        s.minibatchPath(), s.preflight(), s.precision());
  }

  static double median(double[] v) {
    double[] c = v.clone();
    Arrays.sort(c);
    return c.length % 2 == 1 ? c[c.length / 2] : (c[c.length / 2 - 1] + c[c.length / 2]) / 2;
  }
}
