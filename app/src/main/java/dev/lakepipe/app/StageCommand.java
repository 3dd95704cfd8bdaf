package dev.lakepipe.app;

import dev.lakepipe.core.RunContext;
import dev.lakepipe.core.config.LakepipeConfig;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;

/** Shared body of the commands that run stages: load and validate the conf, run, stop a session we started. */
abstract class StageCommand implements Callable<Integer> {

  @CommandLine.Mixin
  LakepipeCli.CommonOptions common;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  abstract List<Stages.Stage> stages();

  @Override
  public Integer call() {
    LakepipeConfig config = common.loadForStages();
    RunContext run = common.runContext();
    PrintWriter out = spec.commandLine().getOut();
    boolean existed = SparkSession.getActiveSession().isDefined() || SparkSession.getDefaultSession().isDefined();
    SparkSession spark = Stages.session(config, String.join("+", stages().stream().map(s -> s.id).toList()));
    try {
      for (Stages.Stage s : stages()) {
        Stages.run(s, spark, config, run, out);
      }
      Stages.printTables(spark, config, out);
    } finally {
      if (!existed && config.env() == LakepipeConfig.Env.LOCAL) {
        spark.stop();
      }
    }
    return 0;
  }
}
