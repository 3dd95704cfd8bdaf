package dev.lakepipe.ingest;

import dev.lakepipe.core.LakepipeErrors;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
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
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/**
 * Lists a file-based source's input files (recursively, skipping names starting with '.' or '_', as Spark
 * does, and keeping those whose name matches {@code include}) and computes their SHA-256 checksums on
 * executors. Listing is metadata only: it grows with the number of files, not with rows.
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

  /** SHA-256 of each file's bytes as stored, computed on executors; same order as {@code files}. */
  static List<String> checksums(SparkSession spark, List<InputFile> files) {
    if (files.isEmpty()) {
      return List.of();
    }
    HadoopConf conf = new HadoopConf(spark.sparkContext().hadoopConfiguration());
    int slices = Math.min(files.size(), Math.max(1, spark.sparkContext().defaultParallelism() * 4));
    return JavaSparkContext.fromSparkContext(spark.sparkContext())
        .parallelize(files, slices)
        .map(f -> sha256(conf, f.path()))
        .collect();
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
