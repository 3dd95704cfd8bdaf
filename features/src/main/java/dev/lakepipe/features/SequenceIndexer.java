package dev.lakepipe.features;

import static org.apache.spark.sql.functions.asc;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.desc;
import static org.apache.spark.sql.functions.explode;

import java.util.List;
import org.apache.spark.ml.Estimator;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.DefaultParamsReadable;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

/**
 * Learns a token vocabulary from an {@code array<string>} column of the train rows, for
 * {@code features.text.representation = sequence}; its {@link SequenceIndexerModel} turns token arrays into
 * fixed-length id arrays for embedding layers.
 *
 * <p>The vocabulary is the {@code vocabularySize} most frequent tokens (occurrences over all train rows), ties
 * broken by the token's string order, so the same train rows give the same vocabulary whatever their partitioning.
 * Fitting is one aggregation (a shuffle of distinct tokens with their counts) and brings at most
 * {@code vocabularySize} rows to the driver. Spark's {@code CountVectorizer} is not used because it does not
 * fix the order of tokens with equal counts.
 *
 * <p>Saved and loaded like built-in stages (params as JSON metadata), so a {@code PipelineModel} holding it
 * loads with plain {@code PipelineModel.load}: Spark finds the static {@link #read()}.
 */
public final class SequenceIndexer extends Estimator<SequenceIndexerModel> implements DefaultParamsWritable {

  private final String uid;
  private final Param<String> inputCol;
  private final Param<String> outputCol;
  private final IntParam vocabularySize;
  private final IntParam maxLength;

  public SequenceIndexer() {
    this(Identifiable$.MODULE$.randomUID("sequenceIndexer"));
  }

  /** The constructor Spark's reader and {@code copy} call. */
  public SequenceIndexer(String uid) {
    this.uid = uid;
    this.inputCol = new Param<>(this, "inputCol", "tokens column, array<string>");
    this.outputCol = new Param<>(this, "outputCol", "token ids column, array<int>");
    this.vocabularySize = new IntParam(this, "vocabularySize", "most frequent train tokens kept",
        ParamValidators.gtEq(1));
    this.maxLength = new IntParam(this, "maxLength", "ids per row: truncated or padded with 0",
        ParamValidators.gtEq(1));
    setDefault(vocabularySize, FeatureSettings.DEFAULT_VOCABULARY_SIZE);
    setDefault(maxLength, FeatureSettings.DEFAULT_MAX_LENGTH);
  }

  @Override
  public String uid() {
    return uid;
  }

  public Param<String> inputCol() {
    return inputCol;
  }

  public Param<String> outputCol() {
    return outputCol;
  }

  public IntParam vocabularySize() {
    return vocabularySize;
  }

  public IntParam maxLength() {
    return maxLength;
  }

  public SequenceIndexer setInputCol(String value) {
    set(inputCol, value);
    return this;
  }

  public SequenceIndexer setOutputCol(String value) {
    set(outputCol, value);
    return this;
  }

  public SequenceIndexer setVocabularySize(int value) {
    set(vocabularySize, value);
    return this;
  }

  public SequenceIndexer setMaxLength(int value) {
    set(maxLength, value);
    return this;
  }

  @Override
  public SequenceIndexerModel fit(Dataset<?> dataset) {
    transformSchema(dataset.schema());
    List<String> vocabulary = dataset
        .select(explode(col(getOrDefault(inputCol))).as("token"))
        .where(col("token").isNotNull())
        .groupBy("token").count()
        .orderBy(desc("count"), asc("token"))
        .limit((Integer) getOrDefault(vocabularySize))
        .collectAsList().stream()
        .map(r -> r.getString(0))
        .toList();
    SequenceIndexerModel model = new SequenceIndexerModel(uid)
        .setInputCol(getOrDefault(inputCol))
        .setOutputCol(getOrDefault(outputCol))
        .setMaxLength((Integer) getOrDefault(maxLength))
        .setVocabulary(vocabulary.toArray(new String[0]));
    model.setParent(this);
    return model;
  }

  @Override
  public StructType transformSchema(StructType schema) {
    return SequenceIndexerModel.checkAndAddOutput(schema, getOrDefault(inputCol), getOrDefault(outputCol));
  }

  @Override
  public SequenceIndexer copy(ParamMap extra) {
    return (SequenceIndexer) defaultCopy(extra);
  }

  public static MLReader<SequenceIndexer> read() {
    return new DefaultParamsReadable<SequenceIndexer>() { }.read();
  }

  public static SequenceIndexer load(String path) {
    return read().load(path);
  }
}
