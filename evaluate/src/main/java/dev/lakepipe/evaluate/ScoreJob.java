package dev.lakepipe.evaluate;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.input_file_name;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.to_json;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.when;

import dev.lakepipe.clean.CleanSettings;
import dev.lakepipe.clean.RowCleaning;
import dev.lakepipe.clean.RowCleaningSettings;
import dev.lakepipe.core.LakepipeErrors;
import dev.lakepipe.core.Lineage;
import dev.lakepipe.core.Persisted;
import dev.lakepipe.core.QuarantineTable;
import dev.lakepipe.core.RunContext;
import dev.lakepipe.core.SparkSessionFactory;
import dev.lakepipe.core.TableCatalog;
import dev.lakepipe.core.TableRef;
import dev.lakepipe.core.config.DatasetSchema;
import dev.lakepipe.core.config.LakepipeConfig;
import dev.lakepipe.core.model.ModelStore;
import dev.lakepipe.core.model.ModelVersion;
import dev.lakepipe.features.FittedFeatures;
import dev.lakepipe.ingest.SourceReader;
import java.io.IOException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code lakepipe score}: new rows through clean's row rules, the model's fitted feature pipeline and the model,
 * into {@code results.scores}; rows that cannot be scored into {@code ops.quarantine} with stage {@code score}.
 *
 * <p><b>Input.</b> {@code --source} is either the name of a source in {@code ingest.sources} (a name wins over a
 * folder of the same name), read with ingest's loading API {@link SourceReader#read} (every file of the source,
 * whatever {@code ops.ingest_log} says; nothing is written to bronze or the log; the label is not read, since new
 * rows need none), or a Parquet or Delta folder (a {@code _delta_log} means Delta) of rows with the dataset's
 * canonical columns, as {@code silver.records} holds them. Folder rows keep their {@code _record_id},
 * {@code _source} and {@code _source_file} when they have them; otherwise {@code _record_id} is a stable hash of
 * the path and the id column (the whole row when the id is null), {@code _source} is the path and
 * {@code _source_file} the file the row came from. A folder without a required column (dataset.required, the
 * label aside) or a column a clean rule names is refused with an error naming it.
 *
 * <p><b>Steps.</b> (1) a source's unreadable records (ingest's reason codes) are set aside; (2) clean's row
 * steps ({@link RowCleaning}: normalisation, {@code clean.rules}, {@code clean.missing}) with
 * {@link RowCleaningSettings#withoutLabelChecks}: labels are normalised where present but never quarantine a
 * row. Deduplication against silver is not applied: a new row is scored even when silver holds its twin;
 * (3) the fitted feature pipeline; (4) the model.
 *
 * <p><b>Model.</b> {@code --model}, else the newest blessed model in {@code results.model_registry}; every score
 * row carries its {@code model_version}.
 *
 * <p><b>Nothing lost.</b> Quarantined, each with its reason code: records ingest cannot read (MALFORMED_RECORD,
 * BAD_TYPE, BAD_TIMESTAMP, MISSING_REQUIRED, ...), rows a clean rule or missing-value policy rejects
 * (RULE_FAILED with the rule id, MISSING_VALUE), rows still missing a required value ({@code missing_value}),
 * and rows whose transformed inputs the network cannot take or whose inference fails ({@code score_failed}).
 * Conservation is checked before anything is written: rows read = scored + unreadable + rejected by clean +
 * missing a value + failed. Re-running with the same run id replaces this run's scores and quarantines no row
 * twice.
 */
public final class ScoreJob {

  private static final Logger LOG = LoggerFactory.getLogger(ScoreJob.class);
  public static final String STAGE = "score";
  static final String MISSING_VALUE = "missing_value";
  static final String SCORE_FAILED = "score_failed";

  private ScoreJob() {}

  public static ScoreReport run(SparkSession spark, LakepipeConfig config, RunContext run, String source,
      String modelVersion) {
    EvaluateSettings settings = EvaluateSettings.parse(config);
    return SparkSessionFactory.withJobGroup(spark, "SCORE", "lakepipe score run " + run.runId(),
        () -> execute(spark, config, settings, run, source, modelVersion));
  }

  private static ScoreReport execute(SparkSession spark, LakepipeConfig config, EvaluateSettings s, RunContext run,
      String source, String requestedModel) {
    DatasetSchema schema = config.dataset();
    RowCleaningSettings cleaning = CleanSettings.parse(config).rows().withoutLabelChecks(schema.labelColumn());
    TableCatalog catalog = new TableCatalog(spark, config.tables());
    catalog.registerAll();
    ModelStore store = new ModelStore(s.modelStore(), spark.sparkContext().hadoopConfiguration());
    String version = requestedModel != null ? requestedModel : blessedModel(catalog);
    ModelVersion model = store.load(version);
    FittedFeatures fitted = FittedFeatures.load(spark, model.featuresPath());
    List<String> required = new ArrayList<>(schema.requiredColumns());
    required.remove(schema.labelColumn());

    try (Persisted persisted = new Persisted()) {
      // 1. Canonical rows with lineage, and (from a source) the records ingest cannot read.
      Dataset<Row> rows;
      Dataset<Row> unreadable;
      long in;
      long unreadableRows;
      if (isIngestSource(config, source)) {
        SourceReader.SourceRows read = SourceReader.read(spark, config, source, SourceReader.Labels.SKIP, STAGE,
            run, persisted);
        rows = read.good();
        unreadable = read.bad();
        in = read.read();
        unreadableRows = read.badCount();
      } else {
        Dataset<Row> raw = read(spark, config, source);
        checkColumns(raw, required, cleaning, source);
        rows = persisted.cut(withLineage(raw.drop(RowCleaning.FLAGS), schema, source));
        unreadable = spark.createDataFrame(List.<Row>of(), QuarantineTable.SCHEMA);
        in = rows.count();
        unreadableRows = 0;
      }

      // 2. Clean's row steps.
      RowCleaning.Result cleaned = RowCleaning.apply(rows, cleaning, schema, run, STAGE);
      Dataset<Row> rejected = persisted.cut(cleaned.quarantined());
      Dataset<Row> kept = cleaned.kept();
      List<String> recordColumns = List.of(kept.columns());

      // 3-4. The first required column that is null, per row; such rows are not transformed. Then features, model.
      Column missing = lit(null).cast("string");
      for (int i = required.size() - 1; i >= 0; i--) {
        missing = when(col(required.get(i)).isNull(), lit(required.get(i))).otherwise(missing);
      }
      Dataset<Row> checked = persisted.cut(kept.withColumn("_missing", missing));
      Dataset<Row> incomplete = checked.filter(col("_missing").isNotNull());
      Dataset<Row> complete = checked.filter(col("_missing").isNull()).drop("_missing");
      ModelScorer scorer = ModelScorer.load(spark, store, model, s.batchSize());
      Dataset<Row> scored = persisted.cut(scorer.score(fitted.transform(complete)));
      Dataset<Row> failed = scored.filter(col(ModelScorer.SCORE_ERROR).isNotNull());
      Dataset<Row> good = scored.filter(col(ModelScorer.SCORE_ERROR).isNull());
      long scoredRows = good.count();
      long rejectedRows = rejected.count();
      long incompleteRows = incomplete.count();
      long failedRows = failed.count();
      checkConservation(in, scoredRows, unreadableRows, rejectedRows, incompleteRows, failedRows);

      Timestamp at = Timestamp.from(run.startedAt());
      List<Column> out = new ArrayList<>(List.of(lit(run.runId()).as(Lineage.RUN_ID), lit(version).as("model_version"),
          col(Lineage.RECORD_ID), col(Lineage.SOURCE), col(Lineage.SOURCE_FILE)));
      out.addAll(EvaluateJob.predictedColumns(model.labels()));
      out.add(lit(at).as("scored_at"));
      catalog.replaceRun(catalog.table("scores"), good.select(out.toArray(Column[]::new)), run.runId());

      Dataset<Row> quarantine = unreadable.unionByName(rejected)
          .unionByName(QuarantineTable.ofRecords(incomplete, recordColumns, STAGE, run, lit(MISSING_VALUE),
              lit("dataset.required"), col("_missing"),
              org.apache.spark.sql.functions.concat(lit("required column '"), col("_missing"),
                  lit("' is null; the row cannot be transformed and scored")), lit(null).cast("string")))
          .unionByName(QuarantineTable.ofRecords(failed, recordColumns, STAGE, run, lit(SCORE_FAILED),
              lit(null).cast("string"), lit(String.join(",", model.inputs())), col(ModelScorer.SCORE_ERROR),
              lit(null).cast("string")));
      long quarantined = unreadableRows + rejectedRows + incompleteRows + failedRows;
      if (quarantined > 0) {
        QuarantineTable.write(catalog, quarantine);
      }
      TableRef scoresRef = catalog.table("scores");
      LOG.info("score: {} read, {} scored, {} quarantined ({} unreadable, {} rejected by clean, {} missing a "
          + "value, {} failed) with model {}", in, scoredRows, quarantined, unreadableRows, rejectedRows,
          incompleteRows, failedRows, version);
      return new ScoreReport(run.runId(), version, source, in, scoredRows, unreadableRows, rejectedRows,
          incompleteRows, failedRows, scoresRef.name());
    }
  }

  /**
   * Conservation, judged before anything is written: every row read is scored or quarantined for one of four
   * reasons. Throws the job error (exit code 1) otherwise.
   */
  static void checkConservation(long in, long scored, long unreadable, long rejected, long incomplete,
      long failed) {
    if (in != scored + unreadable + rejected + incomplete + failed) {
      throw LakepipeErrors.conservationBroken(STAGE, in + " rows read, but " + scored + " scored + "
          + unreadable + " unreadable + " + rejected + " rejected by clean's rules + " + incomplete
          + " missing a required value + " + failed + " failed to score");
    }
  }

  private static boolean isIngestSource(LakepipeConfig config, String source) {
    return config.raw().hasPath("ingest.sources")
        && config.raw().getConfig("ingest.sources").root().containsKey(source);
  }

  /** A folder's rows must have the required columns (the label aside) and every column a clean rule names. */
  private static void checkColumns(Dataset<Row> raw, List<String> required, RowCleaningSettings cleaning,
      String source) {
    List<String> have = List.of(raw.columns());
    List<String> absent = required.stream().filter(c -> !have.contains(c)).toList();
    if (!absent.isEmpty()) {
      throw LakepipeErrors.jobFailed("score " + source, String.format(Locale.ROOT, "the rows have no column(s) %s "
          + "(columns: %s). Score rows with the dataset's canonical columns (dataset.columns), as silver.records "
          + "holds them, or name a source of ingest.sources.", absent, String.join(", ", have)), null);
    }
    for (RowCleaningSettings.Rule r : cleaning.rules()) {
      if (!have.contains(r.column())) {
        throw LakepipeErrors.jobFailed("score " + source, String.format(Locale.ROOT, "clean rule '%s' checks "
            + "column %s, which the rows do not have (columns: %s). Score rows with every canonical column "
            + "clean.rules names, or name a source of ingest.sources.", r.id(), r.column(), String.join(", ", have)),
            null);
      }
    }
  }

  /** The newest blessed model in {@code results.model_registry}; an error naming the fix when there is none. */
  static String blessedModel(TableCatalog catalog) {
    TableRef registry = catalog.table("model-registry");
    Gate.Previous blessed = catalog.exists(registry) ? EvaluateJob.previousBlessed(catalog, registry, "") : null;
    if (blessed == null) {
      throw LakepipeErrors.jobFailed("score", "no model is blessed in " + registry.name() + ". Run 'lakepipe "
          + "evaluate' until a model passes evaluate.gate, or pass --model <version> to score with a model "
          + "version from the model store anyway.", null);
    }
    return blessed.modelVersion();
  }

  private static Dataset<Row> read(SparkSession spark, LakepipeConfig config, String source) {
    Path path = new Path(source);
    try {
      FileSystem fs = path.getFileSystem(spark.sparkContext().hadoopConfiguration());
      if (!fs.exists(path)) {
        List<String> sources = config.raw().hasPath("ingest.sources")
            ? List.copyOf(new java.util.TreeSet<>(config.raw().getConfig("ingest.sources").root().keySet()))
            : List.of();
        throw LakepipeErrors.usage("Cannot score " + source + ": it is neither a source in ingest.sources "
            + "(sources: " + String.join(", ", sources) + ") nor a file or folder. Pass --source with a source "
            + "name, or a Parquet or Delta folder of rows with the dataset's canonical columns.");
      }
      if (fs.exists(new Path(path, "_delta_log"))) {
        return spark.read().format("delta").load(source);
      }
      return spark.read().parquet(source);
    } catch (IOException e) {
      throw LakepipeErrors.sourceUnreadable("score", source, e.getMessage(), e);
    }
  }

  /** Adds the lineage columns the rows lack (see the class comment). */
  static Dataset<Row> withLineage(Dataset<Row> raw, DatasetSchema schema, String source) {
    List<String> have = List.of(raw.columns());
    Dataset<Row> rows = raw;
    if (!have.contains(Lineage.SOURCE_FILE)) {
      rows = rows.withColumn(Lineage.SOURCE_FILE, input_file_name());
    }
    if (!have.contains(Lineage.SOURCE)) {
      rows = rows.withColumn(Lineage.SOURCE, lit(source));
    }
    if (!have.contains(Lineage.SOURCE_ROW)) {
      rows = rows.withColumn(Lineage.SOURCE_ROW, lit(null).cast("long"));
    }
    if (!have.contains(Lineage.RECORD_ID)) {
      Column[] all = have.stream().map(EvaluateJob::quoted).toArray(Column[]::new);
      Column key = schema.hasId() && have.contains(schema.idColumn())
          ? coalesce(col(schema.idColumn()).cast("string"), to_json(struct(all))) : to_json(struct(all));
      rows = rows.withColumn(Lineage.RECORD_ID, Lineage.stableHash(lit(STAGE), lit(source), key));
    }
    return rows;
  }
}
