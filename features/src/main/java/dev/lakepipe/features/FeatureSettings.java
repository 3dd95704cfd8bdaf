package dev.lakepipe.features;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValueType;
import dev.lakepipe.core.config.ConfigProblems;
import dev.lakepipe.core.config.DatasetSchema;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Settings of the fitted feature pipeline ({@link FeaturePipeline}), from the {@code text}, {@code numeric},
 * {@code categorical}, {@code event-time} and {@code class-weights} keys of {@code features}. Other keys of
 * {@code features} (seed, split, ...) belong to the rest of the stage and are left alone here. Every section
 * is optional; absent keys take the defaults below, and column lists default to the dataset's columns of that
 * role, so a conf with no {@code features} block already gives a working pipeline.
 *
 * <pre>
 * features {
 *   text {
 *     columns = ["text", "subject"] # default: every dataset text column, joined with "\n" into one document
 *     representation = tfidf        # tfidf | sequence
 *     tokenizer = words             # words (Unicode word tokens) | char-ngrams (languages without spaces)
 *     lowercase = true
 *     ngram-size = 1                # words: n-grams of n words (1 = single words); char-ngrams: n, default 3
 *     num-features = 4096           # tfidf only: hashed term slots, at least 16
 *     min-doc-freq = 1              # tfidf only: terms in fewer train documents get weight 0
 *     vocabulary-size = 20000       # sequence only: most frequent train tokens kept
 *     max-length = 200              # sequence only: ids per row, truncated / padded with 0
 *   }
 *   numeric {
 *     columns = ["size_bytes"]      # default: dataset numeric columns
 *     impute = median               # median | mean, of the train values
 *     missing-indicators = true     # one 0/1 slot per column: the value was missing (null or NaN)
 *     standardize = true            # (x - mean) / std with the train mean and sample std
 *   }
 *   categorical {
 *     columns = ["sender"]          # default: dataset categorical columns
 *     encoding = one-hot            # one-hot | index | hashed; one-hot and index: values not kept, unseen
 *                                   # values and nulls share one "unknown" slot
 *     max-categories = 100          # one-hot, index: keep at most the 100 most frequent train values; default
 *                                   # no limit
 *     min-category-rows = 5         # one-hot, index: keep only values in at least 5 train rows; default 1
 *     hash-buckets = 32             # hashed only: slots the values are hashed into, at least 2
 *     per-column {                  # any of the four keys above for one column of columns; the rest is
 *       sender { max-categories = 20 }  # inherited from the block above
 *     }
 *   }
 *   event-time { parts = [] }       # hour, day-of-week, day-of-month, month, year (UTC)
 *   class-weights = balanced        # balanced | none
 * }
 * </pre>
 *
 * <p>Keys that only apply to the other text representation (e.g. {@code vocabulary-size} with {@code tfidf}) are
 * reported rather than ignored, so a conf never silently does less than it says.
 */
public record FeatureSettings(
    Text text, Numeric numeric, Categorical categorical, List<TimePart> eventTimeParts,
    ClassWeighting classWeights) {

  static final Set<String> TEXT_KEYS = Set.of("columns", "representation", "tokenizer", "lowercase", "ngram-size",
      "num-features", "min-doc-freq", "vocabulary-size", "max-length");
  static final Set<String> NUMERIC_KEYS = Set.of("columns", "impute", "missing-indicators", "standardize");
  static final Set<String> CATEGORICAL_KEYS = Set.of("columns", "encoding", "max-categories", "min-category-rows",
      "hash-buckets", "per-column");
  static final Set<String> CATEGORICAL_COLUMN_KEYS = Set.of("encoding", "max-categories", "min-category-rows",
      "hash-buckets");
  static final Set<String> EVENT_TIME_KEYS = Set.of("parts");

  /** How the text becomes numbers. */
  public enum Representation {
    /** Hashed term counts weighted by the train IDF; part of the {@code features} vector. */
    TFIDF,
    /** Token ids in {@code text_ids}, for embedding / sequence models; not part of {@code features}. */
    SEQUENCE
  }

  /** How the document is cut into tokens (before n-grams). */
  public enum Tokenizer {
    /** Runs of Unicode letters, digits and marks (apostrophes inside a word kept: "don't"). */
    WORDS,
    /** Single characters, whitespace runs collapsed to one space, then n-grams of n characters. */
    CHAR_NGRAMS
  }

  /** The train statistic that replaces a missing numeric value. */
  public enum Impute { MEDIAN, MEAN }

  /** How a categorical column enters the vector. */
  public enum Encoding {
    /** k + 1 slots: one per kept train category (alphabetical), the last for unknown values and nulls. */
    ONE_HOT,
    /** One slot holding the kept category's index 0..k-1 (alphabetical), k for unknown values and nulls. */
    INDEX,
    /**
     * {@code hash-buckets} slots: 1.0 in slot murmur3("column=value") mod n (Spark's {@code FeatureHasher}),
     * every slot 0 for null. Nothing is fitted; different values can share a slot.
     */
    HASHED;

    /** True for the encodings that keep a fitted set of train categories (one-hot, index). */
    boolean keepsCategories() {
      return this != HASHED;
    }
  }

  /** A calendar part of the event time, in UTC, as a number. */
  public enum TimePart {
    /** 0-23. */
    HOUR,
    /** 1 = Sunday ... 7 = Saturday (Spark's dayofweek). */
    DAY_OF_WEEK,
    /** 1-31. */
    DAY_OF_MONTH,
    /** 1-12. */
    MONTH,
    /** e.g. 2024. */
    YEAR
  }

  /** Per-label training weights. */
  public enum ClassWeighting {
    /** w_c = n / (k * n_c) over the train rows: every label carries the same total weight. */
    BALANCED,
    /** Every label weighs 1.0. */
    NONE
  }

  /**
   * {@code features.text}.
   *
   * @param columns text columns joined (in this order, with "\n") into the one document per row
   * @param ngramSize n of the n-grams (words or characters)
   * @param numFeatures tfidf: hashed slots
   * @param minDocFreq tfidf: Spark IDF minDocFreq
   * @param vocabularySize sequence: tokens kept, most frequent first
   * @param maxLength sequence: length of {@code text_ids}
   */
  public record Text(List<String> columns, Representation representation, Tokenizer tokenizer, boolean lowercase,
      int ngramSize, int numFeatures, int minDocFreq, int vocabularySize, int maxLength) {

    public Text {
      columns = List.copyOf(columns);
    }

    /** False when there is no text column (a table without text): no text stages, no text slots. */
    public boolean enabled() {
      return !columns.isEmpty();
    }
  }

  /** {@code features.numeric}. */
  public record Numeric(List<String> columns, Impute impute, boolean missingIndicators, boolean standardize) {

    public Numeric {
      columns = List.copyOf(columns);
    }
  }

  /**
   * {@code features.categorical}: the columns and the encoding settings every column inherits, plus the settings
   * of the columns listed under {@code per-column}, already merged with the inherited ones. Use
   * {@link #column(String)} for a column's settings.
   *
   * @param maxCategories one-hot and index: the most train values kept per column, {@link #NO_LIMIT} for all
   * @param minCategoryRows one-hot and index: train rows a value needs to be kept
   * @param hashBuckets hashed: slots per column
   * @param perColumn column to its merged settings, for the columns under {@code per-column}
   */
  public record Categorical(List<String> columns, Encoding encoding, int maxCategories, int minCategoryRows,
      int hashBuckets, Map<String, CategoricalColumn> perColumn) {

    public Categorical {
      columns = List.copyOf(columns);
      // A metadata.json written before these keys existed has none of them (0, null): they were the defaults.
      minCategoryRows = Math.max(minCategoryRows, DEFAULT_MIN_CATEGORY_ROWS);
      hashBuckets = hashBuckets == 0 ? DEFAULT_HASH_BUCKETS : hashBuckets;
      perColumn = perColumn == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(perColumn));
    }

    /** The settings of {@code column}: its {@code per-column} entry, or the section's own. */
    public CategoricalColumn column(String column) {
      CategoricalColumn own = perColumn.get(column);
      return own != null ? own : new CategoricalColumn(encoding, maxCategories, minCategoryRows, hashBuckets);
    }
  }

  /**
   * How one categorical column is encoded (see {@link Categorical} for the fields). {@code maxCategories}
   * {@link #NO_LIMIT} keeps every value with at least {@code minCategoryRows} train rows.
   */
  public record CategoricalColumn(Encoding encoding, int maxCategories, int minCategoryRows, int hashBuckets) {}

  /** {@code maxCategories} when {@code max-categories} is not set: no limit. */
  public static final int NO_LIMIT = 0;

  static final int DEFAULT_NUM_FEATURES = 4096;
  static final int DEFAULT_MIN_DOC_FREQ = 1;
  static final int DEFAULT_VOCABULARY_SIZE = 20000;
  static final int DEFAULT_MAX_LENGTH = 200;
  static final int DEFAULT_WORD_NGRAM = 1;
  static final int DEFAULT_CHAR_NGRAM = 3;
  static final int DEFAULT_MIN_CATEGORY_ROWS = 1;
  static final int DEFAULT_HASH_BUCKETS = 32;

  public FeatureSettings {
    eventTimeParts = List.copyOf(eventTimeParts);
  }

  /**
   * Reads the feature-pipeline keys of {@code features} (pass {@code ConfigFactory.empty()} when the conf has no
   * {@code features} block). Every problem is added to {@code problems}, naming the key and the fix. Returns null
   * when {@code schema} is null (the dataset block is broken; that is reported elsewhere) after checking what
   * does not need it.
   */
  public static FeatureSettings parse(Config features, DatasetSchema schema, ConfigProblems problems) {
    Text text = parseText(section(features, "text", problems), schema, problems);
    Numeric numeric = parseNumeric(section(features, "numeric", problems), schema, problems);
    Categorical categorical = parseCategorical(section(features, "categorical", problems), schema, problems);
    List<TimePart> parts = parseEventTime(section(features, "event-time", problems), schema, problems);
    ClassWeighting weighting = choice(features, "features", "class-weights", ClassWeighting.class,
        ClassWeighting.BALANCED, problems);
    if (schema == null) {
      return null;
    }
    if (!schema.hasText() && text.representation() == Representation.SEQUENCE) {
      problems.add("Key features.text.representation is sequence, but there is no text column (dataset.columns.text "
          + "is empty). Declare a text column, or remove features.text.representation.");
    }
    if (!text.enabled() && numeric.columns().isEmpty() && categorical.columns().isEmpty() && parts.isEmpty()) {
      problems.add("The features vector of dataset %s would be empty: it has no text, numeric or categorical "
          + "column to use, and features.event-time.parts is empty. Declare columns under dataset.columns, or list "
          + "event-time parts, e.g. features.event-time.parts = [\"month\", \"day-of-week\"].", schema.name());
    }
    return new FeatureSettings(text, numeric, categorical, parts, weighting);
  }

  private static Text parseText(Config c, DatasetSchema schema, ConfigProblems problems) {
    String prefix = "features.text";
    problems.rejectUnknownKeys(c, prefix, TEXT_KEYS);
    List<String> columns = columns(c, prefix, DatasetSchema.Role.TEXT, schema, problems);
    if (c.hasPath("columns") && columns.isEmpty()) {
      problems.add("Key features.text.columns is empty. List at least one text column, e.g. [\"%s\"].",
          schema == null || !schema.hasText() ? "text" : schema.textColumn());
    }
    Representation representation = choice(c, prefix, "representation", Representation.class,
        Representation.TFIDF, problems);
    Tokenizer tokenizer = choice(c, prefix, "tokenizer", Tokenizer.class, Tokenizer.WORDS, problems);
    boolean lowercase = problems.bool(c, prefix, "lowercase", true);
    int ngramSize = problems.intValue(c, prefix, "ngram-size", 1,
        tokenizer == Tokenizer.CHAR_NGRAMS ? DEFAULT_CHAR_NGRAM : DEFAULT_WORD_NGRAM);
    int numFeatures = problems.intValue(c, prefix, "num-features", 16, DEFAULT_NUM_FEATURES);
    int minDocFreq = problems.intValue(c, prefix, "min-doc-freq", 0, DEFAULT_MIN_DOC_FREQ);
    int vocabularySize = problems.intValue(c, prefix, "vocabulary-size", 1, DEFAULT_VOCABULARY_SIZE);
    int maxLength = problems.intValue(c, prefix, "max-length", 1, DEFAULT_MAX_LENGTH);
    List<String> onlyFor = representation == Representation.TFIDF
        ? List.of("vocabulary-size", "max-length")
        : List.of("num-features", "min-doc-freq");
    Representation other = representation == Representation.TFIDF ? Representation.SEQUENCE : Representation.TFIDF;
    for (String key : onlyFor) {
      if (c.hasPath(key)) {
        problems.add("Key %s.%s applies only to representation = %s. Remove it, or set %s.representation = %s.",
            prefix, key, confName(other), prefix, confName(other));
      }
    }
    return new Text(columns, representation, tokenizer, lowercase, ngramSize, numFeatures, minDocFreq,
        vocabularySize, maxLength);
  }

  private static Numeric parseNumeric(Config c, DatasetSchema schema, ConfigProblems problems) {
    String prefix = "features.numeric";
    problems.rejectUnknownKeys(c, prefix, NUMERIC_KEYS);
    List<String> columns = columns(c, prefix, DatasetSchema.Role.NUMERIC, schema, problems);
    Impute impute = choice(c, prefix, "impute", Impute.class, Impute.MEDIAN, problems);
    boolean indicators = problems.bool(c, prefix, "missing-indicators", true);
    boolean standardize = problems.bool(c, prefix, "standardize", true);
    return new Numeric(columns, impute, indicators, standardize);
  }

  private static Categorical parseCategorical(Config c, DatasetSchema schema, ConfigProblems problems) {
    String prefix = "features.categorical";
    problems.rejectUnknownKeys(c, prefix, CATEGORICAL_KEYS);
    List<String> columns = columns(c, prefix, DatasetSchema.Role.CATEGORICAL, schema, problems);
    CategoricalColumn inherited = categoricalColumn(c, prefix,
        new CategoricalColumn(Encoding.ONE_HOT, NO_LIMIT, DEFAULT_MIN_CATEGORY_ROWS, DEFAULT_HASH_BUCKETS),
        problems);
    Map<String, CategoricalColumn> perColumn = new TreeMap<>();
    Map<String, Set<String>> keysOf = new TreeMap<>();
    Config perColumnConf = ConfigFactory.empty();
    if (c.hasPath("per-column") && c.getValue("per-column").valueType() != ConfigValueType.OBJECT) {
      problems.add("Key %s.per-column must be an object of columns, like per-column { %s { max-categories = 20 } "
          + "}.", prefix, columns.isEmpty() ? "sender" : columns.get(0));
    } else if (c.hasPath("per-column")) {
      perColumnConf = c.getConfig("per-column");
    }
    String known = columns.isEmpty() ? "It lists none." : "It lists: " + String.join(", ", columns) + ".";
    for (String column : new TreeSet<>(perColumnConf.root().keySet())) {
      String key = prefix + ".per-column." + column;
      if (!columns.contains(column)) {
        problems.add("Key %s names '%s', which is not in %s.columns. %s Add it there, or remove %s.", key, column,
            prefix, known, key);
      }
      if (perColumnConf.root().get(column).valueType() != ConfigValueType.OBJECT) {
        problems.add("Key %s must be an object, like %s { max-categories = 20 }.", key, column);
        continue;
      }
      Config own = ((ConfigObject) perColumnConf.root().get(column)).toConfig();
      problems.rejectUnknownKeys(own, key, CATEGORICAL_COLUMN_KEYS);
      CategoricalColumn merged = categoricalColumn(own, key, inherited, problems);
      Set<String> set = new TreeSet<>(own.root().keySet());
      set.retainAll(CATEGORICAL_COLUMN_KEYS);
      keysOf.put(column, set);
      rejectKeysOfOtherEncodings(key, set, merged.encoding(), column, problems);
      if (columns.contains(column)) {
        perColumn.put(column, merged);
      }
    }
    // A limit set for the section must serve the section's encoding, or a column that inherits it.
    for (String key : List.of("hash-buckets", "max-categories", "min-category-rows")) {
      if (!c.hasPath(key)) {
        continue;
      }
      boolean forFitted = !key.equals("hash-buckets");
      boolean used = inherited.encoding().keepsCategories() == forFitted || columns.stream().anyMatch(name ->
          !keysOf.getOrDefault(name, Set.of()).contains(key)
              && perColumn.getOrDefault(name, inherited).encoding().keepsCategories() == forFitted);
      if (!used) {
        problems.add(forFitted
            ? "Key %s.%s applies only to encoding = one-hot or index, and no column has one. Remove it, or set "
                + "%s.encoding = one-hot."
            : "Key %s.%s applies only to encoding = hashed, and no column is hashed. Remove it, or set "
                + "%s.encoding = hashed.", prefix, key, prefix);
      }
    }
    return new Categorical(columns, inherited.encoding(), inherited.maxCategories(), inherited.minCategoryRows(),
        inherited.hashBuckets(), perColumn);
  }

  /** The encoding keys of {@code c}, each falling back to {@code inherited}'s. */
  private static CategoricalColumn categoricalColumn(Config c, String prefix, CategoricalColumn inherited,
      ConfigProblems problems) {
    Encoding encoding = choice(c, prefix, "encoding", Encoding.class, inherited.encoding(), problems);
    int maxCategories = problems.intValue(c, prefix, "max-categories", 1, inherited.maxCategories());
    int minCategoryRows = problems.intValue(c, prefix, "min-category-rows", 1, inherited.minCategoryRows());
    int hashBuckets = problems.intValue(c, prefix, "hash-buckets", 2, inherited.hashBuckets());
    return new CategoricalColumn(encoding, maxCategories, minCategoryRows, hashBuckets);
  }

  /** A {@code per-column} entry may only set keys its own encoding uses. */
  private static void rejectKeysOfOtherEncodings(String key, Set<String> set, Encoding encoding, String column,
      ConfigProblems problems) {
    for (String k : set) {
      if (k.equals("hash-buckets") && encoding != Encoding.HASHED) {
        problems.add("Key %s.hash-buckets applies only to encoding = hashed, and column '%s' is encoded %s. "
            + "Remove it, or set %s.encoding = hashed.", key, column, confName(encoding), key);
      } else if ((k.equals("max-categories") || k.equals("min-category-rows")) && encoding == Encoding.HASHED) {
        problems.add("Key %s.%s applies only to encoding = one-hot or index, and column '%s' is hashed (hashing "
            + "keeps every value). Remove it, or set %s.encoding = one-hot.", key, k, column, key);
      }
    }
  }

  private static List<TimePart> parseEventTime(Config c, DatasetSchema schema, ConfigProblems problems) {
    String prefix = "features.event-time";
    problems.rejectUnknownKeys(c, prefix, EVENT_TIME_KEYS);
    List<TimePart> parts = new ArrayList<>();
    for (String name : problems.stringList(c, prefix, "parts")) {
      TimePart part = fromConfName(TimePart.class, name);
      if (part == null) {
        problems.add("Key %s.parts lists '%s'. Use some of: %s.", prefix, name, allowedNames(TimePart.class));
      } else if (parts.contains(part)) {
        problems.add("Key %s.parts lists '%s' twice. List each part once.", prefix, name);
      } else {
        parts.add(part);
      }
    }
    if (!parts.isEmpty() && schema != null && schema.eventTimeColumn() == null) {
      problems.add("Key %s.parts is set, but the dataset has no event-time column. Declare "
          + "dataset.columns.event-time, or remove %s.parts.", prefix, prefix);
    }
    return parts;
  }

  /** The section's columns: checked against the dataset when listed, the dataset's columns of the role if not. */
  private static List<String> columns(Config c, String prefix, DatasetSchema.Role role, DatasetSchema schema,
      ConfigProblems problems) {
    if (schema == null) {
      return problems.stringList(c, prefix, "columns");
    }
    List<String> ofRole = schema.columns().entrySet().stream()
        .filter(e -> e.getValue() == role)
        .map(java.util.Map.Entry::getKey)
        .toList();
    if (!c.hasPath("columns")) {
      return ofRole;
    }
    String roleName = role.name().toLowerCase(Locale.ROOT);
    String use = ofRole.isEmpty()
        ? "The dataset has none; declare them under dataset.columns." + roleName + ", or remove " + prefix
            + ".columns."
        : "Use some of: " + String.join(", ", ofRole) + ".";
    List<String> out = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (String column : problems.stringList(c, prefix, "columns")) {
      DatasetSchema.Role actual = schema.columns().get(column);
      if (!seen.add(column)) {
        problems.add("Key %s.columns lists '%s' twice. List each column once.", prefix, column);
      } else if (actual == null) {
        problems.add("Key %s.columns names '%s', which is not a column of the dataset. %s", prefix, column, use);
      } else if (actual != role) {
        problems.add("Key %s.columns names '%s', which is a %s column, not a %s one. %s", prefix, column,
            confName(actual), roleName, use);
      } else {
        out.add(column);
      }
    }
    return out;
  }

  private static Config section(Config features, String key, ConfigProblems problems) {
    if (!features.hasPath(key)) {
      return ConfigFactory.empty();
    }
    if (features.getValue(key).valueType() != ConfigValueType.OBJECT) {
      problems.add("Key features.%s must be an object, like %s { ... }. See docs/configuration.md.", key, key);
      return ConfigFactory.empty();
    }
    return features.getConfig(key);
  }

  private static <E extends Enum<E>> E choice(Config c, String prefix, String key, Class<E> type, E fallback,
      ConfigProblems problems) {
    String text = problems.optString(c, prefix, key).orElse(null);
    if (text == null) {
      return fallback;
    }
    E value = fromConfName(type, text);
    if (value == null) {
      problems.add("Key %s.%s is '%s'. Use %s.", prefix, key, text, allowedNames(type));
      return fallback;
    }
    return value;
  }

  /** The conf spelling of an enum constant: CHAR_NGRAMS is char-ngrams. */
  static String confName(Enum<?> value) {
    return value.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  private static <E extends Enum<E>> E fromConfName(Class<E> type, String text) {
    for (E e : type.getEnumConstants()) {
      if (confName(e).equals(text.trim())) {
        return e;
      }
    }
    return null;
  }

  private static <E extends Enum<E>> String allowedNames(Class<E> type) {
    List<String> names = Arrays.stream(type.getEnumConstants()).map(FeatureSettings::confName)
        .collect(Collectors.toList());
    return names.size() == 1 ? names.get(0)
        : String.join(", ", names.subList(0, names.size() - 1)) + " or " + names.get(names.size() - 1);
  }
}
