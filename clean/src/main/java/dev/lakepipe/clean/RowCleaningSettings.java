package dev.lakepipe.clean;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import dev.lakepipe.core.config.ConfigProblems;
import dev.lakepipe.core.config.DatasetSchema;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import java.util.stream.Collectors;

/**
 * Settings of the row-level part of {@code clean} ({@link RowCleaning}): how to normalise columns
 * ({@code clean.normalize}), which rules rows must pass ({@code clean.rules}) and what to do with missing values
 * ({@code clean.missing}). Parsed once; every problem is recorded at once, naming the key and the fix.
 *
 * <pre>
 * clean {
 *   normalize {
 *     text { lowercase = false, strip-html = false }
 *     categorical { lowercase = true, regex-extract { content_type = "^([^;\\s]+)" } }
 *     labels { synonyms { spam = ["1", "true"], ham = ["0", "false"] }, unknown = quarantine }  # or keep
 *   }
 *   rules = [
 *     { id = "size-range", column = "size_bytes", check = range, min = 0, action = fix }
 *   ]
 *   missing { event_time = flag }   # drop | keep | flag; keep when not listed
 * }
 * </pre>
 *
 * @param textCase letter case of text columns after normalisation
 * @param textMarkup whether HTML is stripped from text columns
 * @param categoricalCase letter case of categorical columns after normalisation
 * @param regexExtract categorical column to a pattern whose first group (or whole match, if it has no group)
 *     replaces the value when it matches
 * @param labelSynonyms canonical label to the values (case-insensitive, trimmed) that mean it; empty: labels
 *     are only trimmed
 * @param unknownLabels what to do with a label that matches no synonym (only when synonyms are set)
 * @param rules validation rules, in conf order
 * @param missing column to its missing-value policy; columns not listed are {@link MissingPolicy#KEEP}
 */
public record RowCleaningSettings(
    LetterCase textCase,
    Markup textMarkup,
    LetterCase categoricalCase,
    Map<String, String> regexExtract,
    Map<String, List<String>> labelSynonyms,
    UnknownLabels unknownLabels,
    List<Rule> rules,
    Map<String, MissingPolicy> missing) {

  /** Letter case after normalisation. */
  public enum LetterCase { KEEP, LOWER }

  /** Whether markup is stripped from text. */
  public enum Markup { KEEP, STRIP_HTML }

  /** {@code clean.normalize.labels.unknown}. */
  public enum UnknownLabels { QUARANTINE, KEEP }

  /** {@code clean.missing.<column>}. */
  public enum MissingPolicy { DROP, KEEP, FLAG }

  /** {@code clean.rules[i].check}. */
  public enum Check {
    /** The value is present: not null, and not blank for string columns. */
    REQUIRED,
    /** A present value lies within [min, max] (either may be absent); numeric or event-time columns. */
    RANGE,
    /** A present value is one of {@code values} (exact, after normalisation); string columns. */
    ALLOWED,
    /** A present value contains a match of {@code pattern} (anchor with ^...$ for the whole value). */
    REGEX,
    /** A present value is not blank (null passes: that is {@link #REQUIRED}'s job); string columns. */
    NOT_BLANK
  }

  /** {@code clean.rules[i].action}. */
  public enum Action {
    /** Send the row to quarantine with RULE_FAILED. */
    QUARANTINE,
    /** Clamp to min/max ({@code range}) or set to null (other checks); flag {@code fixed:<id>}. */
    FIX,
    /** Keep the row as it is; flag {@code rule:<id>}. */
    KEEP
  }

  /**
   * One validation rule.
   *
   * @param min lower bound of a {@code range} check: a {@link Double} for numeric columns, an {@link Instant} for
   *     the event-time column; null when absent or for other checks
   * @param max upper bound, like {@code min}
   */
  /** The column each rule flag ({@code rule:<id>}, {@code fixed:<id>}) concerns, for the data-quality report. */
  public Map<String, String> flagColumns() {
    Map<String, String> out = new java.util.TreeMap<>();
    for (Rule r : rules) {
      out.put("rule:" + r.id(), r.column());
      out.put("fixed:" + r.id(), r.column());
    }
    return out;
  }

  public record Rule(String id, String column, Check check, Object min, Object max, List<String> values,
      String pattern, Action action) {
    public Rule {
      values = values == null ? List.of() : List.copyOf(values);
    }
  }

  private static final Set<String> NORMALIZE_KEYS = Set.of("text", "categorical", "labels");
  private static final Set<String> TEXT_KEYS = Set.of("lowercase", "strip-html");
  private static final Set<String> CATEGORICAL_KEYS = Set.of("lowercase", "regex-extract");
  private static final Set<String> LABEL_KEYS = Set.of("synonyms", "unknown");
  private static final Set<String> RULE_KEYS =
      Set.of("id", "column", "check", "min", "max", "values", "pattern", "action");
  private static final Pattern RULE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.:-]*");

  public RowCleaningSettings {
    regexExtract = Map.copyOf(regexExtract);
    Map<String, List<String>> synonyms = new LinkedHashMap<>();
    labelSynonyms.forEach((k, v) -> synonyms.put(k, List.copyOf(v)));
    labelSynonyms = java.util.Collections.unmodifiableMap(synonyms);
    rules = List.copyOf(rules);
    missing = Map.copyOf(missing);
  }

  /**
   * These settings for rows that may have no label (new rows to score): labels are still normalised (trim,
   * synonyms) where present, but no label decides a row's fate: unknown labels are kept, the missing-value
   * policy of the label column and the rules on it are dropped. Every other step is unchanged.
   */
  public RowCleaningSettings withoutLabelChecks(String labelColumn) {
    Map<String, MissingPolicy> keptMissing = new LinkedHashMap<>(missing);
    keptMissing.remove(labelColumn);
    return new RowCleaningSettings(textCase, textMarkup, categoricalCase, regexExtract, labelSynonyms,
        UnknownLabels.KEEP, rules.stream().filter(r -> !r.column().equals(labelColumn)).toList(), keptMissing);
  }

  /** Nothing configured: fixed normalisation steps only, categoricals lowercased, no rules, missing kept. */
  public static RowCleaningSettings defaults() {
    return new RowCleaningSettings(LetterCase.KEEP, Markup.KEEP, LetterCase.LOWER, Map.of(), Map.of(),
        UnknownLabels.QUARANTINE, List.of(), Map.of());
  }

  /**
   * Reads {@code clean.normalize}, {@code clean.rules} and {@code clean.missing} from the {@code clean} object
   * (which may lack any of them; defaults then apply) and records every problem in {@code problems}. Other keys
   * of {@code clean} belong to other parts of the stage and are not checked here. {@code schema} may be null
   * when {@code dataset} itself has problems; column names are then not checked.
   */
  public static RowCleaningSettings parse(Config clean, DatasetSchema schema, ConfigProblems problems) {
    LetterCase textCase = LetterCase.KEEP;
    Markup markup = Markup.KEEP;
    LetterCase categoricalCase = LetterCase.LOWER;
    Map<String, String> regexExtract = Map.of();
    Map<String, List<String>> synonyms = Map.of();
    UnknownLabels unknown = UnknownLabels.QUARANTINE;
    if (isObject(clean, "normalize", "clean", problems)) {
      Config n = clean.getConfig("normalize");
      problems.rejectUnknownKeys(n, "clean.normalize", NORMALIZE_KEYS);
      if (isObject(n, "text", "clean.normalize", problems)) {
        Config t = n.getConfig("text");
        problems.rejectUnknownKeys(t, "clean.normalize.text", TEXT_KEYS);
        textCase = problems.bool(t, "clean.normalize.text", "lowercase", false) ? LetterCase.LOWER : LetterCase.KEEP;
        markup = problems.bool(t, "clean.normalize.text", "strip-html", false) ? Markup.STRIP_HTML : Markup.KEEP;
      }
      if (isObject(n, "categorical", "clean.normalize", problems)) {
        Config c = n.getConfig("categorical");
        problems.rejectUnknownKeys(c, "clean.normalize.categorical", CATEGORICAL_KEYS);
        categoricalCase = problems.bool(c, "clean.normalize.categorical", "lowercase", true)
            ? LetterCase.LOWER : LetterCase.KEEP;
        regexExtract = regexExtract(c, schema, problems);
      }
      if (isObject(n, "labels", "clean.normalize", problems)) {
        Config l = n.getConfig("labels");
        problems.rejectUnknownKeys(l, "clean.normalize.labels", LABEL_KEYS);
        synonyms = synonyms(l, problems);
        String u = problems.optString(l, "clean.normalize.labels", "unknown").orElse("quarantine");
        UnknownLabels parsed = parseEnum(UnknownLabels.class, u);
        if (parsed == null) {
          problems.add("Key clean.normalize.labels.unknown is '%s'. Use quarantine or keep.", u);
        } else {
          unknown = parsed;
        }
      }
    }
    List<Rule> rules = rules(clean, schema, problems);
    Map<String, MissingPolicy> missing = missing(clean, schema, problems);
    return new RowCleaningSettings(textCase, markup, categoricalCase, regexExtract, synonyms, unknown, rules,
        missing);
  }

  private static Map<String, String> regexExtract(Config c, DatasetSchema schema, ConfigProblems problems) {
    String prefix = "clean.normalize.categorical.regex-extract";
    Map<String, String> patterns = problems.stringMap(c, "clean.normalize.categorical", "regex-extract");
    Map<String, String> out = new TreeMap<>();
    patterns.forEach((column, pattern) -> {
      boolean ok = true;
      if (schema != null && !schema.categoricalColumns().contains(column)) {
        problems.add("Key %s.%s names '%s', which is not a categorical column. Categorical columns "
            + "(dataset.columns.categorical) are: %s.", prefix, column, column,
            String.join(", ", schema.categoricalColumns()));
        ok = false;
      }
      if (compile(pattern, prefix + "." + column, problems) == null) {
        ok = false;
      }
      if (ok) {
        out.put(column, pattern);
      }
    });
    return out;
  }

  private static Map<String, List<String>> synonyms(Config l, ConfigProblems problems) {
    String prefix = "clean.normalize.labels.synonyms";
    if (!isObject(l, "synonyms", "clean.normalize.labels", problems)) {
      return Map.of();
    }
    Map<String, List<String>> out = new LinkedHashMap<>();
    Map<String, String> owner = new TreeMap<>();
    ConfigObject obj = l.getObject("synonyms");
    for (String label : new java.util.TreeSet<>(obj.keySet())) {
      String key = prefix + "." + label;
      ConfigValue v = obj.get(label);
      if (v.valueType() != ConfigValueType.LIST) {
        problems.add("Key %s must be a list of values that mean '%s', like [\"1\", \"true\"].", key, label);
        continue;
      }
      List<String> values = new ArrayList<>();
      for (ConfigValue item : (ConfigList) v) {
        if (item.valueType() == ConfigValueType.OBJECT || item.valueType() == ConfigValueType.LIST
            || item.valueType() == ConfigValueType.NULL) {
          problems.add("Key %s must hold single values, got %s. Write each synonym as a string.", key,
              item.valueType().name().toLowerCase(Locale.ROOT));
          continue;
        }
        values.add(String.valueOf(item.unwrapped()));
      }
      List<String> matched = new ArrayList<>(values);
      matched.add(label);
      for (String m : matched) {
        String norm = m.trim().toLowerCase(Locale.ROOT);
        String previous = owner.putIfAbsent(norm, label);
        if (previous != null && !previous.equals(label)) {
          problems.add("Key %s lists '%s', which already means '%s'. Keep each value under one label only.",
              key, m, previous);
        }
      }
      out.put(label, values);
    }
    return out;
  }

  private static List<Rule> rules(Config clean, DatasetSchema schema, ConfigProblems problems) {
    if (!clean.hasPath("rules")) {
      return List.of();
    }
    if (clean.getValue("rules").valueType() != ConfigValueType.LIST) {
      problems.add("Key clean.rules must be a list of rules, like "
          + "[{ id = \"size-range\", column = \"size_bytes\", check = range, min = 0, action = fix }].");
      return List.of();
    }
    List<Rule> out = new ArrayList<>();
    Set<String> ids = new HashSet<>();
    ConfigList list = clean.getList("rules");
    for (int i = 0; i < list.size(); i++) {
      String prefix = "clean.rules[" + i + "]";
      if (list.get(i).valueType() != ConfigValueType.OBJECT) {
        problems.add("Key %s must be an object { id = ..., column = ..., check = ..., action = ... }.", prefix);
        continue;
      }
      Rule r = rule(((ConfigObject) list.get(i)).toConfig(), prefix, schema, problems);
      if (r != null && !ids.add(r.id())) {
        problems.add("Key %s.id is '%s', which an earlier rule already uses. Give each rule its own id.", prefix,
            r.id());
      } else if (r != null) {
        out.add(r);
      }
    }
    return out;
  }

  private static Rule rule(Config c, String prefix, DatasetSchema schema, ConfigProblems problems) {
    problems.rejectUnknownKeys(c, prefix, RULE_KEYS);
    boolean ok = true;
    String id = problems.string(c, prefix, "id", "a short name for the rule, e.g. \"size-range\"");
    if (id != null && !RULE_ID.matcher(id).matches()) {
      problems.add("Key %s.id is '%s'. Use letters, digits, '_', '.', ':' and '-', starting with a letter or digit.",
          prefix, id);
      ok = false;
    }
    String column = problems.string(c, prefix, "column", "the canonical column the rule checks");
    DatasetSchema.Role role = null;
    if (column != null && schema != null) {
      role = schema.columns().get(column);
      if (role == null) {
        problems.add("Key %s.column is '%s', which is not a canonical column. Canonical columns (dataset.columns) "
            + "are: %s.", prefix, column, String.join(", ", schema.columns().keySet()));
        ok = false;
      }
    }
    String checkText = problems.string(c, prefix, "check", "one of required, range, allowed, regex, not-blank");
    Check check = checkText == null ? null : parseEnum(Check.class, checkText);
    if (checkText != null && check == null) {
      problems.add("Key %s.check is '%s', an unknown check. Use one of required, range, allowed, regex, not-blank.",
          prefix, checkText);
    }
    String actionText = problems.optString(c, prefix, "action").orElse("quarantine");
    Action action = parseEnum(Action.class, actionText);
    if (action == null) {
      problems.add("Key %s.action is '%s', an unknown action. Use one of quarantine, fix, keep.", prefix,
          actionText);
    }
    if (check == null) {
      return null;
    }
    boolean stringColumn = role == null || role.type().equals(org.apache.spark.sql.types.DataTypes.StringType);
    boolean orderedColumn = role == null || role == DatasetSchema.Role.NUMERIC
        || role == DatasetSchema.Role.EVENT_TIME;
    for (String k : List.of("min", "max", "values", "pattern")) {
      boolean used = switch (k) {
        case "min", "max" -> check == Check.RANGE;
        case "values" -> check == Check.ALLOWED;
        default -> check == Check.REGEX;
      };
      if (c.hasPath(k) && !used) {
        problems.add("Key %s.%s does not apply to check %s. Remove it, or change %s.check.", prefix, k,
            checkText, prefix);
        ok = false;
      }
    }
    Object min = null;
    Object max = null;
    List<String> values = List.of();
    String pattern = null;
    switch (check) {
      case RANGE -> {
        if (!orderedColumn) {
          problems.add("Key %s.check is range, but column '%s' is %s. Range checks need a numeric or the "
              + "event-time column; use allowed or regex for strings.", prefix, column,
              role.name().toLowerCase(Locale.ROOT));
          return null;
        }
        boolean time = role == DatasetSchema.Role.EVENT_TIME;
        min = bound(c, prefix, "min", time, problems);
        max = bound(c, prefix, "max", time, problems);
        if (!c.hasPath("min") && !c.hasPath("max")) {
          problems.add("Rule %s has check range but neither min nor max. Set %s.min and/or %s.max.", prefix,
              prefix, prefix);
          ok = false;
        }
        if (min == BAD_BOUND || max == BAD_BOUND) {
          ok = false;
        } else if (min != null && max != null && compare(min, max) > 0) {
          problems.add("Key %s.min (%s) is greater than %s.max (%s). Swap them.", prefix, min, prefix, max);
          ok = false;
        }
      }
      case ALLOWED -> {
        values = problems.stringList(c, prefix, "values");
        if (values.isEmpty()) {
          problems.add("Rule %s has check allowed but no values. Set %s.values = [\"a\", \"b\"].", prefix, prefix);
          ok = false;
        }
      }
      case REGEX -> {
        pattern = problems.string(c, prefix, "pattern", "a Java regular expression, e.g. \"^[^@\\\\s]+@\"");
        if (pattern == null || compile(pattern, prefix + ".pattern", problems) == null) {
          ok = false;
        }
      }
      default -> { }
    }
    if ((check == Check.ALLOWED || check == Check.REGEX || check == Check.NOT_BLANK) && !stringColumn) {
      problems.add("Key %s.check is %s, but column '%s' is not a string column. Use range for numbers and times.",
          prefix, checkText, column);
      ok = false;
    }
    if (check == Check.REQUIRED && action == Action.FIX) {
      problems.add("Key %s.action is fix, but a missing value cannot be fixed here. Use quarantine or keep "
          + "(imputation belongs to features).", prefix);
      ok = false;
    }
    return ok && id != null && column != null && action != null
        ? new Rule(id, column, check, min, max, values, pattern, action)
        : null;
  }

  /** Marks a bound that was set but could not be read (already reported). */
  private static final Object BAD_BOUND = new Object();

  private static Object bound(Config c, String prefix, String key, boolean time, ConfigProblems problems) {
    if (!c.hasPath(key)) {
      return null;
    }
    ConfigValue v = c.getValue(key);
    String text = String.valueOf(v.unwrapped());
    if (time) {
      try {
        return Instant.parse(text);
      } catch (DateTimeParseException e) {
        try {
          return LocalDate.parse(text).atStartOfDay(ZoneOffset.UTC).toInstant();
        } catch (DateTimeParseException e2) {
          problems.add("Key %s.%s is '%s', not an ISO-8601 instant. Write it like \"1995-01-01T00:00:00Z\".",
              prefix, key, text);
          return BAD_BOUND;
        }
      }
    }
    if (v.valueType() == ConfigValueType.NUMBER) {
      return ((Number) v.unwrapped()).doubleValue();
    }
    try {
      return Double.parseDouble(text.trim());
    } catch (NumberFormatException e) {
      problems.add("Key %s.%s is '%s', not a number. Write a number such as 0 or 1.5e6.", prefix, key, text);
      return BAD_BOUND;
    }
  }

  @SuppressWarnings("unchecked")
  private static int compare(Object a, Object b) {
    return ((Comparable<Object>) a).compareTo(b);
  }

  private static Map<String, MissingPolicy> missing(Config clean, DatasetSchema schema, ConfigProblems problems) {
    if (!isObject(clean, "missing", "clean", problems)) {
      return Map.of();
    }
    Map<String, String> policies = problems.stringMap(clean, "clean", "missing");
    Map<String, MissingPolicy> out = new TreeMap<>();
    policies.forEach((column, text) -> {
      if (schema != null && !schema.columns().containsKey(column)) {
        problems.add("Key clean.missing.%s names '%s', which is not a canonical column. Canonical columns "
            + "(dataset.columns) are: %s.", column, column, String.join(", ", schema.columns().keySet()));
        return;
      }
      MissingPolicy p = parseEnum(MissingPolicy.class, text);
      if (p == null) {
        problems.add("Key clean.missing.%s is '%s'. Use drop (quarantine the row), keep or flag.", column, text);
      } else {
        out.put(column, p);
      }
    });
    return out;
  }

  private static boolean isObject(Config c, String key, String prefix, ConfigProblems problems) {
    if (!c.hasPath(key)) {
      return false;
    }
    if (c.getValue(key).valueType() != ConfigValueType.OBJECT) {
      problems.add("Key %s.%s must be an object { ... }.", prefix, key);
      return false;
    }
    return true;
  }

  private static Pattern compile(String pattern, String key, ConfigProblems problems) {
    try {
      return Pattern.compile(pattern);
    } catch (PatternSyntaxException e) {
      problems.add("Key %s is '%s', not a valid regular expression (%s). Fix the pattern (Java syntax; "
          + "backslashes are doubled in HOCON strings).", key, pattern, e.getDescription());
      return null;
    }
  }

  /** Conf spelling (lowercase, '-') to the enum constant; null when unknown. */
  private static <E extends Enum<E>> E parseEnum(Class<E> type, String text) {
    return Arrays.stream(type.getEnumConstants())
        .filter(e -> e.name().toLowerCase(Locale.ROOT).replace('_', '-').equals(text))
        .findFirst().orElse(null);
  }

  /** The conf spelling of an enum constant. */
  static String confName(Enum<?> e) {
    return e.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /** The labels' synonym map inverted: lowercase trimmed value to canonical label (labels match themselves). */
  Map<String, String> labelLookup() {
    Map<String, String> out = new LinkedHashMap<>();
    labelSynonyms.forEach((label, values) -> {
      out.putIfAbsent(label.trim().toLowerCase(Locale.ROOT), label);
      values.forEach(v -> out.putIfAbsent(v.trim().toLowerCase(Locale.ROOT), label));
    });
    return out;
  }

  /** Comma-separated canonical labels, for messages. */
  String knownLabels() {
    return labelSynonyms.keySet().stream().collect(Collectors.joining(", "));
  }
}
