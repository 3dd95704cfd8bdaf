package dev.lakepipe.core.config;

import com.typesafe.config.Config;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The dataset's canonical columns, by role, from {@code dataset.columns}. Every source maps its own field
 * names onto these; every stage reads them by these names. Types follow the role: id, text, label and
 * categorical columns are strings, numeric columns doubles, the event time a timestamp (UTC).
 *
 * <p>Only the label is needed. A table may declare no id ({@link #idColumn()} is null: identity is the
 * lineage {@code _record_id}, which every record has anyway) and no text ({@link #textColumns()} is empty: the
 * features are numeric, categorical and event time; near-duplicate search and the text checks do not run).
 */
public record DatasetSchema(
    String name,
    String idColumn,
    List<String> textColumns,
    String labelColumn,
    String eventTimeColumn,
    List<String> numericColumns,
    List<String> categoricalColumns,
    List<String> requiredColumns) {

  /** What a canonical column is for; decides its type and how it is parsed. */
  public enum Role {
    ID(DataTypes.StringType),
    TEXT(DataTypes.StringType),
    LABEL(DataTypes.StringType),
    EVENT_TIME(DataTypes.TimestampType),
    NUMERIC(DataTypes.DoubleType),
    CATEGORICAL(DataTypes.StringType);

    private final DataType type;

    Role(DataType type) {
      this.type = type;
    }

    public DataType type() {
      return type;
    }
  }

  private static final Pattern COLUMN_NAME = Pattern.compile("[a-z][a-z0-9_]*");
  private static final Set<String> KEYS = Set.of("name", "columns", "required");
  private static final Set<String> COLUMN_KEYS =
      Set.of("id", "text", "label", "event-time", "numeric", "categorical");

  public DatasetSchema {
    textColumns = List.copyOf(textColumns);
    numericColumns = List.copyOf(numericColumns);
    categoricalColumns = List.copyOf(categoricalColumns);
    requiredColumns = List.copyOf(requiredColumns);
  }

  /** Canonical column name to role, in canonical order (id, text, label, event time, numeric, categorical). */
  public Map<String, Role> columns() {
    Map<String, Role> out = new LinkedHashMap<>();
    if (idColumn != null) {
      out.put(idColumn, Role.ID);
    }
    textColumns.forEach(c -> out.put(c, Role.TEXT));
    out.put(labelColumn, Role.LABEL);
    if (eventTimeColumn != null) {
      out.put(eventTimeColumn, Role.EVENT_TIME);
    }
    numericColumns.forEach(c -> out.put(c, Role.NUMERIC));
    categoricalColumns.forEach(c -> out.put(c, Role.CATEGORICAL));
    return out;
  }

  /** The main text column (the first of {@code dataset.columns.text}); null when the dataset has no text. */
  public String textColumn() {
    return textColumns.isEmpty() ? null : textColumns.get(0);
  }

  /** True when the dataset declares at least one text column. */
  public boolean hasText() {
    return !textColumns.isEmpty();
  }

  /** True when the dataset declares an id column. */
  public boolean hasId() {
    return idColumn != null;
  }

  public StructType sparkSchema() {
    List<StructField> fields = new ArrayList<>();
    columns().forEach((name, role) -> fields.add(DataTypes.createStructField(name, role.type(), true)));
    return DataTypes.createStructType(fields);
  }

  static DatasetSchema parse(Config root, ConfigProblems problems) {
    if (!root.hasPath("dataset")) {
      problems.add("Key dataset is missing. Declare dataset { name, columns { label, ... } } (lakepipe init "
          + "writes one from a sample of your data).");
      return null;
    }
    Config c = root.getConfig("dataset");
    problems.rejectUnknownKeys(c, "dataset", KEYS);
    String name = problems.string(c, "dataset", "name", "the dataset's name, e.g. \"spamassassin\"");
    if (!c.hasPath("columns")) {
      problems.add("Key dataset.columns is missing. Name the canonical columns: "
          + "columns { label = \"label\", numeric = [...], categorical = [...] } (id and text are optional).");
      return null;
    }
    Config cols = c.getConfig("columns");
    problems.rejectUnknownKeys(cols, "dataset.columns", COLUMN_KEYS);
    String id = problems.optString(cols, "dataset.columns", "id").orElse(null);
    List<String> text = cols.hasPath("text") && cols.getValue("text").valueType()
        == com.typesafe.config.ConfigValueType.STRING
        ? List.of(cols.getString("text"))
        : problems.stringList(cols, "dataset.columns", "text");
    String label = problems.string(cols, "dataset.columns", "label", "the label column's name, e.g. \"label\"");
    String eventTime = problems.optString(cols, "dataset.columns", "event-time").orElse(null);
    List<String> numeric = problems.stringList(cols, "dataset.columns", "numeric");
    List<String> categorical = problems.stringList(cols, "dataset.columns", "categorical");
    List<String> required = c.hasPath("required")
        ? problems.stringList(c, "dataset", "required")
        : defaultRequired(id, text, label);

    List<String> all = new ArrayList<>();
    if (id != null) {
      all.add(id);
    }
    all.addAll(text);
    if (label != null) {
      all.add(label);
    }
    if (eventTime != null) {
      all.add(eventTime);
    }
    all.addAll(numeric);
    all.addAll(categorical);
    Set<String> seen = new java.util.HashSet<>();
    for (String col : all) {
      if (!COLUMN_NAME.matcher(col).matches()) {
        problems.add("Column name '%s' in dataset.columns is not allowed. Use lowercase letters, digits and '_', "
            + "starting with a letter.", col);
      } else if (col.startsWith("_") || col.equals("run_id")) {
        problems.add("Column name '%s' in dataset.columns is reserved for lineage. Choose another name.", col);
      }
      if (!seen.add(col)) {
        problems.add("Column '%s' appears twice in dataset.columns. Give each role its own column.", col);
      }
    }
    for (String r : required) {
      if (!all.contains(r)) {
        problems.add("Key dataset.required names '%s', which is not a column in dataset.columns. "
            + "Add it there or remove it from dataset.required.", r);
      }
    }
    if (label == null || name == null) {
      return null;
    }
    if (all.size() == 1) {
      problems.add("Key dataset.columns declares only the label '%s'. Name the columns to learn from: numeric, "
          + "categorical, text or event-time.", label);
    }
    return new DatasetSchema(name, id, text, label, eventTime, numeric, categorical, required);
  }

  /** What {@code dataset.required} is when not given: the id and the main text when declared, and the label. */
  private static List<String> defaultRequired(String id, List<String> text, String label) {
    List<String> out = new ArrayList<>();
    if (id != null) {
      out.add(id);
    }
    if (!text.isEmpty()) {
      out.add(text.get(0));
    }
    if (label != null) {
      out.add(label);
    }
    return out;
  }
}
