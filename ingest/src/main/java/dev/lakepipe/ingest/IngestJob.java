package dev.lakepipe.ingest;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;

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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
 * bronze's ids when bronze exists. Driver memory: the file listing of each source (see {@link SourceFiles}) and
 * one row per source; which files are new, their checksums, the per-file counts and the log rows are Datasets
 * on executors, joined and written there (a source of one record per file, email, has as many log rows as
 * records). The selection costs a few small jobs per file source (two anti-joins with the log, the checksums,
 * a count; the files to read are dealt to tasks by a shuffle inside the read).
 *
 * <p>A source's records are read, canonicalised, checked and split into good and bad rows by the steps of
 * {@link SourceReader}, ingest's public loading API; this job adds what it alone does: the incremental file
 * selection, bronze, the quarantine MERGE and the log.
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

  /**
   * Conservation of the bronze write: the MERGE inserted exactly the rows the per-file counts call new (read
   * minus quarantined minus already in bronze). Throws the job error (exit code 1) otherwise; the quarantine is
   * written by then, the ingest log not, so the next run reads the files again.
   */
  static void checkInserted(long inserted, long expectedInserted) {
    if (inserted != expectedInserted) {
      throw LakepipeErrors.conservationBroken(STAGE, "bronze MERGE inserted " + inserted + " rows but "
          + expectedInserted + " were new; a key column may not be unique (check key-column of JDBC sources)");
    }
  }

  /** The state of one run; keeps {@link #run} readable. */
  private static final class Run {
    private final SparkSession spark;
    private final LakepipeConfig config;
    private final IngestSettings settings;
    private final RunContext run;
    private final TableCatalog catalog;
    private final IngestLog log;
    /** Files (or JDBC reads) selected per source: the report's file count. */
    private final Map<String, Long> fileCounts = new LinkedHashMap<>();
    /** The selected files of every file source ({@link SourceFiles#FILES} and the checksum), persisted. */
    private final List<Dataset<Row>> freshFiles = new ArrayList<>();

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
      try {
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
      } finally {
        freshFiles.forEach(Dataset::unpersist);
      }
    }

    /**
     * The new input of one source as raw records, or null when it has nothing new. The listing is on the driver
     * (see {@link SourceFiles}); which files are new is decided on executors: an anti-join with the logged
     * (path, size, modification time), checksums of the rest, an anti-join with the logged (path, checksum).
     */
    private Dataset<Row> read(SourceSettings source) {
      if (source.format() == SourceFormat.JDBC) {
        fileCounts.put(source.name(), 1L);
        return TableSources.jdbc(spark, source);
      }
      String root = SourceFiles.root(spark, source).toString();
      List<InputFile> all = SourceFiles.list(spark, source);
      if (all.isEmpty()) {
        LOG.warn("ingest: source '{}' has no files under {} (include '{}'); nothing to read. If data was expected, "
            + "check ingest.sources.{}.path and .include.", source.name(), root, source.include(), source.name());
        fileCounts.put(source.name(), 0L);
        return null;
      }
      Dataset<Row> listed = SourceFiles.dataset(spark, all);
      Dataset<Row> logged = log.logged(source.name());
      Dataset<Row> candidates = logged == null ? listed : listed.join(logged,
          listed.col("path").equalTo(logged.col("path")).and(listed.col("size").equalTo(logged.col("size")))
              .and(listed.col("modification_time").equalTo(logged.col("modification_time"))), "left_anti");
      // After the join the files are in the join's partitions (a handful, or one once AQE coalesces them):
      // spread them again so the checksums run in parallel. The listing itself is spread already.
      Dataset<Row> summed = SourceFiles.withChecksums(spark,
          logged == null ? candidates : candidates.repartition(SourceFiles.tasks(spark, all.size())));
      Dataset<Row> fresh = (logged == null ? summed : summed.join(logged,
          summed.col("path").equalTo(logged.col("path")).and(summed.col("checksum").equalTo(logged.col("checksum"))),
          "left_anti"))
          .persist(StorageLevel.MEMORY_AND_DISK());
      freshFiles.add(fresh);
      long count = fresh.count();
      LOG.info("ingest: source '{}' ({}): {} files, {} new or changed", source.name(), source.format().id(),
          all.size(), count);
      fileCounts.put(source.name(), count);
      if (count == 0) {
        return null;
      }
      if (source.format() == SourceFormat.PARQUET) {
        // Spark's Parquet reader takes paths: the new Parquet files come to the driver (each holds many rows).
        List<InputFile> files = fresh.collectAsList().stream().map(SourceFiles::inputFile)
            .sorted(java.util.Comparator.comparing(InputFile::path)).toList();
        return SourceReader.raw(spark, source, root, files);
      }
      return SourceReader.raw(spark, source, fresh.javaRDD().map(SourceFiles::inputFile), count);
    }

    private IngestReport write(Dataset<Row> records) {
      // One aggregation per source: the header problems that make the conf wrong rather than the rows.
      SourceReader.checkHeaders(SourceReader.summary(records), settings.sources());

      TableRef bronze = catalog.table(BRONZE_KEY);
      Dataset<Row> good = SourceReader.good(records, config.dataset());
      // Rows already in bronze, per file: a semi-join with bronze's ids as of before this run's write (a Delta
      // version, so a recomputation after the MERGE still counts against the old ids).
      Dataset<Row> present = null;
      if (catalog.exists(bronze)) {
        Dataset<Row> ids = bronzeIdsAsOf(bronze, catalog.version(bronze));
        present = good.join(ids, good.col(Lineage.RECORD_ID).equalTo(ids.col(Lineage.RECORD_ID)), "left_semi")
            .groupBy(Lineage.SOURCE, Lineage.SOURCE_FILE).count();
      }
      Dataset<Row> logRows = logRows(SourceReader.perFile(records), present)
          .persist(StorageLevel.MEMORY_AND_DISK());
      try {
        // Per source totals, before any write: read, written, quarantined, already present, log rows.
        Map<String, long[]> bySource = new LinkedHashMap<>();
        settings.sources().forEach(s -> bySource.put(s.name(), new long[5]));
        for (Row r : logRows.groupBy("source").agg(sum("rows_read"), sum("rows_written"), sum("rows_quarantined"),
            sum("rows_already_present"), count(lit(1))).collectAsList()) {
          long[] c = bySource.get(r.getString(0));
          for (int i = 0; i < 5; i++) {
            c[i] = r.getLong(i + 1);
          }
        }

        long quarantinedNew = QuarantineTable.write(catalog,
            SourceReader.quarantineRows(records.filter(SourceReader.isBad()), STAGE));
        long inserted = catalog.insertNew(bronze, good, List.of(Lineage.RECORD_ID));
        long expectedInserted = bySource.values().stream().mapToLong(c -> c[1]).sum();
        checkInserted(inserted, expectedInserted);
        if (bySource.values().stream().mapToLong(c -> c[4]).sum() > 0) {
          log.write(logRows);
        }

        List<IngestReport.SourceCounts> counts = new ArrayList<>();
        for (SourceSettings s : settings.sources()) {
          long[] c = bySource.get(s.name());
          counts.add(new IngestReport.SourceCounts(s.name(), s.format().id(),
              fileCounts.getOrDefault(s.name(), 0L).intValue(), c[0], c[1], c[2], c[3]));
        }
        IngestReport report = report(counts);
        LOG.info("ingest: {} read, {} written, {} quarantined ({} new quarantine rows)", report.totalRead(),
            report.totalWritten(), report.totalQuarantined(), quarantinedNew);
        return report;
      } finally {
        logRows.unpersist();
      }
    }

    /**
     * This run's {@code ops.ingest_log} rows ({@link IngestLog#SCHEMA}): every selected file with its counts, a
     * file with no records (empty, or a CSV header only) with zero counts (it was read, and the next run need
     * not read it again), and each JDBC read (no size, time or checksum). Written = read - quarantined - already
     * present.
     */
    private Dataset<Row> logRows(Dataset<Row> perFile, Dataset<Row> present) {
      Dataset<Row> counts = perFile.select(col(Lineage.SOURCE).as("c_source"), col(Lineage.SOURCE_FILE).as("c_path"),
          col("read"), col("quarantined"));
      Dataset<Row> rows;
      if (freshFiles.isEmpty()) {
        rows = counts.select(col("c_source").as("source"), col("c_path").as("path"),
            lit(null).cast("long").as("size"), lit(null).cast("timestamp").as("modification_time"),
            lit(null).cast("string").as("checksum"), col("read"), col("quarantined"));
      } else {
        Dataset<Row> files = freshFiles.stream().reduce(Dataset::unionByName).orElseThrow()
            .select("source", "path", "size", "modification_time", "checksum");
        rows = files.join(counts, files.col("source").equalTo(counts.col("c_source"))
                .and(files.col("path").equalTo(counts.col("c_path"))), "full_outer")
            .select(coalesce(col("source"), col("c_source")).as("source"),
                coalesce(col("path"), col("c_path")).as("path"), col("size"), col("modification_time"),
                col("checksum"), col("read"), col("quarantined"));
      }
      Column alreadyPresent = lit(0L);
      if (present != null) {
        Dataset<Row> p = present.select(col(Lineage.SOURCE).as("p_source"), col(Lineage.SOURCE_FILE).as("p_path"),
            col("count").as("p_count"));
        rows = rows.join(p, rows.col("source").equalTo(p.col("p_source")).and(rows.col("path").equalTo(p.col("p_path"))),
            "left_outer");
        alreadyPresent = coalesce(col("p_count"), lit(0L));
      }
      Column read = coalesce(col("read"), lit(0L));
      Column quarantined = coalesce(col("quarantined"), lit(0L));
      return rows.select(lit(run.runId()).as("run_id"), col("source"), col("path"), col("size"),
          col("modification_time"), col("checksum"), read.as("rows_read"),
          read.minus(quarantined).minus(alreadyPresent).as("rows_written"), quarantined.as("rows_quarantined"),
          alreadyPresent.as("rows_already_present"), lit(Timestamp.from(run.startedAt())).as("logged_at"));
    }

    /** Bronze's record ids at {@code version}: a time-travel read, the same rows however often it is computed. */
    private Dataset<Row> bronzeIdsAsOf(TableRef bronze, long version) {
      return spark.sql("SELECT `" + Lineage.RECORD_ID + "` FROM " + bronze.sqlTarget() + " VERSION AS OF " + version);
    }

    private IngestReport report(List<IngestReport.SourceCounts> counts) {
      if (counts.isEmpty()) {
        List<IngestReport.SourceCounts> zero = new ArrayList<>();
        settings.sources().forEach(s -> zero.add(new IngestReport.SourceCounts(s.name(), s.format().id(),
            fileCounts.getOrDefault(s.name(), 0L).intValue(), 0, 0, 0, 0)));
        return new IngestReport(run.runId(), zero);
      }
      return new IngestReport(run.runId(), counts);
    }
  }
}
