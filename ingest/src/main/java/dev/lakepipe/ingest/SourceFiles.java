package dev.lakepipe.ingest;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.udf;

import dev.lakepipe.core.LakepipeErrors;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.GlobPattern;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Lists a file-based source's input files (recursively, skipping names starting with '.' or '_', as Spark
 * does, and keeping those whose name matches {@code include}) and computes their SHA-256 checksums on
 * executors. Listing is metadata only: it grows with the number of files, not with rows.
 *
 * <p>The listing is the one per-file structure ingest keeps on the driver, as Spark's own file index does:
 * Hadoop's {@code listFiles} (recursive; one flat paged listing on object stores), one {@link InputFile} per
 * file (two path strings and two longs, about 100 bytes plus twice the path's length: some 300 MB for a million
 * files with 100-character paths). Everything else per file (the checksums, what the log knows, the counts)
 * lives in Datasets on executors.
 */
final class SourceFiles {

  private SourceFiles() {}

  /** The qualified root of the source: what relative paths are relative to. */
  static Path root(SparkSession spark, SourceSettings source) {
    Path p = new Path(source.path());
    try {
      FileSystem fs = p.getFileSystem(spark.sparkContext().hadoopConfiguration());
      if (!fs.exists(p)) {
        throw LakepipeErrors.config("Cannot read source '" + source.name() + "': path " + fs.makeQualified(p)
            + " does not exist. Fix ingest.sources." + source.name() + ".path.");
      }
      return fs.makeQualified(p);
    } catch (IOException e) {
      throw LakepipeErrors.sourceUnreadable(source.name(), source.path(), e.getMessage(), e);
    }
  }

  static List<InputFile> list(SparkSession spark, SourceSettings source) {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    Path root = root(spark, source);
    GlobPattern include = new GlobPattern(source.include());
    List<InputFile> files = new ArrayList<>();
    try {
      FileSystem fs = root.getFileSystem(conf);
      FileStatus rootStatus = fs.getFileStatus(root);
      if (rootStatus.isFile()) {
        files.add(new InputFile(source.name(), root.toString(), root.getName(), rootStatus.getLen(),
            rootStatus.getModificationTime()));
        return files;
      }
      String prefix = root.toString().endsWith("/") ? root.toString() : root + "/";
      RemoteIterator<LocatedFileStatus> it = fs.listFiles(root, true);
      while (it.hasNext()) {
        LocatedFileStatus st = it.next();
        String path = st.getPath().toString();
        String rel = path.startsWith(prefix) ? path.substring(prefix.length()) : st.getPath().getName();
        if (hidden(rel) || !include.matches(st.getPath().getName())) {
          continue;
        }
        files.add(new InputFile(source.name(), path, rel, st.getLen(), st.getModificationTime()));
      }
    } catch (IOException e) {
      throw LakepipeErrors.sourceUnreadable(source.name(), root.toString(), e.getMessage(), e);
    }
    files.sort(java.util.Comparator.comparing(InputFile::path));
    return files;
  }

  private static boolean hidden(String relativePath) {
    for (String part : relativePath.split("/")) {
      if (part.startsWith(".") || part.startsWith("_")) {
        return true;
      }
    }
    return false;
  }

  /** The columns of {@link #dataset}: a file as ingest lists it. */
  static final StructType FILES = new StructType()
      .add("source", DataTypes.StringType, false)
      .add("path", DataTypes.StringType, false)
      .add("rel_path", DataTypes.StringType, false)
      .add("size", DataTypes.LongType, false)
      .add("modification_time", DataTypes.TimestampType, false);

  /**
   * The listing as a Dataset, for the joins with {@code ops.ingest_log} that pick the new files on executors.
   * Shipped from the driver's listing once (a parallelized collection), a few partitions per core.
   */
  static Dataset<Row> dataset(SparkSession spark, List<InputFile> files) {
    JavaRDD<Row> rows = JavaSparkContext.fromSparkContext(spark.sparkContext())
        .parallelize(files, tasks(spark, files.size()))
        .map(f -> RowFactory.create(f.source(), f.path(), f.relativePath(), f.size(),
            new Timestamp(f.modificationTime())));
    return spark.createDataFrame(rows, FILES);
  }

  /**
   * {@code files} ({@link #FILES}) with each file's SHA-256 of its bytes as stored, computed on executors, one
   * task per partition of {@code files}; nothing comes back to the driver.
   */
  static Dataset<Row> withChecksums(SparkSession spark, Dataset<Row> files) {
    HadoopConf conf = new HadoopConf(spark.sparkContext().hadoopConfiguration());
    UserDefinedFunction sha256 = udf((UDF1<String, String>) path -> sha256(conf, path), DataTypes.StringType);
    return files.withColumn("checksum", sha256.apply(col("path")));
  }

  /** A row of {@link #FILES} (or a wider one starting with its columns) as an {@link InputFile}. */
  static InputFile inputFile(Row r) {
    return new InputFile(r.getString(0), r.getString(1), r.getString(2), r.getLong(3), r.getTimestamp(4).getTime());
  }

  /** A few tasks per core, never more than files. */
  static int tasks(SparkSession spark, int files) {
    return Math.max(1, Math.min(files, spark.sparkContext().defaultParallelism() * 4));
  }

  static String sha256(HadoopConf conf, String path) throws IOException, NoSuchAlgorithmException {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    Path p = new Path(path);
    try (InputStream in = p.getFileSystem(conf.get()).open(p)) {
      byte[] buf = new byte[1 << 16];
      int n;
      while ((n = in.read(buf)) > 0) {
        md.update(buf, 0, n);
      }
    }
    return HexFormat.of().formatHex(md.digest());
  }
}
