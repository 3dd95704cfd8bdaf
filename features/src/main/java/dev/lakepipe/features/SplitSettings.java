package dev.lakepipe.features;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueType;
import dev.lakepipe.core.Lineage;
import dev.lakepipe.core.config.ConfigProblems;
import dev.lakepipe.core.config.DatasetSchema;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.types.DataTypes;

/**
 * How {@code features} splits rows, from {@code features.split}: the policy, the target fractions (or, for
 * the time policy, explicit cut-offs), the gap between time splits, the group column, the number of folds
 * and what to do with near-duplicate clusters; for the predefined policy, the given splits
 * ({@link Predefined}). The splits are always named {@code train}, {@code validation} and {@code test}; a split
 * with fraction 0 (or no cut-off, or not given) is simply absent.
 *
 * <p>Under the predefined policy {@code fractions} are shares of the given train rows: {@code validation} is
 * what {@code validation-from-train} carves out of them (0 when it is {@code none}), {@code train} the rest,
 * {@code test} 0 (test is given, never carved).
 */
public record SplitSettings(
    Policy policy,
    Map<String, BigDecimal> fractions,
    Instant validationCutoff,
    Instant testCutoff,
    Duration gap,
    String groupColumn,
    int folds,
    NearDuplicates nearDuplicates,
    Predefined predefined) {

  public static final String TRAIN = "train";
  public static final String VALIDATION = "validation";
  public static final String TEST = "test";
  /** Time policy only: rows inside the gap before a cut-off belong to no split. */
  public static final String GAP = "gap";
  public static final List<String> SPLITS = List.of(TRAIN, VALIDATION, TEST);

  /** How rows are assigned to splits. */
  public enum Policy {
    /** Random by a seeded hash, with each label's rows divided in the target fractions (within one row). */
    STRATIFIED,
    /** By event time: train before validation before test, with an optional gap. */
    TIME,
    /** Random by a seeded hash of the group column's value; a group's rows stay in one split. */
    GROUP,
    /** As the data came: a source, file or column value names each row's split ({@link Predefined}). */
    PREDEFINED;

    String id() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** What a near-duplicate cluster (from {@code ops.duplicates}) that would span splits does. */
  public enum NearDuplicates {
    /** Keep the cluster in one split (its unit of assignment); for the time policy, quarantine the members
     * that fall in another split than the cluster's earliest member; for the predefined policy, those given
     * another split than the cluster's strongest given member (test, then validation, then train). */
    TOGETHER,
    /** Assign rows on their own and fail the stage if a cluster spans splits. */
    FAIL;

    String id() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * The given splits of the predefined policy, from {@code features.split.predefined}: what names a row's split
   * ({@code by}: its source, its file, or a canonical column's value), the values given for each split (source
   * names, file globs ({@link FileGlob}) or column values; {@code splits} holds only the splits given, in the
   * order train, validation, test), how validation is carved out of the given train rows, and what happens to
   * rows no list names.
   */
  public record Predefined(By by, String column, Map<String, List<String>> splits, Carve validationFromTrain,
      Unmatched unmatched) {

    public Predefined {
      Map<String, List<String>> copy = new LinkedHashMap<>();
      splits.forEach((k, v) -> copy.put(k, List.copyOf(v)));
      splits = java.util.Collections.unmodifiableMap(copy);
    }

    /** The column whose value names a row's split: {@code _source}, {@code _source_file} or the given column. */
    public String matchColumn() {
      return switch (by) {
        case SOURCE -> Lineage.SOURCE;
        case FILE -> Lineage.SOURCE_FILE;
        case COLUMN -> column;
      };
    }

    /** True when validation is carved out of the given train rows rather than given or absent. */
    public boolean carvesValidation() {
      return validationFromTrain != Carve.NONE;
    }

    /** Everything that decides a row's split, in a fixed order (values sorted), for the fingerprint. */
    String describe() {
      StringBuilder sb = new StringBuilder("by=").append(by.id()).append(";column=").append(column);
      splits.forEach((split, values) -> sb.append(';').append(split).append('=')
          .append(new java.util.TreeSet<>(values)));
      return sb.append(";validation-from-train=").append(validationFromTrain.id())
          .append(";unmatched=").append(unmatched.id()).toString();
    }
  }

  /** What names a row's split under the predefined policy. */
  public enum By {
    /** The ingest source name ({@code _source}, a key of {@code ingest.sources}). */
    SOURCE,
    /** The file the row was read from ({@code _source_file}), matched by globs. */
    FILE,
    /** The value of a canonical string column. */
    COLUMN;

    String id() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** How validation is carved out of the given train rows (predefined policy). */
  public enum Carve {
    /** Per label, round(n * fraction) of the given train rows in seeded-hash order (the stratified quota). */
    STRATIFIED,
    /** The latest round(n * fraction) given train rows by event time (ties at the cut-off included). */
    TIME,
    /** No carving: validation is given, or absent. */
    NONE;

    String id() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** What happens to rows whose value no given split lists (predefined policy). */
  public enum Unmatched {
    /** Quarantine them with reason {@code SPLIT_NOT_GIVEN}. */
    QUARANTINE,
    /** Stop the stage, naming the first values. */
    FAIL;

    String id() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private static final Set<String> KEYS = Set.of("policy", "fractions", "cutoffs", "gap", "group-column", "folds",
      "near-duplicates", "predefined", "unseen-labels"); // unseen-labels: read by LabelCoverage.Settings
  private static final Set<String> PREDEFINED_KEYS = Set.of("by", "column", "splits", "validation-from-train",
      "unmatched");
  /** The validation share of the given train rows when validation-from-train carves and no fraction is given. */
  static final BigDecimal DEFAULT_CARVED_VALIDATION = new BigDecimal("0.1");
  private static final Map<String, BigDecimal> DEFAULT_FRACTIONS = defaults();

  public SplitSettings {
    fractions = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(fractions));
  }

  /** True when the time policy cuts at explicit timestamps rather than at row fractions. */
  public boolean hasCutoffs() {
    return validationCutoff != null || testCutoff != null;
  }

  /** The splits this conf can produce, in order. */
  public List<String> activeSplits() {
    List<String> out = new ArrayList<>();
    out.add(TRAIN);
    if (policy == Policy.PREDEFINED) {
      if (predefined.splits().containsKey(VALIDATION) || predefined.carvesValidation()) {
        out.add(VALIDATION);
      }
      out.add(TEST);
      return out;
    }
    if (policy == Policy.TIME && hasCutoffs()) {
      if (validationCutoff != null) {
        out.add(VALIDATION);
      }
      if (testCutoff != null) {
        out.add(TEST);
      }
      return out;
    }
    for (String s : List.of(VALIDATION, TEST)) {
      if (fractions.get(s).signum() > 0) {
        out.add(s);
      }
    }
    return out;
  }

  /**
   * True when splits are cut by event time: the time policy, and the predefined policy carving validation out of
   * the given train rows by time. The manifest then records each split's time bounds.
   */
  public boolean cutsByTime() {
    return policy == Policy.TIME
        || policy == Policy.PREDEFINED && predefined.validationFromTrain() == Carve.TIME;
  }

  /** True when the cut-offs are computed from the rows, so a later run with the same conf reuses them. */
  public boolean computesCutoffs() {
    return cutsByTime() && !hasCutoffs();
  }

  /**
   * The share of rows {@code split} aims at, for the manifest: null when there is none (explicit time
   * cut-offs; under the predefined policy every split but carved validation, whose share is of the given train
   * rows).
   */
  public BigDecimal targetFraction(String split) {
    if (policy == Policy.TIME && hasCutoffs()) {
      return null;
    }
    if (policy == Policy.PREDEFINED) {
      return split.equals(VALIDATION) && predefined.carvesValidation() ? fractions.get(VALIDATION) : null;
    }
    return fractions.get(split);
  }

  /**
   * A digest of everything that decides which split a row lands in. A later run reuses the earlier run's
   * assignment (so old rows never move) only when this is unchanged.
   */
  public String fingerprint(long seed) {
    String text = String.join("|", "v1", policy.id(), fractions.toString(), String.valueOf(validationCutoff),
        String.valueOf(testCutoff), gap.toString(), String.valueOf(groupColumn), String.valueOf(folds),
        nearDuplicates.id(), String.valueOf(seed));
    if (predefined != null) {
      // Appended only for this policy, so the fingerprints (and kept assignments) of the others stay as they were.
      text = text + "|" + predefined.describe();
    }
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(text.getBytes(StandardCharsets.UTF_8))).substring(0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Parses {@code features.split} of the {@code features} object (which may be empty), without source names. */
  public static SplitSettings parse(Config features, DatasetSchema schema, ConfigProblems problems) {
    return parse(features, schema, Set.of(), problems);
  }

  /**
   * Parses {@code features.split} of the {@code features} object (which may be empty). {@code sourceNames} are
   * the keys of {@code ingest.sources}; when not empty, the predefined policy's source names are checked
   * against them.
   */
  public static SplitSettings parse(Config features, DatasetSchema schema, Set<String> sourceNames,
      ConfigProblems problems) {
    String prefix = "features.split";
    Config c = features.hasPath("split") && features.getValue("split").valueType() == ConfigValueType.OBJECT
        ? features.getConfig("split") : ConfigFactory.empty();
    problems.rejectUnknownKeys(c, prefix, KEYS);

    String policyText = problems.optString(c, prefix, "policy").orElse("stratified");
    Policy policy = Policy.STRATIFIED;
    try {
      policy = Policy.valueOf(policyText.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      problems.add("Key %s.policy is '%s'. Use stratified, time, group or predefined.", prefix, policyText);
    }

    Predefined predefined = null;
    Map<String, BigDecimal> fractions = new LinkedHashMap<>(DEFAULT_FRACTIONS);
    if (policy == Policy.PREDEFINED) {
      predefined = parsePredefined(c, prefix, schema, sourceNames, problems);
      fractions = predefinedFractions(c, prefix, predefined, problems);
    } else {
      if (c.hasPath("predefined")) {
        problems.add("Key %s.predefined applies only to policy = predefined, but policy is %s. Remove it, or set "
            + "%s.policy = predefined.", prefix, policy.id(), prefix);
      }
      if (c.hasPath("fractions")) {
        fractions = parseFractions(c, prefix, problems);
      }
    }

    Instant validationCutoff = null;
    Instant testCutoff = null;
    if (c.hasPath("cutoffs")) {
      if (policy != Policy.TIME) {
        problems.add("Key %s.cutoffs applies only to policy = time, but policy is %s. Remove it, or set "
            + "%s.policy = time.", prefix, policy.id(), prefix);
      } else if (c.hasPath("fractions")) {
        problems.add("Keys %s.cutoffs and %s.fractions are both set. The time policy cuts at one of them: "
            + "remove fractions to cut at timestamps, or cutoffs to cut at row shares.", prefix, prefix);
      }
      Config cut = c.getValue("cutoffs").valueType() == ConfigValueType.OBJECT ? c.getConfig("cutoffs")
          : ConfigFactory.empty();
      problems.rejectUnknownKeys(cut, prefix + ".cutoffs", Set.of(VALIDATION, TEST));
      validationCutoff = instant(cut, prefix + ".cutoffs", VALIDATION, problems);
      testCutoff = instant(cut, prefix + ".cutoffs", TEST, problems);
      if (validationCutoff == null && testCutoff == null) {
        problems.add("Key %s.cutoffs names no cut-off. Set validation and/or test to an ISO-8601 instant, "
            + "e.g. { validation = \"2002-09-01T00:00:00Z\", test = \"2002-10-01T00:00:00Z\" }.", prefix);
      }
      if (validationCutoff != null && testCutoff != null && !validationCutoff.isBefore(testCutoff)) {
        problems.add("Key %s.cutoffs.validation (%s) must be before %s.cutoffs.test (%s).", prefix,
            validationCutoff, prefix, testCutoff);
      }
    }

    Duration gap = Duration.ZERO;
    if (c.hasPath("gap")) {
      if (policy != Policy.TIME) {
        problems.add("Key %s.gap applies only to policy = time, but policy is %s. Remove it.", prefix, policy.id());
      }
      try {
        gap = c.getDuration("gap");
        if (gap.isNegative()) {
          problems.add("Key %s.gap is negative. Use a duration such as \"0s\" or \"7d\".", prefix);
          gap = Duration.ZERO;
        }
      } catch (ConfigException.BadValue | ConfigException.WrongType e) {
        problems.add("Key %s.gap is '%s'. Use a duration such as \"12h\" or \"7d\".", prefix,
            c.getValue("gap").unwrapped());
      }
    }
    if (policy == Policy.TIME && schema != null && schema.eventTimeColumn() == null) {
      problems.add("Key %s.policy is time, but dataset.columns.event-time is not set. Name the event-time "
          + "column there, or use policy = stratified.", prefix);
    }

    String group = problems.optString(c, prefix, "group-column").orElse(null);
    if (policy == Policy.GROUP && group == null) {
      problems.add("Key %s.group-column is missing: policy = group needs the column whose values must not "
          + "cross splits, e.g. group-column = \"sender\".", prefix);
    }
    if (group != null) {
      if (policy != Policy.GROUP) {
        problems.add("Key %s.group-column applies only to policy = group, but policy is %s. Remove it, or set "
            + "%s.policy = group.", prefix, policy.id(), prefix);
      } else if (schema != null && !schema.columns().containsKey(group) && !Lineage.SOURCE.equals(group)) {
        problems.add("Key %s.group-column names '%s', which is not a canonical column. Use one of: %s.", prefix,
            group, String.join(", ", schema.columns().keySet()));
      }
    }

    int folds = problems.intValue(c, prefix, "folds", 0, 0);
    if (folds == 1) {
      problems.add("Key %s.folds is 1. Use 0 for no folds, or k >= 2 for k-fold cross-validation.", prefix);
      folds = 0;
    }
    if (folds > 0 && policy == Policy.TIME) {
      problems.add("Key %s.folds is set with policy = time. Shuffled folds would train on the future; use "
          + "policy = stratified or group for k folds, or folds = 0.", prefix);
    }
    if (folds > 0 && predefined != null && predefined.validationFromTrain() == Carve.TIME) {
      problems.add("Key %s.folds is set with %s.predefined.validation-from-train = time. Shuffled folds would "
          + "train on the future; use validation-from-train = stratified for k folds, or folds = 0.", prefix, prefix);
    }

    String nearText = problems.optString(c, prefix, "near-duplicates").orElse("together");
    NearDuplicates near = NearDuplicates.TOGETHER;
    try {
      near = NearDuplicates.valueOf(nearText.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      problems.add("Key %s.near-duplicates is '%s'. Use together (keep each cluster in one split) or fail.",
          prefix, nearText);
    }
    return new SplitSettings(policy, fractions, validationCutoff, testCutoff, gap, group, folds, near, predefined);
  }

  /** {@code features.split.predefined}; never null (defaults stand in for what has problems). */
  private static Predefined parsePredefined(Config split, String splitPrefix, DatasetSchema schema,
      Set<String> sourceNames, ConfigProblems problems) {
    String prefix = splitPrefix + ".predefined";
    Config c = ConfigFactory.empty();
    boolean present = split.hasPath("predefined")
        && split.getValue("predefined").valueType() == ConfigValueType.OBJECT;
    if (!split.hasPath("predefined")) {
      problems.add("Key %s is missing: policy = predefined needs the given splits, e.g. predefined { by = source, "
          + "splits { train = [\"flights_train\"], test = [\"flights_test\"] } }.", prefix);
    } else if (split.getValue("predefined").valueType() != ConfigValueType.OBJECT) {
      problems.add("Key %s must be an object like { by = source, splits { train = [...], test = [...] } }.", prefix);
    } else {
      c = split.getConfig("predefined");
    }
    problems.rejectUnknownKeys(c, prefix, PREDEFINED_KEYS);

    if (present && !c.hasPath("by")) {
      problems.add("Key %s.by is missing. Set it to source (the ingest source name), file (globs on _source_file) "
          + "or column (a canonical column's value).", prefix);
    }
    String byText = problems.oneOf(c, prefix, "by", List.of("source", "file", "column"), "source");
    By by = By.valueOf(byText.toUpperCase(Locale.ROOT));

    String column = problems.optString(c, prefix, "column").orElse(null);
    if (by == By.COLUMN && column == null) {
      problems.add("Key %s.column is missing: by = column needs the canonical column that holds each row's split, "
          + "e.g. column = \"split_name\".", prefix);
    } else if (by != By.COLUMN && column != null) {
      problems.add("Key %s.column applies only to by = column, but by is %s. Remove it.", prefix, by.id());
    } else if (column != null && schema != null) {
      checkSplitColumn(column, prefix, schema, problems);
    }

    Map<String, List<String>> splits = present ? parseGivenSplits(c, prefix, by, sourceNames, problems)
        : new LinkedHashMap<>();

    String carveText = problems.oneOf(c, prefix, "validation-from-train", List.of("stratified", "time", "none"),
        "none");
    Carve carve = Carve.valueOf(carveText.toUpperCase(Locale.ROOT));
    if (carve != Carve.NONE && splits.containsKey(VALIDATION)) {
      problems.add("Keys %s.splits.validation and %s.validation-from-train = %s are both set. Validation is either "
          + "given or carved out of the given train rows: remove one of them.", prefix, prefix, carve.id());
    }
    if (carve == Carve.TIME && schema != null && schema.eventTimeColumn() == null) {
      problems.add("Key %s.validation-from-train is time, but dataset.columns.event-time is not set. Name the "
          + "event-time column there, or use validation-from-train = stratified.", prefix);
    }
    String unmatchedText = problems.oneOf(c, prefix, "unmatched", List.of("quarantine", "fail"), "quarantine");
    Unmatched unmatched = Unmatched.valueOf(unmatchedText.toUpperCase(Locale.ROOT));
    return new Predefined(by, column, splits, carve, unmatched);
  }

  /** The split column must be a canonical string column, not the label. */
  private static void checkSplitColumn(String column, String prefix, DatasetSchema schema, ConfigProblems problems) {
    DatasetSchema.Role role = schema.columns().get(column);
    List<String> usable = schema.columns().entrySet().stream()
        .filter(e -> e.getValue().type().equals(DataTypes.StringType) && e.getValue() != DatasetSchema.Role.LABEL)
        .map(Map.Entry::getKey).toList();
    if (role == null) {
      problems.add("Key %s.column names '%s', which is not a canonical column. Declare it under "
          + "dataset.columns.categorical (and map it in each source's columns), or use one of: %s.", prefix, column,
          String.join(", ", usable));
    } else if (role == DatasetSchema.Role.LABEL) {
      problems.add("Key %s.column names the label column '%s': splitting by label puts each label in one split. "
          + "Name the column that holds the split, e.g. column = \"split_name\".", prefix, column);
    } else if (!role.type().equals(DataTypes.StringType)) {
      problems.add("Key %s.column names '%s', a %s column; split names are text. Use one of: %s.", prefix, column,
          role.name().toLowerCase(Locale.ROOT).replace('_', '-'), String.join(", ", usable));
    }
  }

  /**
   * {@code splits { train = [...], validation = [...], test = [...] }}: train and test are required, lists not
   * empty; a value in two lists is a problem (a row would belong to two splits); source names are checked
   * against {@code ingest.sources} and globs compiled.
   */
  private static Map<String, List<String>> parseGivenSplits(Config c, String prefix, By by, Set<String> sourceNames,
      ConfigProblems problems) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    if (!c.hasPath("splits")) {
      problems.add("Key %s.splits is missing. Give each split's %s, e.g. splits { train = [\"%s\"], "
          + "test = [\"%s\"] }.", prefix, what(by), example(by, TRAIN), example(by, TEST));
      return out;
    }
    if (c.getValue("splits").valueType() != ConfigValueType.OBJECT) {
      problems.add("Key %s.splits must be an object like { train = [\"%s\"], test = [\"%s\"] }.", prefix,
          example(by, TRAIN), example(by, TEST));
      return out;
    }
    Config splits = c.getConfig("splits");
    String splitsPrefix = prefix + ".splits";
    problems.rejectUnknownKeys(splits, splitsPrefix, SPLITS);
    Map<String, String> seen = new LinkedHashMap<>();
    for (String split : SPLITS) {
      if (!splits.hasPath(split)) {
        if (!split.equals(VALIDATION)) {
          problems.add("Key %s.%s is missing: policy = predefined needs the %s rows given, e.g. %s = [\"%s\"].",
              splitsPrefix, split, split, split, example(by, split));
        }
        continue;
      }
      List<String> values = List.copyOf(new java.util.LinkedHashSet<>(problems.stringList(splits, splitsPrefix,
          split)));
      if (values.isEmpty() && splits.getValue(split).valueType() == ConfigValueType.LIST) {
        problems.add("Key %s.%s is empty. List at least one %s.", splitsPrefix, split, what(by));
      }
      for (String v : values) {
        String other = seen.putIfAbsent(v, split);
        if (other != null) {
          problems.add("Key %s lists '%s' under both %s and %s. A row belongs to one split: keep it in one list.",
              splitsPrefix, v, other, split);
        }
        if (by == By.SOURCE && !sourceNames.isEmpty() && !sourceNames.contains(v)) {
          problems.add("Key %s.%s names source '%s', which is not under ingest.sources. Use one of: %s.",
              splitsPrefix, split, v, String.join(", ", new java.util.TreeSet<>(sourceNames)));
        }
        if (by == By.FILE) {
          try {
            FileGlob.regex(v);
          } catch (IllegalArgumentException e) {
            problems.add("Key %s.%s has the glob '%s', which %s. Fix it (* within a folder, ** across folders, ?, "
                + "[abc], {a,b}; \\ escapes).", splitsPrefix, split, v, e.getMessage());
          }
        }
      }
      if (!values.isEmpty()) {
        out.put(split, values);
      }
    }
    return out;
  }

  private static String what(By by) {
    return switch (by) {
      case SOURCE -> "source name (a key of ingest.sources)";
      case FILE -> "file glob on _source_file";
      case COLUMN -> "column value";
    };
  }

  private static String example(By by, String split) {
    return switch (by) {
      case SOURCE -> "flights_" + split;
      case FILE -> "**/" + split + "*.csv";
      case COLUMN -> split;
    };
  }

  /**
   * Under the predefined policy only {@code fractions.validation} is read: the share of the given train rows
   * that validation-from-train carves out (default 0.1). Train and test are given, so their fractions are
   * problems, as is a validation share with nothing to carve.
   */
  private static Map<String, BigDecimal> predefinedFractions(Config c, String prefix, Predefined p,
      ConfigProblems problems) {
    BigDecimal validation = p.carvesValidation() ? DEFAULT_CARVED_VALIDATION : BigDecimal.ZERO;
    if (c.hasPath("fractions")) {
      if (c.getValue("fractions").valueType() != ConfigValueType.OBJECT) {
        problems.add("Key %s.fractions must be an object like { validation = 0.1 }.", prefix);
      } else {
        Config f = c.getConfig("fractions");
        problems.rejectUnknownKeys(f, prefix + ".fractions", SPLITS);
        for (String s : List.of(TRAIN, TEST)) {
          if (f.hasPath(s)) {
            problems.add("Key %s.fractions.%s does not apply to policy = predefined: the given splits decide train "
                + "and test. Remove it (only fractions.validation is read, with %s.predefined.validation-from-train).",
                prefix, s, prefix);
          }
        }
        if (f.hasPath(VALIDATION)) {
          if (!p.carvesValidation()) {
            problems.add("Key %s.fractions.validation applies only with %s.predefined.validation-from-train = "
                + "stratified or time, as the share of the given train rows carved out as validation. Remove it, or "
                + "set validation-from-train.", prefix, prefix);
          } else {
            try {
              BigDecimal v = BigDecimal.valueOf(f.getDouble(VALIDATION));
              if (v.signum() <= 0 || v.compareTo(BigDecimal.ONE) >= 0) {
                problems.add("Key %s.fractions.validation is %s. Use a share of the given train rows above 0 and "
                    + "below 1, e.g. 0.1.", prefix, v.stripTrailingZeros().toPlainString());
              } else {
                validation = v;
              }
            } catch (ConfigException.WrongType e) {
              problems.add("Key %s.fractions.validation must be a number between 0 and 1.", prefix);
            }
          }
        }
      }
    }
    Map<String, BigDecimal> out = new LinkedHashMap<>();
    out.put(TRAIN, BigDecimal.ONE.subtract(validation));
    out.put(VALIDATION, validation);
    out.put(TEST, BigDecimal.ZERO);
    return out;
  }

  private static Map<String, BigDecimal> parseFractions(Config c, String prefix, ConfigProblems problems) {
    Map<String, BigDecimal> out = new LinkedHashMap<>();
    SPLITS.forEach(s -> out.put(s, BigDecimal.ZERO));
    if (c.getValue("fractions").valueType() != ConfigValueType.OBJECT) {
      problems.add("Key %s.fractions must be an object like { train = 0.8, validation = 0.1, test = 0.1 }.", prefix);
      return new LinkedHashMap<>(DEFAULT_FRACTIONS);
    }
    Config f = c.getConfig("fractions");
    problems.rejectUnknownKeys(f, prefix + ".fractions", SPLITS);
    for (String s : SPLITS) {
      if (!f.hasPath(s)) {
        continue;
      }
      try {
        BigDecimal v = BigDecimal.valueOf(f.getDouble(s));
        if (v.signum() < 0 || v.compareTo(BigDecimal.ONE) > 0) {
          problems.add("Key %s.fractions.%s is %s. Use a share between 0 and 1.", prefix, s, v);
        } else {
          out.put(s, v);
        }
      } catch (ConfigException.WrongType e) {
        problems.add("Key %s.fractions.%s must be a number between 0 and 1.", prefix, s);
      }
    }
    BigDecimal sum = out.values().stream().reduce(BigDecimal.ZERO, BigDecimal::add);
    if (out.get(TRAIN).signum() == 0) {
      problems.add("Key %s.fractions.train is 0. Training needs rows: give train a share above 0.", prefix);
    } else if (sum.compareTo(BigDecimal.ONE) != 0) {
      problems.add("Keys %s.fractions add up to %s. Make train + validation + test = 1, e.g. 0.8, 0.1, 0.1.",
          prefix, sum.stripTrailingZeros().toPlainString());
    }
    return out;
  }

  private static Instant instant(Config c, String prefix, String key, ConfigProblems problems) {
    String text = problems.optString(c, prefix, key).orElse(null);
    if (text == null) {
      return null;
    }
    try {
      return Instant.parse(text);
    } catch (DateTimeParseException e) {
      problems.add("Key %s.%s is '%s'. Use an ISO-8601 instant in UTC, e.g. \"2002-09-01T00:00:00Z\".", prefix,
          key, text);
      return null;
    }
  }

  private static Map<String, BigDecimal> defaults() {
    Map<String, BigDecimal> m = new LinkedHashMap<>();
    m.put(TRAIN, new BigDecimal("0.8"));
    m.put(VALIDATION, new BigDecimal("0.1"));
    m.put(TEST, new BigDecimal("0.1"));
    return m;
  }
}
