package dev.lakepipe.evaluate;

import dev.lakepipe.core.LakepipeErrors;
import dev.lakepipe.core.model.ModelStore;
import dev.lakepipe.core.model.ModelVersion;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a model version on the executors: adds {@code predicted_index} (int), {@code probabilities}
 * (array&lt;double&gt;, one per label of {@link ModelVersion#labels()}) and {@code _score_error} (null, or why the
 * row could not be scored) to rows that carry the model's inputs ({@code features}: an ML vector;
 * {@code text_ids}: an array of ints), built exactly as the train stage's minibatches are.
 *
 * <p>The bytes of {@code model.zip} are read once on the driver and broadcast; each executor JVM deserialises
 * them once per model version (a static cache), and each task thread works on its own clone of that network,
 * because a {@code ComputationGraph} is not safe to call from two threads. A partition is scored in minibatches
 * of {@code batchSize} rows, one {@code output()} call each; a batch that fails is scored row by row so only the
 * offending rows carry an error. Rows never pass through the driver. Deterministic: inference only, no dropout.
 */
public final class ModelScorer implements Serializable {

  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(ModelScorer.class);

  public static final String PREDICTED_INDEX = ClassificationMetrics.PREDICTED_INDEX;
  public static final String PROBABILITIES = ClassificationMetrics.PROBABILITIES;
  public static final String SCORE_ERROR = "_score_error";

  /** One network per model version per executor JVM, deserialised from the broadcast bytes. */
  private static final Map<String, ComputationGraph> NETWORKS = new ConcurrentHashMap<>();
  /** Each task thread's own clone, as ND4J inference on a shared graph is not thread-safe. */
  private static final ThreadLocal<Map<String, ComputationGraph>> CLONES = ThreadLocal.withInitial(HashMap::new);

  private final String cacheKey;
  private final Broadcast<byte[]> model;
  private final List<String> inputs;
  private final int[] widths;
  private final int classes;
  private final int batchSize;

  private ModelScorer(String cacheKey, Broadcast<byte[]> model, List<String> inputs, int[] widths, int classes,
      int batchSize) {
    this.cacheKey = cacheKey;
    this.model = model;
    this.inputs = inputs;
    this.widths = widths;
    this.classes = classes;
    this.batchSize = batchSize;
  }

  /** Reads {@code model.zip} of {@code version} and broadcasts it. */
  public static ModelScorer load(SparkSession spark, ModelStore store, ModelVersion version, int batchSize) {
    byte[] bytes;
    try (InputStream in = store.fs().open(store.modelZip(version.modelVersion()))) {
      bytes = in.readAllBytes();
    } catch (IOException e) {
      throw LakepipeErrors.jobFailed("load model version '" + version.modelVersion() + "'",
          store.modelZip(version.modelVersion()) + " is not readable (" + e.getMessage() + "). Train the model "
              + "again", e);
    }
    int[] widths = version.inputs().stream()
        .mapToInt(i -> i.equals("text_ids") ? version.sequenceLength() : version.featureSize()).toArray();
    Broadcast<byte[]> b = JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(bytes);
    // The broadcast id keeps two loads of a rewritten version apart in the executors' cache.
    String key = version.modelVersion() + "#" + b.id();
    LOG.info("evaluate: broadcast model {} ({} bytes, inputs {})", version.modelVersion(), bytes.length,
        version.inputs());
    return new ModelScorer(key, b, List.copyOf(version.inputs()), widths, version.labels().size(), batchSize);
  }

  /** The schema {@link #score} returns: the input's columns plus the three above. */
  public static StructType outputSchema(StructType in) {
    return in.add(PREDICTED_INDEX, DataTypes.IntegerType, true)
        .add(PROBABILITIES, DataTypes.createArrayType(DataTypes.DoubleType, false), true)
        .add(SCORE_ERROR, DataTypes.StringType, true);
  }

  /** Lazy: the returned rows are scored when an action runs. {@code rows} must hold the model's inputs. */
  public Dataset<Row> score(Dataset<Row> rows) {
    List<String> have = List.of(rows.columns());
    List<String> missing = inputs.stream().filter(i -> !have.contains(i)).toList();
    if (!missing.isEmpty()) {
      throw LakepipeErrors.jobFailed("score rows", "the model needs input column(s) " + missing + ", which the "
          + "rows do not have (columns: " + have + "). Transform them with the model's fitted feature pipeline.",
          null);
    }
    int[] positions = inputs.stream().mapToInt(rows.schema()::fieldIndex).toArray();
    JavaRDD<Row> scored = rows.javaRDD().mapPartitions(it -> new Batches(it, positions));
    return rows.sparkSession().createDataFrame(scored, outputSchema(rows.schema()));
  }

  private ComputationGraph network() {
    return CLONES.get().computeIfAbsent(cacheKey, k -> NETWORKS.computeIfAbsent(k, v -> {
      try {
        return ModelSerializer.restoreComputationGraph(new ByteArrayInputStream(model.value()), false);
      } catch (IOException e) {
        throw new IllegalStateException("Cannot restore model " + cacheKey + ": " + e.getMessage(), e);
      }
    }).clone());
  }

  /** Pulls batchSize rows, scores them with one network call, and hands them out one by one. */
  private final class Batches implements Iterator<Row> {
    private final Iterator<Row> in;
    private final int[] positions;
    private final List<Row> ready = new ArrayList<>();
    private int next;

    Batches(Iterator<Row> in, int[] positions) {
      this.in = in;
      this.positions = positions;
    }

    @Override
    public boolean hasNext() {
      if (next < ready.size()) {
        return true;
      }
      ready.clear();
      next = 0;
      List<Row> batch = new ArrayList<>(batchSize);
      while (batch.size() < batchSize && in.hasNext()) {
        batch.add(in.next());
      }
      if (!batch.isEmpty()) {
        ready.addAll(scoreBatch(batch));
      }
      return next < ready.size();
    }

    @Override
    public Row next() {
      if (!hasNext()) {
        throw new java.util.NoSuchElementException();
      }
      return ready.get(next++);
    }

    private List<Row> scoreBatch(List<Row> batch) {
      List<Row> good = new ArrayList<>(batch.size());
      String[] errors = new String[batch.size()];
      for (int r = 0; r < batch.size(); r++) {
        errors[r] = inputProblem(batch.get(r));
        if (errors[r] == null) {
          good.add(batch.get(r));
        }
      }
      double[][] probabilities = new double[good.size()][];
      String[] failures = new String[good.size()];
      if (!good.isEmpty()) {
        try {
          probabilities = run(good);
        } catch (RuntimeException e) {
          // Isolate the rows that fail; the others are still scored.
          for (int r = 0; r < good.size(); r++) {
            try {
              probabilities[r] = run(List.of(good.get(r)))[0];
            } catch (RuntimeException one) {
              failures[r] = "inference failed: " + one;
            }
          }
        }
      }
      List<Row> out = new ArrayList<>(batch.size());
      int g = 0;
      for (int r = 0; r < batch.size(); r++) {
        Row row = batch.get(r);
        String error = errors[r];
        double[] p = null;
        if (error == null) {
          p = probabilities[g];
          error = failures[g];
          g++;
          if (error == null && !finite(p)) {
            error = "inference failed: the network returned " + java.util.Arrays.toString(p);
          }
        }
        out.add(append(row, error == null ? argmax(p) : null, error == null ? p : null, error));
      }
      return out;
    }

    private double[][] run(List<Row> rows) {
      INDArray[] features = new INDArray[positions.length];
      for (int i = 0; i < positions.length; i++) {
        float[][] m = new float[rows.size()][widths[i]];
        for (int r = 0; r < rows.size(); r++) {
          Object cell = rows.get(r).get(positions[i]);
          if (cell instanceof Vector v) {
            double[] values = v.toArray();
            for (int k = 0; k < widths[i]; k++) {
              m[r][k] = (float) values[k];
            }
          } else {
            List<Object> ids = rows.get(r).getList(positions[i]);
            for (int k = 0; k < widths[i]; k++) {
              m[r][k] = ((Number) ids.get(k)).floatValue();
            }
          }
        }
        features[i] = Nd4j.create(m).castTo(DataType.FLOAT);
      }
      INDArray out = network().output(false, features)[0];
      double[][] p = new double[rows.size()][];
      for (int r = 0; r < rows.size(); r++) {
        p[r] = out.getRow(r).castTo(DataType.DOUBLE).toDoubleVector();
      }
      return p;
    }

    /** Why the row's inputs cannot go into the network, or null when they can. */
    private String inputProblem(Row row) {
      for (int i = 0; i < positions.length; i++) {
        String name = inputs.get(i);
        if (row.isNullAt(positions[i])) {
          return "input " + name + " is null";
        }
        Object cell = row.get(positions[i]);
        int width = cell instanceof Vector v ? v.size() : row.getList(positions[i]).size();
        if (width != widths[i]) {
          return String.format(Locale.ROOT, "input %s has %d values, the model expects %d", name, width, widths[i]);
        }
      }
      return null;
    }
  }

  private Row append(Row row, Integer predicted, double[] probabilities, String error) {
    Object[] values = new Object[row.size() + 3];
    for (int i = 0; i < row.size(); i++) {
      values[i] = row.get(i);
    }
    values[row.size()] = predicted;
    values[row.size() + 1] = probabilities; // double[]: the row encoder takes primitive arrays as they are
    values[row.size() + 2] = error;
    return RowFactory.create(values);
  }

  private static boolean finite(double[] p) {
    for (double d : p) {
      if (!Double.isFinite(d)) {
        return false;
      }
    }
    return p.length > 0;
  }

  /** The first index of the largest probability (ties go to the lower index, as ND4J's argmax). */
  static int argmax(double[] p) {
    int best = 0;
    for (int i = 1; i < p.length; i++) {
      if (p[i] > p[best]) {
        best = i;
      }
    }
    return best;
  }

  int classes() {
    return classes;
  }
}
