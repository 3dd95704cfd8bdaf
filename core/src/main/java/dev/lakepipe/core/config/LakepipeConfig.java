package dev.lakepipe.core.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigResolveOptions;
import com.typesafe.config.ConfigSyntax;
import com.typesafe.config.ConfigValueFactory;
import dev.lakepipe.core.LakepipeErrors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The parsed configuration shared by every stage: the dataset's canonical columns, where tables live and how
 * to get Spark. Stage-specific settings ({@code ingest}, later {@code clean}, ...) are parsed by their stage
 * from {@link #raw()}.
 *
 * <p>Precedence, highest first: command line {@code --set key=value} &gt; {@code conf/<env>.conf} (next to the
 * main conf file) &gt; the main conf file ({@code conf/application.conf} unless {@code --conf FILE}) &gt; the
 * defaults in {@code lakepipe-defaults.conf}. HOCON substitutions such as {@code ${?HOME}} resolve against the
 * environment.
 */
public record LakepipeConfig(
    Config raw, String origin, Env env, DatasetSchema dataset, TableSettings tables, SparkSettings spark) {

  /** Where the pipeline runs; selects {@code conf/<env>.conf}. */
  public enum Env {
    LOCAL, STANDALONE, YARN, DATABRICKS;

    public String id() {
      return name().toLowerCase(Locale.ROOT);
    }

    public static Env parse(String text) {
      for (Env e : values()) {
        if (e.id().equals(text)) {
          return e;
        }
      }
      throw LakepipeErrors.usage("Cannot use --env '" + text + "': use one of local, standalone, yarn, databricks.");
    }
  }

  /** Top-level sections a conf may hold. Each stage adds its own when it arrives. */
  public static final Set<String> SECTIONS = Set.of("dataset", "tables", "spark", "ingest", "clean", "features", "train",
      "evaluate", "serve-sql", "maintain");

  /**
   * Checks the sections a stage owns ({@code ingest}, ...) against the merged conf, adding to the same problems
   * as the shared sections, so one message lists every problem of the conf.
   */
  @FunctionalInterface
  public interface SectionCheck {
    SectionCheck NONE = (merged, dataset, problems) -> { };

    /** {@code dataset} is null when {@code dataset} itself has problems. */
    void check(Config merged, DatasetSchema dataset, ConfigProblems problems);
  }

  public static LakepipeConfig load(Path confFile, Env env, Map<String, String> overrides) {
    return load(confFile, env, overrides, SectionCheck.NONE);
  }

  /** Loads and validates the shared sections and, with them, what {@code stageChecks} checks. */
  public static LakepipeConfig load(Path confFile, Env env, Map<String, String> overrides, SectionCheck stageChecks) {
    if (Files.isDirectory(confFile)) {
      throw LakepipeErrors.usage("Cannot read conf file " + confFile.toAbsolutePath() + ": it is a folder. Pass "
          + "--conf with the path of a HOCON file, e.g. " + confFile.resolve("application.conf") + ".");
    }
    if (!Files.isRegularFile(confFile)) {
      throw LakepipeErrors.usage("Cannot read conf file " + confFile.toAbsolutePath()
          + ": no such file. Pass --conf with the path of a HOCON file, e.g. conf/application.conf.");
    }
    List<String> origins = new ArrayList<>();
    origins.add(confFile.toString());
    Config defaults = ConfigFactory.parseResources(LakepipeConfig.class, "/lakepipe-defaults.conf");
    Config base = parseFile(confFile);
    Path envFile = confFile.toAbsolutePath().getParent().resolve(env.id() + ".conf");
    Config envConf = ConfigFactory.empty();
    if (Files.isRegularFile(envFile) && !envFile.equals(confFile.toAbsolutePath())) {
      envConf = parseFile(envFile);
      origins.add(confFile.toAbsolutePath().getParent().relativize(envFile).toString());
    }
    Config cli = ConfigFactory.empty();
    for (Map.Entry<String, String> o : overrides.entrySet()) {
      cli = cli.withFallback(override(o.getKey(), o.getValue()));
    }
    if (!overrides.isEmpty()) {
      origins.add("--set");
    }
    String origin = String.join(" + ", origins);
    Config merged;
    try {
      merged = cli.withFallback(envConf).withFallback(base).withFallback(defaults)
          .resolve(ConfigResolveOptions.defaults().setUseSystemEnvironment(true));
    } catch (ConfigException e) {
      throw LakepipeErrors.invalidConfig(origin, List.of(e.getMessage()));
    }
    return from(merged, origin, env, stageChecks);
  }

  /** Builds and validates from an already merged config; every problem is reported at once. */
  public static LakepipeConfig from(Config merged, String origin, Env env) {
    return from(merged, origin, env, SectionCheck.NONE);
  }

  /** As {@link #from(Config, String, Env)}, listing the problems {@code stageChecks} finds in the same message. */
  public static LakepipeConfig from(Config merged, String origin, Env env, SectionCheck stageChecks) {
    ConfigProblems problems = new ConfigProblems(origin);
    problems.rejectUnknownKeys(merged, "", SECTIONS);
    DatasetSchema dataset = DatasetSchema.parse(merged, problems);
    TableSettings tables = TableSettings.parse(merged, problems);
    SparkSettings spark = SparkSettings.parse(merged, problems);
    stageChecks.check(merged, dataset, problems);
    problems.throwIfAny();
    return new LakepipeConfig(merged, origin, env, dataset, tables, spark);
  }

  /** Reads one stage's section into its typed settings. */
  @FunctionalInterface
  public interface StageParser<T> {
    T parse(Config merged, DatasetSchema dataset, ConfigProblems problems);
  }

  /** A stage's settings, parsed and validated; every problem found is reported at once (exit 2). */
  public <T> T parseStage(StageParser<T> parser) {
    ConfigProblems problems = new ConfigProblems(origin);
    T settings = parser.parse(raw, dataset, problems);
    problems.throwIfAny();
    return settings;
  }

  private static Config parseFile(Path file) {
    try {
      return ConfigFactory.parseFile(file.toFile(),
          ConfigParseOptions.defaults().setSyntax(ConfigSyntax.CONF).setAllowMissing(false));
    } catch (ConfigException e) {
      String hint = e.getMessage().contains("include keyword")
          ? " A bare include is HOCON's own include directive: to set a source's file glob, quote the key: "
              + "\"include\" = \"*.csv\"." : "";
      throw LakepipeErrors.invalidConfig(file.toString(), List.of(e.getMessage()
          + ". Fix the HOCON syntax at that line." + hint));
    }
  }

  /** {@code --set key=value}: lists and objects are parsed as HOCON, anything else is taken literally. */
  private static Config override(String key, String value) {
    String v = value.trim();
    try {
      if (v.startsWith("[") || v.startsWith("{")) {
        return ConfigFactory.parseString(key + " = " + v);
      }
      return ConfigFactory.empty().withValue(key, ConfigValueFactory.fromAnyRef(value, "--set " + key));
    } catch (ConfigException e) {
      throw LakepipeErrors.usage("Cannot use --set " + key + "=" + value + ": " + e.getMessage()
          + ". Write --set key=value, with lists as [a,b].");
    }
  }
}
