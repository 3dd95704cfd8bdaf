package dev.lakepipe.core;

import static org.apache.spark.sql.functions.col;

import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * {@code ops.quarantine}: every row a stage could not accept, with where it came from (source, file, line or
 * row), what was wrong (reason code, the conf rule's id when a rule failed, column, message), the raw value and the whole raw record, so nothing is
 * dropped silently and a fixed row can be replayed. Rows are keyed by {@code _quarantine_id} (stage, source,
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

  /** Inserts the rows not yet quarantined; returns how many were new. Columns are matched by name. */
  public static long write(TableCatalog catalog, Dataset<Row> rows) {
    Column[] ordered = java.util.Arrays.stream(SCHEMA.fieldNames()).map(n -> col(n)).toArray(Column[]::new);
    return catalog.insertNew(catalog.table(KEY), rows.select(ordered), List.of(QUARANTINE_ID));
  }
}
