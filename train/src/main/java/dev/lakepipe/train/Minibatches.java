package dev.lakepipe.train;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.xxhash64;

import dev.lakepipe.core.LakepipeErrors;
import java.io.IOException;
import java.io.OutputStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.SerializableConfiguration;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a split's rows into DL4J minibatch files on the executors, and keeps them for the next run on the same
 * data.
 *
 * <p>Each executor reads its own partitions (rows ordered by {@code xxhash64(seed, _record_id)}, range
 * partitioned so every partition holds about {@link #BATCHES_PER_PARTITION} minibatches), packs
 * {@code batchSize} rows at a time into a {@code MultiDataSet} (inputs in network order, one-hot labels) and
 * writes it with {@code MultiDataSet.save} to {@code <dir>/part-PPPPP-BBBBB.mds} on any Hadoop file system. No
 * row passes through the driver; the driver learns only the file paths (kept in {@code <dir>/index/part-PPPPP.txt}, one line
 * per minibatch, written by the partition that wrote the files) and the counts.
 *
 * <p>{@code <dir>} is {@code <train.minibatches>/<key>/<split>} where the key is a SHA-256 of everything the
 * bytes depend on: the gold Delta version and features run, the split, the batch size, the inputs, the number
 * of classes and the seed. A directory with {@code _SUCCESS} is reused as it is, so re-training on the same
 * data version (another network, other epochs) skips this step; a new gold version gets a new key.
 */
final class Minibatches {

  private static final Logger LOG = LoggerFactory.getLogger(Minibatches.class);
  static final int BATCHES_PER_PARTITION = 32;
  static final String PATHS = "index";
  static final String SUCCESS = "_SUCCESS";

  /** Where a split's minibatches are, how many rows and files, and whether this run wrote them. */
  record Export(String dir, long rows, long batches, boolean reused) implements Serializable {}

  /** Identity of the data the files hold. */
  record Key(long goldVersion, String featuresRun, String split, int batchSize, List<String> inputs, int classes,
      long seed) {

    String hash() {
      try {
        byte[] d = MessageDigest.getInstance("SHA-256").digest(toString().getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(d).substring(0, 16);
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  private Minibatches() {}

  static String dir(String root, Key key) {
    return new Path(new Path(root, "v" + key.goldVersion() + "-" + key.hash()), key.split()).toString();
  }

  /**
   * The minibatch files of {@code rows} ({@code label_index} and the input columns), written unless
   * {@code _SUCCESS} says they exist for {@code key}. {@code rows} must not be empty.
   */
  static Export prepare(SparkSession spark, Dataset<Row> rows, String root, Key key) {
    String dir = dir(root, key);
    Configuration hadoop = spark.sparkContext().hadoopConfiguration();
    try {
      FileSystem fs = new Path(dir).getFileSystem(hadoop);
      Path success = new Path(dir, SUCCESS);
      if (fs.exists(success)) {
        String[] counts = new String(fs.open(success).readAllBytes(), StandardCharsets.UTF_8).trim().split(" ");
        LOG.info("train: reusing {} minibatches of {} rows ({}) in {}", counts[1], counts[0], key.split(), dir);
        return new Export(dir, Long.parseLong(counts[0]), Long.parseLong(counts[1]), true);
      }
      fs.delete(new Path(dir), true);
      long n = rows.count();
      if (n == 0) {
        throw LakepipeErrors.jobFailed("train", "the " + key.split() + " split is empty. Check the features stage's "
            + "split (ops.split_manifest) and features.split.fractions.", null);
      }
      int partitions = (int) Math.max(1, Math.min(10_000,
          (n + (long) key.batchSize() * BATCHES_PER_PARTITION - 1) / ((long) key.batchSize() * BATCHES_PER_PARTITION)));
      Dataset<Row> ordered = rows
          .withColumn("_order", xxhash64(lit(key.seed()), col("_record_id")))
          .repartitionByRange(partitions, col("_order"), col("_record_id"))
          .sortWithinPartitions(col("_order"), col("_record_id"));
      List<String> columns = new ArrayList<>(key.inputs());
      columns.add("label_index");
      JavaRDD<Row> input = ordered.select(columns.stream().map(c -> col(c)).toArray(org.apache.spark.sql.Column[]::new))
          .javaRDD();
      SerializableConfiguration conf = new SerializableConfiguration(hadoop);
      Writer writer = new Writer(dir, key.batchSize(), key.inputs().size(), key.classes(), conf);
      long batches = input.mapPartitionsWithIndex(writer::write, true).count();
      try (OutputStream out = fs.create(success, true)) {
        out.write((n + " " + batches).getBytes(StandardCharsets.UTF_8));
      }
      LOG.info("train: wrote {} minibatches of {} rows ({}) to {}", batches, n, key.split(), dir);
      return new Export(dir, n, batches, false);
    } catch (IOException e) {
      throw LakepipeErrors.jobFailed("write minibatches to " + dir, e.getMessage()
          + ". Check that train.minibatches is writable", e);
    }
  }

  /** The paths of an export's minibatch files, as an RDD read from {@code index/} (never listed on the driver). */
  static JavaRDD<String> paths(SparkSession spark, Export export) {
    return JavaSparkContext.fromSparkContext(spark.sparkContext())
        .textFile(new Path(export.dir(), PATHS).toString());
  }

  /** Packs rows into minibatch files on an executor. */
  private record Writer(String dir, int batchSize, int inputs, int classes, SerializableConfiguration conf)
      implements Serializable {

    /** Writes the partition's minibatches and, last, {@code index/part-PPPPP.txt} listing their paths. */
    Iterator<String> write(Integer partition, Iterator<Row> rows) throws IOException {
      List<String> out = new ArrayList<>();
      FileSystem fs = new Path(dir).getFileSystem(conf.value());
      List<Row> batch = new ArrayList<>(batchSize);
      int b = 0;
      while (rows.hasNext()) {
        batch.add(rows.next());
        if (batch.size() == batchSize || !rows.hasNext()) {
          Path p = new Path(dir, String.format(Locale.ROOT, "part-%05d-%05d.mds", partition, b++));
          try (OutputStream os = fs.create(p, true)) {
            toMultiDataSet(batch, inputs, classes).save(os);
          }
          out.add(p.toString());
          batch.clear();
        }
      }
      Path index = new Path(new Path(dir, PATHS), String.format(Locale.ROOT, "part-%05d.txt", partition));
      try (OutputStream os = fs.create(index, true)) {
        os.write(String.join("\n", out).concat(out.isEmpty() ? "" : "\n").getBytes(StandardCharsets.UTF_8));
      }
      return out.iterator();
    }
  }

  /**
   * One minibatch: input i from column i of each row ({@code features}: an ML vector; {@code text_ids}: an
   * array of ints), labels one-hot from the last column ({@code label_index}).
   */
  static MultiDataSet toMultiDataSet(List<Row> batch, int inputs, int classes) {
    int n = batch.size();
    INDArray[] features = new INDArray[inputs];
    for (int i = 0; i < inputs; i++) {
      Object first = batch.get(0).get(i);
      int width = first instanceof Vector v ? v.size() : batch.get(0).getList(i).size();
      float[][] m = new float[n][width];
      for (int r = 0; r < n; r++) {
        Object cell = batch.get(r).get(i);
        if (cell instanceof Vector v) {
          double[] values = v.toArray();
          for (int k = 0; k < width; k++) {
            m[r][k] = (float) values[k];
          }
        } else {
          List<Object> ids = batch.get(r).getList(i);
          for (int k = 0; k < width; k++) {
            m[r][k] = ((Number) ids.get(k)).floatValue();
          }
        }
      }
      features[i] = Nd4j.create(m).castTo(DataType.FLOAT);
    }
    float[][] labels = new float[n][classes];
    for (int r = 0; r < n; r++) {
      labels[r][(int) ((Number) batch.get(r).get(inputs)).doubleValue()] = 1f;
    }
    return new MultiDataSet(features, new INDArray[] {Nd4j.create(labels)});
  }
}
