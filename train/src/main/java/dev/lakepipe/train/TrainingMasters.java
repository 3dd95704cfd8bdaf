package dev.lakepipe.train;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaRDD;
import org.deeplearning4j.optimize.solvers.accumulation.encoding.threshold.AdaptiveThresholdAlgorithm;
import org.deeplearning4j.spark.api.Repartition;
import org.deeplearning4j.spark.api.RepartitionStrategy;
import org.deeplearning4j.spark.api.Repartitioner;
import org.deeplearning4j.spark.api.TrainingMaster;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.deeplearning4j.spark.parameterserver.pw.SharedTrainingWrapper;
import org.deeplearning4j.spark.parameterserver.training.SharedTrainingMaster;
import org.nd4j.parameterserver.distributed.conf.VoidConfiguration;
import org.nd4j.parameterserver.distributed.v2.transport.impl.StaticPortSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the DL4J training master a conf asks for, and keeps gradient sharing from hanging.
 *
 * <p><b>Why gradient sharing hung</b> (DL4J 1.0.0-M2, {@code SharedTrainingWrapper.run}): every Spark task of
 * a fit attaches its data iterator and calls {@code run}; the first task to flip {@code isFirst} trains, the
 * others sleep in {@code BlockingObserver.waitTillDone} until the trainer drains their iterator. The trainer's
 * end (its last {@code hasNext}, then {@code init()} that drops the iterator list, then {@code isFirst = false})
 * is not synchronised with {@code attachDS}/{@code run}: a task that attaches in that window loses the race and
 * waits forever. DL4J's default repartitioner makes one partition per minibatch, so a {@code local[2]} fit is
 * hundreds of short tasks, each hand-over a chance to hit the window. A failed training task also leaves
 * {@code isFirst} set for the life of the JVM, so every later task waits.
 *
 * <p><b>What Lakepipe does</b>: one Spark task per node and fit ({@link OneTaskPerNode}), with the node's
 * cores as DL4J worker threads ({@code workersPerNode}); then no second task can race the trainer in that JVM.
 * Before each fit and after a cancelled one, {@link #resetSharedState} clears the wrapper's flags and
 * iterators. A stall that remains (e.g. a parameter-server deadlock) is turned into an error by the
 * {@link StallWatchdog}.
 */
final class TrainingMasters {

  private static final Logger LOG = LoggerFactory.getLogger(TrainingMasters.class);

  private TrainingMasters() {}

  /** Workers the conf asks for, or Spark's default parallelism. */
  static int workers(TrainSettings s, SparkContext sc) {
    return s.workers() > 0 ? s.workers() : Math.max(1, sc.defaultParallelism());
  }

  /**
   * Parameter averaging: each of {@code workers} fits {@code averagingFrequency} minibatches, then parameters
   * and updater state are averaged. {@code epochSeed} seeds how the epoch's minibatches are split across
   * workers, so an epoch's result does not depend on how many epochs this master ran before (resume).
   */
  static TrainingMaster<?, ?> averaging(TrainSettings s, int workers, long epochSeed) {
    // Each minibatch file holds batch-size examples (the last of a partition fewer).
    return new ParameterAveragingTrainingMaster.Builder(workers, s.batchSize())
        .batchSizePerWorker(s.batchSize())
        .averagingFrequency(s.averagingFrequency())
        .workerPrefetchNumBatches(s.prefetch())
        .repartionData(Repartition.Always)
        .repartitionStrategy(RepartitionStrategy.Balanced)
        .saveUpdater(true)
        .rngSeed(epochSeed)
        .build();
  }

  /**
   * Gradient sharing through the DL4J parameter server: threshold-encoded updates exchanged over Aeron.
   * On {@code local[*]} the controller is 127.0.0.1 unless the conf says otherwise.
   */
  static TrainingMaster<?, ?> sharing(TrainSettings s, SparkContext sc, int workers) {
    if (System.getProperty("aeron.publication.unblock.timeout") == null) {
      // Aeron's default (15 s) unblocks a publication while a worker is still busy; DL4J needs it long.
      System.setProperty("aeron.publication.unblock.timeout", "60000000000");
    }
    boolean local = sc.isLocal();
    String address = s.sharing().controllerAddress();
    VoidConfiguration.VoidConfigurationBuilder voidConf = VoidConfiguration.builder()
        .unicastPort(s.sharing().port())
        .portSupplier(new StaticPortSupplier(s.sharing().port()));
    if (!address.isEmpty()) {
      voidConf.controllerAddress(address);
    } else if (!s.sharing().networkMask().isEmpty()) {
      voidConf.networkMask(s.sharing().networkMask());
    } else if (local) {
      voidConf.controllerAddress("127.0.0.1");
    } else {
      voidConf.controllerAddress(sc.getConf().get("spark.driver.host", "127.0.0.1"));
    }
    int perNode = local ? workers : Math.max(1, sc.getConf().getInt("spark.executor.cores", 1));
    int nodes = Math.max(1, workers / perNode);
    return new SharedTrainingMaster.Builder(voidConf.build(), s.batchSize())
        .thresholdAlgorithm(new AdaptiveThresholdAlgorithm(s.sharing().threshold()))
        .batchSizePerWorker(s.batchSize())
        .workersPerNode(perNode)
        .workerPrefetchNumBatches(s.prefetch())
        .repartitioner(new OneTaskPerNode(nodes))
        .rngSeed(s.seed())
        .build();
  }

  /** Coalesces a fit's data into one partition per node, so one task per JVM runs {@code SharedTrainingWrapper}. */
  static final class OneTaskPerNode implements Repartitioner {
    private static final long serialVersionUID = 1L;
    private final int nodes;

    OneTaskPerNode(int nodes) {
      this.nodes = nodes;
    }

    @Override
    public <T> JavaRDD<T> repartition(JavaRDD<T> input, int minObjectsPerPartition, int numExecutors) {
      return input.getNumPartitions() == nodes ? input : input.repartition(nodes);
    }
  }

  /**
   * Clears what {@code SharedTrainingWrapper} keeps between fits in this JVM: the trainer flag, the exception
   * flag and the attached iterators (the stuck task's iterator after a cancel). Its fields are not public; this
   * is the DL4J 1.0.0-M2 layout, checked by a test.
   */
  static void resetSharedState() {
    try {
      Field instance = SharedTrainingWrapper.class.getDeclaredField("INSTANCE");
      instance.setAccessible(true);
      Object wrapper = instance.get(null);
      if (wrapper == null) {
        return;
      }
      for (String flag : new String[] {"isFirst", "exceptionEncountered"}) {
        Field f = SharedTrainingWrapper.class.getDeclaredField(flag);
        f.setAccessible(true);
        ((AtomicBoolean) f.get(wrapper)).set(false);
      }
      Method init = SharedTrainingWrapper.class.getDeclaredMethod("init");
      init.setAccessible(true);
      init.invoke(wrapper);
    } catch (ReflectiveOperationException e) {
      LOG.warn("train: could not reset DL4J's SharedTrainingWrapper state ({}); a stall after this is caught by "
          + "the watchdog", e.toString());
    }
  }
}
