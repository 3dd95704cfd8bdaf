package dev.lakepipe.ingest;

import static org.apache.spark.sql.functions.col;

import dev.lakepipe.core.TableCatalog;
import dev.lakepipe.core.TableRef;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * {@code ops.ingest_log}: one row per input file (or JDBC read) per run, with its size, modification time,
 * SHA-256 and the rows read, written, quarantined and already present. It is what makes ingest incremental:
 * a file whose path and checksum are logged is not read again; a file whose path, size and modification time
 * are logged is not even checksummed again. Read and written as Datasets: nothing per file is collected.
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

  private final SparkSession spark;
  private final TableCatalog catalog;
  private final TableRef table;

  IngestLog(SparkSession spark, TableCatalog catalog) {
    this.spark = spark;
    this.catalog = catalog;
    this.table = catalog.table(KEY);
  }

  /**
   * The logged files of a source ({@code path, size, modification_time, checksum}), or null when the log does
   * not exist yet. Not collected: ingest joins the listing with it on executors, so the driver holds none of
   * the log's history (which grows with every file ever ingested).
   */
  Dataset<Row> logged(String source) {
    if (!catalog.exists(table)) {
      return null;
    }
    return catalog.read(table, "ingest").filter(col("source").equalTo(source))
        .select("path", "size", "modification_time", "checksum");
  }

  /**
   * Adds this run's rows, {@code rows} in the layout of {@link #SCHEMA} (one per file or JDBC read; size,
   * modification time and checksum null for JDBC reads). A re-run with the same run id adds nothing twice.
   */
  void write(Dataset<Row> rows) {
    Dataset<Row> typed = spark.createDataFrame(rows.javaRDD(), SCHEMA);
    catalog.insertNew(table, typed, List.of("source", "path", "checksum", "run_id"));
  }
}
