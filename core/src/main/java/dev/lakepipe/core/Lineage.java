package dev.lakepipe.core;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.concat_ws;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sha2;

import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Column;

/**
 * Lineage columns every record carries from ingest on (see DESIGN.md "Contracts every stage keeps").
 *
 * <p>{@code _record_id} is a SHA-256 over the source name and the record's place in it (file path relative to
 * the source root plus line or row, or the JDBC key), so re-reading the same input yields the same ids and a
 * MERGE on it never duplicates; two sources holding the same message keep distinct ids (clean dedupes them,
 * with a record of the decision).
 */
public final class Lineage {

  public static final String RECORD_ID = "_record_id";
  public static final String SOURCE = "_source";
  public static final String SOURCE_FILE = "_source_file";
  public static final String SOURCE_ROW = "_source_row";
  public static final String INGESTED_AT = "_ingested_at";
  public static final String RUN_ID = "run_id";

  public static final List<String> COLUMNS =
      List.of(RECORD_ID, SOURCE, SOURCE_FILE, SOURCE_ROW, INGESTED_AT, RUN_ID);

  private Lineage() {}

  /** Stable SHA-256 (hex) of the given parts joined by a NUL separator; null parts count as empty. */
  public static Column stableHash(Column... parts) {
    Column[] strings = Arrays.stream(parts).map(p -> coalesce(p.cast("string"), lit(""))).toArray(Column[]::new);
    return sha2(concat_ws("\u0000", strings), 256);
  }
}
