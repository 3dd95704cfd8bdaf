package dev.lakepipe.app;

import java.util.List;
import picocli.CommandLine.Command;

@Command(name = "features", mixinStandardHelpOptions = true,
    description = {"Split silver.records into leakage-checked train/validation/test (and folds), fit the feature",
        "pipeline on train only, and write gold.dataset, a Parquet export per split and ops.split_manifest."})
final class FeaturesCommand extends StageCommand {
  @Override
  List<Stages.Stage> stages() {
    return List.of(Stages.Stage.FEATURES);
  }
}
