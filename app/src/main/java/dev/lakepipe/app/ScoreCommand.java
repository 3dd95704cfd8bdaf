package dev.lakepipe.app;

import dev.lakepipe.core.RunContext;
import dev.lakepipe.core.config.LakepipeConfig;
import dev.lakepipe.evaluate.ScoreJob;
import dev.lakepipe.evaluate.ScoreReport;
import dev.lakepipe.ingest.IngestSettings;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "score", mixinStandardHelpOptions = true,
    description = {"Score new rows with the blessed model (or --model) into results.scores.",
        "Reads a source of ingest.sources (every file, as ingest reads it, without the label; nothing written "
            + "to bronze) or a Parquet or Delta folder of rows with the dataset's canonical columns, applies "
            + "clean's row rules (normalize, rules, missing; not deduplication), transforms the rows with the "
            + "model's fitted feature pipeline and scores them on the executors. Unreadable records, rows a clean "
            + "rule rejects, rows missing a required value and rows that cannot be scored go to ops.quarantine "
            + "(stage score) with their reason; rows read = scored + quarantined."})
final class ScoreCommand implements Callable<Integer> {

  @CommandLine.Mixin
  LakepipeCli.CommonOptions common;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--source", required = true, paramLabel = "NAME|PATH",
      description = "A source name of ingest.sources, or a Parquet or Delta folder of rows with the canonical "
          + "columns (dataset.columns). A name wins over a folder of the same name.")
  String source;

  @Option(names = "--model", paramLabel = "VERSION",
      description = "The model version to score with (default: the newest blessed model in "
          + "results.model_registry).")
  String model;

  @Option(names = "--dry-run",
      description = "Load and validate the conf as a real run does, print what would run (conf, env, run id, the "
          + "tables read and written) and exit 0 without starting Spark.")
  boolean dryRun;

  @Override
  public Integer call() {
    LakepipeConfig config = common.loadForStages();
    RunContext run = common.runContext();
    PrintWriter out = spec.commandLine().getOut();
    if (dryRun) {
      boolean named = IngestSettings.parse(config).sources().stream().anyMatch(s -> s.name().equals(source));
      List<String> reads = new ArrayList<>();
      reads.add(named ? DryRun.sources(config).stream().filter(s -> s.startsWith("source " + source + " ("))
          .findFirst().orElseThrow() : "rows at " + source);
      reads.add(DryRun.tableName(config, "model-registry"));
      DryRun.print(out, "score", config, run, common.runId != null, List.of(new DryRun.Step("score", reads,
          List.of(DryRun.tableName(config, "scores"), DryRun.tableName(config, "quarantine")),
          List.of("model: " + (model != null ? model + " (--model)"
              : "the newest blessed model in " + DryRun.tableName(config, "model-registry"))))));
      return 0;
    }
    Stages.withLockedSession(config, "score", "score", run, spark -> {
      ScoreReport report = ScoreJob.run(spark, config, run, source, model);
      out.println("score (run " + run.runId() + "): rows in = scored + quarantined");
      out.print(report.table());
      out.flush();
    });
    return 0;
  }
}
