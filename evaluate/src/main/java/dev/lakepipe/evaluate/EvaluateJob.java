package dev.lakepipe.evaluate;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.date_format;
import static org.apache.spark.sql.functions.element_at;
import static org.apache.spark.sql.functions.length;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import dev.lakepipe.core.LakepipeErrors;
import dev.lakepipe.core.Lineage;
import dev.lakepipe.core.Persisted;
import dev.lakepipe.core.RunContext;
import dev.lakepipe.core.SparkSessionFactory;
import dev.lakepipe.core.TableCatalog;
import dev.lakepipe.core.TableRef;
import dev.lakepipe.core.config.DatasetSchema;
import dev.lakepipe.core.config.LakepipeConfig;
import dev.lakepipe.core.model.ModelStore;
import dev.lakepipe.core.model.ModelVersion;
import dev.lakepipe.evaluate.report.HtmlReport;
import dev.lakepipe.features.FittedFeatures;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code lakepipe evaluate}: a model version from the model store, scored on the evaluated gold splits.
 *
 * <ol>
 *   <li>Resolve the model ({@code --model} / {@code evaluate.model}, else the version this run id trained, as in
 *       {@code lakepipe run}, else the newest finished version) and the
 *       fitted feature pipeline it was trained with ({@code FittedFeatures.load}). Gold rows made by another
 *       features run are transformed again with the model's pipeline, so inputs always match the model.</li>
 *   <li>Read {@code gold.dataset} filtered to {@code evaluate.splits} (test by default) before anything else
 *       touches the rows, so train rows are never scored; the filter is pushed into the Delta scan.</li>
 *   <li>Score on the executors ({@link ModelScorer}: model bytes broadcast once, minibatches per partition),
 *       persist the predictions once. A row that cannot be scored fails the run, naming it: gold rows were made
 *       by the model's own pipeline, so that is a bug, not bad input.</li>
 *   <li>Compute, per split, {@link ClassificationMetrics} (slices from {@code evaluate.slices} plus
 *       {@code event_month} and {@code text_length}; seeded bootstrap), {@link Confusion},
 *       {@link Calibration} (bins and ECE); {@link Drift} train vs evaluated rows, or gold at an older Delta
 *       version vs now ({@code --drift-from}).</li>
 *   <li>Gate ({@link Gate}) against the newest blessed model in {@code results.model_registry}.</li>
 *   <li>Write {@code results.predictions}, {@code metrics}, {@code confusion}, {@code calibration},
 *       {@code drift} and last {@code model_registry}, each replacing this run's rows only (a re-run with the
 *       same run id replaces, never duplicates), then the HTML report.</li>
 * </ol>
 * Cost: one scan of the evaluated splits and one of train (drift, canonical columns only); the predictions are
 * scored once and persisted; every metric is an aggregation over them. The driver receives only aggregates
 * (metric rows, curve points, bins, drift statistics). Deterministic for the same gold, model and seed.
 */
public final class EvaluateJob {

  private static final Logger LOG = LoggerFactory.getLogger(EvaluateJob.class);
  public static final String STAGE = "evaluate";
  public static final String EVENT_MONTH = "event_month";
  public static final String TEXT_LENGTH = "text_length";
  static final String SPLIT = "split";

  static final StructType REGISTRY = new StructType()
      .add(Lineage.RUN_ID, DataTypes.StringType, false)
      .add("model_version", DataTypes.StringType, false)
      .add("blessed", DataTypes.BooleanType, false)
      .add("reasons", DataTypes.createArrayType(DataTypes.StringType, false), false)
      .add("metrics", DataTypes.createMapType(DataTypes.StringType, DataTypes.DoubleType, true), false)
      .add("previous_blessed_version", DataTypes.StringType, true)
      .add(SPLIT, DataTypes.StringType, false)
      .add("gold_version", DataTypes.LongType, false)
      .add("created_at", DataTypes.TimestampType, false);

  private EvaluateJob() {}

  public static EvaluateReport run(SparkSession spark, LakepipeConfig config, RunContext run) {
    return run(spark, config, EvaluateSettings.parse(config), run, null);
  }

  /**
   * As {@link #run(SparkSession, LakepipeConfig, RunContext)} with parsed settings; {@code driftFrom}, when not
   * null, is the Delta version of gold that drift compares the current gold with (instead of train vs test).
   */
  public static EvaluateReport run(SparkSession spark, LakepipeConfig config, EvaluateSettings settings,
      RunContext run, Long driftFrom) {
    return SparkSessionFactory.withJobGroup(spark, "EVALUATE", "lakepipe evaluate run " + run.runId(),
        () -> execute(spark, config, settings, run, driftFrom));
  }

  private static EvaluateReport execute(SparkSession spark, LakepipeConfig config, EvaluateSettings s,
      RunContext run, Long driftFrom) {
    DatasetSchema schema = config.dataset();
    TableCatalog catalog = new TableCatalog(spark, config.tables());
    catalog.registerAll();
    TableRef goldRef = catalog.table("gold-dataset");
    Dataset<Row> gold = catalog.read(goldRef, "features");
    long goldVersion = catalog.version(goldRef);
    ModelStore store = new ModelStore(s.modelStore(), spark.sparkContext().hadoopConfiguration());
    // Default: the model this run id trained (lakepipe run), else the newest finished version.
    String version = s.model() != null ? s.model() : store.versions().contains(run.runId()) ? run.runId()
        : store.latest().orElseThrow(() -> LakepipeErrors.jobFailed(
        "evaluate", "the model store " + store.root() + " holds no finished model. Run 'lakepipe train' first, "
            + "or point train.model-store at the store that holds one.", null));
    ModelVersion model = store.load(version);
    FittedFeatures fitted = FittedFeatures.load(spark, model.featuresPath());
    List<String> labels = model.labels();
    int majority = fitted.majorityLabelIndex();

    List<String> goldColumns = List.of(gold.columns());
    List<String> missingSlices = s.slices().stream().filter(c -> !goldColumns.contains(c)).toList();
    if (!missingSlices.isEmpty()) {
      throw LakepipeErrors.config(String.format(Locale.ROOT, "Cannot slice metrics: evaluate.slices names %s, "
          + "not a column of %s (columns: %s). Name gold columns (canonical or lineage columns such as _source).",
          missingSlices, goldRef.name(), String.join(", ", goldColumns)));
    }
    String featuresRun = model.featuresRun();

    // Only the evaluated splits go further: the filter sits on the scan, before any row is scored.
    Column evaluatedSplits = col(SPLIT).isin(s.splits().toArray());
    if (goldColumns.contains("augmented")) {
      evaluatedSplits = evaluatedSplits.and(col("augmented").equalTo(false));
    }
    Dataset<Row> evaluated = gold.filter(evaluatedSplits);
    List<String> builtIn = new ArrayList<>();
    if (schema.eventTimeColumn() != null && goldColumns.contains(schema.eventTimeColumn())) {
      evaluated = evaluated.withColumn(EVENT_MONTH, date_format(col(schema.eventTimeColumn()), "yyyy-MM"));
      builtIn.add(EVENT_MONTH);
    }
    if (schema.hasText() && goldColumns.contains(schema.textColumn())) {
      evaluated = evaluated.withColumn(TEXT_LENGTH, textLengthBucket(col(schema.textColumn())));
      builtIn.add(TEXT_LENGTH);
    }
    Set<String> sliceSet = new LinkedHashSet<>(s.slices());
    sliceSet.addAll(builtIn);
    List<String> slices = List.copyOf(sliceSet);

    try (Persisted persisted = new Persisted()) {
      Dataset<Row> inputs = modelInputs(evaluated, gold, fitted, model, featuresRun);
      List<String> keep = new ArrayList<>(List.of(Lineage.RECORD_ID, Lineage.SOURCE, Lineage.SOURCE_FILE, SPLIT,
          schema.labelColumn(), ClassificationMetrics.LABEL_INDEX));
      slices.forEach(c -> {
        if (!keep.contains(c)) {
          keep.add(c);
        }
      });
      keep.addAll(model.inputs());
      ModelScorer scorer = ModelScorer.load(spark, store, model, s.batchSize());
      Dataset<Row> scored = persisted.cut(scorer.score(inputs.select(keep.stream().map(EvaluateJob::quoted)
          .toArray(Column[]::new))));
      Map<String, Long> perSplit = new TreeMap<>();
      long failed = 0;
      for (Row r : scored.groupBy(col(SPLIT), col(ModelScorer.SCORE_ERROR).isNotNull()).count().collectAsList()) {
        perSplit.merge(r.getString(0), r.getLong(2), Long::sum);
        if (r.getBoolean(1)) {
          failed += r.getLong(2);
        }
      }
      if (failed > 0) {
        List<String> examples = scored.filter(col(ModelScorer.SCORE_ERROR).isNotNull())
            .select(Lineage.RECORD_ID, ModelScorer.SCORE_ERROR).limit(3).collectAsList().stream()
            .map(r -> r.getString(0) + ": " + r.getString(1)).toList();
        throw LakepipeErrors.jobFailed("evaluate model " + version, failed + " gold row(s) could not be scored, "
            + "e.g. " + examples + ". Gold and the model's feature pipeline disagree; run 'lakepipe features' "
            + "and 'lakepipe train' again.", null);
      }
      Timestamp createdAt = Timestamp.from(run.startedAt());
      Column[] stamp = {lit(run.runId()).as(Lineage.RUN_ID), lit(version).as("model_version")};

      catalog.replaceRun(catalog.table("predictions"),
          predictionsTable(scored, labels, schema.labelColumn(), stamp, createdAt), run.runId());

      Dataset<Row> metrics = null;
      Dataset<Row> confusion = null;
      Dataset<Row> calibration = null;
      Map<String, Dataset<Row>> bySplit = new LinkedHashMap<>();
      for (String split : s.splits()) {
        if (perSplit.getOrDefault(split, 0L) == 0) {
          LOG.warn("evaluate: split '{}' has no rows in {}; nothing to measure there", split, goldRef.name());
          continue;
        }
        Dataset<Row> rows = scored.filter(col(SPLIT).equalTo(split));
        bySplit.put(split, rows);
        Dataset<Row> m = persisted.cut(ClassificationMetrics.compute(rows, labels, slices, s.minSupport(), majority,
            s.bootstrap()).withColumn(SPLIT, lit(split)));
        Dataset<Row> c = Confusion.matrix(rows, labels, slices).withColumn(SPLIT, lit(split));
        Dataset<Row> bins = persisted.cut(Calibration.bins(rows, labels, slices, Calibration.DEFAULT_BINS));
        Dataset<Row> cal = calibrationTable(bins).withColumn(SPLIT, lit(split));
        metrics = metrics == null ? m : metrics.unionByName(m);
        confusion = confusion == null ? c : confusion.unionByName(c);
        calibration = calibration == null ? cal : calibration.unionByName(cal);
      }
      if (bySplit.isEmpty()) {
        throw LakepipeErrors.jobFailed("evaluate model " + version, "the splits " + s.splits() + " of "
            + goldRef.name() + " have no rows. Check the features stage's split (ops.split_manifest) or "
            + "evaluate.splits.", null);
      }
      String firstSplit = bySplit.keySet().iterator().next();

      List<Column> metricColumns = new ArrayList<>(List.of(stamp));
      metricColumns.addAll(List.of(lit(goldVersion).as("gold_version"), lit(featuresRun).as("features_run"),
          col(SPLIT)));
      Arrays.stream(MetricRow.SCHEMA.fieldNames()).forEach(f -> metricColumns.add(col(f)));
      metricColumns.add(lit(createdAt).as("created_at"));
      catalog.replaceRun(catalog.table("metrics"), metrics.select(metricColumns.toArray(Column[]::new)),
          run.runId());
      catalog.replaceRun(catalog.table("confusion"), stamped(confusion, stamp, createdAt), run.runId());
      catalog.replaceRun(catalog.table("calibration"), stamped(calibration, stamp, createdAt), run.runId());

      Dataset<Row> drift = persisted.cut(drift(spark, catalog, goldRef, gold, schema, s, firstSplit, driftFrom,
          goldVersion, stamp, createdAt));
      catalog.replaceRun(catalog.table("drift"), drift, run.runId());

      // Gate on the first evaluated split's overall metrics.
      Map<String, Double> headline = new LinkedHashMap<>();
      Map<String, double[]> intervals = new LinkedHashMap<>();
      for (Row r : metrics.filter(col(SPLIT).equalTo(firstSplit).and(col(MetricRow.SLICE).equalTo(MetricRow.ALL))
          .and(col(MetricRow.CLASS).equalTo(MetricRow.ANY)))
          .select(MetricRow.METRIC, MetricRow.VALUE, MetricRow.CI_LOW, MetricRow.CI_HIGH).collectAsList()) {
        headline.put(r.getString(0), r.getDouble(1));
        if (!r.isNullAt(2) && !r.isNullAt(3)) {
          intervals.put(r.getString(0), new double[] {r.getDouble(2), r.getDouble(3)});
        }
      }
      TableRef registryRef = catalog.table("model-registry");
      Gate.Previous previous = previousBlessed(catalog, registryRef, run.runId());
      Gate.Verdict verdict = Gate.decide(s.gate(), headline, previous);
      Row registryRow = RowFactory.create(run.runId(), version, verdict.blessed(),
          scala.collection.JavaConverters.asScalaBuffer(verdict.reasons()).toSeq(),
          scala.collection.JavaConverters.mapAsScalaMap(new TreeMap<>(headline)), verdict.previousBlessedVersion(), firstSplit, goldVersion, createdAt);
      catalog.replaceRun(registryRef, spark.createDataFrame(List.of(registryRow), REGISTRY), run.runId());

      Path reportFile = new Path(new Path(s.reportPath(), run.runId()), "report.html");
      writeReport(reportFile, EvaluationReportData.build(spark, catalog, schema.name(), run, model, goldVersion,
          labels, majority, bySplit.get(firstSplit), metrics.filter(col(SPLIT).equalTo(firstSplit)),
          confusion.filter(col(SPLIT).equalTo(firstSplit)), calibration.filter(col(SPLIT).equalTo(firstSplit)),
          drift, verdict), spark);

      List<String> drifted = drift.filter(col("drifted")).select("feature").collectAsList().stream()
          .map(r -> r.getString(0)).toList();
      EvaluateReport report = new EvaluateReport(run.runId(), version, goldVersion, perSplit, firstSplit, headline,
          intervals, verdict.blessed(), verdict.reasons(), verdict.previousBlessedVersion(), drifted,
          reportFile.toString());
      LOG.info("evaluate: model {} on gold v{}: rows {}, {} {}; {}", version, goldVersion, perSplit,
          firstSplit, headline, verdict.blessed() ? "blessed" : "not blessed");
      return report;
    }
  }

  /**
   * The model's inputs for the evaluated rows: gold's own when the model's features run wrote gold, else the
   * rows transformed again with the model's pipeline (a newer features run may have changed the vectors).
   */
  private static Dataset<Row> modelInputs(Dataset<Row> evaluated, Dataset<Row> gold, FittedFeatures fitted,
      ModelVersion model, String featuresRun) {
    List<Row> goldRun = gold.select(Lineage.RUN_ID).limit(1).collectAsList();
    if (!goldRun.isEmpty() && featuresRun.equals(goldRun.get(0).getString(0))) {
      return evaluated;
    }
    LOG.info("evaluate: gold was written by features run {}, the model by {}; transforming with the model's "
        + "pipeline", goldRun.isEmpty() ? "(none)" : goldRun.get(0).getString(0), featuresRun);
    Dataset<Row> bare = evaluated;
    for (String c : List.of("features", "text_ids")) {
      if (Arrays.asList(bare.columns()).contains(c)) {
        bare = bare.drop(c);
      }
    }
    return fitted.transform(bare);
  }

  /** {@code results.predictions}: one row per scored row, probabilities as an array and one column per class. */
  static Dataset<Row> predictionsTable(Dataset<Row> scored, List<String> labels, String labelColumn, Column[] stamp,
      Timestamp createdAt) {
    List<Column> out = new ArrayList<>(List.of(stamp));
    out.addAll(List.of(col(Lineage.RECORD_ID), col(Lineage.SOURCE), col(Lineage.SOURCE_FILE), col(SPLIT),
        col(labelColumn).cast("string").as("label"),
        col(ClassificationMetrics.LABEL_INDEX).cast("int").as(ClassificationMetrics.LABEL_INDEX)));
    out.addAll(predictedColumns(labels));
    out.add(lit(createdAt).as("created_at"));
    return scored.select(out.toArray(Column[]::new));
  }

  /** predicted_label, predicted_index, probabilities and one {@code p_<label>} per class (when names are unique). */
  static List<Column> predictedColumns(List<String> labels) {
    List<Column> out = new ArrayList<>();
    out.add(element_at(ClassificationMetrics.names(labels), col(ModelScorer.PREDICTED_INDEX).plus(1))
        .as("predicted_label"));
    out.add(col(ModelScorer.PREDICTED_INDEX));
    out.add(col(ModelScorer.PROBABILITIES));
    List<String> names = labels.stream().map(EvaluateJob::probabilityColumn).toList();
    if (new LinkedHashSet<>(names).size() == names.size()) {
      for (int i = 0; i < labels.size(); i++) {
        out.add(element_at(col(ModelScorer.PROBABILITIES), i + 1).as(names.get(i)));
      }
    }
    return out;
  }

  /** {@code p_} and the label in lowercase, characters other than letters and digits as {@code _}. */
  static String probabilityColumn(String label) {
    return "p_" + label.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "_");
  }

  /** Reliability bins plus, per (slice, slice value, class), one row with {@code bin} null carrying the ECE. */
  static Dataset<Row> calibrationTable(Dataset<Row> bins) {
    Dataset<Row> ece = Calibration.ece(bins);
    Dataset<Row> totals = bins.groupBy(MetricRow.SLICE, MetricRow.SLICE_VALUE, MetricRow.CLASS)
        .agg(org.apache.spark.sql.functions.sum("count").as("count"));
    Dataset<Row> eceRows = ece.join(totals, MetricRow.on(MetricRow.SLICE, MetricRow.SLICE_VALUE, MetricRow.CLASS))
        .select(col(MetricRow.SLICE), col(MetricRow.SLICE_VALUE), col(MetricRow.CLASS),
            lit(null).cast("int").as("bin"), lit(null).cast("double").as("lower"),
            lit(null).cast("double").as("upper"), col("count"), lit(null).cast("double").as("mean_confidence"),
            lit(null).cast("double").as("accuracy"), col("ece"));
    return bins.withColumn("ece", lit(null).cast("double")).unionByName(eceRows);
  }

  private static Dataset<Row> drift(SparkSession spark, TableCatalog catalog, TableRef goldRef, Dataset<Row> gold,
      DatasetSchema schema, EvaluateSettings s, String split, Long driftFrom, long goldVersion, Column[] stamp,
      Timestamp createdAt) {
    List<String> have = List.of(gold.columns());
    List<String> numeric = schema.numericColumns().stream().filter(have::contains).toList();
    List<String> categorical = new ArrayList<>(schema.categoricalColumns().stream().filter(have::contains).toList());
    categorical.add(schema.labelColumn());
    Column original = have.contains("augmented") ? col("augmented").equalTo(false) : lit(true);
    List<String> columns = new ArrayList<>(numeric);
    columns.addAll(categorical);
    Column[] selected = columns.stream().map(EvaluateJob::quoted).toArray(Column[]::new);
    Dataset<Row> reference;
    Dataset<Row> current;
    String referenceName;
    String currentName;
    if (driftFrom == null) {
      reference = gold.filter(col(SPLIT).equalTo("train").and(original)).select(selected);
      current = gold.filter(col(SPLIT).equalTo(split).and(original)).select(selected);
      referenceName = "train";
      currentName = split;
    } else {
      if (driftFrom < 0 || driftFrom > goldVersion) {
        throw LakepipeErrors.usage(String.format(Locale.ROOT, "Cannot compare drift from %s version %d: the "
            + "table's versions run from 0 to %d. Pass --drift-from with one of them (DESCRIBE HISTORY %s lists "
            + "them).", goldRef.name(), driftFrom, goldVersion, goldRef.name()));
      }
      Dataset<Row> old = goldRef.location() == null
          ? spark.read().option("versionAsOf", driftFrom).table(goldRef.name())
          : spark.read().format("delta").option("versionAsOf", driftFrom).load(goldRef.location());
      Column oldOriginal = List.of(old.columns()).contains("augmented") ? col("augmented").equalTo(false) : lit(true);
      reference = old.filter(oldOriginal).select(selected);
      current = gold.filter(original).select(selected);
      referenceName = "gold@v" + driftFrom;
      currentName = "gold@v" + goldVersion;
    }
    Dataset<Row> d = Drift.compare(reference, current, numeric, categorical, s.drift());
    List<Column> out = new ArrayList<>(List.of(stamp));
    out.add(lit(referenceName).as("reference"));
    out.add(lit(currentName).as("current"));
    Arrays.stream(Drift.SCHEMA.fieldNames()).forEach(f -> out.add(col(f)));
    out.add(lit(createdAt).as("created_at"));
    return d.select(out.toArray(Column[]::new));
  }

  /** The newest blessed model of another run, from {@code results.model_registry}; null when there is none. */
  static Gate.Previous previousBlessed(TableCatalog catalog, TableRef registryRef, String runId) {
    if (!catalog.exists(registryRef)) {
      return null;
    }
    List<Row> rows = catalog.read(registryRef, STAGE)
        .filter(col("blessed").and(col(Lineage.RUN_ID).notEqual(runId)))
        .orderBy(col("created_at").desc(), col(Lineage.RUN_ID).desc())
        .select("model_version", "metrics").limit(1).collectAsList();
    if (rows.isEmpty()) {
      return null;
    }
    return new Gate.Previous(rows.get(0).getString(0), new TreeMap<>(rows.get(0).<String, Double>getJavaMap(1)));
  }

  /** Character-length buckets of the text: 0-99, 100-499, 500-1999, 2000+ (null text: null). */
  static Column textLengthBucket(Column text) {
    Column n = length(text);
    return when(n.lt(100), "0-99").when(n.lt(500), "100-499").when(n.lt(2000), "500-1999")
        .when(n.isNotNull(), "2000+");
  }

  private static Dataset<Row> stamped(Dataset<Row> rows, Column[] stamp, Timestamp createdAt) {
    List<Column> out = new ArrayList<>(List.of(stamp));
    out.add(col(SPLIT));
    Arrays.stream(rows.columns()).filter(c -> !c.equals(SPLIT)).forEach(c -> out.add(col(c)));
    out.add(lit(createdAt).as("created_at"));
    return rows.select(out.toArray(Column[]::new));
  }

  static Column quoted(String name) {
    return col("`" + name.replace("`", "``") + "`");
  }

  /**
   * Writes the report where {@code evaluate.report-path} says. A local folder (no scheme, or {@code file:}) is
   * written by {@link HtmlReport#write} (temp file and atomic move); any other file system the session's Hadoop
   * configuration reaches ({@code hdfs://}, {@code s3a://}, {@code abfss://}) through Hadoop's FileSystem: a temp
   * file beside the target, then a rename, so a reader never sees half a report. The default report path is under
   * the warehouse, so a warehouse on HDFS puts the report there too (found on YARN: before, this refused any
   * non-local path and evaluate failed after its tables were written).
   */
  static void writeReport(Path reportFile, dev.lakepipe.evaluate.report.ReportData data, SparkSession spark) {
    java.net.URI uri = reportFile.toUri();
    if (uri.getScheme() == null || uri.getScheme().equals("file")) {
      HtmlReport.write(data, java.nio.file.Path.of(uri.getPath()));
      return;
    }
    byte[] bytes = HtmlReport.render(data).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    Path tmp = new Path(reportFile.getParent(), "." + reportFile.getName() + "." + java.util.UUID.randomUUID()
        + ".tmp");
    try {
      org.apache.hadoop.fs.FileSystem fs = reportFile.getFileSystem(spark.sparkContext().hadoopConfiguration());
      fs.mkdirs(reportFile.getParent());
      try (org.apache.hadoop.fs.FSDataOutputStream out = fs.create(tmp, true)) {
        out.write(bytes);
      }
      fs.delete(reportFile, false);
      if (!fs.rename(tmp, reportFile)) {
        fs.delete(tmp, false);
        throw new java.io.IOException("renaming " + tmp + " to " + reportFile + " returned false");
      }
      LOG.info("report: wrote {} ({} bytes) for run {}", reportFile, bytes.length, data.header().runId());
    } catch (java.io.IOException e) {
      throw LakepipeErrors.jobFailed("write the evaluation report to " + reportFile,
          e + ". Check that the folder is writable and has space", e);
    }
  }
}
