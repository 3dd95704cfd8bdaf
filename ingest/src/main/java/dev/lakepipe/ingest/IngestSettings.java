package dev.lakepipe.ingest;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueType;
import dev.lakepipe.core.config.ConfigProblems;
import dev.lakepipe.core.config.DatasetSchema;
import dev.lakepipe.core.config.LakepipeConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/** Settings of the ingest stage, parsed and validated from {@code ingest} with every problem listed at once. */
public record IngestSettings(List<SourceSettings> sources) {

  private static final Pattern SOURCE_NAME = Pattern.compile("[a-z][a-z0-9_-]*");

  public IngestSettings {
    sources = List.copyOf(sources);
  }

  public static IngestSettings parse(LakepipeConfig config) {
    return config.parseStage(IngestSettings::parse);
  }

  public static IngestSettings parse(Config root, DatasetSchema dataset, ConfigProblems problems) {
    if (!root.hasPath("ingest")) {
      problems.add("Key ingest is missing. Declare ingest.sources with at least one source.");
      return new IngestSettings(List.of());
    }
    Config ingest = root.getConfig("ingest");
    problems.rejectUnknownKeys(ingest, "ingest", Set.of("sources"));
    if (!ingest.hasPath("sources") || ingest.getObject("sources").isEmpty()) {
      problems.add("Key ingest.sources is empty. Declare at least one source, e.g. "
          + "ingest.sources.crm { format = csv, path = \"data/crm\", columns { id = \"message_id\" } }.");
      return new IngestSettings(List.of());
    }
    List<SourceSettings> out = new ArrayList<>();
    for (String name : new TreeSet<>(ingest.getObject("sources").keySet())) {
      String prefix = "ingest.sources." + name;
      if (ingest.getValue("sources.\"" + name + "\"").valueType() != ConfigValueType.OBJECT) {
        problems.add("Key %s must be an object { format = ..., ... }.", prefix);
        continue;
      }
      if (!SOURCE_NAME.matcher(name).matches()) {
        problems.add("Source name '%s' is not allowed. Use lowercase letters, digits, '_' and '-'.", name);
      }
      SourceSettings s = parseSource(name, ingest.getConfig("sources.\"" + name + "\""), prefix, dataset,
          problems);
      if (s != null) {
        out.add(s);
      }
    }
    return new IngestSettings(out);
  }

  private static SourceSettings parseSource(
      String name, Config c, String prefix, DatasetSchema dataset, ConfigProblems problems) {
    String formatText = problems.string(c, prefix, "format", "one of csv, jsonl, parquet, jdbc, email, text");
    if (formatText == null) {
      return null;
    }
    SourceFormat format = SourceFormat.parse(formatText);
    if (format == null) {
      problems.add("Key %s.format is '%s', an unknown format. Use one of csv, jsonl, parquet, jdbc, email, text.",
          prefix, formatText);
      return null;
    }
    problems.rejectUnknownKeys(c, prefix, format.allowedKeys());

    Map<String, String> columns = problems.stringMap(c, prefix, "columns");
    if (dataset != null) {
      Set<String> canonical = dataset.columns().keySet();
      for (String k : columns.keySet()) {
        if (!canonical.contains(k)) {
          problems.add("Key %s.columns.%s maps to '%s', which is not a canonical column. "
              + "Canonical columns (dataset.columns) are: %s.", prefix, k, k, String.join(", ", canonical));
        }
      }
      for (String required : dataset.requiredColumns()) {
        if (!columns.containsKey(required)) {
          problems.add("Key %s.columns.%s is missing: '%s' is required (dataset.required). "
              + "Map it to the source's field, e.g. %s = \"<field name>\".", prefix, required, required, required);
        }
      }
    }
    List<String> timestampFormats = problems.stringList(c, prefix, "timestamp-formats");
    String encoding = problems.optString(c, prefix, "encoding").orElse("UTF-8");
    if (!java.nio.charset.Charset.isSupported(encoding)) {
      problems.add("Key %s.encoding is '%s', not a charset this JVM knows. Use e.g. UTF-8 or ISO-8859-1.",
          prefix, encoding);
    }

    String path = null;
    if (format.isFileBased()) {
      path = problems.string(c, prefix, "path", "the folder or file to read, e.g. \"sample-data/crm\"");
    }
    String include = problems.optString(c, prefix, "include").orElse("*");

    SourceSettings.CsvOptions csv = null;
    if (format == SourceFormat.CSV) {
      csv = new SourceSettings.CsvOptions(
          singleChar(c, prefix, "delimiter", ',', problems),
          singleChar(c, prefix, "quote", '"', problems),
          singleChar(c, prefix, "escape", '"', problems),
          problems.bool(c, prefix, "header", true));
    }
    SourceSettings.JdbcOptions jdbc = null;
    if (format == SourceFormat.JDBC) {
      jdbc = parseJdbc(c, prefix, problems);
    }
    return new SourceSettings(name, format, path, include, columns, timestampFormats, encoding, csv, jdbc);
  }

  private static SourceSettings.JdbcOptions parseJdbc(Config c, String prefix, ConfigProblems problems) {
    String url = problems.string(c, prefix, "url", "a JDBC URL, e.g. \"jdbc:postgresql://db:5432/crm\"");
    if (url != null && url.matches("(?i).*(password|pwd)=.*")) {
      problems.add("Key %s.url holds a password. Remove it and name an environment variable in %s.password-env.",
          prefix, prefix);
    }
    Optional<String> table = problems.optString(c, prefix, "table");
    Optional<String> query = problems.optString(c, prefix, "query");
    if (table.isPresent() == query.isPresent()) {
      problems.add("Source %s needs exactly one of table or query. Set %s.table = \"schema.table\" or %s.query.",
          prefix, prefix, prefix);
    }
    Optional<String> partitionColumn = problems.optString(c, prefix, "partition-column");
    Optional<String> keyColumn = problems.optString(c, prefix, "key-column").or(() -> partitionColumn);
    if (keyColumn.isEmpty()) {
      problems.add("Key %s.key-column is missing. Name the column that identifies a row (its primary key), "
          + "so re-runs never duplicate it.", prefix);
    }
    Optional<Long> lower = c.hasPath("lower-bound") ? Optional.of(c.getLong("lower-bound")) : Optional.empty();
    Optional<Long> upper = c.hasPath("upper-bound") ? Optional.of(c.getLong("upper-bound")) : Optional.empty();
    int numPartitions = problems.intValue(c, prefix, "num-partitions", 1, 1);
    if (partitionColumn.isPresent() && (lower.isEmpty() || upper.isEmpty())) {
      problems.add("Source %s has partition-column but no lower-bound/upper-bound. Set both, e.g. "
          + "lower-bound = 1, upper-bound = 100000.", prefix);
    }
    if (partitionColumn.isEmpty() && numPartitions > 1) {
      problems.add("Source %s asks for %d partitions without %s.partition-column. Name a numeric column to split on.",
          prefix, numPartitions, prefix);
    }
    return new SourceSettings.JdbcOptions(url, table, query,
        problems.optString(c, prefix, "user-env"), problems.optString(c, prefix, "password-env"),
        problems.optString(c, prefix, "driver"), keyColumn.orElse(null), partitionColumn, lower, upper,
        numPartitions, problems.intValue(c, prefix, "fetch-size", 1, 1000));
  }

  private static char singleChar(Config c, String prefix, String key, char fallback, ConfigProblems problems) {
    Optional<String> v = problems.optString(c, prefix, key);
    if (v.isEmpty()) {
      return fallback;
    }
    String s = v.get().equals("\\t") ? "\t" : v.get();
    if (s.length() != 1) {
      problems.add("Key %s.%s must be a single character, got '%s'.", prefix, key, v.get());
      return fallback;
    }
    return s.charAt(0);
  }
}
