package dev.lakepipe.ingest;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_set;
import static org.apache.spark.sql.functions.element_at;
import static org.apache.spark.sql.functions.length;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.size;
import static org.apache.spark.sql.functions.split;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.trim;
import static org.apache.spark.sql.functions.when;

import dev.lakepipe.core.LakepipeErrors;
import dev.lakepipe.core.SparkSessionFactory;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.Charset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The first records of a file source, read exactly as ingest reads them (the same file listing, readers,
 * dialect and field names) and profiled per field with ingest's own parsing: a number is what a numeric
 * column's {@code try_cast} reads, a timestamp format reads what the same {@code timestamp-formats} entry reads
 * at ingest. {@code lakepipe init} guesses a starter conf from this, so the conf it writes maps fields that
 * exist and formats that work.
 *
 * <p>Cost: text files are read one task per file until the sample is full, each file at most
 * {@code maxRecords} records (never a whole large file); Parquet through Spark's reader with a limit. The
 * sample (at most {@code maxRecords} rows) is brought to the driver and profiled in one aggregation; nothing
 * that grows with the source does.
 *
 * @param files the source's files, in ingest's order
 * @param records sampled records read, good or not
 * @param unreadable sampled records the reader could not parse (ingest would quarantine them)
 * @param firstError the reader's message for the first of those, or null
 * @param fields one profile per field, in the source's order (CSV header, first JSON record, Parquet schema),
 *     then fields only later records have, by name
 */
public record SourceSample(
    List<String> files, long records, long unreadable, String firstError, List<FieldProfile> fields) {

  public SourceSample {
    files = List.copyOf(files);
    fields = List.copyOf(fields);
  }

  /** Lines read to find the first JSON object of a JSON Lines file. */
  private static final int JSON_LINES_PEEKED = 1000;
  private static final int SAMPLE_VALUES = 3;

  /** The source's files as ingest lists them (recursively, skipping names that start with '.' or '_'). */
  public static List<String> files(SparkSession spark, SourceSettings source) {
    return SourceFiles.list(spark, source).stream().map(InputFile::path).toList();
  }

  /**
   * The field names of one file as ingest keys them, in the file's order: a CSV header (trimmed), the first
   * JSON Lines record's keys, a Parquet schema's columns. Empty when the file has none (an empty file).
   */
  public static List<String> fieldNames(SparkSession spark, SourceSettings source, String file) {
    if (source.format() == SourceFormat.PARQUET) {
      return List.of(spark.read().parquet(file).schema().fieldNames());
    }
    HadoopConf conf = new HadoopConf(spark.sparkContext().hadoopConfiguration());
    try (InputStream in = FileRecordReader.open(conf, file)) {
      TextReader text = FileRecordReader.reader(in, Charset.forName(source.encoding()));
      return switch (source.format()) {
        case CSV -> CsvRecords.header(text, source.csv());
        case JSONL -> JsonLinesRecords.firstRecordFields(new BufferedReader(text), JSON_LINES_PEEKED);
        default -> throw new IllegalArgumentException("Cannot sample a " + source.format().id() + " source: "
            + "only csv, jsonl and parquet are profiled.");
      };
    } catch (IOException | RuntimeException e) {
      throw LakepipeErrors.sourceUnreadable(source.name(), file, String.valueOf(e.getMessage()),
          e);
    }
  }

  /**
   * Reads the first {@code maxRecords} records of the source (files in ingest's order) and profiles every field.
   * {@code timestampFormats} are the {@code timestamp-formats} entries to try, each on its own.
   */
  public static SourceSample read(SparkSession spark, SourceSettings source, int maxRecords,
      List<String> timestampFormats) {
    LakepipeErrors.checkArgument(Set.of(SourceFormat.CSV, SourceFormat.JSONL, SourceFormat.PARQUET)
        .contains(source.format()), "Cannot sample source '%s': only csv, jsonl and parquet are profiled, got %s",
        source.name(), source.format().id());
    LakepipeErrors.checkArgument(maxRecords >= 1, "Cannot sample source '%s': maxRecords must be at least 1, got %s",
        source.name(), maxRecords);
    return SparkSessionFactory.withJobGroup(spark, "INIT", "sample " + maxRecords + " records of " + source.path(),
        () -> sample(spark, source, maxRecords, timestampFormats));
  }

  private static SourceSample sample(SparkSession spark, SourceSettings source, int maxRecords,
      List<String> timestampFormats) {
    List<InputFile> files = SourceFiles.list(spark, source);
    List<String> paths = files.stream().map(InputFile::path).toList();
    if (files.isEmpty()) {
      return new SourceSample(paths, 0, 0, null, List.of());
    }
    Map<String, String> types = new LinkedHashMap<>();
    if (source.format() == SourceFormat.PARQUET) {
      StructType schema = spark.read().parquet(paths.toArray(String[]::new)).schema();
      for (StructField f : schema.fields()) {
        types.put(f.name(), f.dataType().simpleString());
      }
    } else {
      fieldNames(spark, source, paths.get(0)).forEach(n -> types.put(n, "string"));
    }
    String root = SourceFiles.root(spark, source).toString();
    List<Row> rows = SourceReader.raw(spark, source, root, files, maxRecords).limit(maxRecords).collectAsList();

    List<Row> good = new ArrayList<>();
    long unreadable = 0;
    String firstError = null;
    Set<String> later = new TreeSet<>();
    for (Row r : rows) {
      if (!r.isNullAt(r.fieldIndex(RawRecords.ERROR_CODE))) {
        unreadable++;
        if (firstError == null) {
          firstError = r.getString(r.fieldIndex(RawRecords.ERROR_MESSAGE));
        }
        continue;
      }
      good.add(r);
      for (String k : r.<String, String>getJavaMap(r.fieldIndex(RawRecords.FIELDS)).keySet()) {
        if (!types.containsKey(k)) {
          later.add(k);
        }
      }
    }
    later.forEach(k -> types.put(k, "string"));
    List<String> names = new ArrayList<>(types.keySet());
    return new SourceSample(paths, rows.size(), unreadable, firstError,
        profile(spark, source, good, names, types, timestampFormats));
  }

  /** One aggregation over the sampled records: the counts of every field. */
  private static List<FieldProfile> profile(SparkSession spark, SourceSettings source, List<Row> good,
      List<String> names, Map<String, String> types, List<String> timestampFormats) {
    if (names.isEmpty()) {
      return List.of();
    }
    Dataset<Row> sample = spark.createDataFrame(good, RawRecords.SCHEMA);
    List<Column> aggs = new ArrayList<>();
    for (int i = 0; i < names.size(); i++) {
      String name = names.get(i);
      Column v = element_at(col(RawRecords.FIELDS), lit(Canonicalizer.lookupKey(source, name)));
      Column has = v.isNotNull().and(trim(v).notEqual(""));
      aggs.add(count(has).as("present_" + i));
      aggs.add(size(collect_set(when(has, v))).as("distinct_" + i));
      aggs.add(count(has.and(Canonicalizer.number(source, name).isNotNull())).as("numeric_" + i));
      aggs.add(count(has.and(trim(v).rlike("^[+-]?[0-9]+$"))).as("integral_" + i));
      aggs.add(count(has.and(not(trim(v).rlike("\\s")))).as("single_" + i));
      aggs.add(coalesce(avg(when(has, length(v))), lit(0.0)).as("length_" + i));
      aggs.add(coalesce(avg(when(has, size(split(trim(v), "\\s+")))), lit(0.0)).as("words_" + i));
      aggs.add(count(has.and(Canonicalizer.isoTimestamp(v).isNotNull())).as("iso_" + i));
      for (int f = 0; f < timestampFormats.size(); f++) {
        aggs.add(count(has.and(Canonicalizer.timestampWith(v, timestampFormats.get(f)).isNotNull()))
            .as("format_" + i + "_" + f));
      }
    }
    Row counts = sample.agg(aggs.get(0), aggs.subList(1, aggs.size()).toArray(Column[]::new)).first();

    List<FieldProfile> out = new ArrayList<>();
    for (int i = 0; i < names.size(); i++) {
      String name = names.get(i);
      Map<String, Long> formats = new LinkedHashMap<>();
      for (int f = 0; f < timestampFormats.size(); f++) {
        formats.put(timestampFormats.get(f), counts.getLong(counts.fieldIndex("format_" + i + "_" + f)));
      }
      out.add(new FieldProfile(name, types.get(name), good.size(),
          counts.getLong(counts.fieldIndex("present_" + i)),
          counts.getInt(counts.fieldIndex("distinct_" + i)),
          counts.getLong(counts.fieldIndex("numeric_" + i)),
          counts.getLong(counts.fieldIndex("integral_" + i)),
          counts.getLong(counts.fieldIndex("single_" + i)),
          counts.getDouble(counts.fieldIndex("length_" + i)),
          counts.getDouble(counts.fieldIndex("words_" + i)),
          counts.getLong(counts.fieldIndex("iso_" + i)),
          formats,
          firstValues(good, name)));
    }
    return out;
  }

  /** Rows where {@code condition} holds. */
  private static Column count(Column condition) {
    return coalesce(sum(when(condition, 1L).otherwise(0L)), lit(0L));
  }

  /** The first distinct values of a field, in sample order (the sample is on the driver already). */
  private static List<String> firstValues(List<Row> good, String name) {
    Set<String> seen = new LinkedHashSet<>();
    for (Row r : good) {
      String v = r.<String, String>getJavaMap(r.fieldIndex(RawRecords.FIELDS)).get(name);
      if (v != null && !v.isBlank()) {
        seen.add(v);
        if (seen.size() == SAMPLE_VALUES) {
          break;
        }
      }
    }
    return List.copyOf(seen);
  }
}
