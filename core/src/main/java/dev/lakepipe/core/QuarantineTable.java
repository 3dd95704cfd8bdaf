package dev.lakepipe.core;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * {@code ops.quarantine}: every row a stage could not accept, with where it came from (source, file, line or
 * row), what was wrong (reason code, the conf rule's id when a rule failed, column, message), the raw value
 * and the whole raw record, so nothing is dropped silently and a fixed row can be replayed. Rows are keyed by {@code _quarantine_id} (stage, source,
 * file, row, reason), so re-running a stage never quarantines the same row twice.
 */
public final class QuarantineTable {

  public static final String KEY = "quarantine";
  public static final String QUARANTINE_ID = "_quarantine_id";

  public static final StructType SCHEMA = new StructType()
      .add(QUARANTINE_ID, DataTypes.StringType, false)
      .add("stage", DataTypes.StringType, false)
      .add(Lineage.SOURCE, DataTypes.StringType, true)
      .add(Lineage.SOURCE_FILE, DataTypes.StringType, true)
      .add(Lineage.SOURCE_ROW, DataTypes.LongType, true)
      .add(Lineage.RECORD_ID, DataTypes.StringType, true)
      .add("reason_code", DataTypes.StringType, false)
      .add("rule_id", DataTypes.StringType, true)
      .add("column_name", DataTypes.StringType, true)
      .add("message", DataTypes.StringType, true)
      .add("raw_value", DataTypes.StringType, true)
      .add("raw_record", DataTypes.StringType, true)
      .add(Lineage.RUN_ID, DataTypes.StringType, false)
      .add("quarantined_at", DataTypes.TimestampType, false);

  private QuarantineTable() {}

  /** The quarantine key: one row per stage, source, file, row and reason. */
  public static Column quarantineId(Column stage, Column source, Column file, Column row, Column reason) {
    return Lineage.stableHash(stage, source, file, row, reason);
  }

  /**
   * Quarantine rows for records that already carry lineage (bronze or silver rows, possibly with helper
   * columns): keyed by stage, source, file, row (the record id when there is no row number) and reason, with
   * the {@code recordColumns} of the record as JSON in {@code raw_record}.
   */
  public static Dataset<Row> ofRecords(Dataset<Row> rows, List<String> recordColumns, String stage, RunContext run,
      Column reasonCode, Column ruleId, Column columnName, Column message, Column rawValue) {
    Column row = org.apache.spark.sql.functions.coalesce(col(Lineage.SOURCE_ROW).cast("string"),
        col(Lineage.RECORD_ID));
    Column[] record = recordColumns.stream().map(c -> col(c)).toArray(Column[]::new);
    return rows.select(
        quarantineId(lit(stage), col(Lineage.SOURCE), col(Lineage.SOURCE_FILE), row, reasonCode).as(QUARANTINE_ID),
        lit(stage).as("stage"),
        col(Lineage.SOURCE),
        col(Lineage.SOURCE_FILE),
        col(Lineage.SOURCE_ROW),
        col(Lineage.RECORD_ID),
        reasonCode.as("reason_code"),
        ruleId.cast("string").as("rule_id"),
        columnName.cast("string").as("column_name"),
        message.as("message"),
        rawValue.cast("string").as("raw_value"),
        org.apache.spark.sql.functions.to_json(org.apache.spark.sql.functions.struct(record)).as("raw_record"),
        lit(run.runId()).as(Lineage.RUN_ID),
        lit(java.sql.Timestamp.from(run.startedAt())).as("quarantined_at"));
  }

  /** Inserts the rows not yet quarantined; returns how many were new. Columns are matched by name. */
  public static long write(TableCatalog catalog, Dataset<Row> rows) {
    Column[] ordered = java.util.Arrays.stream(SCHEMA.fieldNames()).map(n -> col(n)).toArray(Column[]::new);
    return catalog.insertNew(catalog.table(KEY), rows.select(ordered), List.of(QUARANTINE_ID));
  }
}
