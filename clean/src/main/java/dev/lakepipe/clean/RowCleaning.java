package dev.lakepipe.clean;

import static dev.lakepipe.core.LakepipeErrors.checkArgument;
import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.array_distinct;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.concat_ws;
import static org.apache.spark.sql.functions.element_at;
import static org.apache.spark.sql.functions.filter;
import static org.apache.spark.sql.functions.get_json_object;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.lower;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.regexp_extract;
import static org.apache.spark.sql.functions.regexp_replace;
import static org.apache.spark.sql.functions.size;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.to_json;
import static org.apache.spark.sql.functions.transform;
import static org.apache.spark.sql.functions.when;

import dev.lakepipe.clean.RowCleaningSettings.Action;
import dev.lakepipe.clean.RowCleaningSettings.Check;
import dev.lakepipe.clean.RowCleaningSettings.LetterCase;
import dev.lakepipe.clean.RowCleaningSettings.MissingPolicy;
import dev.lakepipe.clean.RowCleaningSettings.Rule;
import dev.lakepipe.clean.RowCleaningSettings.UnknownLabels;
import dev.lakepipe.core.Lineage;
import dev.lakepipe.core.QuarantineTable;
import dev.lakepipe.core.RunContext;
import dev.lakepipe.core.config.DatasetSchema;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;

/**
 * The row-level part of {@code clean}: normalises columns, applies the missing-value policies and the
 * validation rules of {@link RowCleaningSettings}, and splits the rows into kept and quarantined.
 *
 * <p>Order: (1) normalise text (NFKC etc., {@link TextNormalizer}), categoricals (trim, collapse whitespace,
 * optional regex-extract, optional lowercase; blank becomes null) and labels (trim, synonyms to canonical
 * labels; blank becomes null); (2) unknown labels; (3) missing values per {@code clean.missing}, on the
 * normalised values; (4) rules in conf order, each seeing the values earlier {@code fix} rules produced. A row
 * with any quarantining problem goes to quarantine once, under its first problem in that order (reason code,
 * rule id, column, raw value), with every problem listed in the message. Kept rows carry {@code _flags}.
 *
 * <p>Cost: projections and filters only, no shuffle; the NFKC step is a UDF per text value. Deterministic:
 * every decision depends on the row alone. Both outputs derive from the same plan, so a caller that uses both
 * should cache the input.
 *
 * <p>Clean's public transform API: {@link CleanJob} applies it to bronze, and score applies it to new rows
 * (with {@link RowCleaningSettings#withoutLabelChecks}, as new rows may have no label) before the feature
 * pipeline, so both see one implementation of the rules. Deduplication is not part of it.
 */
public final class RowCleaning {

  public static final String FLAGS = "_flags";
  static final String STAGE = "clean";

  public static final String RULE_FAILED = "RULE_FAILED";
  public static final String MISSING_VALUE = "MISSING_VALUE";
  public static final String UNKNOWN_LABEL = "UNKNOWN_LABEL";
  /** rule_id of an unknown-label quarantine. */
  static final String LABELS_RULE = "labels";

  private static final String RAW = "_clean_raw_record";
  private static final String PROBLEMS = "_clean_problems";

  /**
   * @param kept every input column, normalised, plus {@code _flags} (never null)
   * @param quarantined rows shaped like {@link QuarantineTable#SCHEMA}
   */
  public record Result(Dataset<Row> kept, Dataset<Row> quarantined) {}

  private RowCleaning() {}

  /** {@link #apply(Dataset, RowCleaningSettings, DatasetSchema, RunContext, String)} for the clean stage. */
  static Result apply(Dataset<Row> bronze, RowCleaningSettings s, DatasetSchema schema, RunContext run) {
    return apply(bronze, s, schema, run, STAGE);
  }

  /**
   * Kept: every input column, normalised, plus {@code _flags} (never null). Quarantined: rows shaped like
   * {@link QuarantineTable#SCHEMA}, recorded under {@code stage}. Every input row is in exactly one of the two.
   * The input needs the lineage columns ({@code _record_id, _source, _source_file, _source_row}), the
   * canonical columns the rules name, and no {@code _flags} column. Pure: no I/O.
   */
  public static Result apply(Dataset<Row> bronze, RowCleaningSettings s, DatasetSchema schema, RunContext run,
      String stage) {
    List<String> input = Arrays.asList(bronze.columns());
    Map<String, DatasetSchema.Role> roles = new LinkedHashMap<>();
    schema.columns().forEach((c, role) -> {
      if (input.contains(c)) {
        roles.put(c, role);
      }
    });

    // 1. The raw record first, then every column in its canonical form.
    List<Column> normalised = new ArrayList<>();
    for (String c : input) {
      normalised.add(normalise(c, roles.get(c), schema, s).as(c));
    }
    normalised.add(to_json(struct(input.stream().map(c -> col(c)).toArray(Column[]::new))).as(RAW));
    Dataset<Row> rows = bronze.select(normalised.toArray(Column[]::new));

    // 2-3. Unknown labels and missing values, all decided on the normalised values.
    List<Column> problems = new ArrayList<>();
    List<Column> flags = new ArrayList<>();
    String label = schema.labelColumn();
    if (roles.containsKey(label) && !s.labelSynonyms().isEmpty() && s.unknownLabels() == UnknownLabels.QUARANTINE) {
      Column unknown = not(col(label).isin(s.labelSynonyms().keySet().toArray()));
      problems.add(when(unknown, problem(UNKNOWN_LABEL, LABELS_RULE, label,
          concat(lit("label '"), col(label), lit("' is not one of " + s.knownLabels())),
          "Add it to clean.normalize.labels.synonyms, or set clean.normalize.labels.unknown = keep")));
    }
    for (Map.Entry<String, DatasetSchema.Role> e : roles.entrySet()) {
      String c = e.getKey();
      MissingPolicy policy = s.missing().getOrDefault(c, MissingPolicy.KEEP);
      Column missing = missing(c, e.getValue());
      if (policy == MissingPolicy.DROP) {
        problems.add(when(missing, problem(MISSING_VALUE, "missing:" + c, c, lit("column " + c + " is empty"),
            "Fill it in the source, or set clean.missing." + c + " = keep or flag")));
      } else if (policy == MissingPolicy.FLAG) {
        flags.add(when(missing, lit("missing:" + c)));
      }
    }
    rows = rows.withColumn(PROBLEMS, array(problems.isEmpty() ? new Column[] {noProblem()}
            : problems.toArray(Column[]::new)))
        .withColumn(FLAGS, array(flags.isEmpty() ? new Column[] {lit(null).cast("string")}
            : flags.toArray(Column[]::new)));

    // 4. Rules in conf order; a fix changes the value later rules see.
    for (int i = 0; i < s.rules().size(); i++) {
      Rule r = s.rules().get(i);
      DatasetSchema.Role role = roles.get(r.column());
      checkArgument(role != null, "Cannot apply rule '%s': column '%s' is not in the input. "
          + "Check clean.rules[%d].column.", r.id(), r.column(), i);
      rows = applyRule(rows, r, i, role);
    }

    Column cleanProblems = filter(col(PROBLEMS), Column::isNotNull);
    rows = rows.withColumn(PROBLEMS, cleanProblems).withColumn(FLAGS, filter(col(FLAGS), Column::isNotNull));

    Column[] keptColumns = new Column[input.size() + 1];
    for (int i = 0; i < input.size(); i++) {
      keptColumns[i] = col(input.get(i));
    }
    keptColumns[input.size()] = col(FLAGS);
    Dataset<Row> kept = rows.filter(size(col(PROBLEMS)).equalTo(0)).select(keptColumns);
    Dataset<Row> quarantined = quarantineRows(rows.filter(size(col(PROBLEMS)).gt(0)), run, stage);
    return new Result(kept, quarantined);
  }

  private static Column normalise(String c, DatasetSchema.Role role, DatasetSchema schema, RowCleaningSettings s) {
    if (role == null) {
      return col(c);
    }
    return switch (role) {
      case TEXT -> TextNormalizer.normalize(col(c), s.textCase(), s.textMarkup());
      case CATEGORICAL -> {
        Column v = regexp_replace(regexp_replace(col(c), "\\s+", " "), "^ | $", "");
        String pattern = s.regexExtract().get(c);
        if (pattern != null) {
          int group = Pattern.compile(pattern).matcher("").groupCount() > 0 ? 1 : 0;
          v = when(v.rlike(pattern), regexp_extract(v, pattern, group)).otherwise(v);
        }
        if (s.categoricalCase() == LetterCase.LOWER) {
          v = lower(v);
        }
        yield blankToNull(v);
      }
      case LABEL -> {
        Column v = regexp_replace(col(c), "^\\s+|\\s+$", "");
        if (!s.labelSynonyms().isEmpty()) {
          Map<String, List<Object>> byLabel = new LinkedHashMap<>();
          s.labelLookup().forEach((value, canonical) ->
              byLabel.computeIfAbsent(canonical, k -> new ArrayList<>()).add(value));
          Column mapped = null;
          for (Map.Entry<String, List<Object>> e : byLabel.entrySet()) {
            Column matches = lower(v).isin(e.getValue().toArray());
            mapped = mapped == null ? when(matches, lit(e.getKey())) : mapped.when(matches, lit(e.getKey()));
          }
          v = mapped.otherwise(v);
        }
        yield blankToNull(v);
      }
      default -> col(c);
    };
  }

  private static Column blankToNull(Column v) {
    return when(v.equalTo(""), lit(null).cast("string")).otherwise(v);
  }

  /** Null, or blank for string columns. */
  private static Column missing(String c, DatasetSchema.Role role) {
    Column v = col(c);
    return role.type().equals(DataTypes.StringType) ? v.isNull().or(v.rlike("^\\s*$")) : v.isNull();
  }

  private static Dataset<Row> applyRule(Dataset<Row> rows, Rule r, int index, DatasetSchema.Role role) {
    Column v = col(r.column());
    Column min = bound(r.min());
    Column max = bound(r.max());
    Column failed = switch (r.check()) {
      case REQUIRED -> missing(r.column(), role);
      case RANGE -> {
        Column below = min == null ? lit(false) : v.lt(min);
        Column above = max == null ? lit(false) : v.gt(max);
        yield below.or(above);
      }
      case ALLOWED -> not(v.isin(r.values().toArray()));
      case REGEX -> not(v.rlike(r.pattern()));
      case NOT_BLANK -> v.rlike("^\\s*$");
    };
    failed = coalesce(failed, lit(false));
    Map<String, Column> changes = new LinkedHashMap<>();
    switch (r.action()) {
      case QUARANTINE -> changes.put(PROBLEMS, concat(col(PROBLEMS), array(when(failed, problem(RULE_FAILED, r.id(),
          r.column(), detail(r, v), "Correct the value in the source, or change clean.rules[" + index + "] ('"
              + r.id() + "')")))));
      case FIX -> {
        Column fixed = r.check() == Check.RANGE
            ? fixRange(v, min, max)
            : when(failed, lit(null).cast(role.type())).otherwise(v);
        changes.put(r.column(), fixed);
        changes.put(FLAGS, concat(col(FLAGS), array(when(failed, lit("fixed:" + r.id())))));
      }
      case KEEP -> changes.put(FLAGS, concat(col(FLAGS), array(when(failed, lit("rule:" + r.id())))));
    }
    return rows.withColumns(changes);
  }

  private static Column fixRange(Column v, Column min, Column max) {
    Column fixed = v;
    if (max != null) {
      fixed = when(v.gt(max), max).otherwise(fixed);
    }
    if (min != null) {
      fixed = when(v.lt(min), min).otherwise(fixed);
    }
    return fixed;
  }

  private static Column bound(Object b) {
    if (b == null) {
      return null;
    }
    return b instanceof Instant t ? lit(Timestamp.from(t)) : lit(b);
  }

  /** What failed, e.g. "column size_bytes value '-5.0' is outside [0.0, any] (rule 'size-range')". */
  private static Column detail(Rule r, Column v) {
    String what = switch (r.check()) {
      case REQUIRED -> null;
      case RANGE -> "is outside [" + (r.min() == null ? "any" : r.min()) + ", "
          + (r.max() == null ? "any" : r.max()) + "]";
      case ALLOWED -> "is not one of " + String.join(", ", r.values());
      case REGEX -> "does not match " + r.pattern();
      case NOT_BLANK -> "is blank";
    };
    String rule = " (rule '" + r.id() + "')";
    if (what == null) {
      return lit("column " + r.column() + " is empty" + rule);
    }
    return concat(lit("column " + r.column() + " value '"), v.cast("string"), lit("' " + what + rule));
  }

  private static Column problem(String code, String ruleId, String column, Column detail, String fix) {
    return struct(lit(code).as("code"), lit(ruleId).as("rule_id"), lit(column).as("column"),
        get_json_object(col(RAW), "$." + column).as("raw_value"), detail.as("detail"), lit(fix + ".").as("fix"));
  }

  /** A null entry with the problem struct's type, for a frame without any quarantining check. */
  private static Column noProblem() {
    Column s = lit(null).cast("string");
    return when(lit(false), struct(s.as("code"), s.as("rule_id"), s.as("column"), s.as("raw_value"),
        s.as("detail"), s.as("fix")));
  }

  private static Dataset<Row> quarantineRows(Dataset<Row> bad, RunContext run, String stage) {
    Column first = element_at(col(PROBLEMS), 1);
    Column where = concat(coalesce(col(Lineage.SOURCE_FILE), lit("unknown file")),
        coalesce(concat(lit(" line "), col(Lineage.SOURCE_ROW).cast("string")), lit("")));
    Column message = concat(lit("Cannot accept record "), coalesce(col(Lineage.RECORD_ID), lit("(no id)")),
        lit(" from "), coalesce(col(Lineage.SOURCE), lit("(unknown source)")), lit(" ("), where, lit("): "),
        concat_ws("; ", transform(col(PROBLEMS), p -> p.getField("detail"))), lit(". "),
        concat_ws(" ", array_distinct(transform(col(PROBLEMS), p -> p.getField("fix")))));
    // A JDBC row has no row number; _record_id (a hash of its key) keeps its quarantine id distinct.
    Column row = coalesce(col(Lineage.SOURCE_ROW).cast("string"), col(Lineage.RECORD_ID));
    Column reason = concat_ws("/", first.getField("code"), first.getField("rule_id"));
    return bad.select(
        QuarantineTable.quarantineId(lit(stage), col(Lineage.SOURCE), col(Lineage.SOURCE_FILE), row, reason)
            .as(QuarantineTable.QUARANTINE_ID),
        lit(stage).as("stage"),
        col(Lineage.SOURCE),
        col(Lineage.SOURCE_FILE),
        col(Lineage.SOURCE_ROW).cast("long").as(Lineage.SOURCE_ROW),
        col(Lineage.RECORD_ID),
        first.getField("code").as("reason_code"),
        first.getField("rule_id").as("rule_id"),
        first.getField("column").as("column_name"),
        message.as("message"),
        first.getField("raw_value").as("raw_value"),
        col(RAW).as("raw_record"),
        lit(run.runId()).as(Lineage.RUN_ID),
        lit(Timestamp.from(run.startedAt())).as("quarantined_at"));
  }
}
