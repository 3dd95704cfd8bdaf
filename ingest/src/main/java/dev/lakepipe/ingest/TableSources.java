package dev.lakepipe.ingest;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.map;

import dev.lakepipe.core.LakepipeErrors;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeSet;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Sources Spark reads natively and in parallel, turned into {@link RawRecords}: Parquet (split by row
 * groups; a row is numbered by {@code _metadata.row_index} + 1) and JDBC (Spark's partitioned read; a row is
 * identified by its key column). Every column becomes a raw string, so typing and checks are shared with the
 * text formats.
 */
final class TableSources {

  private TableSources() {}

  /**
   * Every file's footer is read first, on executors (the tail of each file only): a file that is not Parquet,
   * cut short or with a damaged footer is one {@code UNREADABLE_FILE} record and the other files are read.
   * Files are then read in groups of one schema each, so a file whose column has another type (an int that
   * became a string) is read as written rather than failing the scan or turning into nulls; values become strings
   * anyway and are typed by the canonicaliser. Every file must have every mapped column (a renamed column is a
   * conf error naming the file, like a CSV header without a mapped field).
   */
  static Dataset<Row> parquet(SparkSession spark, SourceSettings source, String root, List<InputFile> files) {
    HadoopConf conf = new HadoopConf(spark.sparkContext().hadoopConfiguration());
    int slices = Math.min(files.size(), Math.max(1, spark.sparkContext().defaultParallelism() * 4));
    List<String> footers = JavaSparkContext.fromSparkContext(spark.sparkContext())
        .parallelize(files, slices)
        .map(f -> footer(conf, f.path()))
        .collect();
    Map<String, List<InputFile>> bySchema = new LinkedHashMap<>();
    List<Row> unreadable = new ArrayList<>();
    for (int i = 0; i < files.size(); i++) {
      InputFile f = files.get(i);
      String footer = footers.get(i);
      if (footer.startsWith(FOOTER_ERROR)) {
        unreadable.add(RawRecords.error(f, 1L, RawRecords.UNREADABLE_FILE, "Cannot read " + f.path()
            + ": it is not a readable Parquet file (" + footer.substring(FOOTER_ERROR.length()) + "). Replace or "
            + "repair the file; the other files of source '" + source.name() + "' were read.", null));
      } else {
        bySchema.computeIfAbsent(footer, k -> new ArrayList<>()).add(f);
      }
    }
    Dataset<Row> out = spark.createDataFrame(unreadable, RawRecords.SCHEMA);
    String prefix = root.endsWith("/") ? root : root + "/";
    for (List<InputFile> group : bySchema.values()) {
      Dataset<Row> df = spark.read().parquet(group.stream().map(InputFile::path).toArray(String[]::new));
      checkMapped(source, df.columns(), group.get(0).path());
      Column file = col("_metadata.file_path");
      out = out.union(df.select(
          lit(source.name()).as(RawRecords.SOURCE),
          file.as(RawRecords.FILE),
          expr("substring(_metadata.file_path, " + (prefix.length() + 1) + ")").as(RawRecords.REL_PATH),
          col("_metadata.row_index").plus(1).as(RawRecords.ROW),
          fieldsMap(df.columns()).as(RawRecords.FIELDS),
          lit(null).cast("string").as(RawRecords.ERROR_CODE),
          lit(null).cast("string").as(RawRecords.ERROR_MESSAGE),
          lit(null).cast("string").as(RawRecords.RAW)));
    }
    return out;
  }

  private static final String FOOTER_ERROR = "error:";

  /** A short digest of a Parquet file's schema, or {@link #FOOTER_ERROR} and why the footer is unreadable. */
  private static String footer(HadoopConf conf, String path) {
    try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromPath(new Path(path), conf.get()))) {
      String schema = reader.getFooter().getFileMetaData().getSchema().toString();
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(schema.getBytes(StandardCharsets.UTF_8)));
    } catch (IOException | RuntimeException | NoSuchAlgorithmException e) {
      return FOOTER_ERROR + e.getMessage();
    }
  }

  static Dataset<Row> jdbc(SparkSession spark, SourceSettings source) {
    SourceSettings.JdbcOptions o = source.jdbc();
    Properties props = new Properties();
    o.userEnv().ifPresent(v -> props.put("user", env("ingest.sources." + source.name() + ".user-env", v)));
    o.passwordEnv().ifPresent(v -> props.put("password",
        env("ingest.sources." + source.name() + ".password-env", v)));
    o.driver().ifPresent(d -> props.put("driver", d));
    props.put("fetchsize", Integer.toString(o.fetchSize()));
    Dataset<Row> df;
    try {
      if (o.partitionColumn().isPresent()) {
        df = spark.read().jdbc(o.url(), o.dbtable(), o.partitionColumn().get(), o.lowerBound().orElseThrow(),
            o.upperBound().orElseThrow(), o.numPartitions(), props);
      } else {
        df = spark.read().jdbc(o.url(), o.dbtable(), props);
      }
    } catch (Exception e) {
      // Not only RuntimeException: Spark rethrows the driver's checked SQLException (bad password, unknown host).
      throw LakepipeErrors.sourceUnreadable(source.name(), o.location(),
          "the database refused the read: " + rootMessage(e), e);
    }
    checkMapped(source, df.columns(), o.location());
    if (!Arrays.asList(df.columns()).contains(o.keyColumn())) {
      throw LakepipeErrors.missingSourceColumn(source.name(), o.location(), List.of(o.keyColumn()),
          Arrays.asList(df.columns()));
    }
    return df.select(
        lit(source.name()).as(RawRecords.SOURCE),
        lit(o.location()).as(RawRecords.FILE),
        col(o.keyColumn()).cast("string").as(RawRecords.REL_PATH),
        lit(null).cast("long").as(RawRecords.ROW),
        fieldsMap(df.columns()).as(RawRecords.FIELDS),
        lit(null).cast("string").as(RawRecords.ERROR_CODE),
        lit(null).cast("string").as(RawRecords.ERROR_MESSAGE),
        lit(null).cast("string").as(RawRecords.RAW));
  }

  private static Column fieldsMap(String[] columns) {
    List<Column> kv = new ArrayList<>();
    for (String c : columns) {
      kv.add(lit(c));
      kv.add(col("`" + c.replace("`", "``") + "`").cast("string"));
    }
    return map(kv.toArray(Column[]::new));
  }

  private static void checkMapped(SourceSettings source, String[] columns, String where) {
    List<String> present = Arrays.asList(columns);
    List<String> missing = new ArrayList<>();
    for (String f : new TreeSet<>(source.columns().values())) {
      if (!present.contains(f)) {
        missing.add(f);
      }
    }
    if (!missing.isEmpty()) {
      throw LakepipeErrors.missingSourceColumn(source.name(), where, missing, present);
    }
  }

  private static String env(String key, String variable) {
    String v = System.getenv(variable);
    if (v == null) {
      throw LakepipeErrors.missingEnvironmentVariable(key, variable);
    }
    return v;
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage();
  }
}
