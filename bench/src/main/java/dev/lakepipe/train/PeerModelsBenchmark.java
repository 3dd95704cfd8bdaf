package dev.lakepipe.train;

import dev.lakepipe.core.model.ModelStore;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.IntStream;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.Predictor;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.classification.MultilayerPerceptronClassifier;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * Issue R3, Lakepipe against a peer: Spark MLlib's {@code LogisticRegression} and
 * {@code MultilayerPerceptronClassifier} on the same gold {@code features} and splits as Lakepipe's MLP (the
 * export of {@code ./lakepipe run}; argument 1, the warehouse, default {@code lakehouse}).
 *
 * <ol>
 *   <li>Model choice (each fit once, on the train split): logistic regression with the export's {@code weight}
 *       column (the class weights Lakepipe's loss uses) and {@code regParam} 0.001 / 0.01 / 0.1; the perceptron
 *       with Lakepipe's layers (features → {@code train.network.hidden} → classes) and 50 / 200 L-BFGS
 *       iterations (MLlib's perceptron takes no weight column). Each family's model with the best validation
 *       macro-F1 is chosen; the best of both is "the best MLlib model". Its test macro-F1 is the bar.</li>
 *   <li>Timing, side by side: a warm-up (one fit of the best MLlib model, one Lakepipe epoch), then
 *       {@code reps} repetitions alternating A/B order: refit the best MLlib model (wall time of {@code fit});
 *       train Lakepipe's MLP with {@link Trainer} exactly as {@code TrainJob} does (conf's settings: local[2],
 *       parameter averaging, validation on the executors, checkpoints per epoch, early stopping). Lakepipe's
 *       time to reach = wall time from the start of {@code train} to the end of the first epoch whose
 *       validation macro-F1 is at least the best MLlib model's; its test macro-F1 is that of the best epoch
 *       (what TrainJob publishes).</li>
 * </ol>
 * Macro-F1 is {@link MacroF1}'s rule for both (classes with support or predictions). Minibatch files are
 * written once before timing (TrainJob reuses them per gold version) and are not part of Lakepipe's time;
 * MLlib reads persisted DataFrames. Arguments: warehouse ({@code lakehouse}), repetitions (3), the conf whose
 * {@code train} settings Lakepipe's side uses ({@code conf/application.conf}; another dataset's conf, with its
 * own warehouse, runs the same comparison on that dataset).
 */
public final class PeerModelsBenchmark {

  private PeerModelsBenchmark() {}

  /** A candidate MLlib model and how it did. */
  private record Candidate(String family, String params, Predictor<?, ?, ?> estimator, double fitSeconds,
      double validationF1, double testF1, double testAccuracy) {}

  public static void main(String[] args) {
    String warehouse = args.length > 0 ? args[0] : "lakehouse";
    int reps = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    String conf = args.length > 2 ? args[2] : GoldSplits.DEFAULT_CONF;
    long t0 = System.nanoTime();
    SparkSession spark = GoldSplits.localSession("lakepipe peer models benchmark");
    try {
      run(spark, warehouse, reps, conf);
    } finally {
      spark.stop();
    }
    System.out.printf(Locale.ROOT, "%nwall time of the whole run: %.0f s%n", (System.nanoTime() - t0) / 1e9);
    System.out.printf(Locale.ROOT, "reproduce: java @bench/target/bench-jvm.options -cp \"bench/target/classes:"
        + "$(cat bench/target/bench-classpath.txt)\" dev.lakepipe.train.PeerModelsBenchmark %s %d %s%n", warehouse, reps,
        conf);
  }

  private static void run(SparkSession spark, String warehouse, int reps, String conf) {
    TrainSettings s = GoldSplits.settings(warehouse, conf);
    GoldSplits gold = GoldSplits.load(spark, warehouse, s.batchSize(), s.seed());
    System.out.printf(Locale.ROOT, "data: %s (features run %s): train %d, validation %d, test %d rows; %d "
            + "features, %d classes%nlakepipe: %s %s, %d epochs max, batch %d per worker, 2 workers (local[2]), "
            + "averaging frequency %d, %s, lr %s, early stopping %s%n", gold.exportDir, gold.featuresRun,
        gold.trainBatches.rows(), gold.validationBatches.rows(), gold.testBatches.rows(), gold.featureSize,
        gold.classes, s.network().type(), s.network().hidden(), s.epochs(), s.batchSize(), s.averagingFrequency(),
        s.optimizer().type(), s.schedule(), s.earlyStopping());

    // 1. MLlib model choice on validation.
    List<Candidate> candidates = new ArrayList<>();
    for (double reg : new double[] {0.001, 0.01, 0.1}) {
      candidates.add(candidate(gold, "LogisticRegression", "regParam " + reg + ", weightCol weight",
          new LogisticRegression().setFeaturesCol("features").setLabelCol("label_index").setWeightCol("weight")
              .setRegParam(reg).setElasticNetParam(0.0).setMaxIter(100)));
    }
    int[] layers = new int[s.network().hidden().size() + 2];
    layers[0] = gold.featureSize;
    for (int i = 0; i < s.network().hidden().size(); i++) {
      layers[i + 1] = s.network().hidden().get(i);
    }
    layers[layers.length - 1] = gold.classes;
    for (int iter : new int[] {50, 200}) {
      candidates.add(candidate(gold, "MultilayerPerceptron", "layers " + Arrays.toString(layers) + ", maxIter "
          + iter, new MultilayerPerceptronClassifier().setFeaturesCol("features").setLabelCol("label_index")
          .setLayers(layers).setMaxIter(iter).setSeed(s.seed())));
    }
    Candidate bestLr = best(candidates, "LogisticRegression");
    Candidate bestMlp = best(candidates, "MultilayerPerceptron");
    Candidate bestMllib = bestLr.validationF1() >= bestMlp.validationF1() ? bestLr : bestMlp;

    // 2. Side by side: the best MLlib model's fit against Lakepipe's Trainer, alternating.
    List<MultiDataSet> test = GoldSplits.paths(spark, gold.testBatches).stream().map(gold::load).toList();
    fit(bestMllib.estimator(), gold.train);
    lakepipe(spark, gold, with(s, 1), test, bestMllib.validationF1(), "warmup");
    double[] mllibSeconds = new double[reps];
    double[] reach = new double[reps];
    double[] total = new double[reps];
    double[] lakeTestF1 = new double[reps];
    double[] lakeTestAcc = new double[reps];
    double[] lakeValF1 = new double[reps];
    int[] reachEpoch = new int[reps];
    for (int r = 0; r < reps; r++) {
      double[] lake;
      if (r % 2 == 0) {
        mllibSeconds[r] = fit(bestMllib.estimator(), gold.train).seconds();
        lake = lakepipe(spark, gold, s, test, bestMllib.validationF1(), "rep" + r);
      } else {
        lake = lakepipe(spark, gold, s, test, bestMllib.validationF1(), "rep" + r);
        mllibSeconds[r] = fit(bestMllib.estimator(), gold.train).seconds();
      }
      reach[r] = lake[0];
      reachEpoch[r] = (int) lake[1];
      total[r] = lake[2];
      lakeValF1[r] = lake[3];
      lakeTestAcc[r] = lake[4];
      lakeTestF1[r] = lake[5];
      System.err.printf(Locale.ROOT, "[bench] rep %d: mllib %.2f s; lakepipe reach %.2f s (epoch %d), total %.2f s,"
          + " test F1 %.4f%n", r + 1, mllibSeconds[r], reach[r], reachEpoch[r], total[r], lakeTestF1[r]);
    }

    System.out.printf(Locale.ROOT, "%nmodel choice (one fit each, train split; validation chooses):%n");
    System.out.printf(Locale.ROOT, "%-21s %-50s %8s %8s %8s %8s%n", "family", "params", "fit s", "val F1",
        "test F1", "test acc");
    for (Candidate c : candidates) {
      System.out.printf(Locale.ROOT, "%-21s %-50s %8.2f %8.4f %8.4f %8.4f%s%n", c.family(), c.params(),
          c.fitSeconds(), c.validationF1(), c.testF1(), c.testAccuracy(),
          c == bestMllib ? "  <- best MLlib" : c == bestLr || c == bestMlp ? "  <- chosen" : "");
    }
    double ratios[] = IntStream.range(0, reps).mapToDouble(r -> reach[r] / mllibSeconds[r]).toArray();
    boolean reachedAll = Arrays.stream(reach).allMatch(x -> !Double.isNaN(x));
    double lakeF1 = TrainOverheadBenchmark.median(lakeTestF1);
    System.out.printf(Locale.ROOT, "%ntest macro-F1 (test split, %d rows):%n", gold.testBatches.rows());
    System.out.printf(Locale.ROOT, "  MLlib LogisticRegression (chosen)   %.4f%n", bestLr.testF1());
    System.out.printf(Locale.ROOT, "  MLlib MultilayerPerceptron (chosen) %.4f%n", bestMlp.testF1());
    System.out.printf(Locale.ROOT, "  Lakepipe MLP (best epoch, median of %d) %.4f  [%.4f-%.4f], test accuracy %.4f"
            + "%n", reps, lakeF1, Arrays.stream(lakeTestF1).min().orElse(0), Arrays.stream(lakeTestF1).max().orElse(0),
        TrainOverheadBenchmark.median(lakeTestAcc));
    System.out.printf(Locale.ROOT, "%ntime (side by side, %d reps, A/B alternating):%n", reps);
    System.out.printf(Locale.ROOT, "  best MLlib model (%s) fit: median %.2f s [%.2f-%.2f]%n", bestMllib.family(),
        TrainOverheadBenchmark.median(mllibSeconds), Arrays.stream(mllibSeconds).min().orElse(0),
        Arrays.stream(mllibSeconds).max().orElse(0));
    System.out.printf(Locale.ROOT, "  Lakepipe to reach validation macro-F1 >= %.4f: %s; epochs %s; whole training "
            + "(%s epochs) median %.2f s%n", bestMllib.validationF1(),
        reachedAll ? String.format(Locale.ROOT, "median %.2f s [%.2f-%.2f]", TrainOverheadBenchmark.median(reach),
            Arrays.stream(reach).min().orElse(0), Arrays.stream(reach).max().orElse(0))
            : "not reached in " + Arrays.stream(reach).filter(Double::isNaN).count() + " of " + reps + " reps "
                + Arrays.toString(reach),
        Arrays.toString(reachEpoch), "up to " + s.epochs(), TrainOverheadBenchmark.median(total));
    System.out.printf(Locale.ROOT, "  best Lakepipe validation macro-F1 (median) %.4f%n",
        TrainOverheadBenchmark.median(lakeValF1));
    double ratio = reachedAll ? TrainOverheadBenchmark.median(ratios) : Double.NaN;
    System.out.printf(Locale.ROOT, "%ntargets: Lakepipe test macro-F1 %.4f >= best MLlib's %.4f: %s; time to reach "
            + "/ MLlib fit %s (target <= 1.0): %s%n", lakeF1, bestMllib.testF1(),
        lakeF1 >= bestMllib.testF1() ? "yes" : "no",
        reachedAll ? String.format(Locale.ROOT, "median %.2f [%.2f-%.2f]", ratio,
            Arrays.stream(ratios).min().orElse(0), Arrays.stream(ratios).max().orElse(0)) : "n/a (not reached)",
        reachedAll && ratio <= 1.0 ? "yes" : "no");
    gold.release();
  }

  private record Fitted(Model<?> model, double seconds) {}

  private static Fitted fit(Predictor<?, ?, ?> estimator, Dataset<Row> train) {
    System.gc();
    long t0 = System.nanoTime();
    Model<?> m = (Model<?>) estimator.fit(train);
    return new Fitted(m, (System.nanoTime() - t0) / 1e9);
  }

  private static Candidate candidate(GoldSplits gold, String family, String params, Predictor<?, ?, ?> estimator) {
    Fitted f = fit(estimator, gold.train);
    double[] val = macroF1(f.model().transform(gold.validation), gold.classes);
    double[] test = macroF1(f.model().transform(gold.test), gold.classes);
    System.err.printf(Locale.ROOT, "[bench] %s %s: fit %.2f s, val F1 %.4f, test F1 %.4f%n", family, params,
        f.seconds(), val[1], test[1]);
    return new Candidate(family, params, estimator, f.seconds(), val[1], test[1], test[0]);
  }

  private static Candidate best(List<Candidate> cs, String family) {
    Candidate b = null;
    for (Candidate c : cs) {
      if (c.family().equals(family) && (b == null || c.validationF1() > b.validationF1())) {
        b = c;
      }
    }
    return b;
  }

  /** Accuracy and macro-F1 of MLlib predictions ({@link MacroF1}'s rule), from a classes × classes count. */
  static double[] macroF1(Dataset<Row> predictions, int classes) {
    long[][] m = new long[classes][classes];
    for (Row r : predictions.groupBy("label_index", "prediction").count().collectAsList()) {
      m[(int) r.getDouble(0)][(int) r.getDouble(1)] += r.getLong(2);
    }
    long n = 0;
    long correct = 0;
    double sum = 0;
    int counted = 0;
    for (int c = 0; c < classes; c++) {
      long tp = m[c][c];
      long support = Arrays.stream(m[c]).sum();
      long predicted = 0;
      for (int k = 0; k < classes; k++) {
        predicted += m[k][c];
      }
      n += support;
      correct += tp;
      if (support == 0 && predicted == 0) {
        continue;
      }
      double p = predicted == 0 ? 0 : (double) tp / predicted;
      double rc = support == 0 ? 0 : (double) tp / support;
      sum += p + rc == 0 ? 0 : 2 * p * rc / (p + rc);
      counted++;
    }
    return new double[] {n == 0 ? 0 : (double) correct / n, counted == 0 ? 0 : sum / counted};
  }

  /**
   * Lakepipe's MLP trained by the {@link Trainer} as TrainJob runs it: {time to reach {@code target} validation
   * macro-F1 (NaN if never), that epoch, whole training seconds, best validation macro-F1, test accuracy and
   * macro-F1 of the best epoch}.
   */
  private static double[] lakepipe(SparkSession spark, GoldSplits gold, TrainSettings s, List<MultiDataSet> test,
      double target, String version) {
    int workers = TrainingMasters.workers(s, spark.sparkContext());
    int iterationsPerEpoch = (int) Math.max(1, (gold.trainBatches.batches() + workers - 1) / workers);
    ComputationGraphConfiguration conf = NetworkFactory.build(s, gold.shape(), gold.classWeights,
        iterationsPerEpoch);
    ModelStore store = new ModelStore(GoldSplits.MINIBATCH_ROOT.replace("minibatches", "models"),
        spark.sparkContext().hadoopConfiguration());
    Checkpoints checkpoints = new Checkpoints(store, version);
    if (checkpoints.any()) {
      checkpoints.clear();
    }
    List<String> labels = IntStream.range(0, gold.classes).mapToObj(i -> "class" + i).toList();
    Trainer trainer = new Trainer(spark, s, workers, "bench-" + version, labels,
        NetworkFactory.schedule(s.schedule(), s.epochs(), iterationsPerEpoch), List.of());
    ComputationGraph network = new ComputationGraph(conf);
    network.init();
    Checkpoints.State state = new Checkpoints.State(0, s.fingerprint(), 0, EarlyStopping.start(), List.of());
    double[] reach = {Double.NaN, 0};
    System.gc();
    long t0 = System.nanoTime();
    Trainer.Result result = trainer.train(network, gold.trainBatches, gold.validationBatches, checkpoints, state,
        record -> {
          if (Double.isNaN(reach[0]) && record.validationMacroF1() >= target) {
            reach[0] = (System.nanoTime() - t0) / 1e9;
            reach[1] = record.epoch();
          }
        }, line -> System.err.println("[bench] lakepipe " + version + ": " + line));
    double seconds = (System.nanoTime() - t0) / 1e9;
    double[] t = gold.evaluate(result.best(), test);
    double bestVal = result.history().stream().mapToDouble(EpochRecord::validationMacroF1).max().orElse(0);
    return new double[] {reach[0], reach[1], seconds, bestVal, t[0], t[1]};
  }

  /** {@code s} with at most {@code epochs} epochs (the warm-up). */
  private static TrainSettings with(TrainSettings s, int epochs) {
    return new TrainSettings(s.master(), s.workers(), s.batchSize(), epochs, s.seed(), s.averagingFrequency(),
        s.prefetch(), s.sharing(), s.stallTimeout(), s.network(), s.optimizer(), s.schedule(), s.earlyStopping(),
        s.modelStore(), s.minibatchPath(), false, s.precision());
  }
}
