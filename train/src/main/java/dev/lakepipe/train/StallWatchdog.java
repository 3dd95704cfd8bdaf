package dev.lakepipe.train;

import dev.lakepipe.core.LakepipeErrors;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorMetricsUpdate;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.SparkListenerTaskStart;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a training stall into a clear error within a bounded time, instead of a hang.
 *
 * <p>Progress is any of: a Spark task of the training job starting or ending, a training iteration in this JVM
 * ({@link Heartbeat}, a worker-side DL4J listener, counts iterations in a static counter, which the driver
 * sees directly on {@code local[*]}), or an executor heartbeat carrying accumulator updates (how running tasks
 * on a cluster report). When a job of the group runs and nothing progresses for {@code timeout}, the watchdog
 * cancels the job group (interrupting its tasks) and the body's failure is rethrown as "training stalled".
 */
final class StallWatchdog implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(StallWatchdog.class);

  /** Iterations finished in this JVM by any worker network; a worker-side listener adds to it. */
  static final AtomicLong ITERATIONS = new AtomicLong();

  /** The worker-side listener: counts iterations. Serializable, so it travels to executors with the master. */
  static final class Heartbeat extends BaseTrainingListener implements java.io.Serializable {
    private static final long serialVersionUID = 1L;

    @Override
    public void iterationDone(Model model, int iteration, int epoch) {
      ITERATIONS.incrementAndGet();
    }
  }

  private final SparkContext sc;
  private final Duration timeout;
  private final AtomicLong lastProgress = new AtomicLong(System.nanoTime());
  private final SparkListener listener;

  StallWatchdog(SparkContext sc, Duration timeout) {
    this.sc = sc;
    this.timeout = timeout;
    this.listener = new SparkListener() {
      @Override
      public void onTaskStart(SparkListenerTaskStart taskStart) {
        touch();
      }

      @Override
      public void onTaskEnd(SparkListenerTaskEnd taskEnd) {
        touch();
      }

      @Override
      public void onExecutorMetricsUpdate(SparkListenerExecutorMetricsUpdate update) {
        if (!update.accumUpdates().isEmpty()) {
          touch();
        }
      }
    };
    sc.addSparkListener(listener);
  }

  private void touch() {
    lastProgress.set(System.nanoTime());
  }

  /**
   * Runs {@code body} (which starts Spark jobs on this thread) in job group {@code group}; a stall of
   * {@code timeout} cancels it and throws an error naming {@code what}, the timeout and {@code fix}.
   */
  <T> T run(String group, String what, String fix, Supplier<T> body) {
    AtomicBoolean stalled = new AtomicBoolean();
    AtomicBoolean done = new AtomicBoolean();
    touch();
    long[] iterations = {ITERATIONS.get()};
    Thread monitor = new Thread(() -> {
      while (!done.get()) {
        try {
          Thread.sleep(250);
        } catch (InterruptedException e) {
          return;
        }
        long now = ITERATIONS.get();
        if (now != iterations[0]) {
          iterations[0] = now;
          touch();
        }
        boolean running = sc.statusTracker().getJobIdsForGroup(group).length > 0
            && sc.statusTracker().getActiveJobIds().length > 0;
        if (!running) {
          touch();
        } else if (System.nanoTime() - lastProgress.get() > timeout.toNanos()) {
          LOG.error("train: {} made no progress for {} s; cancelling job group {}", what, timeout.toSeconds(), group);
          stalled.set(true);
          sc.cancelJobGroup(group);
          return;
        }
      }
    }, "lakepipe-stall-watchdog");
    monitor.setDaemon(true);
    sc.setJobGroup(group, what, true);
    monitor.start();
    try {
      T result = body.get();
      if (stalled.get()) {
        throw stalledError(what, fix, null);
      }
      return result;
    } catch (Exception e) { // SparkException is checked, but Scala throws it undeclared
      if (stalled.get()) {
        throw stalledError(what, fix, e);
      }
      throw StallWatchdog.<RuntimeException>sneaky(e);
    } finally {
      done.set(true);
      monitor.interrupt();
      sc.clearJobGroup();
    }
  }

  @SuppressWarnings("unchecked")
  private static <E extends Exception> E sneaky(Exception e) throws E {
    throw (E) e;
  }

  private RuntimeException stalledError(String what, String fix, Throwable cause) {
    return LakepipeErrors.jobFailed(what, String.format(java.util.Locale.ROOT, "training stalled: no task "
        + "finished and no iteration ran for %d s (train.stall-timeout), so the job was cancelled. %s",
        timeout.toSeconds(), fix), cause);
  }

  @Override
  public void close() {
    sc.removeSparkListener(listener);
  }
}
