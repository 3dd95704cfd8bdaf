package dev.lakepipe.app;

import dev.lakepipe.core.RunContext;
import dev.lakepipe.core.config.LakepipeConfig;
import dev.lakepipe.evaluate.EvaluateSettings;
import dev.lakepipe.train.TrainJob;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;

/**
 * Shared body of the commands that run stages: load and validate the conf, run (or, with {@code --dry-run}, print
 * what would run), stop a session we started.
 */
abstract class StageCommand implements Callable<Integer> {

  @CommandLine.Mixin
  LakepipeCli.CommonOptions common;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @CommandLine.Option(names = "--dry-run",
      description = "Load and validate the conf as a real run does, print what would run (stages, conf, env, "
          + "run id, the tables each stage reads and writes) and exit 0 without starting Spark.")
  boolean dryRun;

  abstract List<Stages.Stage> stages();

  /** Whether train resumes a stopped run; only {@code lakepipe train --resume} says so. */
  TrainJob.Mode trainMode() {
    return TrainJob.Mode.FRESH;
  }

  @Override
  public Integer call() {
    LakepipeConfig config = common.loadForStages();
    RunContext run = common.runContext();
    PrintWriter out = spec.commandLine().getOut();
    TrainJob.Mode trainMode = trainMode();
    if (dryRun) {
      DryRun.print(out, spec.name(), config, run, common.runId != null, stages().stream()
          .map(s -> DryRun.stage(config, s, notes(config, run, s, trainMode))).toList());
      return 0;
    }
    String what = String.join("+", stages().stream().map(s -> s.id).toList());
    Stages.withLockedSession(config, what, spec.name(), run, spark -> {
      for (Stages.Stage s : stages()) {
        Stages.run(s, spark, config, run, out, trainMode);
      }
      Stages.printTables(spark, config, out);
    });
    return 0;
  }

  private List<String> notes(LakepipeConfig config, RunContext run, Stages.Stage stage, TrainJob.Mode trainMode) {
    if (stage == Stages.Stage.TRAIN && trainMode == TrainJob.Mode.RESUME) {
      return List.of("resumes run " + run.runId() + " from its last checkpoint");
    }
    if (stage == Stages.Stage.EVALUATE) {
      return List.of(DryRun.evaluateModel(EvaluateSettings.parse(config), null, run,
          stages().contains(Stages.Stage.TRAIN)));
    }
    return List.of();
  }
}
