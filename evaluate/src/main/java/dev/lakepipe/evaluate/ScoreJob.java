package dev.lakepipe.evaluate;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.input_file_name;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.to_json;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.when;

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
 * {@code lakepipe score}: new rows through the model's fitted feature pipeline and the model, into
 * {@code results.scores}; rows that cannot be scored into {@code ops.quarantine}.
 *
 * <p><b>Input.</b> A Parquet or Delta folder (a {@code _delta_log} means Delta) of rows with the dataset's
 * canonical columns, as {@code silver.records} holds them. Ingest has no public API that reads one source
 * without writing bronze, and clean's row rules are not public either, so score does not read
 * {@code ingest.sources} itself nor apply clean's rules: it applies the fitted feature pipeline only. Rows keep
 * their {@code _record_id}, {@code _source} and {@code _source_file} when they have them; otherwise
 * {@code _record_id} is a stable hash of the path and the id column (the whole row when the id is null),
 * {@code _source} is the path and {@code _source_file} the file the row came from.
 *
 * <p><b>Model.</b> {@code --model}, else the newest blessed model in {@code results.model_registry}.
 *
 * <p><b>Nothing lost.</b> A row missing a value of a required column (dataset.required, the label aside) is
 * quarantined with reason {@code missing_value} and never transformed; a row whose transformed inputs the
 * network cannot take (null or wrong width) or whose inference fails is quarantined with {@code score_failed}.
 * Conservation is checked before anything is written: rows in = scored + quarantined. Re-running with the same
 * run id replaces this run's scores and quarantines no row twice.
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
    TableCatalog catalog = new TableCatalog(spark, config.tables());
    catalog.registerAll();
    Dataset<Row> raw = read(spark, config, source);
    ModelStore store = new ModelStore(s.modelStore(), spark.sparkContext().hadoopConfiguration());
    String version = requestedModel != null ? requestedModel : blessedModel(catalog);
    ModelVersion model = store.load(version);
    FittedFeatures fitted = FittedFeatures.load(spark, model.featuresPath());

    List<String> have = List.of(raw.columns());
    List<String> required = new ArrayList<>(schema.requiredColumns());
    required.remove(schema.labelColumn());
    List<String> absent = required.stream().filter(c -> !have.contains(c)).toList();
    if (!absent.isEmpty()) {
      throw LakepipeErrors.jobFailed("score " + source, String.format(Locale.ROOT, "the rows have no column(s) %s "
          + "(columns: %s). Score rows with the dataset's canonical columns (dataset.columns), as silver.records "
          + "holds them.", absent, String.join(", ", have)), null);
    }
    Dataset<Row> rows = withLineage(raw, schema, source);
    List<String> recordColumns = List.of(rows.columns());

    // The first required column that is null, per row; such rows are not transformed.
    Column missing = lit(null).cast("string");
    for (int i = required.size() - 1; i >= 0; i--) {
      missing = when(col(required.get(i)).isNull(), lit(required.get(i))).otherwise(missing);
    }
    try (Persisted persisted = new Persisted()) {
      Dataset<Row> checked = persisted.cut(rows.withColumn("_missing", missing));
      long in = checked.count();
      Dataset<Row> incomplete = checked.filter(col("_missing").isNotNull());
      Dataset<Row> complete = checked.filter(col("_missing").isNull()).drop("_missing");
      ModelScorer scorer = ModelScorer.load(spark, store, model, s.batchSize());
      Dataset<Row> scored = persisted.cut(scorer.score(fitted.transform(complete)));
      Dataset<Row> failed = scored.filter(col(ModelScorer.SCORE_ERROR).isNotNull());
      Dataset<Row> good = scored.filter(col(ModelScorer.SCORE_ERROR).isNull());
      long scoredRows = good.count();
      long incompleteRows = incomplete.count();
      long failedRows = failed.count();
      if (in != scoredRows + incompleteRows + failedRows) {
        throw LakepipeErrors.conservationBroken(STAGE, in + " rows in, but " + scoredRows + " scored + "
            + incompleteRows + " missing a required value + " + failedRows + " failed to score");
      }

      Timestamp at = Timestamp.from(run.startedAt());
      List<Column> out = new ArrayList<>(List.of(lit(run.runId()).as(Lineage.RUN_ID), lit(version).as("model_version"),
          col(Lineage.RECORD_ID), col(Lineage.SOURCE), col(Lineage.SOURCE_FILE)));
      out.addAll(EvaluateJob.predictedColumns(model.labels()));
      out.add(lit(at).as("scored_at"));
      catalog.replaceRun(catalog.table("scores"), good.select(out.toArray(Column[]::new)), run.runId());

      Dataset<Row> quarantine = QuarantineTable.ofRecords(incomplete, recordColumns, STAGE, run, lit(MISSING_VALUE),
          lit("dataset.required"), col("_missing"),
          org.apache.spark.sql.functions.concat(lit("required column '"), col("_missing"),
              lit("' is null; the row cannot be transformed and scored")), lit(null).cast("string"))
          .unionByName(QuarantineTable.ofRecords(failed, recordColumns, STAGE, run, lit(SCORE_FAILED),
              lit(null).cast("string"), lit(String.join(",", model.inputs())), col(ModelScorer.SCORE_ERROR),
              lit(null).cast("string")));
      long quarantined = incompleteRows + failedRows;
      if (quarantined > 0) {
        QuarantineTable.write(catalog, quarantine);
      }
      TableRef scoresRef = catalog.table("scores");
      LOG.info("score: {} in, {} scored, {} quarantined ({} missing a value, {} failed) with model {}", in,
          scoredRows, quarantined, incompleteRows, failedRows, version);
      return new ScoreReport(run.runId(), version, source, in, scoredRows, incompleteRows, failedRows,
          scoresRef.name());
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
        boolean ingestSource = config.raw().hasPath("ingest.sources") && config.raw().getConfig("ingest.sources")
            .root().containsKey(source);
        throw LakepipeErrors.usage(ingestSource
            ? "Cannot score source '" + source + "': score reads a Parquet or Delta folder of canonical-column "
                + "rows, not ingest.sources (ingest has no public API that reads one source without writing "
                + "bronze). Pass --source with such a folder, e.g. one written from silver.records."
            : "Cannot score " + source + ": no such file or folder. Pass --source with a Parquet or Delta folder "
                + "of rows with the dataset's canonical columns.");
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
      Column key = have.contains(schema.idColumn())
          ? coalesce(col(schema.idColumn()).cast("string"), to_json(struct(all))) : to_json(struct(all));
      rows = rows.withColumn(Lineage.RECORD_ID, Lineage.stableHash(lit(STAGE), lit(source), key));
    }
    return rows;
  }
}
