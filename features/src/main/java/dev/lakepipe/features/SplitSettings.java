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

/**
 * How {@code features} splits rows, from {@code features.split}: the policy, the target fractions (or, for
 * the time policy, explicit cut-offs), the gap between time splits, the group column, the number of folds
 * and what to do with near-duplicate clusters. The splits are always named {@code train}, {@code validation}
 * and {@code test}; a split with fraction 0 (or no cut-off) is simply absent.
 */
public record SplitSettings(
    Policy policy,
    Map<String, BigDecimal> fractions,
    Instant validationCutoff,
    Instant testCutoff,
    Duration gap,
    String groupColumn,
    int folds,
    NearDuplicates nearDuplicates) {

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
    GROUP;

    String id() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** What a near-duplicate cluster (from {@code ops.duplicates}) that would span splits does. */
  public enum NearDuplicates {
    /** Keep the cluster in one split (its unit of assignment); for the time policy, quarantine the members
     * that fall in another split than the cluster's earliest member. */
    TOGETHER,
    /** Assign rows on their own and fail the stage if a cluster spans splits. */
    FAIL;

    String id() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private static final Set<String> KEYS = Set.of("policy", "fractions", "cutoffs", "gap", "group-column", "folds",
      "near-duplicates", "unseen-labels"); // unseen-labels: read by LabelCoverage.Settings
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
   * A digest of everything that decides which split a row lands in. A later run reuses the earlier run's
   * assignment (so old rows never move) only when this is unchanged.
   */
  public String fingerprint(long seed) {
    String text = String.join("|", "v1", policy.id(), fractions.toString(), String.valueOf(validationCutoff),
        String.valueOf(testCutoff), gap.toString(), String.valueOf(groupColumn), String.valueOf(folds),
        nearDuplicates.id(), String.valueOf(seed));
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(text.getBytes(StandardCharsets.UTF_8))).substring(0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Parses {@code features.split} of the {@code features} object (which may be empty). */
  public static SplitSettings parse(Config features, DatasetSchema schema, ConfigProblems problems) {
    String prefix = "features.split";
    Config c = features.hasPath("split") && features.getValue("split").valueType() == ConfigValueType.OBJECT
        ? features.getConfig("split") : ConfigFactory.empty();
    problems.rejectUnknownKeys(c, prefix, KEYS);

    String policyText = problems.optString(c, prefix, "policy").orElse("stratified");
    Policy policy = Policy.STRATIFIED;
    try {
      policy = Policy.valueOf(policyText.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      problems.add("Key %s.policy is '%s'. Use stratified, time or group.", prefix, policyText);
    }

    Map<String, BigDecimal> fractions = new LinkedHashMap<>(DEFAULT_FRACTIONS);
    if (c.hasPath("fractions")) {
      fractions = parseFractions(c, prefix, problems);
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

    String nearText = problems.optString(c, prefix, "near-duplicates").orElse("together");
    NearDuplicates near = NearDuplicates.TOGETHER;
    try {
      near = NearDuplicates.valueOf(nearText.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      problems.add("Key %s.near-duplicates is '%s'. Use together (keep each cluster in one split) or fail.",
          prefix, nearText);
    }
    return new SplitSettings(policy, fractions, validationCutoff, testCutoff, gap, group, folds, near);
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
