package dev.lakepipe.features;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.floor;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sequence;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.udf;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.xxhash64;

import dev.lakepipe.core.LakepipeErrors;
import dev.lakepipe.core.Lineage;
import dev.lakepipe.core.config.DatasetSchema;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF2;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Augments the training split: new rows only, never validation or test (augmenting those would grade the model
 * on its own perturbations). Two independent kinds, each off unless configured ({@link AugmentSettings}):
 *
 * <ul>
 *   <li><b>Text copies</b> ({@code augmentation = "text:<ops>"}): every selected train row (all, or those whose
 *       label is in {@code labels}) gets {@code copies} copies whose text columns are perturbed word by word by
 *       {@link TextPerturbation}: synonym replacement from a dictionary ({@link Synonyms}, read once on the
 *       driver and broadcast), random deletion, random swaps. {@code <ops>} lists the operations that changed
 *       that copy, in the order synonym, delete, swap; {@code text:unchanged} says none did (a text without
 *       words, no word with a synonym, no draw below the deletion rate), so such copies are visible rather than
 *       silently identical. Words are whitespace-separated tokens: languages written without spaces are
 *       perturbed only by synonyms of whole tokens.</li>
 *   <li><b>Oversampling</b> ({@code augmentation = "oversample"}): exact copies of rows of every class below the
 *       largest, so that each class reaches the largest class's count exactly. When text copies are on too, the
 *       counts include them (the union of originals, text copies and oversampled copies is balanced); the
 *       copies are always of original rows. A class short of {@code need} rows with {@code n} originals gives
 *       every original {@code need / n} copies and one more to the first {@code need % n} in the order of
 *       {@code xxhash64(seed, _record_id)}, so counts are exact and copies spread evenly. Rows without a label
 *       are not a class and are not oversampled.</li>
 * </ul>
 *
 * <p>Every new row keeps the columns of its original (lineage, {@code run_id} and {@code _flags} included;
 * {@code augmented_from} names the original) and gets {@code _record_id = sha256(original _record_id, kind,
 * copy index)} ({@link Lineage#stableHash}), so re-runs give the same ids and ids never collide across copies or
 * kinds. All randomness comes from a {@link SplittableRandom} seeded by
 * {@code xxhash64(seed, _record_id, copy index)}, so the output does not depend on partitioning, order or run. Assumes {@code _record_id} is unique, as ingest guarantees.
 *
 * <p>Cost: text copies are a narrow map (no shuffle) producing {@code copies} rows per selected row. Class counts
 * take one aggregation job (one row per class reaches the driver); oversampling ranks each minority class in
 * seeded-hash order with {@link PrefixSum} (one shuffle of the minority rows spread over many tasks, a large
 * class included, plus one small aggregation whose at most 1,024 + classes rows are broadcast).
 */
public final class Augmentation {

  private static final Logger LOG = LoggerFactory.getLogger(Augmentation.class);

  /** True on new rows, false on originals ({@link #markOriginal}). */
  public static final String AUGMENTED = "augmented";
  /**
   * How the row was made: {@code text:synonym,delete,swap} (the operations that changed it),
   * {@code text:unchanged} or {@code oversample}; null on originals.
   */
  public static final String AUGMENTATION = "augmentation";
  /** The original's {@code _record_id}; null on originals. */
  public static final String AUGMENTED_FROM = "augmented_from";

  static final String TEXT = "text";
  static final String OVERSAMPLE = "oversample";

  private static final String COPY = "_aug_copy";
  private static final String RESULT = "_aug_result";
  private static final String OPS = "_aug_ops";
  private static final String RANK = "_aug_rank";
  private static final String COPIES = "_aug_copies";

  private Augmentation() {}

  /** {@code rows} with {@code augmented = false}, {@code augmentation = null}, {@code augmented_from = null}. */
  public static Dataset<Row> markOriginal(Dataset<Row> rows) {
    return rows
        .withColumn(AUGMENTED, lit(false))
        .withColumn(AUGMENTATION, lit(null).cast(DataTypes.StringType))
        .withColumn(AUGMENTED_FROM, lit(null).cast(DataTypes.StringType));
  }

  /**
   * The new rows for {@code train} (never the originals): its columns plus {@code augmented},
   * {@code augmentation} and {@code augmented_from}, ready to union with {@link #markOriginal}{@code (train)}.
   * Empty when {@code s} is not {@link AugmentSettings#enabled()}. Reads the synonyms file, if any, on the
   * driver; runs one aggregation job for the class counts when enabled. {@code train} is read again by each kind
   * of copies, so persist it first if it is expensive to compute.
   */
  public static Dataset<Row> apply(Dataset<Row> train, AugmentSettings s, DatasetSchema schema, long seed) {
    List<String> present = Arrays.asList(train.columns());
    List<String> required = new ArrayList<>(List.of(Lineage.RECORD_ID, schema.labelColumn()));
    if (s.text().enabled()) {
      required.addAll(s.text().columns());
    }
    for (String c : required) {
      LakepipeErrors.checkArgument(present.contains(c),
          "Cannot augment the training split: column '%s' is missing (it has: %s)", c, String.join(", ", present));
    }
    for (String c : List.of(AUGMENTED, AUGMENTATION, AUGMENTED_FROM)) {
      LakepipeErrors.checkArgument(!present.contains(c),
          "Cannot augment the training split: it already has column '%s'; augment original rows only", c);
    }
    SparkSession spark = train.sparkSession();
    StructType out = markOriginal(train).schema();
    if (!s.enabled()) {
      return spark.createDataFrame(List.of(), out);
    }

    // The dictionary first: a bad synonyms file fails before any Spark job runs.
    Synonyms synonyms = s.text().enabled() && s.text().replacesSynonyms()
        ? Synonyms.load(spark.sparkContext().hadoopConfiguration(), s.text().synonymsFile())
        : Synonyms.EMPTY;
    String label = schema.labelColumn();
    Map<String, Long> classes = classCounts(train, label);
    Map<String, Long> textCopies = new TreeMap<>();
    List<Dataset<Row>> parts = new ArrayList<>();
    if (s.text().enabled()) {
      for (String l : s.text().labels()) {
        if (!classes.containsKey(l)) {
          LOG.warn("augment: features.augment.text.labels names '{}', which no training row has (labels: {})", l,
              classes.keySet());
        }
      }
      classes.forEach((c, n) -> textCopies.put(c,
          s.text().labels().isEmpty() || s.text().labels().contains(c) ? n * s.text().copies() : 0L));
      parts.add(textCopies(train, s.text(), synonyms, label, seed));
    }
    Map<String, Long> oversampled = new TreeMap<>();
    if (s.oversample()) {
      Map<String, Long> total = new TreeMap<>();
      classes.forEach((c, n) -> total.put(c, n + textCopies.getOrDefault(c, 0L)));
      long max = total.values().stream().mapToLong(Long::longValue).max().orElse(0L);
      total.forEach((c, n) -> {
        if (n < max) {
          oversampled.put(c, max - n);
        }
      });
      if (!oversampled.isEmpty()) {
        parts.add(oversample(train, label, classes, oversampled, seed));
      }
    }
    LOG.info("augment: train classes {}; text copies {}; oversampled copies {}", classes, textCopies, oversampled);
    Dataset<Row> all = parts.isEmpty() ? spark.createDataFrame(List.of(), out) : parts.get(0);
    for (int i = 1; i < parts.size(); i++) {
      all = all.unionByName(parts.get(i));
    }
    return all;
  }

  /** Labelled rows per class; one row per class reaches the driver. */
  private static Map<String, Long> classCounts(Dataset<Row> train, String label) {
    Map<String, Long> counts = new TreeMap<>();
    Column l = col(label).cast(DataTypes.StringType);
    for (Row r : train.filter(l.isNotNull()).groupBy(l).count().collectAsList()) {
      counts.put(r.getString(0), r.getLong(1));
    }
    return counts;
  }

  private static Dataset<Row> textCopies(Dataset<Row> train, AugmentSettings.Text t, Synonyms synonyms,
      String label, long seed) {
    LOG.info("augment: {} text copies per row of {} with synonyms ({} words), deletion rate {}, {} swaps",
        t.copies(), t.labels().isEmpty() ? "every class" : t.labels(), synonyms.size(), t.deletionRate(), t.swaps());
    Broadcast<Synonyms> dictionary =
        JavaSparkContext.fromSparkContext(train.sparkSession().sparkContext()).broadcast(synonyms);

    List<StructField> fields = new ArrayList<>();
    for (String c : t.columns()) {
      fields.add(DataTypes.createStructField(c, DataTypes.StringType, true));
    }
    fields.add(DataTypes.createStructField(OPS, DataTypes.StringType, false));
    UserDefinedFunction perturb = udf(new PerturbRow(t, dictionary), DataTypes.createStructType(fields));

    Dataset<Row> selected = t.labels().isEmpty() ? train : train.filter(col(label).isin(t.labels().toArray()));
    Column texts = struct(t.columns().stream().map(c -> col(c)).toArray(Column[]::new));
    Dataset<Row> copies = selected
        .withColumn(COPY, explode(sequence(lit(0), lit(t.copies() - 1))))
        .withColumn(RESULT, perturb.apply(xxhash64(lit(seed), col(Lineage.RECORD_ID), col(COPY)), texts));
    for (String c : t.columns()) {
      copies = copies.withColumn(c, col(RESULT + "." + c));
    }
    return newRows(copies.withColumn(AUGMENTATION, concat(lit(TEXT + ":"), col(RESULT + "." + OPS))), TEXT)
        .drop(RESULT);
  }

  private static Dataset<Row> oversample(Dataset<Row> train, String label, Map<String, Long> classes,
      Map<String, Long> need, long seed) {
    // Per class: originals n and copies needed; every row gets need / n, the first need % n one more.
    long all = need.keySet().stream().mapToLong(classes::get).sum();
    Column n = lit(null).cast(DataTypes.LongType);
    Column needed = lit(null).cast(DataTypes.LongType);
    Column subs = lit(null).cast(DataTypes.LongType);
    for (Map.Entry<String, Long> e : need.entrySet()) {
      n = when(col(label).equalTo(e.getKey()), lit(classes.get(e.getKey()))).otherwise(n);
      needed = when(col(label).equalTo(e.getKey()), lit(e.getValue())).otherwise(needed);
      subs = when(col(label).equalTo(e.getKey()), lit(PrefixSum.subBuckets(classes.get(e.getKey()), all)))
          .otherwise(subs);
    }
    // The rank is the count of the class's rows before the row in (hash, record id) order: row_number() - 1 of
    // a window partitioned by label, taken by PrefixSum over sub-buckets of the hash range so that a class is
    // ranked in many tasks. The hash's position in [0, 1] (Long.MIN_VALUE at 0) is non-decreasing in the hash.
    Column hash = xxhash64(lit(seed), col(Lineage.RECORD_ID));
    Column position = hash.cast(DataTypes.DoubleType).divide(lit(Math.pow(2, 64))).plus(lit(0.5));
    Dataset<Row> ranked = PrefixSum.before(train.filter(col(label).isin(need.keySet().toArray())), label,
        PrefixSum.subBucket(position, subs), lit(1L), RANK, hash, col(Lineage.RECORD_ID));
    Dataset<Row> copies = ranked
        .withColumn(COPIES, floor(needed.divide(n)).cast(DataTypes.LongType)
            .plus(when(col(RANK).lt(needed.mod(n)), 1).otherwise(0)))
        .filter(col(COPIES).gt(0))
        .withColumn(COPY, explode(sequence(lit(0L), col(COPIES).minus(1))))
        .withColumn(AUGMENTATION, lit(OVERSAMPLE));
    return newRows(copies, OVERSAMPLE).drop(RANK, COPIES);
  }

  /** Sets the new row's lineage and flag columns; drops the copy index. */
  private static Dataset<Row> newRows(Dataset<Row> copies, String kind) {
    return copies
        .withColumn(AUGMENTED, lit(true))
        .withColumn(AUGMENTED_FROM, col(Lineage.RECORD_ID))
        .withColumn(Lineage.RECORD_ID, Lineage.stableHash(col(AUGMENTED_FROM), lit(kind), col(COPY)))
        .select(selectOrder(copies))
        .drop(COPY);
  }

  private static Column[] selectOrder(Dataset<Row> copies) {
    List<String> cols = Arrays.stream(copies.columns())
        .filter(c -> !c.equals(AUGMENTATION))
        .collect(Collectors.toCollection(ArrayList::new));
    cols.addAll(List.of(AUGMENTED, AUGMENTATION, AUGMENTED_FROM));
    return cols.stream().map(c -> col(c)).toArray(Column[]::new);
  }

  /** (row seed, text columns) to (perturbed text columns, names of the operations that changed them). */
  private static final class PerturbRow implements UDF2<Long, Row, Row> {

    private static final long serialVersionUID = 1L;

    private final AugmentSettings.Text settings;
    private final Broadcast<Synonyms> synonyms;

    PerturbRow(AugmentSettings.Text settings, Broadcast<Synonyms> synonyms) {
      this.settings = settings;
      this.synonyms = synonyms;
    }

    @Override
    public Row call(Long seed, Row texts) {
      SplittableRandom rng = new SplittableRandom(seed);
      EnumSet<TextPerturbation.Op> changed = EnumSet.noneOf(TextPerturbation.Op.class);
      Object[] out = new Object[texts.size() + 1];
      for (int i = 0; i < texts.size(); i++) {
        out[i] = TextPerturbation.perturb(texts.getString(i), settings, synonyms.value(), rng, changed);
      }
      out[texts.size()] = changed.isEmpty()
          ? "unchanged"
          : changed.stream().map(TextPerturbation.Op::id).collect(Collectors.joining(","));
      return RowFactory.create(out);
    }
  }
}
