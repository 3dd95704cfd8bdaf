package dev.lakepipe.features;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.asc;
import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.desc;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.isnan;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import dev.lakepipe.core.LakepipeErrors;
import dev.lakepipe.core.Persisted;
import dev.lakepipe.core.config.DatasetSchema;
import dev.lakepipe.features.FeatureSettings.CategoricalColumn;
import dev.lakepipe.features.FeatureSettings.Encoding;
import dev.lakepipe.features.FeatureSettings.Impute;
import dev.lakepipe.features.FeatureSettings.Representation;
import dev.lakepipe.features.FeatureSettings.TimePart;
import dev.lakepipe.features.FeatureSettings.Tokenizer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.spark.SparkContext;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.feature.FeatureHasher;
import org.apache.spark.ml.feature.HashingTF;
import org.apache.spark.ml.feature.IDF;
import org.apache.spark.ml.feature.IDFModel;
import org.apache.spark.ml.feature.NGram;
import org.apache.spark.ml.feature.OneHotEncoder;
import org.apache.spark.ml.feature.RegexTokenizer;
import org.apache.spark.ml.feature.SQLTransformer;
import org.apache.spark.ml.feature.StandardScaler;
import org.apache.spark.ml.feature.StandardScalerModel;
import org.apache.spark.ml.feature.StringIndexerModel;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;

/**
 * Fits the feature pipeline on the train rows and returns it as {@link FittedFeatures}, which transforms any
 * rows (train, validation, test, new unlabelled data) identically.
 *
 * <h2>What is learned, and from which rows</h2>
 * Everything is learned from the rows passed to {@link #fit}, which must be the train split only: the IDF
 * weights, the sequence vocabulary, the numeric fill values, the scaler's mean and std, the kept categories,
 * the label list and the class weights. Validation and test rows never influence a number they are later scored
 * with; that is the point of fitting here and not on the whole dataset.
 *
 * <h2>The stages</h2>
 * <ol>
 *   <li>one {@code SQLTransformer}: the document ({@code features.text.columns} joined with "\n", nulls
 *       skipped; for char n-grams whitespace runs collapsed to one space and trimmed), the imputed numeric
 *       values and their missing indicators (null or NaN), and the UTC event-time parts;</li>
 *   <li>text: {@code RegexTokenizer} (words: {@code (?U)\w+(?:['’]\w+)*}, i.e. Unicode letters, digits and
 *       marks with inner apostrophes kept; char-ngrams: every character), {@code NGram} when n &gt; 1, then
 *       {@code HashingTF} + {@code IDF} (tfidf) or
 *       {@link SequenceIndexer} (sequence, output {@code text_ids});</li>
 *   <li>numeric: {@code VectorAssembler} + {@code StandardScaler} (withMean, withStd: the sample std);</li>
 *   <li>categorical: for the one-hot and index columns one {@code StringIndexerModel} built from the kept train
 *       values ({@link #fitCategories}: at least {@code min-category-rows} rows, then the {@code max-categories}
 *       most frequent, ties by value; slots alphabetical, {@code handleInvalid = keep}) and, for one-hot,
 *       {@code OneHotEncoder} with {@code dropLast = false}; for each hashed column a {@code FeatureHasher};</li>
 *   <li>a final {@code VectorAssembler} into {@code features}.</li>
 * </ol>
 * All stages are built-in Spark ML stages except {@link SequenceIndexer}, so a tfidf pipeline loads with plain
 * {@code PipelineModel.load}; a sequence pipeline does too, with this module on the classpath.
 *
 * <h2>Vector layout of {@code features}</h2>
 * Segments in this order; a segment is absent when its settings leave it empty:
 * <ol>
 *   <li>text, tfidf only: {@code num-features} slots; term t lands in slot {@code HashingTF.indexOf(t)}
 *       (MurmurHash3 of the token or n-gram, as {@code NGram} joins them: with single spaces);</li>
 *   <li>numeric: one slot per {@code features.numeric.columns}, in that order: the value, missing values
 *       replaced by the fill, then standardized {@code (x - mean) / std} (a column with std 0 gives 0);</li>
 *   <li>missing indicators: one 0/1 slot per numeric column, same order (1 = null or NaN before imputing);</li>
 *   <li>categorical, per {@code features.categorical.columns} in that order: one-hot: k + 1 slots, the k kept
 *       train categories alphabetically then "unknown" (null, unseen in train, or not kept); index: one slot
 *       holding 0..k-1, or k for unknown; hashed: {@code hash-buckets} slots, 1.0 in slot
 *       {@code nonNegativeMod(murmur3_x86_32(UTF-8 "column=value", seed 42), hash-buckets)} (Spark's
 *       {@code FeatureHasher}; the same on every JVM), all 0 for null;</li>
 *   <li>event time: one slot per {@code features.event-time.parts}, in that order, as plain numbers in UTC
 *       (not scaled), then one 0/1 slot "event time missing" (whose parts are then 0).</li>
 * </ol>
 * {@link FittedFeatures#statistics()} gives the actual slot ranges under {@code vector.layout}.
 *
 * <h2>Cost and determinism</h2>
 * Fitting persists the train rows (unless the caller already did) and runs a handful of Spark jobs: one
 * aggregation for label counts, one for numeric counts and means, for medians one distributed sort, one
 * aggregation of (column, value) counts for all categorical columns plus one small job per one-hot or index
 * column to pick its kept values, one each for IDF, scaler and vocabulary. Nothing that grows with the row
 * count reaches the driver: only counts, one median per column, at most {@code vocabulary-size} tokens and the
 * kept categories (at most {@code max-categories} per column; without a limit every distinct train value with
 * {@code min-category-rows} rows, so such a column with very many values makes a wide one-hot segment and a
 * large model: set {@code max-categories} or use {@code hashed}). The median is exact (the lower median, the
 * ceil(n/2)-th smallest valid value) rather than Spark {@code Imputer}'s approxQuantile, whose result moves with
 * the partitioning once a column has more than a few hundred values (measured: 300k values gave four different
 * medians for 1, 3, 7 and 16 partitions). Categories are chosen by count then value and, like labels, ordered
 * alphabetically; the vocabulary by count then token. So the same train rows give the same model for any
 * partitioning; means and standard deviations are sums of doubles and can differ in the last bits.
 */
public final class FeaturePipeline {

  private static final Logger LOG = LoggerFactory.getLogger(FeaturePipeline.class);

  /** The vector column added by {@link FittedFeatures#transform}. */
  public static final String FEATURES = "features";
  /** The token-id column added in sequence mode. */
  public static final String TEXT_IDS = "text_ids";
  /** Added by {@link FittedFeatures#indexLabels}. */
  public static final String LABEL_INDEX = "label_index";
  /** Added by {@link FittedFeatures#withWeights}. */
  public static final String WEIGHT = "weight";

  /** Prefix of intermediate columns; {@link FittedFeatures#transform} drops them. */
  static final String INTERMEDIATE = "__features_";
  /** Unicode words: letters, digits, marks and connectors, with inner apostrophes kept ("don't"). */
  static final String WORD_PATTERN = "(?U)\\w+(?:['\u2019]\\w+)*";
  static final String CHAR_PATTERN = "(?s).";
  static final int VALUES_IN_STATISTICS = 20;

  private static final String DOC = INTERMEDIATE + "doc";
  private static final String TOKENS = INTERMEDIATE + "tokens";
  private static final String NGRAMS = INTERMEDIATE + "ngrams";
  private static final String TF = INTERMEDIATE + "tf";
  private static final String TFIDF = INTERMEDIATE + "tfidf";
  private static final String NUMERIC_RAW = INTERMEDIATE + "numeric_raw";
  private static final String NUMERIC_SCALED = INTERMEDIATE + "numeric_scaled";
  private static final String TIME_MISSING = INTERMEDIATE + "time_missing";

  private FeaturePipeline() {}

  /**
   * Fits on {@code train} (the train split only) and returns the fitted pipeline. {@code train} must hold the
   * columns the settings name, the label column and, with event-time parts, the event-time column. Rows
   * without a label still count for the features (IDF, fills, scaler, categories) but not for labels and class
   * weights; at least one row must have a label.
   */
  public static FittedFeatures fit(Dataset<Row> train, FeatureSettings s, DatasetSchema schema) {
    LakepipeErrors.checkArgument(s.eventTimeParts().isEmpty() || schema.eventTimeColumn() != null,
        "Cannot fit features: event-time parts %s need an event-time column, and dataset %s has none",
        s.eventTimeParts().stream().map(FeatureSettings::confName).toList(), schema.name());
    List<String> needed = new ArrayList<>(inputColumns(s, schema.eventTimeColumn()));
    needed.add(schema.labelColumn());
    requireColumns(train, needed, "fit features on the train rows");
    SparkContext sc = train.sparkSession().sparkContext();
    String previousDescription = sc.getLocalProperty("spark.job.description");
    sc.setJobDescription("features: fit the feature pipeline on the train rows");
    boolean persistHere = train.storageLevel().equals(StorageLevel.NONE());
    Dataset<Row> rows = persistHere ? train.persist(StorageLevel.MEMORY_AND_DISK()) : train;
    try {
      return fitPersisted(rows, s, schema);
    } finally {
      if (persistHere) {
        rows.unpersist();
      }
      sc.setLocalProperty("spark.job.description", previousDescription);
    }
  }

  private static FittedFeatures fitPersisted(Dataset<Row> train, FeatureSettings s, DatasetSchema schema) {
    String label = schema.labelColumn();
    Map<String, Long> labelCounts = new TreeMap<>();
    long rowCount = 0;
    for (Row r : train.groupBy(col(label)).count().collectAsList()) {
      rowCount += r.getLong(1);
      if (!r.isNullAt(0)) {
        labelCounts.put(r.getString(0), r.getLong(1));
      }
    }
    if (labelCounts.isEmpty()) {
      throw LakepipeErrors.jobFailed("fit features", String.format(Locale.ROOT,
          "none of the %d train rows has a label in column '%s'. Check the split: train rows must be labelled.",
          rowCount, label), null);
    }

    NumericFit numeric = fitNumeric(train, s.numeric(), rowCount);
    Map<String, ColumnCategories> categories = fitCategories(train, s.categorical(), rowCount);
    List<PipelineStage> stages = stages(s, schema.eventTimeColumn(), numeric.fills(), categories);
    PipelineModel model = new Pipeline().setStages(stages.toArray(new PipelineStage[0])).fit(train);

    List<String> labels = List.copyOf(labelCounts.keySet());
    Map<String, Double> weights = ClassWeights.of(s.classWeights(), labelCounts);
    Map<String, String> stats = new LinkedHashMap<>();
    stats.put("rows", Long.toString(rowCount));
    stats.put("labels", String.join(", ", labels));
    labelCounts.forEach((l, n) -> stats.put("label." + l + ".rows", Long.toString(n)));
    weights.forEach((l, w) -> stats.put("class-weight." + l, Double.toString(w)));
    Layout layout = new Layout();
    textStatistics(model, s.text(), stats, layout);
    numericStatistics(model, s.numeric(), numeric, stats, layout);
    categoricalStatistics(s.categorical(), categories, stats, layout);
    if (!s.eventTimeParts().isEmpty()) {
      stats.put("event-time.parts", s.eventTimeParts().stream().map(FeatureSettings::confName)
          .collect(Collectors.joining(", ")));
      s.eventTimeParts().forEach(p -> layout.add("event-time." + FeatureSettings.confName(p), 1));
      layout.add("event-time.missing", 1);
    }
    stats.put("vector.size", Integer.toString(layout.size()));
    stats.put("vector.layout", layout.toString());

    FittedFeatures.Metadata metadata = new FittedFeatures.Metadata(FittedFeatures.FORMAT, s, label,
        schema.eventTimeColumn(), labels, labelCounts, weights, layout.size(), stats);
    LOG.info("features: fitted on {} train rows: {} labels ({}), vector size {}", rowCount, labels.size(),
        String.join(", ", labels), layout.size());
    return new FittedFeatures(model, metadata);
  }

  /** The input columns {@link FittedFeatures#transform} reads. */
  static List<String> inputColumns(FeatureSettings s, String eventTimeColumn) {
    List<String> out = new ArrayList<>(s.text().columns());
    out.addAll(s.numeric().columns());
    out.addAll(s.categorical().columns());
    if (!s.eventTimeParts().isEmpty()) {
      out.add(eventTimeColumn);
    }
    return out;
  }

  static void requireColumns(Dataset<Row> rows, List<String> needed, String action) {
    List<String> have = List.of(rows.columns());
    List<String> missing = needed.stream().filter(c -> !have.contains(c)).distinct().toList();
    if (!missing.isEmpty()) {
      throw LakepipeErrors.jobFailed(action, String.format(Locale.ROOT,
          "the rows have no %s %s (they have: %s). Pass rows with the dataset's canonical columns, "
              + "or change the features settings.",
          missing.size() == 1 ? "column" : "columns",
          missing.stream().map(c -> "'" + c + "'").collect(Collectors.joining(", ")), String.join(", ", have)),
          null);
    }
  }

  // ---- numeric fill values -------------------------------------------------------------------------------

  /** Per numeric column: the fill value and how many train rows missed a value. */
  private record NumericFit(Map<String, Double> fills, Map<String, Long> missing) {}

  private static Column valid(Column c) {
    return c.isNotNull().and(not(isnan(c)));
  }

  private static NumericFit fitNumeric(Dataset<Row> train, FeatureSettings.Numeric s, long rowCount) {
    List<String> columns = s.columns();
    if (columns.isEmpty()) {
      return new NumericFit(Map.of(), Map.of());
    }
    List<Column> aggs = new ArrayList<>();
    for (String c : columns) {
      Column v = col(c).cast("double");
      aggs.add(count(when(valid(v), lit(1))));
      aggs.add(avg(when(valid(v), v)));
    }
    Row r = train.agg(aggs.get(0), aggs.subList(1, aggs.size()).toArray(new Column[0])).first();
    Map<String, Long> validCounts = new LinkedHashMap<>();
    Map<String, Double> means = new LinkedHashMap<>();
    Map<String, Long> missing = new LinkedHashMap<>();
    for (int i = 0; i < columns.size(); i++) {
      String c = columns.get(i);
      long n = r.getLong(2 * i);
      if (n == 0) {
        throw LakepipeErrors.jobFailed("fit features", String.format(Locale.ROOT,
            "numeric column '%s' has no value in any of the %d train rows, so there is nothing to fill missing "
                + "values with. Remove it from features.numeric.columns or fix the data.", c, rowCount), null);
      }
      validCounts.put(c, n);
      means.put(c, r.getDouble(2 * i + 1));
      missing.put(c, rowCount - n);
    }
    Map<String, Double> fills = s.impute() == Impute.MEAN ? means : exactMedians(train, columns, validCounts);
    return new NumericFit(Collections.unmodifiableMap(fills), Collections.unmodifiableMap(missing));
  }

  /**
   * The lower median (the ceil(n/2)-th smallest valid value) of each column, exactly: the valid values of all
   * columns, tagged with their column's position, are sorted once (a range-partitioned, spilling sort), numbered
   * in that order and the wanted ranks picked. Only one value per column reaches the driver.
   */
  private static Map<String, Double> exactMedians(Dataset<Row> train, List<String> columns,
      Map<String, Long> validCounts) {
    List<Column> tagged = new ArrayList<>();
    for (int i = 0; i < columns.size(); i++) {
      tagged.add(struct(lit(i).as("i"), col(columns.get(i)).cast("double").as("v")));
    }
    Dataset<Row> values = train.select(explode(array(tagged.toArray(new Column[0]))).as("p"))
        .select(col("p.i").as("i"), col("p.v").as("v"))
        .where(valid(col("v")))
        .orderBy("i", "v");
    // Global position of each column's median in the sorted values: the counts of earlier columns + rank - 1.
    Map<Long, Integer> wanted = new HashMap<>();
    long offset = 0;
    for (int i = 0; i < columns.size(); i++) {
      long n = validCounts.get(columns.get(i));
      wanted.put(offset + (n + 1) / 2 - 1, i);
      offset += n;
    }
    List<Tuple2<Row, Long>> picked = values.javaRDD().zipWithIndex()
        .filter(t -> wanted.containsKey(t._2()))
        .collect();
    Map<String, Double> out = new LinkedHashMap<>();
    columns.forEach(c -> out.put(c, null));
    for (Tuple2<Row, Long> t : picked) {
      out.put(columns.get(t._1().getInt(0)), t._1().getDouble(1));
    }
    return out;
  }

  // ---- categories ----------------------------------------------------------------------------------------

  /**
   * What the train rows say about one categorical column.
   *
   * @param kept one-hot and index: the kept values in slot order (alphabetical); empty for hashed
   * @param trainValues distinct non-null train values
   * @param nullRows train rows with a null value
   * @param unknownRows one-hot and index: train rows in the unknown slot (null, or a value not kept)
   */
  record ColumnCategories(List<String> kept, long trainValues, long nullRows, long unknownRows) {}

  /**
   * Counts the train rows of every value of every categorical column in one aggregation over (column, value)
   * pairs, then picks each one-hot or index column's kept values: those with at least {@code min-category-rows}
   * rows, then the {@code max-categories} with the most rows, ties broken by the value in Spark's string order
   * (by Unicode code point). A limited column is one top-k job ({@code orderBy(...).limit(k)}: each partition
   * keeps its k best, the driver merges them), so at most k values per partition reach the driver; an unlimited
   * column brings every value it keeps, as Spark's {@code StringIndexer} would.
   */
  static Map<String, ColumnCategories> fitCategories(Dataset<Row> train, FeatureSettings.Categorical s,
      long rowCount) {
    List<String> columns = s.columns();
    if (columns.isEmpty()) {
      return Map.of();
    }
    List<Column> tagged = new ArrayList<>();
    for (int i = 0; i < columns.size(); i++) {
      tagged.add(struct(lit(i).as("i"), col(quote(columns.get(i))).cast("string").as("v")));
    }
    try (Persisted persisted = new Persisted()) {
      Dataset<Row> counts = persisted.keep(train.select(explode(array(tagged.toArray(new Column[0]))).as("p"))
          .select(col("p.i").as("i"), col("p.v").as("v"))
          .where(col("v").isNotNull())
          .groupBy("i", "v").count());
      Map<Integer, Row> perColumn = new HashMap<>();
      counts.groupBy("i").agg(count(lit(1)), sum("count")).collectAsList()
          .forEach(r -> perColumn.put(r.getInt(0), r));
      Map<String, ColumnCategories> out = new LinkedHashMap<>();
      for (int i = 0; i < columns.size(); i++) {
        String c = columns.get(i);
        Row summary = perColumn.get(i);
        long values = summary == null ? 0 : summary.getLong(1);
        long nullRows = rowCount - (summary == null ? 0 : summary.getLong(2));
        CategoricalColumn settings = s.column(c);
        if (!settings.encoding().keepsCategories()) {
          out.put(c, new ColumnCategories(List.of(), values, nullRows, nullRows));
          continue;
        }
        Dataset<Row> candidates = counts.where(col("i").equalTo(i).and(col("count").geq(settings.minCategoryRows())));
        if (settings.maxCategories() != FeatureSettings.NO_LIMIT) {
          candidates = candidates.orderBy(desc("count"), asc("v")).limit(settings.maxCategories());
        }
        List<String> kept = new ArrayList<>();
        long keptRows = 0;
        for (Row r : candidates.select("v", "count").collectAsList()) {
          kept.add(r.getString(0));
          keptRows += r.getLong(1);
        }
        Collections.sort(kept);
        out.put(c, new ColumnCategories(List.copyOf(kept), values, nullRows, rowCount - keptRows));
      }
      return out;
    }
  }

  // ---- stages --------------------------------------------------------------------------------------------

  private static List<PipelineStage> stages(FeatureSettings s, String eventTime, Map<String, Double> fills,
      Map<String, ColumnCategories> categories) {
    List<PipelineStage> stages = new ArrayList<>();
    List<String> assembled = new ArrayList<>();
    stages.add(new SQLTransformer().setStatement(prepareStatement(s, eventTime, fills)));

    FeatureSettings.Text text = s.text();
    if (text.enabled()) {
      boolean chars = text.tokenizer() == Tokenizer.CHAR_NGRAMS;
      stages.add(new RegexTokenizer()
          .setInputCol(DOC)
          .setOutputCol(TOKENS)
          .setGaps(false)
          .setPattern(chars ? CHAR_PATTERN : WORD_PATTERN)
          .setMinTokenLength(1)
          .setToLowercase(text.lowercase()));
      String terms = TOKENS;
      if (text.ngramSize() > 1) {
        stages.add(new NGram().setN(text.ngramSize()).setInputCol(TOKENS).setOutputCol(NGRAMS));
        terms = NGRAMS;
      }
      if (text.representation() == Representation.TFIDF) {
        stages.add(new HashingTF().setInputCol(terms).setOutputCol(TF).setNumFeatures(text.numFeatures()));
        stages.add(new IDF().setInputCol(TF).setOutputCol(TFIDF).setMinDocFreq(text.minDocFreq()));
        assembled.add(TFIDF);
      } else {
        stages.add(new SequenceIndexer().setInputCol(terms).setOutputCol(TEXT_IDS)
            .setVocabularySize(text.vocabularySize()).setMaxLength(text.maxLength()));
      }
    }

    FeatureSettings.Numeric numeric = s.numeric();
    if (!numeric.columns().isEmpty()) {
      String[] imputed = numeric.columns().stream().map(FeaturePipeline::imputedColumn).toArray(String[]::new);
      if (numeric.standardize()) {
        stages.add(new VectorAssembler().setInputCols(imputed).setOutputCol(NUMERIC_RAW));
        stages.add(new StandardScaler().setInputCol(NUMERIC_RAW).setOutputCol(NUMERIC_SCALED)
            .setWithMean(true).setWithStd(true));
        assembled.add(NUMERIC_SCALED);
      } else {
        assembled.addAll(List.of(imputed));
      }
      if (numeric.missingIndicators()) {
        numeric.columns().forEach(c -> assembled.add(missingColumn(c)));
      }
    }

    stages.addAll(categoricalStages(s.categorical(), categories));
    s.categorical().columns().forEach(c -> assembled.add(categoricalColumn(c, s.categorical().column(c))));

    if (!s.eventTimeParts().isEmpty()) {
      s.eventTimeParts().forEach(p -> assembled.add(timeColumn(p)));
      assembled.add(TIME_MISSING);
    }
    stages.add(new VectorAssembler().setInputCols(assembled.toArray(new String[0])).setOutputCol(FEATURES));
    return stages;
  }

  /**
   * One {@code StringIndexerModel} built from the kept values (handleInvalid = keep: every other value and null
   * get index k) for the one-hot and index columns, a {@code OneHotEncoder} (dropLast = false) for the one-hot
   * ones, and one {@code FeatureHasher} per hashed column. The kept values live in the indexer model, so they
   * are saved and loaded with the pipeline.
   */
  private static List<PipelineStage> categoricalStages(FeatureSettings.Categorical categorical,
      Map<String, ColumnCategories> categories) {
    List<PipelineStage> stages = new ArrayList<>();
    List<String> indexed = categorical.columns().stream()
        .filter(c -> categorical.column(c).encoding().keepsCategories()).toList();
    if (!indexed.isEmpty()) {
      String[][] labels = indexed.stream().map(c -> categories.get(c).kept().toArray(new String[0]))
          .toArray(String[][]::new);
      stages.add(new StringIndexerModel(labels)
          .setInputCols(indexed.toArray(new String[0]))
          .setOutputCols(indexed.stream().map(FeaturePipeline::indexColumn).toArray(String[]::new))
          .setHandleInvalid("keep"));
    }
    List<String> oneHot = categorical.columns().stream()
        .filter(c -> categorical.column(c).encoding() == Encoding.ONE_HOT).toList();
    if (!oneHot.isEmpty()) {
      stages.add(new OneHotEncoder()
          .setInputCols(oneHot.stream().map(FeaturePipeline::indexColumn).toArray(String[]::new))
          .setOutputCols(oneHot.stream().map(FeaturePipeline::oneHotColumn).toArray(String[]::new))
          .setDropLast(false));
    }
    for (String c : categorical.columns()) {
      CategoricalColumn settings = categorical.column(c);
      if (settings.encoding() == Encoding.HASHED) {
        stages.add(new FeatureHasher().setInputCols(new String[] {c}).setOutputCol(hashedColumn(c))
            .setNumFeatures(settings.hashBuckets()));
      }
    }
    return stages;
  }

  /** The intermediate column that holds {@code c}'s part of the vector. */
  private static String categoricalColumn(String c, CategoricalColumn settings) {
    return switch (settings.encoding()) {
      case ONE_HOT -> oneHotColumn(c);
      case INDEX -> indexColumn(c);
      case HASHED -> hashedColumn(c);
    };
  }

  private static String indexColumn(String c) {
    return INTERMEDIATE + "index_" + c;
  }

  private static String oneHotColumn(String c) {
    return INTERMEDIATE + "onehot_" + c;
  }

  private static String hashedColumn(String c) {
    return INTERMEDIATE + "hashed_" + c;
  }

  private static String imputedColumn(String c) {
    return INTERMEDIATE + "num_" + c;
  }

  private static String missingColumn(String c) {
    return INTERMEDIATE + "missing_" + c;
  }

  private static String timeColumn(TimePart p) {
    return INTERMEDIATE + "time_" + p.name().toLowerCase(Locale.ROOT);
  }

  private static String quote(String column) {
    return "`" + column.replace("`", "``") + "`";
  }

  /**
   * The one SQL stage: document, imputed numerics and indicators, event-time parts. Fill values are written as
   * {@code CAST('<Double.toString>' AS DOUBLE)}, which reads back the exact double. Event-time parts are computed
   * from the epoch seconds, never from the session time zone, so they are UTC wherever the model is used.
   */
  static String prepareStatement(FeatureSettings s, String eventTime, Map<String, Double> fills) {
    List<String> select = new ArrayList<>();
    select.add("*");
    if (s.text().enabled()) {
      String joined = "concat_ws('\\n', " + s.text().columns().stream().map(FeaturePipeline::quote)
          .collect(Collectors.joining(", ")) + ")";
      select.add((s.text().tokenizer() == Tokenizer.CHAR_NGRAMS
          ? "trim(regexp_replace(" + joined + ", '(?U)\\\\s+', ' '))"
          : joined) + " AS " + quote(DOC));
    }
    for (String c : s.numeric().columns()) {
      String missing = "(" + quote(c) + " IS NULL OR isnan(" + quote(c) + "))";
      select.add("CASE WHEN " + missing + " THEN CAST('" + fills.get(c) + "' AS DOUBLE) ELSE CAST(" + quote(c)
          + " AS DOUBLE) END AS " + quote(imputedColumn(c)));
      if (s.numeric().missingIndicators()) {
        select.add("CAST(" + missing + " AS DOUBLE) AS " + quote(missingColumn(c)));
      }
    }
    if (!s.eventTimeParts().isEmpty()) {
      String seconds = "unix_seconds(" + quote(eventTime) + ")";
      String utcDate = "date_from_unix_date(CAST(floor(" + seconds + " / 86400) AS INT))";
      for (TimePart p : s.eventTimeParts()) {
        String value = switch (p) {
          case HOUR -> "pmod(" + seconds + ", 86400) DIV 3600";
          case DAY_OF_WEEK -> "dayofweek(" + utcDate + ")";
          case DAY_OF_MONTH -> "dayofmonth(" + utcDate + ")";
          case MONTH -> "month(" + utcDate + ")";
          case YEAR -> "year(" + utcDate + ")";
        };
        select.add("CAST(coalesce(" + value + ", 0) AS DOUBLE) AS " + quote(timeColumn(p)));
      }
      select.add("CAST(" + quote(eventTime) + " IS NULL AS DOUBLE) AS " + quote(TIME_MISSING));
    }
    return "SELECT " + String.join(", ", select) + " FROM __THIS__";
  }

  // ---- statistics ----------------------------------------------------------------------------------------

  /** Named slot ranges of the features vector, in order. */
  private static final class Layout {
    private final List<String> parts = new ArrayList<>();
    private int size;

    void add(String name, int slots) {
      parts.add(name + " " + (slots == 1 ? Integer.toString(size) : size + "-" + (size + slots - 1)));
      size += slots;
    }

    int size() {
      return size;
    }

    @Override
    public String toString() {
      return String.join("; ", parts);
    }
  }

  private static <T extends Transformer> T stage(PipelineModel model, Class<T> type) {
    for (Transformer t : model.stages()) {
      if (type.isInstance(t)) {
        return type.cast(t);
      }
    }
    throw new IllegalStateException("no " + type.getSimpleName() + " in the fitted pipeline");
  }

  private static void textStatistics(PipelineModel model, FeatureSettings.Text text, Map<String, String> stats,
      Layout layout) {
    if (!text.enabled()) {
      stats.put("text.columns", "");
      return;
    }
    stats.put("text.columns", String.join(", ", text.columns()));
    stats.put("text.representation", FeatureSettings.confName(text.representation()));
    stats.put("text.tokenizer", FeatureSettings.confName(text.tokenizer()));
    stats.put("text.ngram-size", Integer.toString(text.ngramSize()));
    if (text.representation() == Representation.TFIDF) {
      IDFModel idf = stage(model, IDFModel.class);
      long used = java.util.Arrays.stream(idf.docFreq()).filter(df -> df >= Math.max(1, text.minDocFreq()))
          .count();
      stats.put("text.train-documents", Long.toString(idf.numDocs()));
      stats.put("text.vocabulary", Long.toString(used));
      stats.put("text.num-features", Integer.toString(text.numFeatures()));
      layout.add("text.tfidf", text.numFeatures());
    } else {
      List<String> vocabulary = stage(model, SequenceIndexerModel.class).vocabularyList();
      stats.put("text.vocabulary", Integer.toString(vocabulary.size()));
      stats.put("text.top-tokens", firstValues(vocabulary));
      stats.put("text.max-length", Integer.toString(text.maxLength()));
    }
  }

  private static void numericStatistics(PipelineModel model, FeatureSettings.Numeric numeric, NumericFit fit,
      Map<String, String> stats, Layout layout) {
    List<String> columns = numeric.columns();
    StandardScalerModel scaler = numeric.standardize() && !columns.isEmpty()
        ? stage(model, StandardScalerModel.class) : null;
    for (int i = 0; i < columns.size(); i++) {
      String c = columns.get(i);
      String key = "numeric." + c + ".";
      stats.put(key + "impute", FeatureSettings.confName(numeric.impute()));
      stats.put(key + "fill", Double.toString(fit.fills().get(c)));
      stats.put(key + "missing", Long.toString(fit.missing().get(c)));
      if (scaler != null) {
        stats.put(key + "mean", Double.toString(scaler.mean().apply(i)));
        stats.put(key + "std", Double.toString(scaler.std().apply(i)));
      }
      layout.add("numeric." + c, 1);
    }
    if (numeric.missingIndicators()) {
      columns.forEach(c -> layout.add("missing." + c, 1));
    }
  }

  private static void categoricalStatistics(FeatureSettings.Categorical categorical,
      Map<String, ColumnCategories> categories, Map<String, String> stats, Layout layout) {
    for (String c : categorical.columns()) {
      CategoricalColumn settings = categorical.column(c);
      ColumnCategories fit = categories.get(c);
      String key = "categorical." + c + ".";
      stats.put(key + "encoding", FeatureSettings.confName(settings.encoding()));
      stats.put(key + "train-values", Long.toString(fit.trainValues()));
      stats.put(key + "null-train-rows", Long.toString(fit.nullRows()));
      if (settings.encoding() == Encoding.HASHED) {
        stats.put(key + "hash-buckets", Integer.toString(settings.hashBuckets()));
        layout.add("categorical." + c, settings.hashBuckets());
      } else {
        stats.put(key + "categories", Integer.toString(fit.kept().size()));
        stats.put(key + "values", firstValues(fit.kept()));
        stats.put(key + "unknown-train-rows", Long.toString(fit.unknownRows()));
        layout.add("categorical." + c, settings.encoding() == Encoding.ONE_HOT ? fit.kept().size() + 1 : 1);
      }
    }
  }

  private static String firstValues(List<String> values) {
    String shown = String.join(", ", values.subList(0, Math.min(VALUES_IN_STATISTICS, values.size())));
    return values.size() > VALUES_IN_STATISTICS
        ? shown + ", ... (" + (values.size() - VALUES_IN_STATISTICS) + " more)"
        : shown;
  }
}
