package dev.lakepipe.features;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import dev.lakepipe.core.Lineage;
import dev.lakepipe.core.LakepipeErrors;
import dev.lakepipe.core.Persisted;
import dev.lakepipe.core.QuarantineTable;
import dev.lakepipe.core.RunContext;
import dev.lakepipe.core.SparkSessionFactory;
import dev.lakepipe.core.TableCatalog;
import dev.lakepipe.core.TableRef;
import dev.lakepipe.core.config.DatasetSchema;
import dev.lakepipe.core.config.LakepipeConfig;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code lakepipe features}: {@code silver.records} to {@code gold.dataset}.
 *
 * <ol>
 *   <li>Split ({@link Splitter}): every silver row gets a split (and fold), near-duplicate clusters from
 *       {@code ops.duplicates} and groups kept whole; rows that cannot be placed go to quarantine.</li>
 *   <li>Labels ({@link LabelCoverage}): labels with too few train rows are quarantined or merged, and (when
 *       configured) validation and test rows whose label train lacks are quarantined.</li>
 *   <li>Check ({@link LeakageChecks}); any failure writes the manifest with the results and stops the stage
 *       before the dataset changes.</li>
 *   <li>Fit the feature pipeline on train rows only ({@link FeaturePipeline}), save it under
 *       {@code features.artifacts/<run_id>}, augment train when configured ({@link Augmentation}), transform
 *       every row.</li>
 *   <li>Write the Parquet export ({@link SplitExport}), {@code ops.split_manifest}, the quarantine, and last
 *       {@code gold.dataset} (replaced whole: it is also the memory that keeps old rows in their splits).</li>
 * </ol>
 * Conservation: silver rows = accepted rows (one per record in gold, augmented rows aside) + quarantined.
 */
public final class FeaturesJob {

  private static final Logger LOG = LoggerFactory.getLogger(FeaturesJob.class);
  public static final String STAGE = "features";

  /** The columns of the Parquet export, when present. */
  static final List<String> EXPORT_COLUMNS = List.of(Lineage.RECORD_ID, Splitter.SPLIT, Splitter.FOLD,
      "label_index", "weight", Augmentation.AUGMENTED, "features", "text_ids");

  private FeaturesJob() {}

  public static FeaturesReport run(SparkSession spark, LakepipeConfig config, RunContext run) {
    FeaturesSettings settings = FeaturesSettings.parse(config);
    return SparkSessionFactory.withJobGroup(spark, "FEATURES", "lakepipe features run " + run.runId(),
        () -> execute(spark, config, settings, run));
  }

  private static FeaturesReport execute(SparkSession spark, LakepipeConfig config, FeaturesSettings s,
      RunContext run) {
    DatasetSchema schema = config.dataset();
    TableCatalog catalog = new TableCatalog(spark, config.tables());
    catalog.registerAll();
    TableRef silverRef = catalog.table("silver-records");
    TableRef goldRef = catalog.table("gold-dataset");
    TableRef manifestRef = catalog.table("split-manifest");
    try (Persisted persisted = new Persisted()) {
      Map<String, Long> versions = new TreeMap<>();
      versions.put(silverRef.name(), catalog.version(silverRef));
      TableRef dupRef = catalog.table("duplicates");
      if (catalog.exists(dupRef)) {
        versions.put(dupRef.name(), catalog.version(dupRef));
      }
      SplitManifest.Sources sources = new SplitManifest.Sources(versions);
      // Each cut materialises its rows with one job that also counts them: no separate count jobs.
      Persisted.Cut silverCut = persisted.cutAndCount(catalog.read(silverRef, "clean"));
      Dataset<Row> silver = silverCut.rows();
      long in = silverCut.count();
      Persisted.Cut linksCut = persisted.cutAndCount(nearDuplicateLinks(catalog, silver));
      Dataset<Row> links = linksCut.rows();
      long linkCount = linksCut.count();
      Splitter.Previous previous = previous(catalog, goldRef, manifestRef, s);

      Splitter.Result split = Splitter.assign(silver, links, s.split(), schema, s.seed(), previous);
      Dataset<Row> placed = persisted.cut(split.assigned());
      Persisted.Cut rejectedCut = persisted.cutAndCount(split.rejected());
      Dataset<Row> rejected = rejectedCut.rows();
      LabelCoverage.Result coverage = LabelCoverage.apply(placed, s.labels(), schema.labelColumn());
      Persisted.Cut assignedCut = persisted.cutAndCount(coverage.kept());
      Dataset<Row> assigned = assignedCut.rows();
      Persisted.Cut labelRejectedCut = persisted.cutAndCount(coverage.rejected());
      Dataset<Row> labelRejected = labelRejectedCut.rows();
      long accepted = assignedCut.count();
      long rejectedCount = rejectedCut.count() + labelRejectedCut.count();
      checkPlaced(in, accepted, rejectedCount);
      SplitManifest.Labels labels = SplitManifest.Labels.of(coverage);

      List<LeakageChecks.Check> checks = LeakageChecks.run(assigned, links, s.split(), schema);
      List<LeakageChecks.Check> failed = checks.stream().filter(c -> !c.passed()).toList();
      if (!failed.isEmpty()) {
        catalog.replaceRun(manifestRef, SplitManifest.build(Augmentation.markOriginal(assigned), s.split(), schema,
            s.seed(), split.validationCutoff(), split.testCutoff(), checks, SplitManifest.Artefacts.NONE, sources,
            labels, run), run.runId());
        throw LakepipeErrors.jobFailed("write the splits of run " + run.runId(), failed.size()
            + " leakage check(s) failed: " + failed.stream().map(c -> c.name() + ": " + c.detail())
            .collect(Collectors.joining("; ")) + ". Nothing was written but the manifest ("
            + manifestRef.name() + ", run_id " + run.runId() + ").", null);
      }

      Dataset<Row> train = persisted.cut(assigned.filter(col(Splitter.SPLIT).equalTo(SplitSettings.TRAIN)));
      FittedFeatures fitted = FeaturePipeline.fit(train, s.features(), schema);
      Dataset<Row> rows = Augmentation.markOriginal(assigned);
      if (s.augment().enabled()) {
        rows = rows.unionByName(Augmentation.apply(train, s.augment(), schema, s.seed()));
      }
      Persisted.Cut goldCut = persisted.cutAndCount(fitted.withLabels(fitted.transform(rows))
          .withColumn(Lineage.RUN_ID, lit(run.runId())), sum(when(col(Augmentation.AUGMENTED), 1)));
      Dataset<Row> gold = goldCut.rows();
      long goldRows = goldCut.count();
      long augmented = goldCut.aggregate(0);
      checkGold(accepted, goldRows, augmented);

      String pipelinePath = s.artifactsPath() + "/" + run.runId();
      fitted.save(pipelinePath);
      List<String> present = List.of(gold.columns());
      Column[] exported = EXPORT_COLUMNS.stream().filter(present::contains).map(c -> col(c)).toArray(Column[]::new);
      SplitExport.write(
          gold.filter(col(Splitter.SPLIT).notEqual(SplitSettings.GAP)).select(exported), Splitter.SPLIT, s.export(),
          s.seed(), run.runId());
      Dataset<Row> manifest = SplitManifest.build(gold, s.split(), schema, s.seed(), split.validationCutoff(),
          split.testCutoff(), checks, new SplitManifest.Artefacts(pipelinePath, s.export().path(),
              fitted.statistics()), sources, labels, run);
      catalog.replaceRun(manifestRef, manifest, run.runId());
      QuarantineTable.write(catalog, quarantineRows(rejected, silver.schema(), schema, s.split(), run)
          .unionByName(labelQuarantineRows(labelRejected, silver.schema(), schema, run)));
      catalog.overwrite(goldRef, gold);

      Map<String, Map<String, Long>> perSplit = new TreeMap<>();
      for (Row r : manifest.filter(col("rows").gt(0)).select("split", "class_counts").collectAsList()) {
        perSplit.put(r.getString(0), new TreeMap<>(r.<String, Long>getJavaMap(1)));
      }
      FeaturesReport report = new FeaturesReport(run.runId(), in, accepted, rejectedCount, augmented, linkCount,
          s.split().policy().name().toLowerCase(java.util.Locale.ROOT), perSplit, fitted.labels(),
          fitted.featureSize(), pipelinePath, s.export().path(), previous.assignment() != null
          || previous.validationCutoff() != null || previous.testCutoff() != null);
      LOG.info("features: {} in, {} placed, {} quarantined, {} augmented; splits {}", in, accepted, rejectedCount,
          augmented, perSplit);
      return report;
    }
  }

  /**
   * Conservation after splitting, judged before anything is written: every silver row is placed in a split or
   * quarantined. Throws the job error (exit code 1) otherwise.
   */
  static void checkPlaced(long in, long placed, long quarantined) {
    if (in != placed + quarantined) {
      throw LakepipeErrors.conservationBroken(STAGE, in + " silver rows, but " + placed + " placed in splits + "
          + quarantined + " quarantined");
    }
  }

  /**
   * Conservation after the transform, judged before anything is written: gold holds one original row per placed
   * row (augmented copies aside). Throws the job error (exit code 1) otherwise.
   */
  static void checkGold(long placed, long goldRows, long augmented) {
    if (goldRows - augmented != placed) {
      throw LakepipeErrors.conservationBroken(STAGE, placed + " rows placed in splits, but gold has "
          + (goldRows - augmented) + " original rows");
    }
  }

  /**
   * Near-duplicate pairs of the clean run(s) that wrote silver whose both records are still in silver (clean
   * removes duplicates, but a conf may keep them, and a user may load silver another way).
   */
  static Dataset<Row> nearDuplicateLinks(TableCatalog catalog, Dataset<Row> silver) {
    SparkSession spark = silver.sparkSession();
    StructType shape = new StructType().add("removed_record_id", "string").add("kept_record_id", "string");
    TableRef dupRef = catalog.table("duplicates");
    if (!catalog.exists(dupRef)) {
      return spark.createDataFrame(List.of(), shape);
    }
    Object[] runs = silver.select(Lineage.RUN_ID).distinct().collectAsList().stream().map(r -> r.get(0)).toArray();
    Dataset<Row> ids = silver.select(Lineage.RECORD_ID);
    return catalog.read(dupRef, "clean")
        .filter(col(Lineage.RUN_ID).isin(runs))
        .select("removed_record_id", "kept_record_id")
        .join(ids.withColumnRenamed(Lineage.RECORD_ID, "removed_record_id"), "removed_record_id")
        .join(ids.withColumnRenamed(Lineage.RECORD_ID, "kept_record_id"), "kept_record_id")
        .select("removed_record_id", "kept_record_id")
        .distinct();
  }

  /**
   * The previous run's assignment and cut-offs, when {@code gold.dataset} was written by a run whose split
   * conf and seed (the manifest's fingerprint) equal this run's; otherwise none, and splits are assigned afresh.
   */
  static Splitter.Previous previous(TableCatalog catalog, TableRef goldRef, TableRef manifestRef,
      FeaturesSettings s) {
    if (!catalog.exists(goldRef) || !catalog.exists(manifestRef)) {
      return Splitter.Previous.NONE;
    }
    Dataset<Row> gold = catalog.read(goldRef, STAGE);
    List<Row> runs = gold.select(Lineage.RUN_ID).distinct().collectAsList();
    if (runs.size() != 1) {
      return Splitter.Previous.NONE;
    }
    String previousRun = runs.get(0).getString(0);
    List<Row> manifest = catalog.read(manifestRef, STAGE)
        .filter(col(Lineage.RUN_ID).equalTo(previousRun))
        .select("split", "config_fingerprint", "lower_bound").collectAsList();
    String fingerprint = s.split().fingerprint(s.seed());
    if (manifest.isEmpty() || !manifest.get(0).getString(1).equals(fingerprint)) {
      LOG.info("features: the split conf or seed differs from run {}; splits are assigned afresh", previousRun);
      return Splitter.Previous.NONE;
    }
    Map<String, Instant> lower = new LinkedHashMap<>();
    manifest.forEach(r -> lower.put(r.getString(0), r.isNullAt(2) ? null : r.getTimestamp(2).toInstant()));
    Dataset<Row> assignment = gold
        .filter(col(Augmentation.AUGMENTED).equalTo(false)
            .and(col(Splitter.SPLIT).isin(SplitSettings.SPLITS.toArray())))
        .select(Lineage.RECORD_ID, Splitter.SPLIT, Splitter.FOLD)
        .localCheckpoint(true);
    LOG.info("features: reusing the split assignment of run {} for the rows it placed", previousRun);
    boolean frozenCutoffs = s.split().computesCutoffs();
    return new Splitter.Previous(assignment,
        frozenCutoffs ? lower.get(SplitSettings.VALIDATION) : null,
        frozenCutoffs ? lower.get(SplitSettings.TEST) : null);
  }

  private static Dataset<Row> quarantineRows(Dataset<Row> rejected, StructType silver, DatasetSchema schema,
      SplitSettings split, RunContext run) {
    Column missingTime = col(Splitter.REASON).equalTo(Splitter.MISSING_EVENT_TIME);
    // Predefined policy: the value that named no split (or two), under the key that lists the values.
    Column notGiven = col(Splitter.REASON).isin(Splitter.SPLIT_NOT_GIVEN, Splitter.SPLIT_GIVEN_TWICE);
    String given = split.predefined() == null ? null : split.predefined().matchColumn();
    String t = schema.eventTimeColumn();
    return QuarantineTable.ofRecords(rejected, List.of(silver.fieldNames()), STAGE, run, col(Splitter.REASON),
        when(missingTime, lit(split.predefined() == null ? "features.split.policy"
                : "features.split.predefined.validation-from-train"))
            .when(notGiven, lit("features.split.predefined.splits"))
            .otherwise(lit("features.split.near-duplicates")),
        when(missingTime, lit(t).cast("string")).when(notGiven, lit(given))
            .otherwise(lit(schema.textColumn()).cast("string")),
        col(Splitter.MESSAGE),
        when(missingTime, lit(null).cast("string"))
            .when(notGiven, given == null ? lit(null).cast("string") : col(given).cast("string"))
            .otherwise(col(Lineage.RECORD_ID)));
  }

  /** Rows {@link LabelCoverage} took out: the label column and its value, the conf key that decided. */
  private static Dataset<Row> labelQuarantineRows(Dataset<Row> rejected, StructType silver, DatasetSchema schema,
      RunContext run) {
    Column rare = col(Splitter.REASON).equalTo(LabelCoverage.RARE_LABEL);
    return QuarantineTable.ofRecords(rejected, List.of(silver.fieldNames()), STAGE, run, col(Splitter.REASON),
        when(rare, lit("features.min-class-rows")).otherwise(lit("features.split.unseen-labels")),
        lit(schema.labelColumn()), col(Splitter.MESSAGE), col(schema.labelColumn()));
  }
}
