package dev.lakepipe.core.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import dev.lakepipe.core.LakepipeErrors;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Typed, validating reads of a HOCON {@link Config}. Every read that fails records a problem naming the key
 * and the fix instead of throwing, so {@link #throwIfAny()} can report all problems of a conf at once.
 */
public final class ConfigProblems {

  private final String origin;
  private final List<String> problems = new ArrayList<>();

  public ConfigProblems(String origin) {
    this.origin = origin;
  }

  public void add(String problem) {
    problems.add(problem);
  }

  public void add(String format, Object... args) {
    problems.add(String.format(Locale.ROOT, format, args));
  }

  public List<String> problems() {
    return List.copyOf(problems);
  }

  public void throwIfAny() {
    if (!problems.isEmpty()) {
      throw LakepipeErrors.invalidConfig(origin, problems);
    }
  }

  public Optional<String> optString(Config c, String prefix, String key) {
    if (!c.hasPath(key)) {
      return Optional.empty();
    }
    try {
      return Optional.of(c.getString(key));
    } catch (ConfigException.WrongType e) {
      add("Key %s must be a string, got %s. Quote the value.", join(prefix, key), c.getValue(key).valueType());
      return Optional.empty();
    }
  }

  public String string(Config c, String prefix, String key, String what) {
    Optional<String> v = optString(c, prefix, key);
    if (v.isEmpty() && !c.hasPath(key)) {
      add("Key %s is missing. Set it to %s.", join(prefix, key), what);
    }
    return v.orElse(null);
  }

  public int intValue(Config c, String prefix, String key, int min, int fallback) {
    if (!c.hasPath(key)) {
      return fallback;
    }
    try {
      int v = c.getInt(key);
      if (v < min) {
        add("Key %s must be at least %d, got %d.", join(prefix, key), min, v);
        return fallback;
      }
      return v;
    } catch (ConfigException.WrongType e) {
      add("Key %s must be a whole number, got '%s'.", join(prefix, key), c.getValue(key).unwrapped());
      return fallback;
    }
  }

  /** A number in {@code [min, max]}; a problem naming the key and the range otherwise. */
  public double doubleValue(Config c, String prefix, String key, double min, double max, double fallback) {
    if (!c.hasPath(key)) {
      return fallback;
    }
    try {
      double v = c.getDouble(key);
      if (!(v >= min && v <= max)) {
        add("Key %s must be between %s and %s, got %s.", join(prefix, key), min, max, v);
        return fallback;
      }
      return v;
    } catch (ConfigException.WrongType e) {
      add("Key %s must be a number, got '%s'.", join(prefix, key), c.getValue(key).unwrapped());
      return fallback;
    }
  }

  /** One of {@code allowed} (compared lowercase); a problem listing them otherwise. */
  public String oneOf(Config c, String prefix, String key, List<String> allowed, String fallback) {
    Optional<String> v = optString(c, prefix, key);
    if (v.isEmpty()) {
      return fallback;
    }
    String lower = v.get().toLowerCase(Locale.ROOT);
    if (!allowed.contains(lower)) {
      add("Key %s is '%s'. Use one of %s.", join(prefix, key), v.get(), String.join(", ", allowed));
      return fallback;
    }
    return lower;
  }

  /**
   * The object at {@code key} of {@code root} (a top-level section such as {@code serve-sql}); empty when absent.
   * Any other value is a problem whose message shows {@code example}, and reads as empty.
   */
  public Config section(Config root, String key, String example) {
    if (!root.hasPath(key)) {
      return com.typesafe.config.ConfigFactory.empty();
    }
    if (root.getValue(key).valueType() == com.typesafe.config.ConfigValueType.OBJECT) {
      return root.getConfig(key);
    }
    add("Key %s must be an object such as %s.", key, example);
    return com.typesafe.config.ConfigFactory.empty();
  }

  /** A duration such as {@code 90s} or {@code 5m}, at least {@code min}. */
  public java.time.Duration duration(Config c, String prefix, String key, java.time.Duration min,
      java.time.Duration fallback) {
    if (!c.hasPath(key)) {
      return fallback;
    }
    try {
      java.time.Duration d = c.getDuration(key);
      if (d.compareTo(min) < 0) {
        add("Key %s must be at least %ss, got %s.", join(prefix, key), min.toSeconds(), c.getValue(key).unwrapped());
        return fallback;
      }
      return d;
    } catch (ConfigException.BadValue | ConfigException.WrongType e) {
      add("Key %s must be a duration such as 90s or 5m, got '%s'.", join(prefix, key), c.getValue(key).unwrapped());
      return fallback;
    }
  }

  public boolean bool(Config c, String prefix, String key, boolean fallback) {
    if (!c.hasPath(key)) {
      return fallback;
    }
    try {
      return c.getBoolean(key);
    } catch (ConfigException.WrongType e) {
      add("Key %s must be true or false, got '%s'.", join(prefix, key), c.getValue(key).unwrapped());
      return fallback;
    }
  }

  public List<String> stringList(Config c, String prefix, String key) {
    if (!c.hasPath(key)) {
      return List.of();
    }
    try {
      return List.copyOf(c.getStringList(key));
    } catch (ConfigException.WrongType e) {
      add("Key %s must be a list of strings like [\"a\", \"b\"].", join(prefix, key));
      return List.of();
    }
  }

  /** A map of string to string, such as a column mapping or Spark options. */
  public Map<String, String> stringMap(Config c, String prefix, String key) {
    if (!c.hasPath(key)) {
      return Map.of();
    }
    if (c.getValue(key).valueType() != ConfigValueType.OBJECT) {
      add("Key %s must be an object of names to values, like { id = \"msg_id\" }.", join(prefix, key));
      return Map.of();
    }
    Map<String, String> out = new java.util.TreeMap<>();
    for (Map.Entry<String, ConfigValue> e : c.getObject(key).entrySet()) {
      ConfigValue v = e.getValue();
      if (v.valueType() == ConfigValueType.OBJECT || v.valueType() == ConfigValueType.LIST) {
        add("Key %s.%s must be a single value, got %s.", join(prefix, key), e.getKey(),
            v.valueType().name().toLowerCase(Locale.ROOT));
      } else if (v.valueType() != ConfigValueType.NULL) {
        out.put(e.getKey(), String.valueOf(v.unwrapped()));
      }
    }
    return out;
  }

  /** Records one problem per key of {@code obj} that is not in {@code allowed}, suggesting the closest one. */
  public void rejectUnknownKeys(Config obj, String prefix, Collection<String> allowed) {
    Set<String> keys = new TreeSet<>(obj.root().keySet());
    for (String key : keys) {
      if (!allowed.contains(key)) {
        String nearest = allowed.stream()
            .min(Comparator.comparingInt(a -> editDistance(a, key)))
            .orElse(null);
        String hint = nearest != null && editDistance(nearest, key) <= Math.max(2, key.length() / 3)
            ? "Did you mean '" + join(prefix, nearest) + "'?"
            : "Allowed here: " + String.join(", ", new TreeSet<>(allowed)) + ".";
        add("Unknown key %s. %s", join(prefix, key), hint);
      }
    }
  }

  static String join(String prefix, String key) {
    return prefix == null || prefix.isEmpty() ? key : prefix + "." + key;
  }

  static int editDistance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
