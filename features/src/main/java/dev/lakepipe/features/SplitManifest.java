package dev.lakepipe.features;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.countDistinct;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import dev.lakepipe.core.Lineage;
import dev.lakepipe.core.RunContext;
import dev.lakepipe.core.config.DatasetSchema;
import java.math.BigDecimal;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * {@code ops.split_manifest}: one row per split per run, saying what the split holds (rows, rows per label,
 * rows per fold, augmented rows, event-time range, distinct groups), how it was made (policy, seed, target
 * fraction, the time policy's bounds, the conf fingerprint a later run compares to reuse the assignment),
 * every leakage check with its result, where the fitted pipeline and the export are, the Delta versions of
 * the tables the run read ({@code source_versions}), and (on the train row) what the pipeline learned from
 * train: imputation values, scaler means and deviations, categories, the vector layout. The {@code gap}
 * split (time policy) is listed too, so the rows add up to the stage's input together with the quarantined
 * ones: {@code quarantined_rows} counts, per split and reason, the rows {@link LabelCoverage} took out of it
 * ({@code RARE_LABEL}, {@code LABEL_NOT_IN_TRAIN}), and {@code merged_labels} the rows per original label it
 * relabelled into {@code features.rare-labels.merge-into}. Under the predefined policy
 * {@code target_fraction} is null but for validation carved out of the given train rows, where it is the
 * share of those rows, and a time carve's cut-off is validation's {@code lower_bound}.
 */
public final class SplitManifest {

  public static final StructType CHECK = new StructType()
      .add("check", DataTypes.StringType, false)
      .add("passed", DataTypes.BooleanType, false)
      .add("detail", DataTypes.StringType, true);

  public static final StructType SCHEMA = new StructType()
      .add(Lineage.RUN_ID, DataTypes.StringType, false)
      .add("split", DataTypes.StringType, false)
      .add("rows", DataTypes.LongType, false)
      .add("augmented_rows", DataTypes.LongType, false)
      .add("class_counts", DataTypes.createMapType(DataTypes.StringType, DataTypes.LongType), false)
      .add("fold_counts", DataTypes.createMapType(DataTypes.IntegerType, DataTypes.LongType), false)
      .add("min_event_time", DataTypes.TimestampType, true)
      .add("max_event_time", DataTypes.TimestampType, true)
      .add("lower_bound", DataTypes.TimestampType, true)
      .add("upper_bound", DataTypes.TimestampType, true)
      .add("group_column", DataTypes.StringType, true)
      .add("group_count", DataTypes.LongType, true)
      .add("policy", DataTypes.StringType, false)
      .add("seed", DataTypes.LongType, false)
      .add("target_fraction", DataTypes.DoubleType, true)
      .add("config_fingerprint", DataTypes.StringType, false)
      .add("checks", DataTypes.createArrayType(CHECK, false), false)
      .add("checks_passed", DataTypes.BooleanType, false)
      .add("pipeline_path", DataTypes.StringType, true)
      .add("pipeline_statistics", DataTypes.createMapType(DataTypes.StringType, DataTypes.StringType), true)
      .add("export_path", DataTypes.StringType, true)
      .add("source_versions", DataTypes.createMapType(DataTypes.StringType, DataTypes.LongType), false)
      .add("created_at", DataTypes.TimestampType, false)
      .add("quarantined_rows", DataTypes.createMapType(DataTypes.StringType, DataTypes.LongType), false)
      .add("merged_labels", DataTypes.createMapType(DataTypes.StringType, DataTypes.LongType), false);

  private SplitManifest() {}

  /** Where the run's artefacts are, or null when the run stopped before writing them. */
  public record Artefacts(String pipelinePath, String exportPath, Map<String, String> statistics) {
    public static final Artefacts NONE = new Artefacts(null, null, null);
  }

  /** The Delta versions of the tables a run read (silver, and ops.duplicates when it exists), by table name. */
  public record Sources(Map<String, Long> versions) {}

  /** What {@link LabelCoverage} did, per split: rows quarantined by reason, rows merged by original label. */
  public record Labels(Map<String, Map<String, Long>> quarantined, Map<String, Map<String, Long>> merged) {
    public static Labels of(LabelCoverage.Result r) {
      return new Labels(r.quarantined(), r.merged());
    }
  }

  /**
   * The manifest rows of a run. {@code rows} are the run's dataset rows with {@code split}, {@code fold} and
   * {@code augmented}; {@code cutoffs} the time policy's validation and test cut-offs (nulls otherwise).
   */
  public static Dataset<Row> build(Dataset<Row> rows, SplitSettings s, DatasetSchema schema, long seed,
      Instant validationCutoff, Instant testCutoff, List<LeakageChecks.Check> checks, Artefacts artefacts,
      Sources sources, Labels labels, RunContext run) {
    SparkSession spark = rows.sparkSession();
    String split = Splitter.SPLIT;
    String t = schema.eventTimeColumn();
    String g = s.policy() == SplitSettings.Policy.GROUP ? s.groupColumn() : null;
    String augmented = Augmentation.AUGMENTED;

    List<org.apache.spark.sql.Column> aggs = new ArrayList<>();
    aggs.add(sum(when(col(augmented), lit(1L)).otherwise(lit(0L))).as("_aug"));
    aggs.add(t == null ? lit(null).cast("timestamp").as("_min") : min(t).as("_min"));
    aggs.add(t == null ? lit(null).cast("timestamp").as("_max") : max(t).as("_max"));
    aggs.add(g == null ? lit(null).cast("long").as("_groups") : countDistinct(col(g)).as("_groups"));
    Map<String, Row> perSplit = new TreeMap<>();
    for (Row r : rows.groupBy(split).agg(count(lit(1)).as("_rows"), aggs.toArray(org.apache.spark.sql.Column[]::new))
        .collectAsList()) {
      perSplit.put(r.getString(0), r);
    }
    Map<String, Map<String, Long>> classes = new TreeMap<>();
    for (Row r : rows.groupBy(split, schema.labelColumn()).count().collectAsList()) {
      classes.computeIfAbsent(r.getString(0), k -> new TreeMap<>()).put(r.getString(1), r.getLong(2));
    }
    Map<String, Map<Integer, Long>> folds = new TreeMap<>();
    for (Row r : rows.filter(col(Splitter.FOLD).isNotNull()).groupBy(split, Splitter.FOLD).count().collectAsList()) {
      folds.computeIfAbsent(r.getString(0), k -> new TreeMap<>()).put(r.getInt(1), r.getLong(2));
    }
    Map<String, Instant[]> bounds = s.cutsByTime()
        ? Splitter.timeBounds(s, validationCutoff, testCutoff) : Map.of();

    List<Row> checkRows = checks.stream()
        .map(c -> RowFactory.create(c.name(), c.passed(), c.detail())).toList();
    boolean passed = checks.stream().allMatch(LeakageChecks.Check::passed);
    String fingerprint = s.fingerprint(seed);
    List<String> names = new ArrayList<>(SplitSettings.SPLITS);
    names.add(SplitSettings.GAP);
    List<Row> out = new ArrayList<>();
    for (String name : names) {
      Row r = perSplit.get(name);
      if (r == null && !s.activeSplits().contains(name) && !labels.quarantined().containsKey(name)) {
        continue;
      }
      Instant[] b = bounds.getOrDefault(name, new Instant[2]);
      BigDecimal fraction = s.targetFraction(name);
      out.add(RowFactory.create(run.runId(), name,
          r == null ? 0L : r.getLong(1),
          r == null ? 0L : r.getLong(2),
          copy(classes.getOrDefault(name, Map.of())),
          copy(folds.getOrDefault(name, Map.of())),
          r == null ? null : r.get(3),
          r == null ? null : r.get(4),
          b[0] == null ? null : Timestamp.from(b[0]),
          b[1] == null ? null : Timestamp.from(b[1]),
          g,
          g == null ? null : r == null ? 0L : r.get(5),
          s.policy().id(),
          seed,
          fraction == null ? null : fraction.doubleValue(),
          fingerprint,
          checkRows,
          passed,
          artefacts.pipelinePath(),
          artefacts.statistics() == null || !name.equals(SplitSettings.TRAIN) ? null
              : new TreeMap<>(artefacts.statistics()),
          artefacts.exportPath(),
          new TreeMap<>(sources.versions()),
          Timestamp.from(run.startedAt()),
          copy(labels.quarantined().getOrDefault(name, Map.of())),
          copy(labels.merged().getOrDefault(name, Map.of()))));
    }
    return spark.createDataFrame(out, SCHEMA);
  }

  private static <K, V> Map<K, V> copy(Map<K, V> m) {
    return new LinkedHashMap<>(m);
  }
}
