package dev.lakepipe.core;

import dev.lakepipe.core.config.TableSettings;
import io.delta.tables.DeltaTable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.collection.JavaConverters;

/**
 * Finds, reads and writes the project's Delta tables by their logical key ({@code bronze-records},
 * {@code quarantine}, ...), by path or by metastore name as {@code tables.mode} says.
 *
 * <p>In path mode every existing table is registered in the session catalog under its SQL name when the
 * catalog is opened, so {@code SELECT ... FROM bronze.records} works on a laptop without a metastore.
 * Writes are Delta transactions: a failed write leaves the previous version readable.
 */
public final class TableCatalog {

  private static final Logger LOG = LoggerFactory.getLogger(TableCatalog.class);

  private final SparkSession spark;
  private final TableSettings settings;

  public TableCatalog(SparkSession spark, TableSettings settings) {
    this.spark = spark;
    this.settings = settings;
  }

  public TableRef table(String key) {
    String name = settings.names().get(key);
    LakepipeErrors.checkArgument(name != null, "Cannot find table key '%s': known keys are %s", key,
        settings.names().keySet());
    if (settings.mode() == TableSettings.Mode.METASTORE) {
      return new TableRef(key, name, null);
    }
    Path root = new Path(settings.warehouse());
    String db = name.substring(0, name.indexOf('.'));
    String tbl = name.substring(name.indexOf('.') + 1);
    return new TableRef(key, name, qualify(new Path(new Path(root, db), tbl)));
  }

  public List<TableRef> tables() {
    List<TableRef> out = new ArrayList<>();
    for (String key : new java.util.TreeSet<>(settings.names().keySet())) {
      out.add(table(key));
    }
    return out;
  }

  public boolean exists(TableRef t) {
    if (t.location() == null) {
      return spark.catalog().tableExists(t.name());
    }
    return DeltaTable.isDeltaTable(spark, t.location());
  }

  public Dataset<Row> read(TableRef t, String producedBy) {
    if (!exists(t)) {
      throw LakepipeErrors.tableMissing(t.name(), t.location() == null ? "metastore" : t.location(), producedBy);
    }
    return t.location() == null ? spark.read().table(t.name()) : spark.read().format("delta").load(t.location());
  }

  public DeltaTable delta(TableRef t) {
    return t.location() == null ? DeltaTable.forName(spark, t.name()) : DeltaTable.forPath(spark, t.location());
  }

  /** The table's current Delta version, or -1 when it does not exist yet. */
  public long version(TableRef t) {
    if (!exists(t)) {
      return -1;
    }
    return delta(t).history(1).select("version").first().getLong(0);
  }

  /**
   * Inserts the rows of {@code rows} whose key is not in the table yet (a MERGE, null-safe on the key, with only a not-matched
   * insert), creating the table on first use. Re-running with the same rows inserts nothing, so retries and
   * re-runs never duplicate. Returns the number of rows inserted by this call's own commit: the MERGE's result
   * row, or the metrics of version 0 when this call created the table; never another writer's latest commit.
   */
  public long insertNew(TableRef t, Dataset<Row> rows, List<String> keyColumns) {
    if (!exists(t)) {
      if (t.location() == null) {
        spark.sql("CREATE DATABASE IF NOT EXISTS " + t.database());
        rows.write().format("delta").mode(SaveMode.ErrorIfExists).saveAsTable(t.name());
      } else {
        rows.write().format("delta").mode(SaveMode.ErrorIfExists).save(t.location());
        register(t);
      }
      // ErrorIfExists succeeded, so this write made version 0 (a concurrent creator's commit would conflict).
      return operationMetric(t, 0L, "numOutputRows");
    }
    String condition = keyColumns.stream()
        .map(k -> "t.`" + k + "` <=> s.`" + k + "`")
        .reduce((a, b) -> a + " AND " + b)
        .orElseThrow();
    String view = "lakepipe_merge_source_" + java.util.UUID.randomUUID().toString().replace("-", "");
    rows.createOrReplaceTempView(view);
    try {
      String target = t.sqlTarget();
      // SQL MERGE returns its own metrics (num_affected/updated/deleted/inserted_rows); a MERGE that changes
      // nothing commits no version and reports 0.
      Row result = spark.sql("MERGE INTO " + target + " AS t USING " + view + " AS s ON " + condition
          + " WHEN NOT MATCHED THEN INSERT *").first();
      return result.getLong(result.fieldIndex("num_inserted_rows"));
    } finally {
      spark.catalog().dropTempView(view);
    }
  }

  /** Appends rows as one Delta transaction, creating the table on first use. */
  public void append(TableRef t, Dataset<Row> rows) {
    write(t, rows.write().format("delta").mode(SaveMode.Append));
  }

  /**
   * Replaces the table's contents with {@code rows} in one Delta transaction (the previous version stays
   * readable by time travel), creating it on first use. For tables a stage recomputes whole, like silver.
   */
  public void overwrite(TableRef t, Dataset<Row> rows) {
    write(t, rows.write().format("delta").mode(SaveMode.Overwrite).option("overwriteSchema", "true"));
  }

  /**
   * Replaces this run's rows ({@code run_id = runId}) with {@code rows}, leaving other runs' rows alone, in one
   * Delta transaction. Re-running a stage with the same run id therefore never duplicates its records. New
   * columns are added to the table (earlier runs read null there), so per-run tables can grow a column.
   */
  public void replaceRun(TableRef t, Dataset<Row> rows, String runId) {
    LakepipeErrors.checkArgument(runId.matches("[A-Za-z0-9_.:-]+"), "Cannot replace run '%s': bad run id", runId);
    if (!exists(t)) {
      append(t, rows);
      return;
    }
    write(t, rows.write().format("delta").mode(SaveMode.Overwrite).option("mergeSchema", "true")
        .option("replaceWhere", Lineage.RUN_ID + " = '" + runId + "'"));
  }

  private void write(TableRef t, org.apache.spark.sql.DataFrameWriter<Row> writer) {
    boolean existed = exists(t);
    if (t.location() == null) {
      if (!existed) {
        spark.sql("CREATE DATABASE IF NOT EXISTS " + t.database());
      }
      writer.saveAsTable(t.name());
    } else {
      writer.save(t.location());
      if (!existed) {
        register(t);
      }
    }
  }

  /** Registers every existing path-mode table in the session catalog so SQL can name it. */
  public void registerAll() {
    if (settings.mode() == TableSettings.Mode.METASTORE) {
      return;
    }
    for (TableRef t : tables()) {
      if (exists(t)) {
        register(t);
      }
    }
  }

  private void register(TableRef t) {
    if (t.location() == null) {
      return;
    }
    String dbLocation = new Path(t.location()).getParent().toString();
    spark.sql("CREATE DATABASE IF NOT EXISTS " + t.database() + " LOCATION '" + escape(dbLocation) + "'");
    if (spark.catalog().tableExists(t.name())) {
      if (sameLocation(registeredLocation(t), t.location())) {
        return;
      }
      // Registered by an earlier conf (another warehouse) in this session: re-point the name. The table is
      // external, so dropping the name leaves its data alone.
      spark.sql("DROP TABLE " + t.name());
    }
    spark.sql("CREATE TABLE " + t.name() + " USING delta LOCATION '" + escape(t.location()) + "'");
    LOG.debug("Registered {} at {}", t.name(), t.location());
  }

  /** The catalog's own record of a table's location; the Delta log there may be gone (a deleted warehouse). */
  private String registeredLocation(TableRef t) {
    try {
      return spark.sessionState().catalog()
          .getTableMetadata(new org.apache.spark.sql.catalyst.TableIdentifier(t.table(),
              scala.Option.apply(t.database())))
          .location().toString();
    } catch (Exception e) {
      // NoSuchTableException / NoSuchDatabaseException are checked in Java's eyes; treat as unregistered.
      return "";
    }
  }

  private static boolean sameLocation(String a, String b) {
    return new Path(a).toUri().getPath().equals(new Path(b).toUri().getPath())
        && java.util.Objects.equals(new Path(a).toUri().getScheme(), new Path(b).toUri().getScheme());
  }

  private long operationMetric(TableRef t, long version, String metric) {
    Row commit = delta(t).history().filter(org.apache.spark.sql.functions.col("version").equalTo(version))
        .select("operationMetrics").first();
    Map<String, String> metrics = JavaConverters.mapAsJavaMap(commit.<String, String>getMap(0));
    String v = metrics.get(metric);
    return v == null ? 0L : Long.parseLong(v);
  }

  private String qualify(Path p) {
    try {
      return p.getFileSystem(spark.sparkContext().hadoopConfiguration()).makeQualified(p).toString();
    } catch (java.io.IOException e) {
      throw LakepipeErrors.jobFailed("resolve table location " + p, e.getMessage()
          + ". Check tables.warehouse", e);
    }
  }

  private static String escape(String s) {
    return s.replace("\\", "\\\\").replace("'", "\\'");
  }
}
