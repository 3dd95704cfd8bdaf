package dev.lakepipe.features;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.udf;

import dev.lakepipe.core.LakepipeErrors;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.param.StringArrayParam;
import org.apache.spark.ml.util.DefaultParamsReadable;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import scala.collection.Seq;

/**
 * The fitted {@link SequenceIndexer}: maps each row's tokens to ids, {@code 0} = padding, {@code 1} =
 * out-of-vocabulary, {@code 2 + i} = the i-th vocabulary token (most frequent first). The first
 * {@code maxLength} tokens are kept and shorter rows are padded with 0 at the end, so every row has exactly
 * {@code maxLength} ids; a null token array gives all padding.
 *
 * <p>The vocabulary is a param, so the model saves and loads through Spark's default params writer and reader
 * (one JSON metadata file) and {@code PipelineModel.load} finds it through the static {@link #read()}. A row-wise
 * UDF with the vocabulary captured in its closure does the lookup: no shuffle, no driver memory per row.
 */
public final class SequenceIndexerModel extends Model<SequenceIndexerModel> implements DefaultParamsWritable {

  /** The id of padding positions. */
  public static final int PAD = 0;
  /** The id of tokens not in the vocabulary. */
  public static final int OUT_OF_VOCABULARY = 1;
  /** The id of the first (most frequent) vocabulary token. */
  public static final int FIRST_TOKEN = 2;

  private static final ArrayType IDS = DataTypes.createArrayType(DataTypes.IntegerType, false);

  private final String uid;
  private final Param<String> inputCol;
  private final Param<String> outputCol;
  private final IntParam maxLength;
  private final StringArrayParam vocabulary;

  /** The constructor Spark's reader and {@code copy} call. */
  public SequenceIndexerModel(String uid) {
    this.uid = uid;
    this.inputCol = new Param<>(this, "inputCol", "tokens column, array<string>");
    this.outputCol = new Param<>(this, "outputCol", "token ids column, array<int>");
    this.maxLength = new IntParam(this, "maxLength", "ids per row: truncated or padded with 0",
        ParamValidators.gtEq(1));
    this.vocabulary = new StringArrayParam(this, "vocabulary", "tokens by descending train frequency");
  }

  public SequenceIndexerModel() {
    this(Identifiable$.MODULE$.randomUID("sequenceIndexerModel"));
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

  public IntParam maxLength() {
    return maxLength;
  }

  public StringArrayParam vocabulary() {
    return vocabulary;
  }

  public SequenceIndexerModel setInputCol(String value) {
    set(inputCol, value);
    return this;
  }

  public SequenceIndexerModel setOutputCol(String value) {
    set(outputCol, value);
    return this;
  }

  public SequenceIndexerModel setMaxLength(int value) {
    set(maxLength, value);
    return this;
  }

  public SequenceIndexerModel setVocabulary(String[] value) {
    set(vocabulary, value);
    return this;
  }

  /** The vocabulary, most frequent first: token {@code i} of this list has id {@code i + 2}. */
  public List<String> vocabularyList() {
    return List.of(getOrDefault(vocabulary));
  }

  @Override
  public Dataset<Row> transform(Dataset<?> dataset) {
    transformSchema(dataset.schema());
    Map<String, Integer> ids = new HashMap<>();
    String[] tokens = getOrDefault(vocabulary);
    for (int i = 0; i < tokens.length; i++) {
      ids.put(tokens[i], FIRST_TOKEN + i);
    }
    int length = (Integer) getOrDefault(maxLength);
    UserDefinedFunction toIds = udf((UDF1<Seq<String>, List<Integer>>) row -> {
      Integer[] out = new Integer[length];
      Arrays.fill(out, PAD);
      if (row != null) {
        for (int i = 0; i < Math.min(length, row.length()); i++) {
          out[i] = ids.getOrDefault(row.apply(i), OUT_OF_VOCABULARY);
        }
      }
      return new ArrayList<>(Arrays.asList(out));
    }, IDS).asNonNullable();
    return dataset.withColumn(getOrDefault(outputCol), toIds.apply(col(getOrDefault(inputCol))));
  }

  @Override
  public StructType transformSchema(StructType schema) {
    return checkAndAddOutput(schema, getOrDefault(inputCol), getOrDefault(outputCol));
  }

  static StructType checkAndAddOutput(StructType schema, String input, String output) {
    List<String> names = List.of(schema.fieldNames());
    boolean tokens = names.contains(input) && schema.apply(input).dataType() instanceof ArrayType a
        && a.elementType().equals(DataTypes.StringType);
    if (!tokens) {
      throw LakepipeErrors.jobFailed("index token sequences", String.format(java.util.Locale.ROOT,
          "input column '%s' must exist and be array<string>; the rows have %s. Tokenize the text first.",
          input, schema.simpleString()), null);
    }
    if (names.contains(output)) {
      throw LakepipeErrors.jobFailed("index token sequences", String.format(java.util.Locale.ROOT,
          "output column '%s' already exists. Drop it first or choose another output column.", output), null);
    }
    return schema.add(output, IDS, false);
  }

  @Override
  public SequenceIndexerModel copy(ParamMap extra) {
    SequenceIndexerModel copy = (SequenceIndexerModel) defaultCopy(extra);
    if (hasParent()) {
      copy.setParent(parent());
    }
    return copy;
  }

  public static MLReader<SequenceIndexerModel> read() {
    return new DefaultParamsReadable<SequenceIndexerModel>() { }.read();
  }

  public static SequenceIndexerModel load(String path) {
    return read().load(path);
  }
}
