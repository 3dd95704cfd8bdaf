package dev.lakepipe.ingest;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.element_at;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.filter;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.to_json;
import static org.apache.spark.sql.functions.trim;
import static org.apache.spark.sql.functions.udf;
import static org.apache.spark.sql.functions.when;

import dev.lakepipe.core.Lineage;
import dev.lakepipe.core.RunContext;
import dev.lakepipe.core.config.DatasetSchema;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.types.DataTypes;

/**
 * Maps one source's raw records onto the dataset's canonical columns and checks them: numbers must parse
 * ({@code BAD_TYPE}), event times must parse with ISO-8601 or the source's {@code timestamp-formats}
 * ({@code BAD_TIMESTAMP}), required columns must be present and not blank ({@code MISSING_REQUIRED}).
 * Reader errors pass through. Pure: no I/O, so tests feed it small frames.
 *
 * <p>Output: canonical columns, lineage columns, {@code _errors} (empty for good rows) and {@code _raw}.
 */
final class Canonicalizer {

  static final String ERRORS = "_errors";
  static final String RAW = "_raw";
  /** JSON Lines only: which mapped fields the record has (a JSON record may omit any field). */
  static final String PRESENT_FIELDS = "_present_fields";

  static final String BAD_TYPE = "BAD_TYPE";
  static final String BAD_TIMESTAMP = "BAD_TIMESTAMP";
  static final String MISSING_REQUIRED = "MISSING_REQUIRED";

  /** The timestamp format name for RFC 822 message dates ({@link MessageDates}). */
  static final String RFC822 = "rfc822";

  private static final UserDefinedFunction RFC822_TO_ISO =
      udf((UDF1<String, String>) MessageDates::toIsoInstant, DataTypes.StringType);

  private Canonicalizer() {}

  static Dataset<Row> canonicalize(Dataset<Row> raw, SourceSettings source, DatasetSchema schema, RunContext run) {
    Column readerError = col(RawRecords.ERROR_CODE).isNotNull();
    Column where = concat(lit(" at "), col(RawRecords.FILE),
        coalesce(concat(lit(" line "), col(RawRecords.ROW).cast("string")), lit("")));
    List<Column> out = new ArrayList<>();
    List<Column> errors = new ArrayList<>();
    for (Map.Entry<String, DatasetSchema.Role> e : schema.columns().entrySet()) {
      String canonical = e.getKey();
      DatasetSchema.Role role = e.getValue();
      String field = source.columns().get(canonical);
      Column v = field == null
          ? lit(null).cast("string")
          : element_at(col(RawRecords.FIELDS), lit(lookupKey(source, field)));
      Column value = switch (role) {
        case NUMERIC -> number(source, field);
        case EVENT_TIME -> timestamp(v, source.timestampFormats());
        default -> v;
      };
      value = when(readerError, lit(null)).otherwise(value).cast(role.type());
      out.add(value.as(canonical));
      String fieldName = field == null ? "(unmapped)" : field;
      if (field != null && (role == DatasetSchema.Role.NUMERIC || role == DatasetSchema.Role.EVENT_TIME)) {
        boolean time = role == DatasetSchema.Role.EVENT_TIME;
        Column unparsed = v.isNotNull().and(trim(v).notEqual("")).and(value.isNull());
        errors.add(when(unparsed, error(time ? BAD_TIMESTAMP : BAD_TYPE, canonical,
            concat(lit("Cannot read source '" + source.name() + "': value '"), v, lit("' of field '" + fieldName
                + "' (column " + canonical + ")"), where, lit(time
                ? " is not a timestamp. Add its pattern to ingest.sources." + source.name()
                    + ".timestamp-formats (Spark datetime pattern, or \"rfc822\"), or fix the value."
                : " is not a number. Fix the value or map another field.")), v)));
      }
      if (schema.requiredColumns().contains(canonical)) {
        Column missing = role.type().equals(DataTypes.StringType)
            ? value.isNull().or(trim(value).equalTo(""))
            : value.isNull();
        if (role == DatasetSchema.Role.NUMERIC || role == DatasetSchema.Role.EVENT_TIME) {
          missing = missing.and(v.isNull().or(trim(v).equalTo("")));
        }
        errors.add(when(missing, error(MISSING_REQUIRED, canonical,
            concat(lit("Cannot read source '" + source.name() + "': required column " + canonical + " (field '"
                + fieldName + "') is empty"), where, lit(". Fill the field in the source, or remove "
                + canonical + " from dataset.required.")), v)));
      }
    }
    Column readerErrors = array(error(col(RawRecords.ERROR_CODE), lit(null).cast("string"),
        col(RawRecords.ERROR_MESSAGE), lit(null).cast("string")));
    Column allErrors = when(readerError, readerErrors)
        .otherwise(filter(array(errors.toArray(Column[]::new)), Column::isNotNull));

    out.add(Lineage.stableHash(col(RawRecords.SOURCE), col(RawRecords.REL_PATH), col(RawRecords.ROW))
        .as(Lineage.RECORD_ID));
    out.add(col(RawRecords.SOURCE).as(Lineage.SOURCE));
    out.add(col(RawRecords.FILE).as(Lineage.SOURCE_FILE));
    out.add(col(RawRecords.ROW).as(Lineage.SOURCE_ROW));
    out.add(lit(Timestamp.from(run.startedAt())).as(Lineage.INGESTED_AT));
    out.add(lit(run.runId()).as(Lineage.RUN_ID));
    out.add(allErrors.as(ERRORS));
    out.add(coalesce(col(RawRecords.RAW), to_json(col(RawRecords.FIELDS))).as(RAW));
    out.add(presentFields(source).as(PRESENT_FIELDS));
    return raw.select(out.toArray(Column[]::new));
  }

  /** The canonical columns then the lineage columns: the layout of bronze.records. */
  static List<String> bronzeColumns(DatasetSchema schema) {
    List<String> cols = new ArrayList<>(schema.columns().keySet());
    cols.addAll(Lineage.COLUMNS);
    return cols;
  }

  private static Column presentFields(SourceSettings source) {
    if (source.format() != SourceFormat.JSONL || source.columns().isEmpty()) {
      return lit(null).cast("array<string>");
    }
    Column[] mapped = new java.util.TreeSet<>(source.columns().values()).stream()
        .map(org.apache.spark.sql.functions::lit).toArray(Column[]::new);
    return filter(array(mapped), f -> org.apache.spark.sql.functions.map_contains_key(col(RawRecords.FIELDS), f));
  }

  private static Column error(String code, String column, Column message, Column rawValue) {
    return error(lit(code), lit(column), message, rawValue);
  }

  private static Column error(Column code, Column column, Column message, Column rawValue) {
    return struct(code.as("code"), column.as("column"), message.as("message"), rawValue.as("raw_value"));
  }

  /** A numeric field's value as ingest types it: the trimmed text cast to double, null when it is no number. */
  static Column number(SourceSettings source, String field) {
    return expr("try_cast(trim(" + sqlOf(source, field) + ") as double)");
  }

  /**
   * An event-time field's value as ingest types it: ISO-8601 first ({@link #isoTimestamp}), then each of the
   * source's {@code timestamp-formats} in order ({@link #timestampWith}).
   */
  static Column timestamp(Column v, List<String> formats) {
    List<Column> parsed = new ArrayList<>();
    parsed.add(isoTimestamp(v));
    for (String f : formats) {
      parsed.add(timestampWith(v, f));
    }
    return coalesce(parsed.toArray(Column[]::new));
  }

  /** The value read as ISO-8601 (Spark's timestamp cast: {@code 2002-08-22T11:26:25Z}, {@code 2002-08-22}). */
  static Column isoTimestamp(Column v) {
    return tryCastTimestamp(trim(v));
  }

  /** The value read with one entry of {@code timestamp-formats}: a Spark datetime pattern, or "rfc822". */
  static Column timestampWith(Column v, String format) {
    Column t = trim(v);
    return format.toLowerCase(Locale.ROOT).equals(RFC822)
        ? tryCastTimestamp(RFC822_TO_ISO.apply(t))
        : tryToTimestamp(t, format);
  }

  private static Column tryCastTimestamp(Column c) {
    return when(c.isNull(), lit(null).cast("timestamp"))
        .otherwise(org.apache.spark.sql.functions.try_to_timestamp(c));
  }

  private static Column tryToTimestamp(Column c, String format) {
    return org.apache.spark.sql.functions.try_to_timestamp(c, lit(format));
  }

  private static String sqlOf(SourceSettings source, String field) {
    if (field == null) {
      return "CAST(NULL AS STRING)";
    }
    String key = lookupKey(source, field).replace("\\", "\\\\").replace("'", "\\'");
    return "element_at(" + RawRecords.FIELDS + ", '" + key + "')";
  }

  /** Header fields of email/text sources are keyed lowercase; every other format keeps the source's case. */
  static String lookupKey(SourceSettings source, String field) {
    return source.format().isOneRecordPerFile() ? field.toLowerCase(Locale.ROOT) : field;
  }
}
