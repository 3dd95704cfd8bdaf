package dev.lakepipe.app;

import static dev.lakepipe.app.CliConfigErrorsTest.cli;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lakepipe.app.CliConfigErrorsTest.Result;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --dry-run}: the conf and the arguments are checked exactly as a real run checks them (exit 2 with every
 * problem), then the plan is printed and nothing runs. The expected plans are written out by hand from
 * conf/application.conf (three sources), conf/yarn.conf (warehouse on HDFS), conf/databricks.conf (metastore
 * mode, files on a volume) and what each job reads and writes (IngestJob, CleanJob, FeaturesJob, TrainJob,
 * EvaluateJob, ScoreJob).
 * No test here needs Spark, and none may start it.
 */
class CliDryRunTest {

  @TempDir
  Path dir;

  private static String conf() {
    return CliSampleDataTest.repoRoot().resolve("conf/application.conf").toString();
  }

  /** yarn.conf: hdfs:///lakepipe/lakehouse unless the environment sets LAKEPIPE_WAREHOUSE. */
  private static String yarnWarehouse() {
    String env = System.getenv("LAKEPIPE_WAREHOUSE");
    return env != null ? env : "hdfs:///lakepipe/lakehouse";
  }

  /** databricks.conf: a Unity Catalog volume unless the environment sets LAKEPIPE_WAREHOUSE. */
  private static String databricksWarehouse() {
    String env = System.getenv("LAKEPIPE_WAREHOUSE");
    return env != null ? env : "/Volumes/main/lakepipe/files/lakehouse";
  }

  @Test
  void ingestOnYarnPrintsTheSourcesAndTablesAndStartsNothing() {
    boolean sessionBefore = SparkSession.getDefaultSession().isDefined();

    Result r = cli("ingest", "--dry-run", "--conf", conf(), "--env", "yarn", "--run-id", "scheduled__20261129T000000");

    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.err()).isEmpty();
    assertThat(r.out()).isEqualTo(String.join("\n",
        "lakepipe ingest --dry-run: the configuration is valid; nothing was started (no Spark session, no table "
            + "read or written).",
        "stages:  ingest",
        "conf:    " + conf() + " + yarn.conf",
        "env:     yarn",
        "run id:  scheduled__20261129T000000",
        "tables:  path mode: Delta tables at " + yarnWarehouse() + "/<database>/<table>",
        "ingest",
        "  reads   source crm (csv sample-data/crm), source emails (email sample-data/emails), "
            + "source export (jsonl sample-data/export), ops.ingest_log",
        "  writes  bronze.records, ops.quarantine, ops.ingest_log",
        ""));
    // The sample data is not under app/ (the working directory): a real ingest would fail to read it.
    assertThat(Path.of("sample-data/crm")).doesNotExist();
    if (!sessionBefore) {
      assertThat(SparkSession.getDefaultSession().isDefined()).as("a Spark session was started").isFalse();
    }
  }

  @Test
  void runListsEveryStageInOrderWithItsTables() {
    Result r = cli("run", "--dry-run", "--conf", conf(), "--run-id", "r1",
        "--set", "tables.bronze-records=raw.mail");

    assertThat(r.code()).as(r.err()).isZero();
    String out = r.out();
    assertThat(out).contains("stages:  ingest -> clean -> features -> train -> evaluate\n")
        .contains("conf:    " + conf() + " + local.conf + --set\n")
        .contains("env:     local\n")
        .contains("run id:  r1\n");
    // The renamed bronze table shows where it is written (ingest) and where it is read (clean).
    assertThat(out.substring(out.indexOf("\ningest\n") + 1)).isEqualTo(String.join("\n",
        "ingest",
        "  reads   source crm (csv sample-data/crm), source emails (email sample-data/emails), "
            + "source export (jsonl sample-data/export), ops.ingest_log",
        "  writes  raw.mail, ops.quarantine, ops.ingest_log",
        "clean",
        "  reads   raw.mail",
        "  writes  silver.records, ops.duplicates, ops.dq_report, ops.quarantine",
        "features",
        "  reads   silver.records, ops.duplicates, gold.dataset, ops.split_manifest",
        "  writes  gold.dataset, ops.split_manifest, ops.quarantine",
        "train",
        "  reads   gold.dataset, ops.split_manifest",
        "  writes  results.training_history, results.models",
        "evaluate",
        "  reads   gold.dataset, results.training_history, results.model_registry",
        "  writes  results.predictions, results.metrics, results.confusion, results.calibration, results.drift, "
            + "results.model_registry",
        "  model: the one train writes in this run (r1)",
        ""));
  }

  @Test
  void databricksUsesTheMetastoreAndTrainResumeNamesTheRun() {
    Result r = cli("train", "--dry-run", "--resume", "--conf", conf(), "--env", "databricks", "--run-id", "987654");

    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out())
        .contains("conf:    " + conf() + " + databricks.conf\n")
        .contains("tables:  metastore mode: created and read by name in the session's catalog; files (models, "
            + "fitted pipelines, reports) under " + databricksWarehouse() + "\n")
        .endsWith("train\n  reads   gold.dataset, ops.split_manifest\n"
            + "  writes  results.training_history, results.models\n"
            + "  resumes run 987654 from its last checkpoint\n");
  }

  @Test
  void evaluateAndScoreNameTheModelAndTheSource() {
    Result evaluate = cli("evaluate", "--dry-run", "--conf", conf(), "--model", "20261123T101500Z",
        "--drift-from", "3", "--run-id", "e1");
    Result evaluateDefault = cli("evaluate", "--dry-run", "--conf", conf(), "--env", "yarn", "--run-id", "e2");
    Result score = cli("score", "--dry-run", "--conf", conf(), "--source", "crm", "--run-id", "s1");
    Result scoreFolder = cli("score", "--dry-run", "--conf", conf(), "--source", "/data/new-mail", "--run-id", "s2");

    assertThat(evaluate.code()).as(evaluate.err()).isZero();
    assertThat(evaluate.out()).endsWith("  model: 20261123T101500Z (--model)\n"
        + "  drift: gold.dataset at version 3 against the current gold\n");
    // train.model-store is not set: the store is <warehouse>/_models, on HDFS under yarn.conf.
    assertThat(evaluateDefault.out()).endsWith("  model: the one run e2 trained, else the newest finished version "
        + "in " + yarnWarehouse() + "/_models\n");
    assertThat(score.code()).as(score.err()).isZero();
    assertThat(score.out()).endsWith("score\n"
        + "  reads   source crm (csv sample-data/crm), results.model_registry\n"
        + "  writes  results.scores, ops.quarantine\n"
        + "  model: the newest blessed model in results.model_registry\n");
    assertThat(scoreFolder.out()).contains("  reads   rows at /data/new-mail, results.model_registry\n");
  }

  @Test
  void aBrokenConfFailsTheDryRunWithEveryProblem() throws IOException {
    Path conf = dir.resolve("broken.conf");
    Files.writeString(conf, Files.readString(Path.of(conf()), StandardCharsets.UTF_8)
        + "\ntrain.epoks = 3\ntables.mode = lake\n", StandardCharsets.UTF_8);

    Result r = cli("features", "--dry-run", "--conf", conf.toString());

    assertThat(r.code()).isEqualTo(2);
    assertThat(r.out()).isEmpty();
    assertThat(r.err()).contains("has 2 problems:")
        .contains("Unknown key train.epoks")
        .contains("Key tables.mode is 'lake'. Use 'path' or 'metastore'.");
  }

  @Test
  void aRunIdARealRunWouldRefuseFailsTheDryRunToo() {
    // An Airflow run id as Airflow writes it: '+' is not allowed in a run id (it names folders and rows).
    Result badId = cli("clean", "--dry-run", "--conf", conf(), "--run-id", "manual__2026-11-29T10:15:30+00:00");
    Result resumeWithoutId = cli("train", "--dry-run", "--resume", "--conf", conf());

    assertThat(badId.code()).isEqualTo(2);
    assertThat(badId.err()).contains("Cannot use run id 'manual__2026-11-29T10:15:30+00:00'");
    assertThat(resumeWithoutId.code()).isEqualTo(2);
    assertThat(resumeWithoutId.err()).contains("Cannot resume: --resume needs the --run-id");
  }
}
