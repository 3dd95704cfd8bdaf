package dev.lakepipe.app;

import dev.lakepipe.train.TrainJob;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "train", mixinStandardHelpOptions = true,
    description = {"Train the configured Deeplearning4j network on Spark executors from gold.dataset.",
        "Parameter averaging (default) or gradient sharing (train.master); warm-up + cosine learning rate, "
            + "early stopping and a checkpoint per epoch. Writes a model version to the model store, "
            + "results.training_history (per epoch) and results.models."})
final class TrainCommand extends StageCommand {

  @Option(names = "--resume",
      description = "Continue the run named by --run-id from its last checkpoint (a killed driver, lost "
          + "executors); it ends with the parameters an uninterrupted run would have.")
  boolean resume;

  @Override
  List<Stages.Stage> stages() {
    return List.of(Stages.Stage.TRAIN);
  }

  @Override
  TrainJob.Mode trainMode() {
    if (resume && common.runId == null) {
      throw dev.lakepipe.core.LakepipeErrors.usage("Cannot resume: --resume needs the --run-id of the run to "
          + "continue (the model version it was writing; see the train line it printed, or the folders of "
          + "train.model-store).");
    }
    return resume ? TrainJob.Mode.RESUME : TrainJob.Mode.FRESH;
  }
}
