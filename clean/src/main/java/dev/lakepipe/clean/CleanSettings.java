package dev.lakepipe.clean;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.lakepipe.core.config.ConfigProblems;
import dev.lakepipe.core.config.DatasetSchema;
import dev.lakepipe.core.config.LakepipeConfig;
import java.util.List;
import java.util.Set;

/**
 * Settings of the clean stage, from {@code clean}: row-level normalisation, rules and missing-value policy
 * ({@link RowCleaningSettings}), the exact-duplicate key, near-duplicate detection
 * ({@link NearDuplicates.Settings}) and whether near duplicates are removed or kept linked
 * ({@code clean.near-duplicates.action}), and the label-agreement bar. Every section is optional; defaults apply.
 */
public record CleanSettings(
    RowCleaningSettings rows, List<String> exactKey, NearDuplicates.Settings near, boolean keepNear,
    double minAgreement) {

  private static final Set<String> KEYS = Set.of("normalize", "rules", "missing", "exact-duplicates",
      "near-duplicates", "label-conflicts");

  /** The inter-annotator agreement bar commonly used for labels. */
  static final double DEFAULT_MIN_AGREEMENT = 0.85;

  public CleanSettings {
    exactKey = List.copyOf(exactKey);
  }

  public static CleanSettings parse(LakepipeConfig config) {
    return config.parseStage(CleanSettings::parse);
  }

  public static CleanSettings parse(Config root, DatasetSchema schema, ConfigProblems problems) {
    Config clean = root.hasPath("clean") ? root.getConfig("clean") : ConfigFactory.empty();
    problems.rejectUnknownKeys(clean, "clean", KEYS);
    if (schema == null) {
      return null;
    }
    RowCleaningSettings rows = RowCleaningSettings.parse(clean, schema, problems);

    Config exact = section(clean, "exact-duplicates");
    problems.rejectUnknownKeys(exact, "clean.exact-duplicates", Set.of("key"));
    List<String> key = exact.hasPath("key")
        ? problems.stringList(exact, "clean.exact-duplicates", "key")
        : defaultExactKey(schema);
    if (key.isEmpty()) {
      problems.add("Key clean.exact-duplicates.key is empty. List the canonical columns whose equal values make "
          + "rows duplicates, e.g. [\"%s\"].", schema.hasText() ? schema.textColumn() : schema.labelColumn());
    }
    for (String c : key) {
      if (!schema.columns().containsKey(c)) {
        problems.add("Key clean.exact-duplicates.key names '%s', which is not a canonical column. Use some of: %s.",
            c, String.join(", ", schema.columns().keySet()));
      }
    }

    Config nearSection = section(clean, "near-duplicates");
    String action = problems.optString(nearSection, "clean.near-duplicates", "action").orElse("remove");
    if (!action.equals("remove") && !action.equals("keep")) {
      problems.add("Key clean.near-duplicates.action is '%s'. Use remove (drop near duplicates from silver) or "
          + "keep (keep them, linked to their keeper in ops.duplicates, so features keeps each cluster in one "
          + "split).", action);
    }
    NearDuplicates.Settings near = NearDuplicates.Settings.parse(nearSection.withoutPath("action"),
        "clean.near-duplicates", schema, problems);

    Config labels = section(clean, "label-conflicts");
    problems.rejectUnknownKeys(labels, "clean.label-conflicts", Set.of("min-agreement"));
    double minAgreement = DEFAULT_MIN_AGREEMENT;
    if (labels.hasPath("min-agreement")) {
      try {
        minAgreement = labels.getDouble("min-agreement");
        if (minAgreement <= 0 || minAgreement > 1) {
          problems.add("Key clean.label-conflicts.min-agreement is %s. Use a share in (0, 1], e.g. 0.85.",
              minAgreement);
        }
      } catch (com.typesafe.config.ConfigException.WrongType e) {
        problems.add("Key clean.label-conflicts.min-agreement must be a number in (0, 1], e.g. 0.85.");
      }
    }
    return new CleanSettings(rows, key, near, action.equals("keep"), minAgreement);
  }

  /**
   * The exact-duplicate key when {@code clean.exact-duplicates.key} is not given: the main text when there is
   * text; otherwise every canonical column but the id (a table row is a duplicate only when all of it repeats).
   */
  static List<String> defaultExactKey(DatasetSchema schema) {
    if (schema.hasText()) {
      return List.of(schema.textColumn());
    }
    return schema.columns().keySet().stream().filter(c -> !c.equals(schema.idColumn())).toList();
  }

  private static Config section(Config clean, String key) {
    return clean.hasPath(key) && clean.getValue(key).valueType() == com.typesafe.config.ConfigValueType.OBJECT
        ? clean.getConfig(key)
        : ConfigFactory.empty();
  }
}
