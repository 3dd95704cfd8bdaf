package dev.lakepipe.ingest;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * What every reader produces before mapping to canonical columns: one row per record read, with its place in
 * the source, its fields by the source's own names (raw strings), and a reader error when the record could not
 * be parsed. One schema for all formats, so the mapping and the checks are written once.
 */
final class RawRecords {

  static final String SOURCE = "_source";
  static final String FILE = "_source_file";
  static final String REL_PATH = "_rel_path";
  static final String ROW = "_source_row";
  static final String FIELDS = "_fields";
  static final String ERROR_CODE = "_error_code";
  static final String ERROR_MESSAGE = "_error_message";
  static final String RAW = "_raw";

  /** Reader error codes; type and required-field checks add theirs later (see {@link Canonicalizer}). */
  static final String MALFORMED_RECORD = "MALFORMED_RECORD";
  static final String UNREADABLE_FILE = "UNREADABLE_FILE";
  static final String MISSING_COLUMN = "MISSING_COLUMN";

  static final StructType SCHEMA = new StructType()
      .add(SOURCE, DataTypes.StringType, false)
      .add(FILE, DataTypes.StringType, false)
      .add(REL_PATH, DataTypes.StringType, false)
      .add(ROW, DataTypes.LongType, true)
      .add(FIELDS, DataTypes.createMapType(DataTypes.StringType, DataTypes.StringType, true), true)
      .add(ERROR_CODE, DataTypes.StringType, true)
      .add(ERROR_MESSAGE, DataTypes.StringType, true)
      .add(RAW, DataTypes.StringType, true);

  /** Longest raw text kept with a quarantined record; the file and line lead to the rest. */
  static final int MAX_RAW_CHARS = 16_384;

  private RawRecords() {}

  static Row ok(InputFile file, long row, java.util.Map<String, String> fields) {
    return RowFactory.create(file.source(), file.path(), file.relativePath(), row,
        scala.collection.JavaConverters.mapAsScalaMap(fields).toMap(scala.Predef.$conforms()), null, null, null);
  }

  static Row error(InputFile file, Long row, String code, String message, String raw) {
    return RowFactory.create(file.source(), file.path(), file.relativePath(), row, null, code, message,
        truncate(raw));
  }

  static String truncate(String raw) {
    if (raw == null || raw.length() <= MAX_RAW_CHARS) {
      return raw;
    }
    return raw.substring(0, MAX_RAW_CHARS) + "...[truncated]";
  }
}
