package dev.lakepipe.features;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.desc;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.when;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.lakepipe.core.LakepipeErrors;
import dev.lakepipe.core.LakepipeException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A feature pipeline fitted on train rows by {@link FeaturePipeline#fit}: transforms any rows identically,
 * indexes and weighs labels, reports what it learned, and saves / loads with the run.
 *
 * <p>{@link #transform} keeps every input column and adds {@code features} (layout in {@link FeaturePipeline})
 * and, in sequence mode, {@code text_ids}; it needs no label, so it scores new unlabelled rows. Label indexing
 * and weights are separate steps because only labelled rows have them.
 *
 * <p>On disk ({@link #save}, any Hadoop path): {@code <path>/pipeline} is the Spark {@code PipelineModel}
 * ({@code PipelineModel.load} reads it); {@code <path>/metadata.json} holds the labels, label counts, class
 * weights, settings and statistics. What transform needs lives in the Spark stages, so the pipeline alone
 * transforms identically: e.g. the kept categories of each one-hot or index column are the labels of its
 * {@code StringIndexerModel}, saved and loaded by Spark. {@code metadata.json} is written last and removed
 * first, so a directory whose save was interrupted does not load.
 */
public final class FittedFeatures {

  private static final Logger LOG = LoggerFactory.getLogger(FittedFeatures.class);
  static final ObjectMapper JSON = new ObjectMapper()
      .enable(SerializationFeature.INDENT_OUTPUT)
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  static final int FORMAT = 1;
  static final String PIPELINE_DIR = "pipeline";
  static final String METADATA_FILE = "metadata.json";
  private static final int LABELS_IN_ERRORS = 10;

  /** Everything besides the Spark pipeline; the JSON of {@code metadata.json}. */
  record Metadata(int format, FeatureSettings settings, String labelColumn, String eventTimeColumn,
      List<String> labels, Map<String, Long> labelCounts, Map<String, Double> classWeights, int featureSize,
      Map<String, String> statistics) {

    Metadata {
      // Read-only copies in their order; nulls pass so load can report an incomplete file.
      labels = labels == null ? null : List.copyOf(labels);
      labelCounts = labelCounts == null ? null : Collections.unmodifiableMap(new LinkedHashMap<>(labelCounts));
      classWeights = classWeights == null ? null : Collections.unmodifiableMap(new LinkedHashMap<>(classWeights));
      statistics = statistics == null ? null : Collections.unmodifiableMap(new LinkedHashMap<>(statistics));
    }
  }

  private final PipelineModel model;
  private final Metadata metadata;

  FittedFeatures(PipelineModel model, Metadata metadata) {
    this.model = model;
    this.metadata = metadata;
  }

  /**
   * Adds {@code features} (and {@code text_ids} in sequence mode) to {@code rows}, keeping all their columns
   * in order. Needs the text, numeric, categorical (and, with event-time parts, event-time) columns of the
   * settings; not the label. Lazy: no Spark job runs here.
   */
  public Dataset<Row> transform(Dataset<Row> rows) {
    FeatureSettings s = metadata.settings();
    FeaturePipeline.requireColumns(rows, FeaturePipeline.inputColumns(s, metadata.eventTimeColumn()),
        "transform features");
    List<String> input = List.of(rows.columns());
    List<String> outputs = outputColumns();
    for (String c : outputs) {
      if (input.contains(c)) {
        throw LakepipeErrors.jobFailed("transform features", String.format(Locale.ROOT,
            "the rows already have a column '%s'. Drop it before transforming again.", c), null);
      }
    }
    List<Column> keep = new ArrayList<>();
    input.forEach(c -> keep.add(col(quote(c))));
    outputs.forEach(c -> keep.add(col(c)));
    return model.transform(rows).select(keep.toArray(new Column[0]));
  }

  /**
   * Adds {@code label_index} (double): the label's position in {@link #labels()}. Runs one Spark job that
   * checks every label is known: a label not seen in train (or a missing one) is an error naming the labels
   * and how many rows have them, rather than an index that silently means something else.
   */
  public Dataset<Row> indexLabels(Dataset<Row> rows) {
    requireKnownLabels(rows, "index labels");
    return rows.withColumn(FeaturePipeline.LABEL_INDEX, labelIndex());
  }

  /**
   * Adds {@code label_index} and {@code weight} with one label check (a scan of {@code rows}), where
   * {@link #indexLabels} then {@link #withWeights} would check twice.
   */
  public Dataset<Row> withLabels(Dataset<Row> rows) {
    requireKnownLabels(rows, "index and weigh labels");
    return rows.withColumn(FeaturePipeline.LABEL_INDEX, labelIndex())
        .withColumn(FeaturePipeline.WEIGHT, weight());
  }

  private Column labelIndex() {
    Column index = null;
    for (int i = 0; i < labels().size(); i++) {
      Column match = col(metadata.labelColumn()).equalTo(lit(labels().get(i)));
      index = index == null ? when(match, (double) i) : index.when(match, (double) i);
    }
    return index.cast("double");
  }

  /** Adds {@code weight} (double): the class weight of the row's label. Checks labels like {@link #indexLabels}. */
  public Dataset<Row> withWeights(Dataset<Row> rows) {
    requireKnownLabels(rows, "weigh rows");
    return rows.withColumn(FeaturePipeline.WEIGHT, weight());
  }

  private Column weight() {
    Column weight = null;
    for (Map.Entry<String, Double> e : classWeights().entrySet()) {
      Column match = col(metadata.labelColumn()).equalTo(lit(e.getKey()));
      weight = weight == null ? when(match, e.getValue()) : weight.when(match, e.getValue());
    }
    return weight.cast("double");
  }

  /** The train labels, alphabetically; {@code label_index} i means {@code labels().get(i)}. */
  public List<String> labels() {
    return metadata.labels();
  }

  /**
   * The index in {@link #labels()} of the most frequent train label (the first, alphabetically, on a tie):
   * what the majority-class baseline predicts.
   */
  public int majorityLabelIndex() {
    int majority = 0;
    long most = -1;
    for (int i = 0; i < labels().size(); i++) {
      long rows = metadata.labelCounts().getOrDefault(labels().get(i), 0L);
      if (rows > most) {
        most = rows;
        majority = i;
      }
    }
    return majority;
  }

  /** Label to weight, alphabetically by label ({@link ClassWeights}). */
  public Map<String, Double> classWeights() {
    return metadata.classWeights();
  }

  /** The length of every {@code features} vector. */
  public int featureSize() {
    return metadata.featureSize();
  }

  /** The settings the pipeline was fitted with, column lists resolved. */
  public FeatureSettings settings() {
    return metadata.settings();
  }

  /**
   * What was learned, for the run's manifest, as strings in a stable order:
   * <ul>
   *   <li>{@code rows} (train rows), {@code labels}, {@code label.<l>.rows}, {@code class-weight.<l>};</li>
   *   <li>{@code text.columns}, {@code text.representation}, {@code text.tokenizer}, {@code text.ngram-size};
   *       tfidf: {@code text.train-documents}, {@code text.vocabulary} (hashed slots that train terms use, at
   *       least min-doc-freq), {@code text.num-features}; sequence: {@code text.vocabulary} (tokens kept),
   *       {@code text.top-tokens} (the first 20), {@code text.max-length};</li>
   *   <li>{@code numeric.<c>.impute}, {@code .fill} (the value imputed), {@code .missing} (train rows
   *       missing it) and, when standardized, {@code .mean} and {@code .std}: the scaler's, in original units
   *       after imputation;</li>
   *   <li>{@code categorical.<c>.encoding}, {@code .train-values} (distinct non-null train values) and
   *       {@code .null-train-rows}; one-hot and index: {@code .categories} (how many kept), {@code .values} (the
   *       first 20, in slot order) and {@code .unknown-train-rows} (train rows in the unknown slot: null or not
   *       kept); hashed: {@code .hash-buckets};</li>
   *   <li>{@code event-time.parts}, {@code vector.size} and {@code vector.layout} (slot ranges by segment).</li>
   * </ul>
   */
  public Map<String, String> statistics() {
    return metadata.statistics();
  }

  /** Writes the pipeline and {@code metadata.json} under {@code path} (any Hadoop path), replacing them. */
  public void save(String path) {
    try {
      SparkSession spark = SparkSession.active();
      FileSystem fs = new Path(path).getFileSystem(spark.sparkContext().hadoopConfiguration());
      Path metadataPath = new Path(path, METADATA_FILE);
      fs.delete(metadataPath, false);
      model.write().overwrite().save(new Path(path, PIPELINE_DIR).toString());
      try (OutputStream out = fs.create(metadataPath, true)) {
        JSON.writeValue(out, metadata);
      }
      LOG.info("features: saved the fitted pipeline to {}", path);
    } catch (IOException e) {
      throw LakepipeErrors.jobFailed("save fitted features to " + path, e.getMessage()
          + ". Check that the path is writable.", e);
    }
  }

  /**
   * Reads what {@link #save} wrote under {@code path}. A path without {@code metadata.json}, an unreadable
   * {@code metadata.json} or pipeline gives an error naming the path.
   */
  public static FittedFeatures load(SparkSession spark, String path) {
    Metadata metadata;
    try {
      FileSystem fs = new Path(path).getFileSystem(spark.sparkContext().hadoopConfiguration());
      try (InputStream in = fs.open(new Path(path, METADATA_FILE))) {
        metadata = JSON.readValue(in, Metadata.class);
      }
    } catch (FileNotFoundException e) {
      throw cannotLoad(path, "there is no " + METADATA_FILE + " there. Pass the directory FittedFeatures.save "
          + "wrote (it holds " + PIPELINE_DIR + "/ and " + METADATA_FILE + "), or run the features stage again",
          e);
    } catch (IOException e) {
      throw cannotLoad(path, METADATA_FILE + " is not readable (" + e.getMessage() + "). Run the features stage "
          + "again to write it", e);
    }
    if (metadata.format() != FORMAT || metadata.settings() == null || metadata.labels() == null
        || metadata.labels().isEmpty() || metadata.classWeights() == null || metadata.statistics() == null) {
      throw cannotLoad(path, METADATA_FILE + " is not a fitted-features file of format " + FORMAT
          + ". Run the features stage again to write it", null);
    }
    PipelineModel model;
    try {
      model = PipelineModel.read().session(spark).load(new Path(path, PIPELINE_DIR).toString());
    } catch (Exception e) { // Spark rethrows Hadoop's checked IOExceptions undeclared
      throw cannotLoad(path, "the Spark pipeline under " + new Path(path, PIPELINE_DIR) + " is missing or "
          + "unreadable (" + e.getMessage() + "). Run the features stage again to write it", e);
    }
    return new FittedFeatures(model, metadata);
  }

  /** The Spark pipeline, for tests; its output keeps the intermediate {@code __features_*} columns. */
  PipelineModel pipelineModel() {
    return model;
  }

  Metadata metadata() {
    return metadata;
  }

  // ---- helpers -------------------------------------------------------------------------------------------

  private List<String> outputColumns() {
    FeatureSettings.Text text = metadata.settings().text();
    return text.enabled() && text.representation() == FeatureSettings.Representation.SEQUENCE
        ? List.of(FeaturePipeline.FEATURES, FeaturePipeline.TEXT_IDS)
        : List.of(FeaturePipeline.FEATURES);
  }

  private void requireKnownLabels(Dataset<Row> rows, String action) {
    String label = metadata.labelColumn();
    FeaturePipeline.requireColumns(rows, List.of(label), action);
    List<Row> unknown = rows.where(col(label).isNull().or(not(col(label).isin(labels().toArray()))))
        .groupBy(col(label)).count()
        .orderBy(desc("count"), col(label))
        .limit(LABELS_IN_ERRORS + 1)
        .collectAsList();
    if (!unknown.isEmpty()) {
      List<String> listed = unknown.stream().limit(LABELS_IN_ERRORS)
          .map(r -> (r.isNullAt(0) ? "a missing label" : "label '" + r.getString(0) + "'") + " (" + r.getLong(1)
              + (r.getLong(1) == 1 ? " row)" : " rows)"))
          .collect(Collectors.toList());
      if (unknown.size() > LABELS_IN_ERRORS) {
        listed.add("more");
      }
      String joined = listed.size() == 1 ? listed.get(0)
          : String.join(", ", listed.subList(0, listed.size() - 1)) + " and " + listed.get(listed.size() - 1);
      throw LakepipeErrors.jobFailed(action, String.format(Locale.ROOT,
          "%s %s not in the train rows, whose labels are %s. Drop or relabel those rows first; the train split "
              + "must hold every label the model is evaluated on.",
          joined, listed.size() == 1 ? "was" : "were", String.join(", ", labels())), null);
    }
  }

  private static LakepipeException cannotLoad(String path, String reason, Throwable cause) {
    return LakepipeErrors.jobFailed("load fitted features from " + path, reason + ".", cause);
  }

  private static String quote(String column) {
    return "`" + column.replace("`", "``") + "`";
  }
}
