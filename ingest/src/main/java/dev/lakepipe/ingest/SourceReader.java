package dev.lakepipe.ingest;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.array_distinct;
import static org.apache.spark.sql.functions.array_sort;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_set;
import static org.apache.spark.sql.functions.concat_ws;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.countDistinct;
import static org.apache.spark.sql.functions.element_at;
import static org.apache.spark.sql.functions.flatten;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.size;
import static org.apache.spark.sql.functions.slice;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.transform;
import static org.apache.spark.sql.functions.when;

import dev.lakepipe.core.LakepipeErrors;
import dev.lakepipe.core.Lineage;
import dev.lakepipe.core.Persisted;
import dev.lakepipe.core.QuarantineTable;
import dev.lakepipe.core.RunContext;
import dev.lakepipe.core.config.DatasetSchema;
import dev.lakepipe.core.config.LakepipeConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Ingest's public loading API: reads one source of {@code ingest.sources} into canonical rows with lineage
 * columns (the layout of {@code bronze.records}) and bad rows shaped like {@code ops.quarantine}, without
 * writing anything. {@link IngestJob} reads through the same steps (raw records, {@link Canonicalizer}, the
 * header check, the good/bad split, the quarantine rows), so a source read here gives the rows ingest would
 * write; later stages (score) call {@link #read}, never the job.
 *
 * <p>Unlike the job, {@link #read} is not incremental: it reads every file of the source, whatever
 * {@code ops.ingest_log} says. Cost: one pass over the source (persisted in the caller's {@link Persisted}),
 * one aggregation per source for the header check and the counts; only one row per source reaches the driver
 * (besides the file listing).
 */
public final class SourceReader {

  /** How the source's label is read. */
  public enum Labels {
    /** As ingest reads it: mapped per the source's columns, required when dataset.required lists it. */
    READ,
    /**
     * Not read: the label column is null and never required, so rows without one (new rows to score) pass,
     * and a file without the label field is not a conf error.
     */
    SKIP
  }

  /**
   * One source read.
   *
   * @param good canonical columns then {@link Lineage#COLUMNS}, one row per good record
   * @param bad one row per bad record, shaped like {@link QuarantineTable#SCHEMA}, with the reader's or the
   *     canonicaliser's reason code (MALFORMED_RECORD, BAD_TYPE, BAD_TIMESTAMP, MISSING_REQUIRED, ...)
   * @param read records read (good + bad)
   * @param badCount rows in {@code bad}
   */
  public record SourceRows(String source, Dataset<Row> good, Dataset<Row> bad, long read, long badCount) {

    public long goodCount() {
      return read - badCount;
    }
  }

  private SourceReader() {}

  /**
   * Reads every file (or the table) of source {@code sourceName}. {@code good} and {@code bad} are derived from
   * rows persisted in {@code persisted}; release it after the last use. Quarantine rows carry {@code stage},
   * so a later stage records them as its own.
   */
  public static SourceRows read(SparkSession spark, LakepipeConfig config, String sourceName, Labels labels,
      String stage, RunContext run, Persisted persisted) {
    IngestSettings settings = IngestSettings.parse(config);
    SourceSettings source = settings.sources().stream().filter(s -> s.name().equals(sourceName)).findFirst()
        .orElseThrow(() -> LakepipeErrors.usage("Cannot read source '" + sourceName + "': it is not in "
            + "ingest.sources (sources: " + String.join(", ", settings.sources().stream().map(SourceSettings::name)
            .toList()) + "). Declare it under ingest.sources." + sourceName + ", or pass a declared name."));
    DatasetSchema schema = config.dataset();
    if (labels == Labels.SKIP) {
      source = withoutColumn(source, schema.labelColumn());
      schema = withoutRequired(schema, schema.labelColumn());
    }
    Dataset<Row> raw;
    if (source.format() == SourceFormat.JDBC) {
      raw = TableSources.jdbc(spark, source);
    } else {
      raw = raw(spark, source, SourceFiles.root(spark, source).toString(), SourceFiles.list(spark, source));
    }
    Dataset<Row> records = persisted.cut(Canonicalizer.canonicalize(raw, source, schema, run));
    List<Row> summary = summary(records);
    checkHeaders(summary, List.of(source));
    long read = summary.stream().mapToLong(r -> r.getLong(1)).sum();
    long bad = summary.stream().mapToLong(r -> r.getLong(2)).sum();
    return new SourceRows(source.name(), good(records, schema), quarantineRows(records.filter(isBad()), stage),
        read, bad);
  }

  /** The raw records of {@code files} of a file source (Parquet, or one of the file readers). */
  static Dataset<Row> raw(SparkSession spark, SourceSettings source, String root, List<InputFile> files) {
    return raw(spark, source, root, files, Long.MAX_VALUE);
  }

  /** As {@link #raw(SparkSession, SourceSettings, String, List)}, reading at most that many records per text file. */
  static Dataset<Row> raw(SparkSession spark, SourceSettings source, String root, List<InputFile> files,
      long maxRecordsPerFile) {
    if (files.isEmpty()) {
      return spark.createDataFrame(List.<Row>of(), RawRecords.SCHEMA);
    }
    if (source.format() == SourceFormat.PARQUET) {
      return TableSources.parquet(spark, source, root, files);
    }
    JavaRDD<InputFile> rdd = JavaSparkContext.fromSparkContext(spark.sparkContext())
        .parallelize(files, slices(spark, source, files.size()));
    return read(spark, source, rdd, maxRecordsPerFile);
  }

  /**
   * The raw records of {@code count} files of a text file source (csv, jsonl, email, text) given as an RDD, so
   * the file list need not be on the driver. The files are dealt round-robin from one partition into
   * {@link #slices} tasks (an RDD shuffle inside the read's own job): one file per task for csv and jsonl (up to
   * 10,000 tasks), an even share per task for email and text.
   */
  static Dataset<Row> raw(SparkSession spark, SourceSettings source, JavaRDD<InputFile> files, long count) {
    if (count == 0) {
      return spark.createDataFrame(List.<Row>of(), RawRecords.SCHEMA);
    }
    return read(spark, source, files.coalesce(1).repartition(slices(spark, source, count)), Long.MAX_VALUE);
  }

  /**
   * Tasks for {@code files} text files: one per file for csv and jsonl (neither can be split; a task per file is
   * Spark's own parallelism for multi-line CSV and gzip) up to 10,000, a few per core for email and text, whose
   * many small files are one record each.
   */
  private static int slices(SparkSession spark, SourceSettings source, long files) {
    return (int) (source.format().isOneRecordPerFile()
        ? Math.min(files, Math.max(1, spark.sparkContext().defaultParallelism() * 4))
        : Math.min(files, 10_000));
  }

  private static Dataset<Row> read(SparkSession spark, SourceSettings source, JavaRDD<InputFile> files,
      long maxRecordsPerFile) {
    HadoopConf conf = new HadoopConf(spark.sparkContext().hadoopConfiguration());
    return spark.createDataFrame(files.flatMap(new FileRecordReader(source, conf, maxRecordsPerFile)),
        RawRecords.SCHEMA);
  }

  /** Whether a canonical record is bad (a reader or canonicaliser error). */
  static Column isBad() {
    return size(col(Canonicalizer.ERRORS)).gt(0);
  }

  /**
   * Per source file, not collected: {@code _source, _source_file, read, quarantined}. Ingest writes it into
   * {@code ops.ingest_log}; with one record per file (email) it has a row per record, so it stays on executors.
   */
  static Dataset<Row> perFile(Dataset<Row> records) {
    return records.groupBy(col(Lineage.SOURCE), col(Lineage.SOURCE_FILE))
        .agg(count(lit(1)).as("read"), sum(when(isBad(), 1).otherwise(0)).as("quarantined"));
  }

  /** How many file names a conf error lists (the first, in path order); the count of the others follows. */
  static final int FILES_NAMED = 10;

  /**
   * One aggregation over canonical records, one row per source (so bounded by the number of sources, whatever
   * the number of files): {@code _source, read, quarantined, missing} (the header problem of the file first in
   * path order, if any: [file, missing fields, present fields]), {@code present} (JSON Lines fields seen, sorted),
   * {@code parsed} (JSON Lines records parsed), {@code files} (files with records), {@code first_files} (the
   * first {@link #FILES_NAMED} of them in path order).
   */
  static List<Row> summary(Dataset<Row> records) {
    Column firstError = element_at(col(Canonicalizer.ERRORS), 1);
    return records.groupBy(col(Lineage.SOURCE))
        .agg(count(lit(1)).as("read"),
            sum(when(isBad(), 1).otherwise(0)).as("quarantined"),
            min(when(firstError.getField("code").equalTo(RawRecords.MISSING_COLUMN),
                array(col(Lineage.SOURCE_FILE), firstError.getField("message"), col(Canonicalizer.RAW))))
                .as("missing"),
            array_sort(array_distinct(flatten(collect_set(col(Canonicalizer.PRESENT_FIELDS))))).as("present"),
            sum(when(col(Canonicalizer.PRESENT_FIELDS).isNotNull(), 1).otherwise(0)).as("parsed"),
            countDistinct(col(Lineage.SOURCE_FILE)).as("files"),
            slice(array_sort(collect_set(col(Lineage.SOURCE_FILE))), 1, FILES_NAMED).as("first_files"))
        .collectAsList();
  }

  /**
   * Throws the conf error a header problem means: a mapped field missing from a file's header, or a JSON Lines
   * field mapped but absent from every record read. {@code summary} is {@link #summary}'s.
   */
  static void checkHeaders(List<Row> summary, List<SourceSettings> sources) {
    for (Row r : summary) {
      if (!r.isNullAt(3)) {
        List<Object> m = r.getList(3);
        List<String> missing = Arrays.asList(m.get(1).toString().split(","));
        List<String> present = Arrays.asList(m.get(2).toString().split(","));
        throw LakepipeErrors.missingSourceColumn(r.getString(0), m.get(0).toString(), missing, present);
      }
    }
    for (SourceSettings s : sources) {
      if (s.format() != SourceFormat.JSONL) {
        continue;
      }
      Row r = summary.stream().filter(x -> x.getString(0).equals(s.name())).findFirst().orElse(null);
      if (r == null || r.getLong(5) == 0) {
        continue;
      }
      Set<String> seen = new TreeSet<>(r.isNullAt(4) ? List.of() : r.<String>getList(4));
      List<String> missing = new TreeSet<>(s.columns().values()).stream().filter(f -> !seen.contains(f)).toList();
      if (!missing.isEmpty()) {
        long files = r.getLong(6);
        String named = String.join(", ", r.<String>getList(7))
            + (files > FILES_NAMED ? " and " + (files - FILES_NAMED) + " more files" : "");
        throw LakepipeErrors.missingSourceColumn(s.name(), named, missing, new ArrayList<>(seen));
      }
    }
  }

  /** The good records in the layout of bronze.records. */
  static Dataset<Row> good(Dataset<Row> records, DatasetSchema schema) {
    return records.filter(isBad().unary_$bang())
        .select(Canonicalizer.bronzeColumns(schema).stream().map(c -> col(c)).toArray(Column[]::new));
  }

  /** Quarantine rows for bad canonical records, under their first error; every error is in the message. */
  static Dataset<Row> quarantineRows(Dataset<Row> bad, String stage) {
    Column first = element_at(col(Canonicalizer.ERRORS), 1);
    // A JDBC row has no row number (it is identified by its key, which _record_id hashes): fall back to
    // _record_id so two bad rows of one table with the same reason keep distinct quarantine ids.
    Column row = coalesce(col(Lineage.SOURCE_ROW).cast("string"), col(Lineage.RECORD_ID));
    return bad.select(
        QuarantineTable.quarantineId(lit(stage), col(Lineage.SOURCE), col(Lineage.SOURCE_FILE), row,
            first.getField("code")).as(QuarantineTable.QUARANTINE_ID),
        lit(stage).as("stage"),
        col(Lineage.SOURCE),
        col(Lineage.SOURCE_FILE),
        col(Lineage.SOURCE_ROW),
        col(Lineage.RECORD_ID),
        first.getField("code").as("reason_code"),
        lit(null).cast("string").as("rule_id"),
        first.getField("column").as("column_name"),
        concat_ws(" | ", transform(col(Canonicalizer.ERRORS), e -> e.getField("message"))).as("message"),
        first.getField("raw_value").as("raw_value"),
        col(Canonicalizer.RAW).as("raw_record"),
        col(Lineage.RUN_ID),
        col(Lineage.INGESTED_AT).as("quarantined_at"));
  }

  private static SourceSettings withoutColumn(SourceSettings s, String canonical) {
    Map<String, String> columns = new HashMap<>(s.columns());
    columns.remove(canonical);
    return new SourceSettings(s.name(), s.format(), s.path(), s.include(), columns, s.timestampFormats(),
        s.encoding(), s.csv(), s.jdbc());
  }

  private static DatasetSchema withoutRequired(DatasetSchema d, String column) {
    List<String> required = new ArrayList<>(d.requiredColumns());
    required.remove(column);
    return new DatasetSchema(d.name(), d.idColumn(), d.textColumns(), d.labelColumn(), d.eventTimeColumn(),
        d.numericColumns(), d.categoricalColumns(), required);
  }
}
