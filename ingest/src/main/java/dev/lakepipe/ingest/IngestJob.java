package dev.lakepipe.ingest;

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
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
      if (all.isEmpty()) {
        LOG.warn("ingest: source '{}' has no files under {} (include '{}'); nothing to read. If data was expected, "
            + "check ingest.sources.{}.path and .include.", source.name(), root, source.include(), source.name());
      }
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
      return SourceReader.raw(spark, source, root, fresh);
    }

    private IngestReport write(Dataset<Row> records) {
      // One pass: per-file counts, and the header problems that make the conf wrong rather than the rows.
      List<Row> perFile = SourceReader.perFile(records);
      SourceReader.checkHeaders(perFile, settings.sources());

      TableRef bronze = catalog.table(BRONZE_KEY);
      Dataset<Row> good = SourceReader.good(records, config.dataset());
      Map<String, Long> alreadyPresent = new HashMap<>();
      if (catalog.exists(bronze)) {
        Dataset<Row> ids = catalog.read(bronze, STAGE).select(Lineage.RECORD_ID);
        for (Row r : good.join(ids, good.col(Lineage.RECORD_ID).equalTo(ids.col(Lineage.RECORD_ID)), "left_semi")
            .groupBy(Lineage.SOURCE, Lineage.SOURCE_FILE).count().collectAsList()) {
          alreadyPresent.put(r.getString(0) + "\u0000" + r.getString(1), r.getLong(2));
        }
      }

      long quarantinedNew = QuarantineTable.write(catalog,
          SourceReader.quarantineRows(records.filter(SourceReader.isBad()), STAGE));
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
      // A file with no records (empty, or a CSV header only) is logged too, with zero counts: it was read, and
      // the next run need not read it again.
      java.util.Set<String> counted = new java.util.HashSet<>();
      perFile.forEach(r -> counted.add(r.getString(1)));
      for (InputFile f : filesByPath.values()) {
        if (!counted.contains(f.path())) {
          entries.add(new IngestLog.Entry(f.source(), f.path(), f.size(), f.modificationTime(),
              checksumsByPath.get(f.path()), 0, 0, 0, 0));
        }
      }
      long expectedInserted = bySource.values().stream().mapToLong(c -> c[1]).sum();
      checkInserted(inserted, expectedInserted);
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
