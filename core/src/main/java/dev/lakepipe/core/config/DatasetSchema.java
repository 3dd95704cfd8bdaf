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
    out.put(idColumn, Role.ID);
    textColumns.forEach(c -> out.put(c, Role.TEXT));
    out.put(labelColumn, Role.LABEL);
    if (eventTimeColumn != null) {
      out.put(eventTimeColumn, Role.EVENT_TIME);
    }
    numericColumns.forEach(c -> out.put(c, Role.NUMERIC));
    categoricalColumns.forEach(c -> out.put(c, Role.CATEGORICAL));
    return out;
  }

  /** The main text column (the first of {@code dataset.columns.text}). */
  public String textColumn() {
    return textColumns.get(0);
  }

  public StructType sparkSchema() {
    List<StructField> fields = new ArrayList<>();
    columns().forEach((name, role) -> fields.add(DataTypes.createStructField(name, role.type(), true)));
    return DataTypes.createStructType(fields);
  }

  static DatasetSchema parse(Config root, ConfigProblems problems) {
    if (!root.hasPath("dataset")) {
      problems.add("Key dataset is missing. Declare dataset { name, columns { id, text, label, ... } }.");
      return null;
    }
    Config c = root.getConfig("dataset");
    problems.rejectUnknownKeys(c, "dataset", KEYS);
    String name = problems.string(c, "dataset", "name", "the dataset's name, e.g. \"spamassassin\"");
    if (!c.hasPath("columns")) {
      problems.add("Key dataset.columns is missing. Name the canonical columns: "
          + "columns { id = \"id\", text = [\"text\"], label = \"label\" }.");
      return null;
    }
    Config cols = c.getConfig("columns");
    problems.rejectUnknownKeys(cols, "dataset.columns", COLUMN_KEYS);
    String id = problems.string(cols, "dataset.columns", "id", "the id column's name, e.g. \"id\"");
    List<String> text = cols.hasPath("text") && cols.getValue("text").valueType()
        == com.typesafe.config.ConfigValueType.STRING
        ? List.of(cols.getString("text"))
        : problems.stringList(cols, "dataset.columns", "text");
    if (text.isEmpty()) {
      problems.add("Key dataset.columns.text is missing. List at least one text column, e.g. [\"text\"].");
    }
    String label = problems.string(cols, "dataset.columns", "label", "the label column's name, e.g. \"label\"");
    String eventTime = problems.optString(cols, "dataset.columns", "event-time").orElse(null);
    List<String> numeric = problems.stringList(cols, "dataset.columns", "numeric");
    List<String> categorical = problems.stringList(cols, "dataset.columns", "categorical");
    List<String> required = c.hasPath("required")
        ? problems.stringList(c, "dataset", "required")
        : id != null && label != null && !text.isEmpty() ? List.of(id, text.get(0), label) : List.of();

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
    if (id == null || label == null || text.isEmpty() || name == null) {
      return null;
    }
    return new DatasetSchema(name, id, text, label, eventTime, numeric, categorical, required);
  }
}
