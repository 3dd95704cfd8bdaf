package dev.lakepipe.train;

import dev.lakepipe.core.LakepipeErrors;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.SerializableConfiguration;
import org.deeplearning4j.core.loader.impl.SerializedMultiDataSetLoader;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.deeplearning4j.spark.api.TrainingMaster;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.schedule.ISchedule;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The epoch loop: fit one epoch on the executors, validate on the executors, record, checkpoint, decide whether
 * to stop. Knows nothing of tables; {@link TrainJob} gives it minibatch files and takes its result.
 *
 * <p>Each epoch's minibatches are ordered by a hash of (seed, epoch, path) and, under parameter averaging, a
 * new training master seeded with (seed, epoch) splits them across workers, so epoch e does the same work
 * whether the run started at epoch 1 or resumed at e. Every Spark job of an epoch runs in job group
 * {@code TRAIN-<run>-epoch-<e>} ("train epoch e/E: fit" / "validate") under the {@link StallWatchdog}.
 */
final class Trainer {

  private static final Logger LOG = LoggerFactory.getLogger(Trainer.class);

  /** How training ended. */
  record Result(ComputationGraph best, List<EpochRecord> history, EarlyStopping earlyStopping, String stopReason,
      int epochsRun) {}

  /** Called after each epoch is checkpointed, before the next starts (the job writes the history row). */
  interface EpochSink {
    void accept(EpochRecord record);
  }

  private final SparkSession spark;
  private final TrainSettings s;
  private final int workers;
  private final String runId;
  private final List<String> labels;
  private final ISchedule schedule;
  private final List<TrainingListener> extraListeners;

  Trainer(SparkSession spark, TrainSettings s, int workers, String runId, List<String> labels, ISchedule schedule,
      List<TrainingListener> extraListeners) {
    this.spark = spark;
    this.s = s;
    this.workers = workers;
    this.runId = runId;
    this.labels = labels;
    this.schedule = schedule;
    this.extraListeners = extraListeners;
  }

  /**
   * Trains {@code network} from epoch {@code state.epoch() + 1} on; {@code state} is the resumed checkpoint's,
   * or epoch 0 for a fresh run.
   */
  Result train(ComputationGraph network, Minibatches.Export trainData, Minibatches.Export validationData,
      Checkpoints checkpoints, Checkpoints.State state, EpochSink sink, Consumer<String> progress) {
    JavaRDD<String> trainPaths = Minibatches.paths(spark, trainData).cache();
    JavaRDD<String> validationPaths = Minibatches.paths(spark, validationData).cache();
    SerializableConfiguration hadoop = new SerializableConfiguration(spark.sparkContext().hadoopConfiguration());
    JavaRDD<MultiDataSet> validationSets = validationPaths.map(p -> load(p, hadoop));
    JavaSparkContext sparkContext = JavaSparkContext.fromSparkContext(spark.sparkContext());
    List<EpochRecord> history = new ArrayList<>(state.history());
    EarlyStopping es = state.earlyStopping();
    String stopReason = "max-epochs";
    TrainingMaster<?, ?> sharingMaster = s.master() == TrainSettings.Master.SHARING
        ? TrainingMasters.sharing(s, spark.sparkContext(), workers) : null;
    long started = System.nanoTime();
    int firstEpoch = state.epoch() + 1;
    int epoch = state.epoch();
    try (StallWatchdog watchdog = new StallWatchdog(spark.sparkContext(), s.stallTimeout())) {
      while (epoch < s.epochs()) {
        epoch++;
        if (es.shouldStop(s.earlyStopping())) {
          epoch--;
          stopReason = "early-stopping";
          break;
        }
        long t0 = System.nanoTime();
        final int e = epoch;
        TrainingMaster<?, ?> master = sharingMaster != null ? sharingMaster
            : TrainingMasters.averaging(s, workers, epochSeed(s.seed(), e));
        SparkComputationGraph sparkNet = new SparkComputationGraph(spark.sparkContext(), network, master);
        List<TrainingListener> listeners = new ArrayList<>();
        listeners.add(new StallWatchdog.Heartbeat());
        listeners.addAll(extraListeners);
        sparkNet.setListeners(listeners);
        String group = "TRAIN-" + runId + "-epoch-" + e;
        String stall = s.master() == TrainSettings.Master.SHARING
            ? "Gradient sharing stopped exchanging updates; set train.master = averaging, or raise "
                + "train.stall-timeout if one minibatch really takes that long."
            : "Raise train.stall-timeout if one averaging round really takes that long.";
        long seed = s.seed();
        JavaRDD<String> ordered = trainPaths.sortBy(p -> order(seed, e, p), true, trainPaths.getNumPartitions());
        if (sharingMaster != null) {
          TrainingMasters.resetSharedState();
        }
        long tFit = System.nanoTime();
        try {
          watchdog.run(group, String.format(Locale.ROOT, "train epoch %d/%d: fit", e, s.epochs()), stall,
              () -> sparkNet.fitPaths(ordered, new SerializedMultiDataSetLoader()));
        } finally {
          if (sharingMaster != null) {
            TrainingMasters.resetSharedState();
          }
        }
        double fitSeconds = (System.nanoTime() - tFit) / 1e9;
        double trainLoss = sparkNet.getScore();
        long iteration = network.getConfiguration().getIterationCount();
        double lr = schedule.valueAt((int) Math.max(0, iteration - 1), e - 1);
        requireFinite(e, "train", trainLoss, lr);
        String validating = String.format(Locale.ROOT, "train epoch %d/%d: validate", e, s.epochs());
        Validation.Outcome checked = watchdog.run(group, validating, stall,
            () -> Validation.of(sparkContext, validationSets, sparkNet.getNetwork(), labels));
        double validationLoss = checked.loss();
        requireFinite(e, "validation", validationLoss, lr);
        Evaluation ev = checked.evaluation();
        double[] validation = {validationLoss, ev.accuracy(), MacroF1.of(ev, labels.size())};
        EpochRecord partial = new EpochRecord(e, iteration, lr, trainLoss, validation[0], validation[1],
            validation[2], trainData.rows() / Math.max(1e-9, fitSeconds), 0, false);
        es = es.observe(e, partial.metric(s.earlyStopping().metric()), s.earlyStopping());
        EpochRecord record = new EpochRecord(e, iteration, lr, trainLoss, validation[0], validation[1],
            validation[2], partial.examplesPerSecond(), (System.nanoTime() - t0) / 1e9, es.isBest(e));
        history.add(record);
        if (record.bestSoFar()) {
          checkpoints.saveBest(network);
        }
        checkpoints.save(network, new Checkpoints.State(e, state.fingerprint(), state.goldVersion(), es,
            List.copyOf(history)));
        sink.accept(record);
        double perEpoch = (System.nanoTime() - started) / 1e9 / (e - firstEpoch + 1);
        progress.accept(progressLine(record, s, perEpoch * (s.epochs() - e)));
      }
      if (es.shouldStop(s.earlyStopping())) {
        stopReason = "early-stopping";
      }
    }
    ComputationGraph best = es.bestEpoch() == 0 ? network : checkpoints.loadBest();
    LOG.info("train: run {} stopped after epoch {} ({}); best epoch {} ({} = {})", runId, epoch, stopReason,
        es.bestEpoch(), s.earlyStopping().metric(), es.best());
    return new Result(best, history, es, stopReason, epoch);
  }

  /** A loss that is NaN or infinite stops the run with the epoch and the fix; nothing is published. */
  private void requireFinite(int epoch, String which, double loss, double lr) {
    if (Double.isNaN(loss) || Double.isInfinite(loss)) {
      throw LakepipeErrors.jobFailed("train run " + runId, String.format(Locale.ROOT, "the %s loss became %s in "
          + "epoch %d (learning rate %.3g). Lower train.learning-rate.base, set train.optimizer.gradient-clip "
          + "(e.g. 1.0), or check the features for extreme values. No model version was published.", which,
          Double.isNaN(loss) ? "NaN" : "infinite", epoch, lr), null);
    }
  }

  static String progressLine(EpochRecord r, TrainSettings s, double etaSeconds) {
    return String.format(Locale.ROOT, "epoch %3d/%d  lr %.2e  train loss %.4f  val loss %.4f  val %s %.4f%s  "
            + "%,.0f ex/s  %.1f s  ETA %s", r.epoch(), s.epochs(), r.learningRate(), r.trainLoss(),
        r.validationLoss(), s.earlyStopping().metric(), r.metric(s.earlyStopping().metric()),
        r.bestSoFar() ? " *" : "  ", r.examplesPerSecond(), r.seconds(), eta(etaSeconds));
  }

  private static String eta(double seconds) {
    long t = Math.round(seconds);
    return t >= 60 ? (t / 60) + "m " + (t % 60) + "s" : t + "s";
  }

  /** The seed of epoch {@code epoch}'s averaging master: how its minibatches are split across workers. */
  static long epochSeed(long seed, int epoch) {
    return seed * 1_000_003L + epoch;
  }

  /** A 64-bit mix of (seed, epoch, path): the epoch's order of minibatches. */
  static long order(long seed, int epoch, String path) {
    long h = seed * 0x9E3779B97F4A7C15L + epoch * 0xC2B2AE3D27D4EB4FL + path.hashCode();
    h ^= h >>> 33;
    h *= 0xFF51AFD7ED558CCDL;
    h ^= h >>> 33;
    h *= 0xC4CEB9FE1A85EC53L;
    return h ^ (h >>> 33);
  }

  static MultiDataSet load(String path, SerializableConfiguration hadoop) throws IOException {
    Path p = new Path(path);
    FileSystem fs = p.getFileSystem(hadoop.value());
    org.nd4j.linalg.dataset.MultiDataSet m = new org.nd4j.linalg.dataset.MultiDataSet();
    try (InputStream in = fs.open(p)) {
      m.load(in);
    }
    return m;
  }
}
