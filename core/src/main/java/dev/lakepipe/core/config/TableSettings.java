package dev.lakepipe.core.config;

import com.typesafe.config.Config;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Where tables live, from {@code tables}. In {@code path} mode (the default, and what a laptop needs) each
 * table {@code db.name} is a Delta table at {@code <warehouse>/db/name}, registered in the session catalog
 * so SQL can name it. In {@code metastore} mode (Hive metastore, Databricks Unity/Hive) tables are created
 * and read by name.
 *
 * <p>{@code lockTimeout} is how long a stage command waits for another run's lock on a path-mode warehouse
 * ({@link dev.lakepipe.core.WarehouseLock}) before failing; zero fails at once.
 */
public record TableSettings(Mode mode, String warehouse, Map<String, String> names, java.time.Duration lockTimeout) {

  public enum Mode { PATH, METASTORE }

  /** Logical table keys, and their default names. Stages look tables up by key. */
  public static final Map<String, String> DEFAULT_NAMES = Map.ofEntries(
      Map.entry("bronze-records", "bronze.records"),
      Map.entry("silver-records", "silver.records"),
      Map.entry("gold-dataset", "gold.dataset"),
      Map.entry("quarantine", "ops.quarantine"),
      Map.entry("ingest-log", "ops.ingest_log"),
      Map.entry("dq-report", "ops.dq_report"),
      Map.entry("duplicates", "ops.duplicates"),
      Map.entry("split-manifest", "ops.split_manifest"),
      Map.entry("training-history", "results.training_history"),
      Map.entry("models", "results.models"),
      Map.entry("metrics", "results.metrics"),
      Map.entry("confusion", "results.confusion"),
      Map.entry("calibration", "results.calibration"),
      Map.entry("drift", "results.drift"),
      Map.entry("model-registry", "results.model_registry"),
      Map.entry("predictions", "results.predictions"),
      Map.entry("scores", "results.scores"));

  private static final Pattern TABLE_NAME = Pattern.compile("[a-z][a-z0-9_]*\\.[a-z][a-z0-9_]*");

  public TableSettings {
    names = Map.copyOf(names);
  }

  /** Settings with the default lock timeout (zero: a held lock fails the run at once). */
  public TableSettings(Mode mode, String warehouse, Map<String, String> names) {
    this(mode, warehouse, names, java.time.Duration.ZERO);
  }

  static TableSettings parse(Config root, ConfigProblems problems) {
    Config c = root.hasPath("tables") ? root.getConfig("tables") : com.typesafe.config.ConfigFactory.empty();
    Set<String> allowed = new java.util.HashSet<>(DEFAULT_NAMES.keySet());
    allowed.add("mode");
    allowed.add("warehouse");
    allowed.add("lock-timeout");
    problems.rejectUnknownKeys(c, "tables", allowed);
    String modeText = problems.optString(c, "tables", "mode").orElse("path");
    Mode mode;
    try {
      mode = Mode.valueOf(modeText.toUpperCase(java.util.Locale.ROOT));
    } catch (IllegalArgumentException e) {
      problems.add("Key tables.mode is '%s'. Use 'path' or 'metastore'.", modeText);
      mode = Mode.PATH;
    }
    String warehouse = problems.optString(c, "tables", "warehouse").orElse("lakehouse");
    Map<String, String> names = new TreeMap<>(DEFAULT_NAMES);
    for (String key : DEFAULT_NAMES.keySet()) {
      problems.optString(c, "tables", key).ifPresent(n -> {
        if (!TABLE_NAME.matcher(n).matches()) {
          problems.add("Key tables.%s is '%s'. Name tables as database.table in lowercase, e.g. bronze.records.",
              key, n);
        }
        names.put(key, n);
      });
    }
    java.time.Duration lockTimeout = problems.duration(c, "tables", "lock-timeout", java.time.Duration.ZERO,
        java.time.Duration.ZERO);
    return new TableSettings(mode, warehouse, names, lockTimeout);
  }
}
