package dev.lakepipe.features;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.xxhash64;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lakepipe.core.LakepipeErrors;
import dev.lakepipe.core.Lineage;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.Partitioner;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;

/**
 * Writes the dataset as Parquet files laid out for training: {@code <path>/<split>/part-NNNNN.parquet}, one
 * folder per split value, plus {@code <path>/_lakepipe_export.json} (run id, rows per file, seed, columns and
 * per split its rows and file names). Trainers stream files in name order, so the layout itself carries the
 * guarantees:
 *
 * <ul>
 *   <li>Every file of a split holds exactly {@code rowsPerFile} rows except the split's last, so readers can
 *       plan batches and epochs from the manifest alone.</li>
 *   <li>Rows are shuffled, not sorted by anything that leaks: within a split, in file order and within each file,
 *       they follow {@code xxhash64(seed, _record_id)} (ties, which need a hash collision, by
 *       {@code _record_id}). Never by label, time or source, so a trainer reading files in order does not see
 *       all of one class, period or source first. The same rows and seed give the same files at any
 *       partitioning.</li>
 *   <li>The split column is dropped from the files; the folder names the split.</li>
 *   <li>The export replaces whatever was at {@code path} before, completely: it is built in a sibling staging
 *       folder ({@code _<name>.staging}) and swapped in at the end, so no stale file or split survives. To keep
 *       a mistyped path from deleting unrelated data, an existing {@code path} must be empty or hold an earlier
 *       export (its {@code _lakepipe_export.json}). Between the delete and the rename readers see no export; on
 *       object stores (S3, GCS) the final rename is a copy, so that gap grows with the export's size.</li>
 * </ul>
 *
 * <p>How, without collecting rows: rows are sorted by (split, hash, {@code _record_id}) (a range-partitioned
 * sort, one shuffle), numbered with {@code zipWithIndex} (one job that counts each sorted partition), and
 * shuffled again with a partitioner that sends global row number {@code i} to file
 * {@code firstFile(split) + (i - firstRow(split)) / rowsPerFile}, sorting by row number within each partition.
 * Spark's writer then writes one file per partition ({@code maxRecordsPerFile} off, no sort, no partition
 * columns); the files are renamed by partition number. The driver holds one count per split and one name per
 * file. {@code rows} is scanned three times (split counts, the sort's sample and the sort); persist it first if
 * it is expensive to compute.
 */
public final class SplitExport {

  private static final Logger LOG = LoggerFactory.getLogger(SplitExport.class);

  /** The manifest at the root of an export. */
  public static final String MANIFEST = "_lakepipe_export.json";

  private static final Pattern SPLIT_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
  private static final Pattern SPARK_PART = Pattern.compile("part-(\\d+)-.*\\.parquet");
  private static final String ORDINAL = "_export_split";
  private static final String KEY = "_export_key";

  private SplitExport() {}

  /** What one split holds: its rows and files. */
  public record Split(long rows, int files) {}

  /**
   * What was written: the qualified export folder and, per split value (sorted by name), rows and files.
   */
  public record Result(String path, Map<String, Split> splits) {

    public Result {
      splits = Collections.unmodifiableMap(new TreeMap<>(splits));
    }

    public long rows() {
      return splits.values().stream().mapToLong(Split::rows).sum();
    }
  }

  /** The order rows take within a split: {@code xxhash64(seed, _record_id)}, then {@code _record_id}. */
  static Column[] order(long seed) {
    return new Column[] {xxhash64(lit(seed), col(Lineage.RECORD_ID)), col(Lineage.RECORD_ID)};
  }

  /**
   * Writes {@code rows} (which need {@code _record_id} and {@code splitColumn}) under {@code s.path()}, replacing
   * any earlier export there. Split values must be non-null names usable as folder names (letters, digits,
   * {@code . _ -}, not starting with {@code .}, {@code _} or {@code -}).
   */
  public static Result write(Dataset<Row> rows, String splitColumn, ExportSettings s, long seed, String runId) {
    List<String> present = Arrays.asList(rows.columns());
    for (String c : List.of(Lineage.RECORD_ID, splitColumn)) {
      LakepipeErrors.checkArgument(present.contains(c), "Cannot export the dataset: column '%s' is missing "
          + "(it has: %s)", c, String.join(", ", present));
    }
    LakepipeErrors.checkArgument(s.rowsPerFile() >= 1, "Cannot export the dataset: rows per file must be at least "
        + "1, got %s", s.rowsPerFile());
    SparkSession spark = rows.sparkSession();
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    Column split = col(splitColumn).cast(DataTypes.StringType);
    Path target = qualified(conf, s.path());
    FileSystem fs = fileSystem(conf, target);
    checkReplaceable(fs, target);

    // Rows per split: one row per split reaches the driver.
    Map<String, Long> counts = new TreeMap<>();
    for (Row r : rows.groupBy(split.as(splitColumn)).count().collectAsList()) {
      if (r.isNullAt(0)) {
        throw LakepipeErrors.jobFailed("export the dataset", String.format(Locale.ROOT,
            "%d rows have no value in column '%s'. Assign every row a split before exporting.", r.getLong(1),
            splitColumn), null);
      }
      String name = r.getString(0);
      if (!SPLIT_NAME.matcher(name).matches()) {
        throw LakepipeErrors.jobFailed("export the dataset", String.format(Locale.ROOT,
            "split value '%s' in column '%s' cannot name a folder. Use letters, digits and . _ - "
                + "(not first), e.g. 'train'.", name, splitColumn), null);
      }
      counts.put(name, r.getLong(1));
    }
    List<String> names = new ArrayList<>(counts.keySet());
    int k = names.size();
    long[] rowStarts = new long[k + 1];
    int[] fileStarts = new int[k + 1];
    for (int i = 0; i < k; i++) {
      long n = counts.get(names.get(i));
      rowStarts[i + 1] = rowStarts[i] + n;
      long files = (n + s.rowsPerFile() - 1) / s.rowsPerFile();
      LakepipeErrors.checkArgument(fileStarts[i] + files <= Integer.MAX_VALUE, "Cannot export the dataset: "
          + "%s rows at %s rows per file make too many files; raise features.export.rows-per-file", n,
          s.rowsPerFile());
      fileStarts[i + 1] = (int) (fileStarts[i] + files);
    }

    Path staging = new Path(target.getParent(), "_" + target.getName() + ".staging");
    Path sparkOut = new Path(staging, "_spark");
    try {
      fs.delete(staging, true);
      fs.mkdirs(staging);
    } catch (IOException e) {
      throw ioFailed("prepare " + staging, e);
    }

    List<String> columns = new ArrayList<>(present);
    columns.remove(splitColumn);
    StructType schema = new StructType(Arrays.stream(rows.schema().fields())
        .filter(f -> !f.name().equals(splitColumn)).toArray(StructField[]::new));
    if (fileStarts[k] > 0) {
      Column ordinal = lit(null).cast(DataTypes.IntegerType);
      for (int i = 0; i < k; i++) {
        ordinal = when(split.equalTo(names.get(i)), lit(i)).otherwise(ordinal);
      }
      Column[] order = order(seed);
      Dataset<Row> sorted = rows
          .withColumn(ORDINAL, ordinal)
          .withColumn(KEY, order[0])
          .orderBy(col(ORDINAL), col(KEY), order[1])
          .select(columns.stream().map(c -> col(c)).toArray(Column[]::new));
      // Global row number i -> its file; within each file rows keep the order of i.
      JavaRDD<Row> files = sorted.javaRDD()
          .zipWithIndex()
          .mapToPair(Tuple2::swap)
          .repartitionAndSortWithinPartitions(new FilePartitioner(rowStarts, fileStarts, s.rowsPerFile()))
          .values();
      spark.createDataFrame(files, schema).write()
          .option("maxRecordsPerFile", 0)
          .parquet(sparkOut.toString());
    }

    Map<String, List<String>> fileNames = placeFiles(fs, sparkOut, staging, names, fileStarts);
    Map<String, Split> splits = new LinkedHashMap<>();
    for (int i = 0; i < k; i++) {
      splits.put(names.get(i), new Split(rowStarts[i + 1] - rowStarts[i], fileStarts[i + 1] - fileStarts[i]));
    }
    writeManifest(fs, new Path(staging, MANIFEST), runId, seed, s.rowsPerFile(), schema, splits, fileNames);
    try {
      fs.delete(target, true);
      if (!fs.rename(staging, target)) {
        throw ioFailed("move " + staging + " to " + target, new IOException("rename returned false"));
      }
    } catch (IOException e) {
      throw ioFailed("move " + staging + " to " + target, e);
    }
    Result result = new Result(target.toString(), splits);
    LOG.info("export: {} rows in {} files under {} ({})", result.rows(), fileStarts[k], target, splits);
    return result;
  }

  /** An existing export folder may be replaced only when it is empty or holds an earlier export. */
  private static void checkReplaceable(FileSystem fs, Path target) {
    try {
      if (!fs.exists(target)) {
        return;
      }
      FileStatus status = fs.getFileStatus(target);
      if (status.isDirectory()
          && (fs.exists(new Path(target, MANIFEST)) || fs.listStatus(target).length == 0)) {
        return;
      }
    } catch (IOException e) {
      throw ioFailed("check " + target, e);
    }
    throw LakepipeErrors.config(String.format(Locale.ROOT,
        "Cannot export to %s: it exists and is not a Lakepipe export (no %s), and the export replaces its folder "
            + "whole. Set features.export.path to a new or empty folder, or remove %s yourself.",
        target, MANIFEST, target));
  }

  /**
   * Moves Spark's {@code part-<partition>-<uuid>...parquet} files to {@code <split>/part-NNNNN.parquet} and
   * removes the rest of Spark's output; checks that every partition wrote exactly one file.
   */
  private static Map<String, List<String>> placeFiles(FileSystem fs, Path sparkOut, Path staging, List<String> names,
      int[] fileStarts) {
    int total = fileStarts[names.size()];
    Map<String, List<String>> placed = new LinkedHashMap<>();
    names.forEach(n -> placed.put(n, new ArrayList<>()));
    try {
      for (String n : names) {
        fs.mkdirs(new Path(staging, n));
      }
      if (total == 0) {
        return placed;
      }
      Path[] byPartition = new Path[total];
      for (FileStatus f : fs.listStatus(sparkOut)) {
        Matcher m = SPARK_PART.matcher(f.getPath().getName());
        if (!m.matches()) {
          continue;
        }
        int p = Integer.parseInt(m.group(1));
        if (p >= total || byPartition[p] != null) {
          throw LakepipeErrors.jobFailed("export the dataset", String.format(Locale.ROOT,
              "Spark wrote an unexpected file %s for %d partitions. This is a bug; please report it.", f.getPath(),
              total), null);
        }
        byPartition[p] = f.getPath();
      }
      int split = 0;
      for (int p = 0; p < total; p++) {
        if (byPartition[p] == null) {
          throw LakepipeErrors.jobFailed("export the dataset", String.format(Locale.ROOT,
              "Spark wrote no file for partition %d of %d. This is a bug; please report it.", p, total), null);
        }
        while (p >= fileStarts[split + 1]) {
          split++;
        }
        String name = String.format(Locale.ROOT, "part-%05d.parquet", p - fileStarts[split]);
        Path to = new Path(new Path(staging, names.get(split)), name);
        if (!fs.rename(byPartition[p], to)) {
          throw new IOException("rename of " + byPartition[p] + " to " + to + " returned false");
        }
        placed.get(names.get(split)).add(name);
      }
      fs.delete(sparkOut, true);
    } catch (IOException e) {
      throw ioFailed("place the files in " + staging, e);
    }
    return placed;
  }

  private static void writeManifest(FileSystem fs, Path file, String runId, long seed, int rowsPerFile,
      StructType schema, Map<String, Split> splits, Map<String, List<String>> fileNames) {
    ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    ObjectNode root = json.createObjectNode();
    root.put("run_id", runId);
    root.put("rows_per_file", rowsPerFile);
    root.put("seed", seed);
    root.put("order", "xxhash64(seed, _record_id), then _record_id");
    ArrayNode cols = root.putArray("columns");
    for (StructField f : schema.fields()) {
      cols.addObject().put("name", f.name()).put("type", f.dataType().simpleString());
    }
    ObjectNode out = root.putObject("splits");
    splits.forEach((name, sp) -> {
      ObjectNode o = out.putObject(name);
      o.put("rows", sp.rows());
      fileNames.get(name).forEach(o.putArray("files")::add);
    });
    try (OutputStream os = fs.create(file, true)) {
      json.writeValue(os, root);
    } catch (IOException e) {
      throw ioFailed("write " + file, e);
    }
  }

  private static Path qualified(Configuration conf, String path) {
    Path p = new Path(path);
    return fileSystem(conf, p).makeQualified(p);
  }

  private static FileSystem fileSystem(Configuration conf, Path p) {
    try {
      return p.getFileSystem(conf);
    } catch (IOException e) {
      throw ioFailed("open the file system of " + p, e);
    }
  }

  private static RuntimeException ioFailed(String what, IOException e) {
    return LakepipeErrors.jobFailed("export the dataset", String.format(Locale.ROOT,
        "could not %s (%s). Check that features.export.path is writable.", what, e.getMessage()), e);
  }

  /** Sends global row number i to its file: {@code fileStarts[s] + (i - rowStarts[s]) / rowsPerFile}. */
  static final class FilePartitioner extends Partitioner {

    private static final long serialVersionUID = 1L;

    private final long[] rowStarts;
    private final int[] fileStarts;
    private final int rowsPerFile;

    FilePartitioner(long[] rowStarts, int[] fileStarts, int rowsPerFile) {
      this.rowStarts = rowStarts.clone();
      this.fileStarts = fileStarts.clone();
      this.rowsPerFile = rowsPerFile;
    }

    @Override
    public int numPartitions() {
      return fileStarts[fileStarts.length - 1];
    }

    @Override
    public int getPartition(Object key) {
      long i = (Long) key;
      // The split holding row i: the last start at or before i (starts strictly increase: no split is empty).
      int at = Arrays.binarySearch(rowStarts, 0, rowStarts.length - 1, i);
      int s = at >= 0 ? at : -at - 2;
      return fileStarts[s] + (int) ((i - rowStarts[s]) / rowsPerFile);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof FilePartitioner f && Arrays.equals(rowStarts, f.rowStarts)
          && Arrays.equals(fileStarts, f.fileStarts) && rowsPerFile == f.rowsPerFile;
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(fileStarts) * 31 + rowsPerFile;
    }
  }
}
