package dev.lakepipe.app;

import java.util.List;
import picocli.CommandLine.Command;

@Command(name = "features", mixinStandardHelpOptions = true,
    description = {"Split silver.records (leakage-checked) and fit features on train only.",
        "Writes gold.dataset (split, fold, label_index, weight, features), a Parquet export per split, "
            + "ops.split_manifest and the fitted feature pipeline."})
final class FeaturesCommand extends StageCommand {
  @Override
  List<Stages.Stage> stages() {
    return List.of(Stages.Stage.FEATURES);
  }
}
