package dev.lakepipe.ingest;

import static org.apache.spark.sql.functions.col;

import dev.lakepipe.core.TableCatalog;
import dev.lakepipe.core.TableRef;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * {@code ops.ingest_log}: one row per input file (or JDBC read) per run, with its size, modification time,
 * SHA-256 and the rows read, written, quarantined and already present. It is what makes ingest incremental:
 * a file whose path and checksum are logged is not read again; a file whose path, size and modification time
 * are logged is not even checksummed again.
 */
final class IngestLog {

  static final String KEY = "ingest-log";

  static final StructType SCHEMA = new StructType()
      .add("run_id", DataTypes.StringType, false)
      .add("source", DataTypes.StringType, false)
      .add("path", DataTypes.StringType, false)
      .add("size", DataTypes.LongType, true)
      .add("modification_time", DataTypes.TimestampType, true)
      .add("checksum", DataTypes.StringType, true)
      .add("rows_read", DataTypes.LongType, false)
      .add("rows_written", DataTypes.LongType, false)
      .add("rows_quarantined", DataTypes.LongType, false)
      .add("rows_already_present", DataTypes.LongType, false)
      .add("logged_at", DataTypes.TimestampType, false);

  /** What the log already knows of a source's files. */
  record Seen(Set<String> pathSizeTime, Set<String> pathChecksum) {
    boolean unchanged(InputFile f) {
      return pathSizeTime.contains(f.path() + "\u0000" + f.size() + "\u0000" + f.modificationTime());
    }

    boolean sameContent(InputFile f, String checksum) {
      return pathChecksum.contains(f.path() + "\u0000" + checksum);
    }
  }

  private final SparkSession spark;
  private final TableCatalog catalog;
  private final TableRef table;

  IngestLog(SparkSession spark, TableCatalog catalog) {
    this.spark = spark;
    this.catalog = catalog;
    this.table = catalog.table(KEY);
  }

  /** The logged files of a source. Grows with the number of files, not rows. */
  Seen seen(String source) {
    Set<String> pst = new HashSet<>();
    Set<String> pc = new HashSet<>();
    if (catalog.exists(table)) {
      for (Row r : catalog.read(table, "ingest").filter(col("source").equalTo(source))
          .select("path", "size", "modification_time", "checksum").collectAsList()) {
        if (!r.isNullAt(1) && !r.isNullAt(2)) {
          pst.add(r.getString(0) + "\u0000" + r.getLong(1) + "\u0000" + r.getTimestamp(2).getTime());
        }
        if (!r.isNullAt(3)) {
          pc.add(r.getString(0) + "\u0000" + r.getString(3));
        }
      }
    }
    return new Seen(pst, pc);
  }

  /** One log row; {@code size}, {@code modificationTime} and {@code checksum} are null for JDBC reads. */
  record Entry(String source, String path, Long size, Long modificationTime, String checksum,
      long read, long written, long quarantined, long alreadyPresent) {}

  void write(String runId, Timestamp at, List<Entry> entries) {
    if (entries.isEmpty()) {
      return;
    }
    List<Row> rows = new ArrayList<>();
    for (Entry e : entries) {
      rows.add(RowFactory.create(runId, e.source(), e.path(), e.size(),
          e.modificationTime() == null ? null : new Timestamp(e.modificationTime()), e.checksum(), e.read(),
          e.written(), e.quarantined(), e.alreadyPresent(), at));
    }
    Dataset<Row> df = spark.createDataFrame(rows, SCHEMA);
    catalog.insertNew(table, df, List.of("source", "path", "checksum", "run_id"));
  }
}
