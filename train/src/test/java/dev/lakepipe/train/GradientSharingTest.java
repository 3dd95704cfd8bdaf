package dev.lakepipe.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lakepipe.core.LakepipeException;
import dev.lakepipe.core.RunContext;
import dev.lakepipe.core.testing.SparkTestBase;
import java.io.Serializable;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Acceptance 5: gradient sharing ({@code SharedTrainingMaster}) on {@code local[2]} ends every time, ten runs in
 * a row (before the fix in {@link TrainingMasters} it hung in 4 of 16 trials), and a stall injected into the
 * workers fails with the watchdog's message within a bounded time, after which sharing trains again.
 */
class GradientSharingTest extends SparkTestBase {

  @TempDir
  static Path warehouse;

  @BeforeAll
  static void features() {
    TrainFixture.build(spark, warehouse);
  }

  @Test
  void tenRunsInARowAllEnd() {
    for (int i = 1; i <= 10; i++) {
      String run = "share-" + i;
      TrainReport r = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofMinutes(2),
          () -> TrainJob.run(spark, TrainFixture.config(warehouse, "master = sharing, epochs = 1"),
              RunContext.of(run), TrainJob.Mode.FRESH, l -> { }), "gradient-sharing run " + i + " did not end");
      assertThat(r.history()).hasSize(1);
    }
  }

  @Test
  void anInjectedStallFailsWithTheWatchdogsMessageInBoundedTime() {
    Stall.release = new CountDownLatch(1);
    long t0 = System.nanoTime();
    try {
      assertThatThrownBy(() -> TrainJob.run(spark, TrainFixture.config(warehouse,
              "master = sharing, epochs = 1, stall-timeout = 5s"), TrainSettings.parse(
              TrainFixture.config(warehouse, "master = sharing, epochs = 1, stall-timeout = 5s")),
          RunContext.of("stalled"), TrainJob.Mode.FRESH, l -> { }, List.of(new Stall())))
          .isInstanceOf(LakepipeException.class)
          .hasMessageContaining("training stalled: no task finished and no iteration ran for 5 s")
          .hasMessageContaining("train.stall-timeout");
    } finally {
      Stall.release.countDown();
    }
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(90));
    // The wrapper's state was reset: gradient sharing trains again in this JVM.
    TrainReport after = TrainJob.run(spark, TrainFixture.config(warehouse, "master = sharing, epochs = 1"),
        RunContext.of("after-stall"), TrainJob.Mode.FRESH, l -> { });
    assertThat(after.history()).hasSize(1);
  }

  /** Blocks every worker after its second iteration until the test releases it. */
  static final class Stall extends BaseTrainingListener implements Serializable {
    static volatile CountDownLatch release = new CountDownLatch(0);

    @Override
    public void iterationDone(Model model, int iteration, int epoch) {
      if (iteration >= 2) {
        try {
          release.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }
}
