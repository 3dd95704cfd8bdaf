package dev.lakepipe.app;

import dev.lakepipe.core.RunContext;
import dev.lakepipe.core.config.LakepipeConfig;
import dev.lakepipe.core.config.TableSettings;
import dev.lakepipe.evaluate.EvaluateSettings;
import dev.lakepipe.ingest.IngestSettings;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@code --dry-run} prints: the command has parsed its arguments, loaded and validated the conf exactly as a
 * real run does (a bad conf or run id has already failed with exit 2), and now says what it would run instead of
 * running it: the stages, where the conf came from, the environment, the run id and the tables each stage reads
 * and writes. No SparkSession is created and nothing is read or written, so a scheduler (Airflow, a Databricks
 * job) can check its command lines against a conf on any machine with Java.
 */
final class DryRun {

  /** One step of the plan: what it is, what it reads and writes (table names or sources), and notes. */
  record Step(String name, List<String> reads, List<String> writes, List<String> notes) {}

  private DryRun() {}

  /** The step of one pipeline stage, its tables named as the conf names them. */
  static Step stage(LakepipeConfig config, Stages.Stage stage, List<String> notes) {
    List<String> reads = new ArrayList<>();
    if (stage == Stages.Stage.INGEST) {
      reads.addAll(sources(config));
    }
    stage.reads.forEach(k -> reads.add(tableName(config, k)));
    return new Step(stage.id, reads, stage.writes.stream().map(k -> tableName(config, k)).toList(), notes);
  }

  /** Every source of {@code ingest.sources}, as {@code source NAME (FORMAT LOCATION)}. */
  static List<String> sources(LakepipeConfig config) {
    return IngestSettings.parse(config).sources().stream()
        .map(s -> "source " + s.name() + " (" + s.format().id() + " "
            + (s.path() != null ? s.path() : s.jdbc().location()) + ")")
        .toList();
  }

  /**
   * Which model evaluate would take, in EvaluateJob's order: {@code --model}, {@code evaluate.model}, the model
   * this run id trained (in {@code lakepipe run}, the one train is about to write), the newest finished one.
   */
  static String evaluateModel(EvaluateSettings settings, String option, RunContext run, boolean trainRunsFirst) {
    if (option != null) {
      return "model: " + option + " (--model)";
    }
    if (settings.model() != null) {
      return "model: " + settings.model() + " (evaluate.model)";
    }
    return trainRunsFirst ? "model: the one train writes in this run (" + run.runId() + ")"
        : "model: the one run " + run.runId() + " trained, else the newest finished version in "
            + settings.modelStore();
  }

  static String tableName(LakepipeConfig config, String key) {
    return config.tables().names().get(key);
  }

  /** Prints the plan; {@code command} is the subcommand's name. */
  static void print(PrintWriter out, String command, LakepipeConfig config, RunContext run, boolean runIdGiven,
      List<Step> steps) {
    TableSettings tables = config.tables();
    out.println("lakepipe " + command + " --dry-run: the configuration is valid; nothing was started "
        + "(no Spark session, no table read or written).");
    out.println("stages:  " + String.join(" -> ", steps.stream().map(Step::name).toList()));
    out.println("conf:    " + config.origin());
    out.println("env:     " + config.env().id());
    out.println("run id:  " + run.runId() + (runIdGiven ? "" : " (no --run-id: the start time; a real run takes "
        + "its own)"));
    out.println("tables:  " + (tables.mode() == TableSettings.Mode.METASTORE
        ? "metastore mode: created and read by name in the session's catalog; files (models, fitted "
            + "pipelines, reports) under " + tables.warehouse()
        : "path mode: Delta tables at " + tables.warehouse() + "/<database>/<table>"));
    for (Step s : steps) {
      out.println(s.name());
      out.println("  reads   " + (s.reads().isEmpty() ? "-" : String.join(", ", s.reads())));
      out.println("  writes  " + (s.writes().isEmpty() ? "-" : String.join(", ", s.writes())));
      s.notes().forEach(n -> out.println("  " + n));
    }
    out.flush();
  }
}
