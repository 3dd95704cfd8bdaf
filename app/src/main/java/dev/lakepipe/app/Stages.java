package dev.lakepipe.app;

import com.typesafe.config.Config;
import dev.lakepipe.clean.CleanJob;
import dev.lakepipe.clean.CleanReport;
import dev.lakepipe.clean.CleanSettings;
import dev.lakepipe.core.RunContext;
import dev.lakepipe.core.SparkSessionFactory;
import dev.lakepipe.core.TableCatalog;
import dev.lakepipe.core.WarehouseLock;
import dev.lakepipe.core.config.ConfigProblems;
import dev.lakepipe.core.config.DatasetSchema;
import dev.lakepipe.core.config.LakepipeConfig;
import dev.lakepipe.evaluate.EvaluateJob;
import dev.lakepipe.evaluate.EvaluateReport;
import dev.lakepipe.evaluate.EvaluateSettings;
import dev.lakepipe.features.FeaturesJob;
import dev.lakepipe.features.FeaturesReport;
import dev.lakepipe.features.FeaturesSettings;
import dev.lakepipe.ingest.IngestJob;
import dev.lakepipe.ingest.IngestReport;
import dev.lakepipe.ingest.IngestSettings;
import dev.lakepipe.train.TrainJob;
import dev.lakepipe.train.TrainReport;
import dev.lakepipe.train.TrainSettings;
import java.io.PrintWriter;
import java.util.List;
import org.apache.spark.sql.SparkSession;

/**
 * The pipeline's stages in order, and how the CLI runs one: validate its settings, get the session, run,
 * print what was written. Stages meet only through tables; adding one is adding an entry here.
 */
final class Stages {

  /**
   * One stage the CLI can run, with the tables it reads and writes by their {@code tables.*} key (what
   * {@code --dry-run} prints; the jobs look the same keys up in the {@link TableCatalog}).
   */
  enum Stage {
    INGEST("ingest", List.of("ingest-log"), List.of("bronze-records", "quarantine", "ingest-log")),
    CLEAN("clean", List.of("bronze-records"), List.of("silver-records", "duplicates", "dq-report", "quarantine")),
    // Features reads its own earlier gold and manifest: rows placed in a split by an earlier run never move.
    FEATURES("features", List.of("silver-records", "duplicates", "gold-dataset", "split-manifest"),
        List.of("gold-dataset", "split-manifest", "quarantine")),
    TRAIN("train", List.of("gold-dataset", "split-manifest"), List.of("training-history", "models")),
    EVALUATE("evaluate", List.of("gold-dataset", "training-history", "model-registry"),
        List.of("predictions", "metrics", "confusion", "calibration", "drift", "model-registry"));

    final String id;
    final List<String> reads;
    final List<String> writes;

    Stage(String id, List<String> reads, List<String> writes) {
      this.id = id;
      this.reads = reads;
      this.writes = writes;
    }
  }

  static final List<Stage> ORDER = List.of(Stage.INGEST, Stage.CLEAN, Stage.FEATURES, Stage.TRAIN,
      Stage.EVALUATE);

  private Stages() {}

  /**
   * Parses every stage's settings, so a conf problem anywhere is reported before any Spark work starts, in the
   * same message as the problems of the shared sections ({@link LakepipeConfig#load} calls this).
   */
  static void check(Config merged, DatasetSchema dataset, ConfigProblems problems) {
    IngestSettings.parse(merged, dataset, problems);
    CleanSettings.parse(merged, dataset, problems);
    FeaturesSettings.parse(merged, dataset, problems);
    TrainSettings.parse(merged, dataset, problems);
    EvaluateSettings.parse(merged, dataset, problems);
    ServeSqlSettings.parse(merged, dataset, problems);
    MaintainSettings.parse(merged, dataset, problems);
  }

  static void run(Stage stage, SparkSession spark, LakepipeConfig config, RunContext run, PrintWriter out) {
    run(stage, spark, config, run, out, TrainJob.Mode.FRESH);
  }

  /** Runs one stage; {@code trainMode} says whether train starts afresh or resumes the run's checkpoints. */
  static void run(Stage stage, SparkSession spark, LakepipeConfig config, RunContext run, PrintWriter out,
      TrainJob.Mode trainMode) {
    switch (stage) {
      case INGEST -> {
        IngestReport report = IngestJob.run(spark, config, run);
        out.println("ingest (run " + run.runId() + "): per-source counts");
        out.print(report.table());
      }
      case CLEAN -> {
        CleanReport report = CleanJob.run(spark, config, run);
        out.println("clean (run " + run.runId() + "): rows in = kept + duplicates removed + quarantined");
        out.print(report.table());
      }
      case FEATURES -> {
        FeaturesReport report = FeaturesJob.run(spark, config, run);
        out.println("features (run " + run.runId() + "): rows in = placed in splits + quarantined");
        out.print(report.table());
      }
      case TRAIN -> {
        out.println("train (run " + run.runId() + "): one line per epoch; * marks the best so far");
        out.flush();
        TrainReport report = TrainJob.run(spark, config, run, trainMode, line -> {
          out.println(line);
          out.flush();
        });
        out.print(report.table());
      }
      case EVALUATE -> evaluate(spark, config, EvaluateSettings.parse(config), run, null, out);
      default -> throw new IllegalStateException("unknown stage " + stage);
    }
    out.flush();
  }

  /** Runs evaluate and prints its headline metrics, the gate's verdict and the report's path. */
  static void evaluate(SparkSession spark, LakepipeConfig config, EvaluateSettings settings, RunContext run,
      Long driftFrom, PrintWriter out) {
    EvaluateReport report = EvaluateJob.run(spark, config, settings, run, driftFrom);
    out.println("evaluate (run " + run.runId() + "): headline metrics, gate verdict, report");
    out.print(report.table());
    out.flush();
  }

  /**
   * Runs {@code body} in the stage's SparkSession. A session this call starts in the local environment is
   * stopped afterwards; one that already existed (spark-submit's, Databricks', a test's) is left running.
   */
  static void withSession(LakepipeConfig config, String what, java.util.function.Consumer<SparkSession> body) {
    boolean existed = SparkSession.getActiveSession().isDefined() || SparkSession.getDefaultSession().isDefined();
    SparkSession spark = SparkSessionFactory.create(config, what);
    try {
      body.accept(spark);
    } finally {
      if (!existed && config.env() == LakepipeConfig.Env.LOCAL) {
        spark.stop();
      }
    }
  }

  /**
   * {@link #withSession}, holding the warehouse's lock ({@link WarehouseLock}, path mode) for the whole body, so
   * one CLI invocation (one Spark application, every stage it runs) writes the warehouse at a time.
   */
  static void withLockedSession(LakepipeConfig config, String what, String command, RunContext run,
      java.util.function.Consumer<SparkSession> body) {
    withSession(config, what, spark -> {
      try (WarehouseLock lock = WarehouseLock.acquire(spark, config.tables(), run, "lakepipe " + command)) {
        body.accept(spark);
      }
    });
  }

  static void printTables(SparkSession spark, LakepipeConfig config, PrintWriter out) {
    TableCatalog catalog = new TableCatalog(spark, config.tables());
    out.println();
    out.println("Tables (Delta):");
    catalog.tables().stream().filter(catalog::exists)
        .forEach(t -> out.println("  " + t.name() + "  " + (t.location() == null ? "(metastore)" : t.location())));
    out.println("Query them with: ./lakepipe sql \"SELECT _source, count(*) FROM "
        + catalog.table("bronze-records").name() + " GROUP BY _source\"");
    out.flush();
  }
}
