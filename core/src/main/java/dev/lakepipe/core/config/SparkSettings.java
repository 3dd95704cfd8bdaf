package dev.lakepipe.core.config;

import com.typesafe.config.Config;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * How to obtain the SparkSession, from {@code spark}. {@code master} is set only for the local
 * environment; under spark-submit (YARN, standalone) and on Databricks the launcher's master and confs win,
 * so {@code master} is left unset there. {@code conf} entries are applied as Spark properties.
 */
public record SparkSettings(Optional<String> master, String appName, Map<String, String> conf) {

  private static final Set<String> KEYS = Set.of("master", "app-name", "conf");

  static SparkSettings parse(Config root, ConfigProblems problems) {
    if (!root.hasPath("spark")) {
      return new SparkSettings(Optional.empty(), "lakepipe", Map.of());
    }
    Config c = root.getConfig("spark");
    problems.rejectUnknownKeys(c, "spark", KEYS);
    Optional<String> master = problems.optString(c, "spark", "master").filter(s -> !s.isBlank());
    String appName = problems.optString(c, "spark", "app-name").orElse("lakepipe");
    // Spark property names contain dots; HOCON would nest them, so read them quoted or flattened.
    Map<String, String> conf = new java.util.TreeMap<>();
    if (c.hasPath("conf")) {
      for (Map.Entry<String, com.typesafe.config.ConfigValue> e : c.getConfig("conf").entrySet()) {
        conf.put(e.getKey().replace("\"", ""), String.valueOf(e.getValue().unwrapped()));
      }
    }
    return new SparkSettings(master, appName, Map.copyOf(conf));
  }
}
