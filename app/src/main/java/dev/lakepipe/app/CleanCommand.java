package dev.lakepipe.app;

import java.util.List;
import picocli.CommandLine.Command;

@Command(name = "clean", mixinStandardHelpOptions = true,
    description = {"Normalise, validate and deduplicate bronze.records into silver.records.",
        "Every decision goes to ops.duplicates, ops.quarantine and ops.dq_report."})
final class CleanCommand extends StageCommand {
  @Override
  List<Stages.Stage> stages() {
    return List.of(Stages.Stage.CLEAN);
  }
}
