package dev.lakepipe.app;

import dev.lakepipe.core.RunContext;
import dev.lakepipe.core.config.LakepipeConfig;
import dev.lakepipe.train.TrainJob;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;

/** Shared body of the commands that run stages: load and validate the conf, run, stop a session we started. */
abstract class StageCommand implements Callable<Integer> {

  @CommandLine.Mixin
  LakepipeCli.CommonOptions common;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

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
    String what = String.join("+", stages().stream().map(s -> s.id).toList());
    Stages.withLockedSession(config, what, spec.name(), run, spark -> {
      for (Stages.Stage s : stages()) {
        Stages.run(s, spark, config, run, out, trainMode);
      }
      Stages.printTables(spark, config, out);
    });
    return 0;
  }
}
