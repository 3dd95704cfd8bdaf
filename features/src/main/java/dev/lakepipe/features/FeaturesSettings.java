package dev.lakepipe.features;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueType;
import dev.lakepipe.core.config.ConfigProblems;
import dev.lakepipe.core.config.DatasetSchema;
import dev.lakepipe.core.config.LakepipeConfig;
import java.util.Set;

/**
 * Settings of the features stage, from {@code features}: the seed every random choice derives from, the split
 * ({@link SplitSettings}), the feature pipeline ({@link FeatureSettings}), augmentation of train
 * ({@link AugmentSettings}), the Parquet export ({@link ExportSettings}), where fitted pipelines are saved
 * ({@code artifacts}, one folder per run) and what happens to rare and unseen labels ({@link LabelCoverage}).
 * Every key is optional.
 */
public record FeaturesSettings(long seed, SplitSettings split, FeatureSettings features, AugmentSettings augment,
    ExportSettings export, String artifactsPath, LabelCoverage.Settings labels) {

  static final long DEFAULT_SEED = 42;
  private static final Set<String> KEYS = Set.of("seed", "split", "text", "numeric", "categorical", "event-time",
      "class-weights", "augment", "export", "artifacts", "min-class-rows", "rare-labels");

  public static FeaturesSettings parse(LakepipeConfig config) {
    return config.parseStage(FeaturesSettings::parse);
  }

  public static FeaturesSettings parse(Config root, DatasetSchema schema, ConfigProblems problems) {
    Config f = root.hasPath("features") && root.getValue("features").valueType() == ConfigValueType.OBJECT
        ? root.getConfig("features") : ConfigFactory.empty();
    problems.rejectUnknownKeys(f, "features", KEYS);
    long seed = DEFAULT_SEED;
    if (f.hasPath("seed")) {
      try {
        seed = f.getLong("seed");
      } catch (ConfigException.WrongType e) {
        problems.add("Key features.seed must be a whole number, got '%s'.", f.getValue("seed").unwrapped());
      }
    }
    String warehouse = root.hasPath("tables.warehouse") ? root.getString("tables.warehouse") : "lakehouse";
    String artifacts = problems.optString(f, "features", "artifacts").orElse(warehouse + "/_artifacts/features");
    SplitSettings split = SplitSettings.parse(f, schema, sourceNames(root), problems);
    ExportSettings export = ExportSettings.parse(f, warehouse, problems);
    LabelCoverage.Settings labels = LabelCoverage.Settings.parse(f, problems);
    if (schema == null) {
      return null;
    }
    FeatureSettings features = FeatureSettings.parse(f, schema, problems);
    checkSplitColumnIsNoFeature(split, features, problems);
    AugmentSettings augment = AugmentSettings.parse(f, schema, problems);
    return new FeaturesSettings(seed, split, features, augment, export, artifacts, labels);
  }

  /** The keys of {@code ingest.sources}, or none when the conf declares no sources. */
  private static Set<String> sourceNames(Config root) {
    if (!root.hasPath("ingest") || root.getValue("ingest").valueType() != ConfigValueType.OBJECT) {
      return Set.of();
    }
    Config ingest = root.getConfig("ingest");
    return ingest.hasPath("sources") && ingest.getValue("sources").valueType() == ConfigValueType.OBJECT
        ? Set.copyOf(ingest.getObject("sources").keySet()) : Set.of();
  }

  /**
   * A column that names each row's split must not be a feature: every train row would carry one value and every
   * test row another, so the model would learn the split, not the label.
   */
  private static void checkSplitColumnIsNoFeature(SplitSettings split, FeatureSettings features,
      ConfigProblems problems) {
    if (split.predefined() == null || split.predefined().by() != SplitSettings.By.COLUMN || features == null) {
      return;
    }
    String column = split.predefined().column();
    java.util.Map<String, java.util.List<String>> uses = new java.util.LinkedHashMap<>();
    uses.put("text", features.text().columns());
    uses.put("numeric", features.numeric().columns());
    uses.put("categorical", features.categorical().columns());
    uses.forEach((section, columns) -> {
      if (columns.contains(column)) {
        problems.add("Key features.split.predefined.column names '%s', which is also a feature "
            + "(features.%s.columns): train rows would all carry one value and test rows another. List "
            + "features.%s.columns without it (by default it holds every dataset.columns.%s column).", column, section,
            section, section);
      }
    });
  }
}
