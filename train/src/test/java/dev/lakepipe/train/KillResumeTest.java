package dev.lakepipe.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakepipe.core.RunContext;
import dev.lakepipe.core.TableCatalog;
import dev.lakepipe.core.testing.SparkTestBase;
import java.io.File;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Acceptance 3: a training run in a JVM of its own, killed ({@code destroyForcibly}: SIGKILL) right after its
 * epoch-2 checkpoint, then resumed with {@code --resume} semantics, ends with exactly the parameters of an
 * uninterrupted run: same last-epoch network, same best network, one history row per epoch.
 */
class KillResumeTest extends SparkTestBase {

  private static final String TRAIN = "epochs = 4, early-stopping.patience = 10";

  @TempDir
  static Path warehouse;

  @BeforeAll
  static void features() {
    TrainFixture.build(spark, warehouse);
  }

  @Test
  void aKilledRunResumesToTheParametersOfAnUninterruptedOne() throws Exception {
    TrainJob.run(spark, TrainFixture.config(warehouse, TRAIN), RunContext.of("whole"), TrainJob.Mode.FRESH,
        l -> { });

    Path checkpoint = warehouse.resolve("_models/killed/checkpoints/epoch-0002/state.json");
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
        .filter(a -> !a.startsWith("-agentlib") && !a.startsWith("-javaagent")).forEach(command::add);
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), TrainMain.class.getName(),
        warehouse.toString(), "killed", TRAIN));
    Path log = Files.createTempFile("train-killed", ".log");
    Process child = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(4);
    while (!Files.exists(checkpoint) && child.isAlive() && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertThat(Files.exists(checkpoint)).as("epoch-2 checkpoint written by the child; its log: %s",
        log).isTrue();
    child.destroyForcibly();
    assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(Files.exists(warehouse.resolve("_models/killed/model.json"))).as("killed before publishing")
        .isFalse();

    List<String> progress = new ArrayList<>();
    TrainReport resumed = TrainJob.run(spark, TrainFixture.config(warehouse, TRAIN), RunContext.of("killed"),
        TrainJob.Mode.RESUME, progress::add);
    assertThat(progress.get(0)).startsWith("train: resuming run killed after epoch ");
    assertThat(resumed.history()).extracting(EpochRecord::epoch).containsExactly(1, 2, 3, 4);

    assertThat(params("_models/killed/checkpoints/epoch-0004/model.zip").equals(
        params("_models/whole/checkpoints/epoch-0004/model.zip"))).as("last-epoch parameters").isTrue();
    assertThat(params("_models/killed/model.zip").equals(params("_models/whole/model.zip")))
        .as("published (best-epoch) parameters").isTrue();
    new TableCatalog(spark, TrainFixture.config(warehouse, TRAIN).tables()).registerAll();
    assertThat(spark.sql("SELECT epoch FROM results.training_history WHERE run_id = 'killed' ORDER BY epoch")
        .collectAsList()).extracting(r -> r.getInt(0)).containsExactly(1, 2, 3, 4);
  }

  private static org.nd4j.linalg.api.ndarray.INDArray params(String relative) throws Exception {
    File f = warehouse.resolve(relative).toFile();
    try (InputStream in = Files.newInputStream(f.toPath())) {
      ComputationGraph net = ModelSerializer.restoreComputationGraph(in, false);
      return net.params();
    }
  }
}
