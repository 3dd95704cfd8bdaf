package dev.lakepipe.ingest;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.array_distinct;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.collect_set;
import static org.apache.spark.sql.functions.flatten;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.element_at;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.size;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import dev.lakepipe.core.LakepipeErrors;
import dev.lakepipe.core.Lineage;
import dev.lakepipe.core.QuarantineTable;
import dev.lakepipe.core.RunContext;
import dev.lakepipe.core.SparkSessionFactory;
import dev.lakepipe.core.TableCatalog;
import dev.lakepipe.core.TableRef;
import dev.lakepipe.core.config.LakepipeConfig;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code lakepipe ingest}: reads every source declared under {@code ingest.sources} into
 * {@code bronze.records}, bad records into {@code ops.quarantine}, and one row per input file into
 * {@code ops.ingest_log}.
 *
 * <p>Incremental and idempotent: files already logged (same path and checksum) are not read again; bronze
 * and quarantine are written with a MERGE on their keys, so a re-run of a crashed run never duplicates rows.
 * The log is written last, so a crash before it only makes the next run re-read (and skip) those rows.
 *
 * <p>Cost: one pass over the new input (cached), one shuffle-free MERGE per table, and a semi-join with
 * bronze's ids when bronze exists. Only per-file counts reach the driver.
 */
public final class IngestJob {

  private static final Logger LOG = LoggerFactory.getLogger(IngestJob.class);
  public static final String STAGE = "ingest";
  static final String BRONZE_KEY = "bronze-records";

  private IngestJob() {}

  public static IngestReport run(SparkSession spark, LakepipeConfig config, RunContext run) {
    IngestSettings settings = IngestSettings.parse(config);
    return SparkSessionFactory.withJobGroup(spark, "INGEST", "lakepipe ingest run " + run.runId(),
        () -> new IngestJob.Run(spark, config, settings, run).execute());
  }

  /** The state of one run; keeps {@link #run} readable. */
  private static final class Run {
    private final SparkSession spark;
    private final LakepipeConfig config;
    private final IngestSettings settings;
    private final RunContext run;
    private final TableCatalog catalog;
    private final IngestLog log;
    private final Map<String, Integer> fileCounts = new LinkedHashMap<>();
    private final Map<String, InputFile> filesByPath = new HashMap<>();
    private final Map<String, String> checksumsByPath = new HashMap<>();

    Run(SparkSession spark, LakepipeConfig config, IngestSettings settings, RunContext run) {
      this.spark = spark;
      this.config = config;
      this.settings = settings;
      this.run = run;
      this.catalog = new TableCatalog(spark, config.tables());
      this.log = new IngestLog(spark, catalog);
    }

    IngestReport execute() {
      catalog.registerAll();
      List<Dataset<Row>> parts = new ArrayList<>();
      for (SourceSettings source : settings.sources()) {
        Dataset<Row> raw = read(source);
        if (raw != null) {
          parts.add(Canonicalizer.canonicalize(raw, source, config.dataset(), run));
        }
      }
      if (parts.isEmpty()) {
        LOG.info("ingest: no new input in {} sources; nothing written", settings.sources().size());
        return report(List.of());
      }
      Dataset<Row> records = parts.stream().reduce(Dataset::unionByName).orElseThrow()
          .persist(StorageLevel.MEMORY_AND_DISK());
      try {
        return write(records);
      } finally {
        records.unpersist();
      }
    }

    /** The new input of one source as raw records, or null when it has nothing new. */
    private Dataset<Row> read(SourceSettings source) {
      if (source.format() == SourceFormat.JDBC) {
        fileCounts.put(source.name(), 1);
        return TableSources.jdbc(spark, source);
      }
      String root = SourceFiles.root(spark, source).toString();
      List<InputFile> all = SourceFiles.list(spark, source);
      IngestLog.Seen seen = log.seen(source.name());
      List<InputFile> candidates = all.stream().filter(f -> !seen.unchanged(f)).toList();
      List<String> sums = SourceFiles.checksums(spark, candidates);
      List<InputFile> fresh = new ArrayList<>();
      for (int i = 0; i < candidates.size(); i++) {
        InputFile f = candidates.get(i);
        if (!seen.sameContent(f, sums.get(i))) {
          fresh.add(f);
          filesByPath.put(f.path(), f);
          checksumsByPath.put(f.path(), sums.get(i));
        }
      }
      LOG.info("ingest: source '{}' ({}): {} files, {} new or changed", source.name(), source.format().id(),
          all.size(), fresh.size());
      fileCounts.put(source.name(), fresh.size());
      if (fresh.isEmpty()) {
        return null;
      }
      if (source.format() == SourceFormat.PARQUET) {
        return TableSources.parquet(spark, source, root, fresh);
      }
      HadoopConf conf = new HadoopConf(spark.sparkContext().hadoopConfiguration());
      int slices = source.format().isOneRecordPerFile()
          ? Math.min(fresh.size(), Math.max(1, spark.sparkContext().defaultParallelism() * 4))
          : Math.min(fresh.size(), 10_000);
      JavaRDD<Row> rows = JavaSparkContext.fromSparkContext(spark.sparkContext())
          .parallelize(fresh, slices)
          .flatMap(new FileRecordReader(source, conf));
      return spark.createDataFrame(rows, RawRecords.SCHEMA);
    }

    private IngestReport write(Dataset<Row> records) {
      Column bad = size(col(Canonicalizer.ERRORS)).gt(0);
      Column firstError = element_at(col(Canonicalizer.ERRORS), 1);

      // One pass: per-file counts, and the header problems that make the conf wrong rather than the rows.
      List<Row> perFile = records.groupBy(col(Lineage.SOURCE), col(Lineage.SOURCE_FILE))
          .agg(count(lit(1)).as("read"),
              sum(when(bad, 1).otherwise(0)).as("quarantined"),
              max(when(firstError.getField("code").equalTo(RawRecords.MISSING_COLUMN),
                  array(firstError.getField("message"), col(Canonicalizer.RAW)))).as("missing"),
              array_distinct(flatten(collect_set(col(Canonicalizer.PRESENT_FIELDS)))).as("present"),
              sum(when(col(Canonicalizer.PRESENT_FIELDS).isNotNull(), 1).otherwise(0)).as("parsed"))
          .collectAsList();
      for (Row r : perFile) {
        if (!r.isNullAt(4)) {
          List<String> missing = Arrays.asList(r.getList(4).get(0).toString().split(","));
          List<String> present = Arrays.asList(r.getList(4).get(1).toString().split(","));
          throw LakepipeErrors.missingSourceColumn(r.getString(0), r.getString(1), missing, present);
        }
      }
      checkJsonFieldsSeen(perFile);

      TableRef bronze = catalog.table(BRONZE_KEY);
      Dataset<Row> good = records.filter(bad.unary_$bang())
          .select(Canonicalizer.bronzeColumns(config.dataset()).stream().map(c -> col(c)).toArray(Column[]::new));
      Map<String, Long> alreadyPresent = new HashMap<>();
      if (catalog.exists(bronze)) {
        Dataset<Row> ids = catalog.read(bronze, STAGE).select(Lineage.RECORD_ID);
        for (Row r : good.join(ids, good.col(Lineage.RECORD_ID).equalTo(ids.col(Lineage.RECORD_ID)), "left_semi")
            .groupBy(Lineage.SOURCE, Lineage.SOURCE_FILE).count().collectAsList()) {
          alreadyPresent.put(r.getString(0) + "\u0000" + r.getString(1), r.getLong(2));
        }
      }

      long quarantinedNew = QuarantineTable.write(catalog, quarantineRows(records.filter(bad)));
      long inserted = catalog.insertNew(bronze, good, List.of(Lineage.RECORD_ID));

      List<IngestLog.Entry> entries = new ArrayList<>();
      Map<String, long[]> bySource = new LinkedHashMap<>();
      settings.sources().forEach(s -> bySource.put(s.name(), new long[4]));
      for (Row r : perFile) {
        String source = r.getString(0);
        String file = r.getString(1);
        long read = r.getLong(2);
        long quarantined = r.getLong(3);
        long present = alreadyPresent.getOrDefault(source + "\u0000" + file, 0L);
        long written = read - quarantined - present;
        InputFile f = filesByPath.get(file);
        entries.add(new IngestLog.Entry(source, file, f == null ? null : f.size(),
            f == null ? null : f.modificationTime(), checksumsByPath.get(file), read, written, quarantined,
            present));
        long[] c = bySource.get(source);
        c[0] += read;
        c[1] += written;
        c[2] += quarantined;
        c[3] += present;
      }
      long expectedInserted = bySource.values().stream().mapToLong(c -> c[1]).sum();
      if (inserted != expectedInserted) {
        throw LakepipeErrors.conservationBroken(STAGE, "bronze MERGE inserted " + inserted + " rows but "
            + expectedInserted + " were new; a key column may not be unique (check key-column of JDBC sources)");
      }
      log.write(run.runId(), Timestamp.from(run.startedAt()), entries);

      List<IngestReport.SourceCounts> counts = new ArrayList<>();
      for (SourceSettings s : settings.sources()) {
        long[] c = bySource.get(s.name());
        counts.add(new IngestReport.SourceCounts(s.name(), s.format().id(), fileCounts.getOrDefault(s.name(), 0),
            c[0], c[1], c[2], c[3]));
      }
      IngestReport report = report(counts);
      LOG.info("ingest: {} read, {} written, {} quarantined ({} new quarantine rows)", report.totalRead(),
          report.totalWritten(), report.totalQuarantined(), quarantinedNew);
      return report;
    }

    /** A JSON Lines field that is mapped but absent from every record read is a conf error, not missing data. */
    private void checkJsonFieldsSeen(List<Row> perFile) {
      for (SourceSettings s : settings.sources()) {
        if (s.format() != SourceFormat.JSONL) {
          continue;
        }
        java.util.Set<String> seen = new java.util.TreeSet<>();
        List<String> files = new ArrayList<>();
        long parsed = 0;
        for (Row r : perFile) {
          if (r.getString(0).equals(s.name())) {
            files.add(r.getString(1));
            parsed += r.getLong(6);
            if (!r.isNullAt(5)) {
              seen.addAll(r.getList(5));
            }
          }
        }
        if (files.isEmpty() || parsed == 0) {
          continue;
        }
        List<String> missing = new java.util.TreeSet<>(s.columns().values()).stream()
            .filter(f -> !seen.contains(f)).toList();
        if (!missing.isEmpty()) {
          throw LakepipeErrors.missingSourceColumn(s.name(), String.join(", ", files), missing,
              new ArrayList<>(seen));
        }
      }
    }

    private Dataset<Row> quarantineRows(Dataset<Row> bad) {
      Column first = element_at(col(Canonicalizer.ERRORS), 1);
      // A JDBC row has no row number (it is identified by its key, which _record_id hashes): fall back to
      // _record_id so two bad rows of one table with the same reason keep distinct quarantine ids.
      Column row = coalesce(col(Lineage.SOURCE_ROW).cast("string"), col(Lineage.RECORD_ID));
      return bad.select(
          QuarantineTable.quarantineId(lit(STAGE), col(Lineage.SOURCE), col(Lineage.SOURCE_FILE), row,
              first.getField("code")).as(QuarantineTable.QUARANTINE_ID),
          lit(STAGE).as("stage"),
          col(Lineage.SOURCE),
          col(Lineage.SOURCE_FILE),
          col(Lineage.SOURCE_ROW),
          col(Lineage.RECORD_ID),
          first.getField("code").as("reason_code"),
          lit(null).cast("string").as("rule_id"),
          first.getField("column").as("column_name"),
          org.apache.spark.sql.functions.concat_ws(" | ",
              org.apache.spark.sql.functions.transform(col(Canonicalizer.ERRORS), e -> e.getField("message")))
              .as("message"),
          first.getField("raw_value").as("raw_value"),
          col(Canonicalizer.RAW).as("raw_record"),
          col(Lineage.RUN_ID),
          col(Lineage.INGESTED_AT).as("quarantined_at"));
    }

    private IngestReport report(List<IngestReport.SourceCounts> counts) {
      if (counts.isEmpty()) {
        List<IngestReport.SourceCounts> zero = new ArrayList<>();
        settings.sources().forEach(s -> zero.add(new IngestReport.SourceCounts(s.name(), s.format().id(),
            fileCounts.getOrDefault(s.name(), 0), 0, 0, 0, 0)));
        return new IngestReport(run.runId(), zero);
      }
      return new IngestReport(run.runId(), counts);
    }
  }
}
