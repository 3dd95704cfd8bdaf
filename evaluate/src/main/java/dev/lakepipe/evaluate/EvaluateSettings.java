package dev.lakepipe.evaluate;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueType;
import dev.lakepipe.core.config.ConfigProblems;
import dev.lakepipe.core.config.DatasetSchema;
import dev.lakepipe.core.config.LakepipeConfig;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Settings of the evaluate and score stages, from {@code evaluate} (every key optional):
 *
 * <pre>
 * evaluate {
 *   splits = [test]                  # test and / or validation: the gold splits scored and measured
 *   slices = ["_source", "content_type"]  # gold columns to slice metrics by; event_month and text_length are added
 *   min-support = 30                 # slices with fewer rows are kept but flagged below_min_support
 *   batch-size = 256                 # rows per network call on the executors
 *   bootstrap { replicates = 200, seed = 42 }   # 0 replicates: no confidence intervals
 *   drift { ks-p-value = 0.05, psi = 0.2 }      # a column drifted below this KS p-value / above this PSI
 *   gate {
 *     min { macro_f1 = 0.8 }         # the run's metric must be at least this
 *     max { log_loss = 0.5 }         # ... at most this (metrics where lower is better)
 *     max-drop { macro_f1 = 0.02 }   # ... and may fall at most this much below the current blessed model's
 *   }
 *   report-path = "lakehouse/_reports"   # the report goes to <report-path>/<run_id>/report.html
 *   model = "20261123T101500Z"       # the model version evaluated (default: the newest in the model store)
 * }
 * </pre>
 * The model store is {@code train.model-store} (default {@code <warehouse>/_models}), read here so evaluate does
 * not depend on the train module.
 */
public record EvaluateSettings(List<String> splits, List<String> slices, long minSupport, int batchSize,
    Bootstrap.Settings bootstrap, Drift.Thresholds drift, Gate gate, String reportPath, String model,
    String modelStore) {

  public static final List<String> SPLITS = List.of("test", "validation");
  /** Overall metrics a gate may name with {@code min} / {@code max-drop} (higher is better). */
  public static final List<String> HIGHER_IS_BETTER = List.of("accuracy", "macro_precision", "macro_recall",
      "macro_f1", "micro_f1", "weighted_f1", "roc_auc", "pr_auc");
  /** Overall metrics a gate may name with {@code max} (lower is better). */
  public static final List<String> LOWER_IS_BETTER = List.of("log_loss", "ece");
  public static final int DEFAULT_MIN_SUPPORT = 30;
  public static final int DEFAULT_BATCH_SIZE = 256;
  public static final long DEFAULT_SEED = 42;

  private static final Set<String> KEYS = Set.of("splits", "slices", "min-support", "batch-size", "bootstrap",
      "drift", "gate", "report-path", "model");
  private static final Set<String> GATE_KEYS = Set.of("min", "max", "max-drop", "beat-baseline");

  /**
   * The registry gate: absolute floors ({@code min}), ceilings ({@code max}) and the largest drop allowed
   * against the previously blessed model ({@code maxDrop}), by metric name; {@code beatBaseline}: a classifier's
   * macro-F1 must exceed the majority-class baseline's (always predicting train's most frequent label).
   */
  public record Gate(Map<String, Double> min, Map<String, Double> max, Map<String, Double> maxDrop,
      boolean beatBaseline) {
    public static final Gate NONE = new Gate(Map.of(), Map.of(), Map.of(), true);

    public Gate {
      min = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(min));
      max = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(max));
      maxDrop = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(maxDrop));
    }

    public boolean isEmpty() {
      return min.isEmpty() && max.isEmpty() && maxDrop.isEmpty();
    }
  }

  public static EvaluateSettings parse(LakepipeConfig config) {
    return config.parseStage(EvaluateSettings::parse);
  }

  public static EvaluateSettings parse(Config root, DatasetSchema schema, ConfigProblems problems) {
    Config e = section(root, "evaluate");
    problems.rejectUnknownKeys(e, "evaluate", KEYS);
    List<String> splits = e.hasPath("splits") ? problems.stringList(e, "evaluate", "splits") : List.of("test");
    if (splits.isEmpty() && e.hasPath("splits")) {
      problems.add("Key evaluate.splits is empty. List test and / or validation, e.g. [test].");
    }
    for (String s : splits) {
      if (!SPLITS.contains(s)) {
        problems.add("Key evaluate.splits names '%s'. Use test and / or validation; train rows are never "
            + "evaluated.", s);
      }
    }
    List<String> slices = problems.stringList(e, "evaluate", "slices");
    for (String s : slices) {
      if (s.equals(MetricRow.ALL)) {
        problems.add("Key evaluate.slices names '%s', which is the name of the slice over every row. Remove it.",
            s);
      }
    }
    long minSupport = problems.intValue(e, "evaluate", "min-support", 0, DEFAULT_MIN_SUPPORT);
    int batchSize = problems.intValue(e, "evaluate", "batch-size", 1, DEFAULT_BATCH_SIZE);

    Config b = section(e, "bootstrap");
    problems.rejectUnknownKeys(b, "evaluate.bootstrap", Set.of("replicates", "seed"));
    int replicates = problems.intValue(b, "evaluate.bootstrap", "replicates", 0, Bootstrap.DEFAULT_REPLICATES);
    long seed = DEFAULT_SEED;
    if (b.hasPath("seed")) {
      try {
        seed = b.getLong("seed");
      } catch (ConfigException.WrongType ex) {
        problems.add("Key evaluate.bootstrap.seed must be a whole number, got '%s'.", b.getValue("seed").unwrapped());
      }
    }

    Config d = section(e, "drift");
    problems.rejectUnknownKeys(d, "evaluate.drift", Set.of("ks-p-value", "psi"));
    Drift.Thresholds drift = new Drift.Thresholds(
        problems.doubleValue(d, "evaluate.drift", "ks-p-value", 0, 1, Drift.Thresholds.DEFAULT.ksPValue()),
        problems.doubleValue(d, "evaluate.drift", "psi", 0, Double.MAX_VALUE, Drift.Thresholds.DEFAULT.psi()));

    Config g = section(e, "gate");
    problems.rejectUnknownKeys(g, "evaluate.gate", GATE_KEYS);
    Gate gate = new Gate(thresholds(g, "min", HIGHER_IS_BETTER, problems),
        thresholds(g, "max", LOWER_IS_BETTER, problems),
        thresholds(g, "max-drop", HIGHER_IS_BETTER, problems),
        problems.bool(g, "evaluate.gate", "beat-baseline", true));

    String warehouse = root.hasPath("tables.warehouse") ? root.getString("tables.warehouse") : "lakehouse";
    String reportPath = problems.optString(e, "evaluate", "report-path").orElse(warehouse + "/_reports");
    String model = problems.optString(e, "evaluate", "model").orElse(null);
    Config t = section(root, "train");
    String store = t.hasPath("model-store") && t.getValue("model-store").valueType() == ConfigValueType.STRING
        ? t.getString("model-store") : warehouse + "/_models";
    return new EvaluateSettings(List.copyOf(splits), List.copyOf(slices), minSupport, batchSize,
        new Bootstrap.Settings(replicates, seed, dev.lakepipe.core.Lineage.RECORD_ID), drift, gate, reportPath,
        model, store);
  }

  /** The same settings with another model version (the CLI's {@code --model}). */
  public EvaluateSettings withModel(String version) {
    return new EvaluateSettings(splits, slices, minSupport, batchSize, bootstrap, drift, gate, reportPath, version,
        modelStore);
  }

  private static Map<String, Double> thresholds(Config gate, String key, List<String> allowed,
      ConfigProblems problems) {
    Map<String, Double> out = new LinkedHashMap<>();
    if (!gate.hasPath(key)) {
      return out;
    }
    String prefix = "evaluate.gate." + key;
    if (gate.getValue(key).valueType() != ConfigValueType.OBJECT) {
      problems.add("Key %s must be an object of metric names to numbers, like { macro_f1 = 0.8 }.", prefix);
      return out;
    }
    Config c = gate.getConfig(key);
    problems.rejectUnknownKeys(c, prefix, allowed);
    for (String metric : new java.util.TreeSet<>(c.root().keySet())) {
      if (allowed.contains(metric)) {
        double v = problems.doubleValue(c, prefix, metric, 0, Double.MAX_VALUE, Double.NaN);
        if (!Double.isNaN(v)) {
          out.put(metric, v);
        }
      }
    }
    return out;
  }

  private static Config section(Config parent, String key) {
    return parent.hasPath(key) && parent.getValue(key).valueType() == ConfigValueType.OBJECT
        ? parent.getConfig(key) : ConfigFactory.empty();
  }
}
