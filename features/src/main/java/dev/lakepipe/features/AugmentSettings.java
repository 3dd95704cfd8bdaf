package dev.lakepipe.features;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueType;
import dev.lakepipe.core.config.ConfigProblems;
import dev.lakepipe.core.config.DatasetSchema;
import java.io.Serializable;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Settings of the training-split augmentation ({@link Augmentation}), from {@code features.augment}. Every part
 * is optional and off by default, so a conf without {@code augment} leaves train as it is.
 *
 * <pre>
 * features.augment {
 *   text {
 *     copies = 0              # augmented copies per train row (0 = off)
 *     columns = ["text"]      # canonical text columns to perturb; default: the main text column
 *     synonyms-file = ""      # optional; any Hadoop path; UTF-8 lines "word: syn1, syn2"
 *     synonym-rate = 0.1      # share of the words that have synonyms that get replaced
 *     deletion-rate = 0.0     # each word deleted with this probability (at least one word always kept)
 *     swaps = 0               # random swaps of two words per copy
 *     labels = []             # only rows with these labels (empty = all)
 *   }
 *   oversample { enabled = false }  # exact copies of minority-class rows up to the largest class
 * }
 * </pre>
 *
 * <p>{@code copies > 0} with no perturbation (no synonyms file or a zero synonym rate, no deletion, no swaps) is
 * rejected: every copy would equal its original, which is what {@code oversample} is for, made explicit.
 *
 * @param text word-level perturbation of text columns
 * @param oversample whether minority classes get exact copies up to the largest class's count
 */
public record AugmentSettings(Text text, boolean oversample) implements Serializable {

  private static final Set<String> KEYS = Set.of("text", "oversample");
  private static final Set<String> TEXT_KEYS = Set.of("copies", "columns", "synonyms-file", "synonym-rate",
      "deletion-rate", "swaps", "labels");
  private static final Set<String> OVERSAMPLE_KEYS = Set.of("enabled");
  private static final String PREFIX = "features.augment";

  static final double DEFAULT_SYNONYM_RATE = 0.1;

  /**
   * {@code features.augment.text}.
   *
   * @param copies augmented copies per selected train row; 0 turns text augmentation off
   * @param columns canonical text columns perturbed in every copy (each with its own words, one random stream)
   * @param synonymsFile Hadoop path of the synonyms dictionary; empty for none
   * @param synonymRate share of the words that have synonyms which get replaced, in [0, 1]
   * @param deletionRate probability with which each word is deleted, in [0, 1]
   * @param swaps random swaps of two words per copy
   * @param labels only rows with one of these labels get copies; empty: every row
   */
  public record Text(int copies, List<String> columns, String synonymsFile, double synonymRate,
      double deletionRate, int swaps, List<String> labels) implements Serializable {

    public Text {
      columns = List.copyOf(columns);
      labels = List.copyOf(labels);
      synonymsFile = synonymsFile == null ? "" : synonymsFile.trim();
    }

    /** Off: no copies. */
    public static Text none(List<String> columns) {
      return new Text(0, columns, "", DEFAULT_SYNONYM_RATE, 0.0, 0, List.of());
    }

    public boolean enabled() {
      return copies > 0;
    }

    /** Whether synonyms replace words: a dictionary is named and the rate is above zero. */
    public boolean replacesSynonyms() {
      return !synonymsFile.isEmpty() && synonymRate > 0;
    }
  }

  /** True when text copies or oversampling are configured. */
  public boolean enabled() {
    return text.enabled() || oversample;
  }

  /**
   * Reads {@code augment} from the {@code features} conf object (pass {@code ConfigFactory.empty()} when there
   * is none); defaults apply to every absent key. Problems (unknown keys, values out of range, columns that are
   * not canonical text columns) are added to {@code problems} naming the key and the fix. {@code schema} may be
   * null when the dataset section itself has problems; column checks are then skipped.
   */
  public static AugmentSettings parse(Config features, DatasetSchema schema, ConfigProblems problems) {
    Config augment = section(features, "augment", PREFIX, problems);
    problems.rejectUnknownKeys(augment, PREFIX, KEYS);
    Text text = parseText(section(augment, "text", PREFIX + ".text", problems), schema, problems);
    Config over = section(augment, "oversample", PREFIX + ".oversample", problems);
    problems.rejectUnknownKeys(over, PREFIX + ".oversample", OVERSAMPLE_KEYS);
    boolean oversample = problems.bool(over, PREFIX + ".oversample", "enabled", false);
    return new AugmentSettings(text, oversample);
  }

  private static Text parseText(Config t, DatasetSchema schema, ConfigProblems problems) {
    String prefix = PREFIX + ".text";
    problems.rejectUnknownKeys(t, prefix, TEXT_KEYS);
    int copies = problems.intValue(t, prefix, "copies", 0, 0);
    List<String> columns = t.hasPath("columns")
        ? problems.stringList(t, prefix, "columns")
        : schema == null || !schema.hasText() ? List.of() : List.of(schema.textColumn());
    if (t.hasPath("columns") && columns.isEmpty()) {
      problems.add("Key %s.columns is empty. List the text columns to perturb, e.g. [\"%s\"], or remove the key.",
          prefix, schema == null || !schema.hasText() ? "text" : schema.textColumn());
    }
    if (copies > 0 && schema != null && !schema.hasText()) {
      problems.add("Key %s.copies is %d, but the dataset has no text column to perturb. Remove it, or use "
          + "%s.oversample to repeat rare classes' rows.", prefix, copies, PREFIX);
    }
    Set<String> seen = new HashSet<>();
    for (String c : columns) {
      if (schema != null && !schema.textColumns().contains(c)) {
        problems.add("Key %s.columns names '%s', which is not a text column in dataset.columns.text (%s). "
            + "Name some of those.", prefix, c, String.join(", ", schema.textColumns()));
      }
      if (!seen.add(c)) {
        problems.add("Key %s.columns names '%s' twice. List each column once.", prefix, c);
      }
    }
    String synonymsFile = problems.optString(t, prefix, "synonyms-file").orElse("").trim();
    double synonymRate = share(t, prefix, "synonym-rate", DEFAULT_SYNONYM_RATE, problems);
    double deletionRate = share(t, prefix, "deletion-rate", 0.0, problems);
    int swaps = problems.intValue(t, prefix, "swaps", 0, 0);
    List<String> labels = problems.stringList(t, prefix, "labels");
    Text text = new Text(copies, columns, synonymsFile, synonymRate, deletionRate, swaps, labels);
    if (copies > 0 && !text.replacesSynonyms() && deletionRate == 0 && swaps == 0) {
      problems.add("Key %s.copies is %d, but no perturbation is set, so every copy would equal its original. "
          + "Set %s.synonyms-file, %s.deletion-rate or %s.swaps, or use %s.oversample for exact copies.",
          prefix, copies, prefix, prefix, prefix, PREFIX);
    }
    return text;
  }

  private static double share(Config c, String prefix, String key, double fallback, ConfigProblems problems) {
    if (!c.hasPath(key)) {
      return fallback;
    }
    try {
      double v = c.getDouble(key);
      if (!(v >= 0.0 && v <= 1.0)) {
        problems.add("Key %s.%s must be between 0 and 1, got %s. Use a share such as 0.1.", prefix, key, v);
        return fallback;
      }
      return v;
    } catch (ConfigException.WrongType e) {
      problems.add("Key %s.%s must be a number between 0 and 1, got '%s'. Use a share such as 0.1.", prefix, key,
          c.getValue(key).unwrapped());
      return fallback;
    }
  }

  /** The object under {@code key}, or empty when absent; a value that is not an object is a problem. */
  static Config section(Config parent, String key, String name, ConfigProblems problems) {
    if (!parent.hasPath(key)) {
      return ConfigFactory.empty();
    }
    if (parent.getValue(key).valueType() != ConfigValueType.OBJECT) {
      problems.add("Key %s must be an object like %s { ... }, got %s. Write its keys inside braces.", name, key,
          parent.getValue(key).valueType().name().toLowerCase(java.util.Locale.ROOT));
      return ConfigFactory.empty();
    }
    return parent.getConfig(key);
  }
}
