package dev.lakepipe.app;

import dev.lakepipe.core.RunContext;
import dev.lakepipe.core.config.LakepipeConfig;
import dev.lakepipe.evaluate.ScoreJob;
import dev.lakepipe.evaluate.ScoreReport;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "score", mixinStandardHelpOptions = true,
    description = {"Score new rows with the blessed model (or --model) into results.scores.",
        "Reads a Parquet or Delta folder of rows with the dataset's canonical columns (not an ingest source: "
            + "ingest has no API that reads one source without writing bronze; clean's row rules are not "
            + "applied), transforms them with the model's fitted feature pipeline and scores them on the "
            + "executors. Rows missing a required value or that cannot be scored go to ops.quarantine; rows in = "
            + "scored + quarantined."})
final class ScoreCommand implements Callable<Integer> {

  @CommandLine.Mixin
  LakepipeCli.CommonOptions common;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--source", required = true, paramLabel = "PATH",
      description = "A Parquet or Delta folder of rows with the canonical columns (dataset.columns).")
  String source;

  @Option(names = "--model", paramLabel = "VERSION",
      description = "The model version to score with (default: the newest blessed model in "
          + "results.model_registry).")
  String model;

  @Override
  public Integer call() {
    LakepipeConfig config = common.loadForStages();
    RunContext run = common.runContext();
    PrintWriter out = spec.commandLine().getOut();
    Stages.withSession(config, "score", spark -> {
      ScoreReport report = ScoreJob.run(spark, config, run, source, model);
      out.println("score (run " + run.runId() + "): rows in = scored + quarantined");
      out.print(report.table());
      out.flush();
    });
    return 0;
  }
}
