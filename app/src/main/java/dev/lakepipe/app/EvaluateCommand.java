package dev.lakepipe.app;

import dev.lakepipe.core.RunContext;
import dev.lakepipe.core.config.LakepipeConfig;
import dev.lakepipe.evaluate.EvaluateSettings;
import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "evaluate", mixinStandardHelpOptions = true,
    description = {"Score the gold test split (evaluate.splits) with a trained model on the executors and measure it.",
        "Writes results.predictions, results.metrics (per split, slice and class, bootstrap intervals), "
            + "results.confusion, results.calibration, results.drift and results.model_registry (blessed or not "
            + "by evaluate.gate, with every reason), and an HTML report under evaluate.report-path. Prints the "
            + "headline metrics, the gate's verdict and the report's path."})
final class EvaluateCommand extends StageCommand {

  @Option(names = "--model", paramLabel = "VERSION",
      description = "The model version to evaluate (a folder of train.model-store; default: evaluate.model, "
          + "else the newest finished version).")
  String model;

  @Option(names = "--drift-from", paramLabel = "GOLD_VERSION",
      description = "Measure drift between gold.dataset at this Delta version and the current gold, instead of "
          + "train vs the evaluated split.")
  Long driftFrom;

  @Override
  List<Stages.Stage> stages() {
    return List.of(Stages.Stage.EVALUATE);
  }

  @Override
  public Integer call() {
    LakepipeConfig config = common.loadForStages();
    RunContext run = common.runContext();
    PrintWriter out = spec.commandLine().getOut();
    EvaluateSettings settings = EvaluateSettings.parse(config);
    EvaluateSettings chosen = model == null ? settings : settings.withModel(model);
    if (dryRun) {
      List<String> notes = new java.util.ArrayList<>(List.of(DryRun.evaluateModel(settings, model, run, false)));
      if (driftFrom != null) {
        notes.add("drift: gold.dataset at version " + driftFrom + " against the current gold");
      }
      DryRun.print(out, "evaluate", config, run, common.runId != null,
          List.of(DryRun.stage(config, Stages.Stage.EVALUATE, notes)));
      return 0;
    }
    Stages.withLockedSession(config, "evaluate", "evaluate", run, spark -> {
      Stages.evaluate(spark, config, chosen, run, driftFrom, out);
      Stages.printTables(spark, config, out);
    });
    return 0;
  }
}
