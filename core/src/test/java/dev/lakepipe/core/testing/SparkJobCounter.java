package dev.lakepipe.core.testing;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobEnd;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.sql.SparkSession;

/**
 * Counts the Spark jobs and stages a piece of code starts, its wall time and the bytes its tasks returned to
 * the driver (per call site): the fixed cost of a stage is
 * mostly one scheduling round per job, so the job count is the figure a regression guard can hold steady on a
 * shared machine, where seconds are noisy.
 *
 * <p>Registered as a {@link SparkListener} for the duration of {@link #measure}; Spark's listener bus is
 * asynchronous, so the bus is drained (with a 60 s deadline that fails clearly rather than hangs) before the
 * listener is added and before the counts are read. Counts every job of the session's context,
 * including Delta's own (log replay, statistics, commit checks): those are part of a stage's cost too.
 */
public final class SparkJobCounter extends SparkListener {

  /** What {@link #measure} saw: jobs and stages started, stages skipped ones included, and the wall time. */
  public record Count(int jobs, int stages, long millis, java.util.Map<String, Integer> jobsByCallSite,
      long resultBytes, java.util.Map<String, Long> resultBytesByCallSite) {
    @Override
    public String toString() {
      return jobs + " jobs, " + stages + " stages, " + String.format(java.util.Locale.ROOT, "%.1f s", millis / 1e3);
    }

    /** Result bytes (what tasks sent back to the driver) per call site, most first. */
    public String resultBytesByCallSiteText() {
      StringBuilder b = new StringBuilder();
      resultBytesByCallSite.entrySet().stream()
          .sorted(java.util.Map.Entry.<String, Long>comparingByValue().reversed())
          .forEach(e -> b.append(String.format(java.util.Locale.ROOT, "%9d  %s%n", e.getValue(), e.getKey())));
      return b.toString();
    }

    /** The jobs per call site (Spark's short call site: the user code line that started the job), most first. */
    public String callSites() {
      StringBuilder b = new StringBuilder();
      jobsByCallSite.entrySet().stream()
          .sorted(java.util.Map.Entry.<String, Integer>comparingByValue().reversed())
          .forEach(e -> b.append(String.format(java.util.Locale.ROOT, "%4d  %s%n", e.getValue(), e.getKey())));
      return b.toString();
    }
  }

  private final AtomicInteger jobsStarted = new AtomicInteger();
  private final AtomicInteger jobsEnded = new AtomicInteger();
  private final AtomicInteger stages = new AtomicInteger();
  private final java.util.Map<String, Integer> callSites = new java.util.concurrent.ConcurrentHashMap<>();
  private final java.util.Map<Integer, String> stageSites = new java.util.concurrent.ConcurrentHashMap<>();
  private final java.util.Map<String, Long> resultBytes = new java.util.concurrent.ConcurrentHashMap<>();

  private SparkJobCounter() {}

  /** Runs {@code body} in {@code spark} and returns how many Spark jobs and stages it started. */
  public static Count measure(SparkSession spark, Runnable body) {
    SparkJobCounter counter = new SparkJobCounter();
    // Events of earlier work must not reach this listener, and every event of body's jobs must have.
    drain(spark);
    spark.sparkContext().addSparkListener(counter);
    long start = System.nanoTime();
    try {
      body.run();
      long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      drain(spark);
      if (counter.jobsEnded.get() != counter.jobsStarted.get()) {
        throw new IllegalStateException("Cannot count Spark jobs: " + counter.jobsStarted.get() + " started but "
            + counter.jobsEnded.get() + " ended; a job started by the measured code is still running.");
      }
      return new Count(counter.jobsStarted.get(), counter.stages.get(), millis, java.util.Map.copyOf(counter.callSites),
          counter.resultBytes.values().stream().mapToLong(Long::longValue).sum(),
          java.util.Map.copyOf(counter.resultBytes));
    } finally {
      spark.sparkContext().removeSparkListener(counter);
    }
  }

  /** Waits (at most 60 s, then fails) until Spark's listener bus has delivered every event posted so far. */
  private static void drain(SparkSession spark) {
    try {
      spark.sparkContext().listenerBus().waitUntilEmpty(TimeUnit.SECONDS.toMillis(60));
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("Cannot count Spark jobs: the listener bus did not drain within 60 s.", e);
    }
  }

  @Override
  public void onJobStart(SparkListenerJobStart jobStart) {
    jobsStarted.incrementAndGet();
    stages.addAndGet(jobStart.stageInfos().size());
    String site = jobStart.properties() == null ? null : jobStart.properties().getProperty("callSite.short");
    if (site == null && !jobStart.stageInfos().isEmpty()) {
      site = jobStart.stageInfos().last().name();
    }
    String name = site == null ? "?" : site;
    callSites.merge(name, 1, Integer::sum);
    for (Object id : scala.collection.JavaConverters.seqAsJavaList(jobStart.stageIds())) {
      stageSites.put((Integer) id, name);
    }
  }

  /**
   * Sums each finished task's result size: the serialised result a task sends to the driver (what a collect,
   * take, first, top-K or broadcast build brings back, plus the task's fixed-size metrics).
   */
  @Override
  public void onTaskEnd(org.apache.spark.scheduler.SparkListenerTaskEnd taskEnd) {
    if (taskEnd.taskMetrics() != null) {
      resultBytes.merge(stageSites.getOrDefault(taskEnd.stageId(), "?"), taskEnd.taskMetrics().resultSize(),
          Long::sum);
    }
  }

  @Override
  public void onJobEnd(SparkListenerJobEnd jobEnd) {
    jobsEnded.incrementAndGet();
  }
}
