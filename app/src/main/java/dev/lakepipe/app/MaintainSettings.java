package dev.lakepipe.app;

import com.typesafe.config.Config;
import dev.lakepipe.core.TableMaintenance;
import dev.lakepipe.core.config.ConfigProblems;
import dev.lakepipe.core.config.DatasetSchema;
import dev.lakepipe.core.config.LakepipeConfig;
import java.time.Duration;
import java.util.Set;

/**
 * The {@code maintain} section: what {@code lakepipe maintain} does to every table. {@code optimize} compacts small
 * files; {@code vacuum-retention} is how long files no current version reads are kept (so time travel and readers
 * that started earlier still find them) before VACUUM deletes them. Below Delta's 168 hours the conf must say
 * {@code allow-short-retention = true}.
 */
record MaintainSettings(boolean optimize, Duration vacuumRetention, boolean allowShortRetention) {

  static final String SECTION = "maintain";
  private static final Set<String> KEYS = Set.of("optimize", "vacuum-retention", "allow-short-retention");

  /** The section of an already loaded conf, validated (exit 2 listing every problem). */
  static MaintainSettings parse(LakepipeConfig config) {
    return config.parseStage(MaintainSettings::parse);
  }

  /** Reads and checks {@code maintain}; problems go to {@code problems}, defaults stand in for bad values. */
  static MaintainSettings parse(Config merged, DatasetSchema dataset, ConfigProblems problems) {
    Config c = problems.section(merged, SECTION, "{ vacuum-retention = 168h }");
    problems.rejectUnknownKeys(c, SECTION, KEYS);
    boolean optimize = problems.bool(c, SECTION, "optimize", true);
    Duration retention = problems.duration(c, SECTION, "vacuum-retention", Duration.ZERO,
        TableMaintenance.DELTA_DEFAULT_RETENTION);
    boolean allowShort = problems.bool(c, SECTION, "allow-short-retention", false);
    if (retention.compareTo(TableMaintenance.DELTA_DEFAULT_RETENTION) < 0 && !allowShort) {
      problems.add("Key maintain.vacuum-retention is %s, below Delta's 168h: a query or job that started reading a "
          + "table before the VACUUM may find its files gone, and time travel to older versions fails. Keep 168h or "
          + "more, or set maintain.allow-short-retention = true if nothing reads the warehouse while it runs.",
          c.getValue("vacuum-retention").unwrapped());
      retention = TableMaintenance.DELTA_DEFAULT_RETENTION;
    }
    return new MaintainSettings(optimize, retention, allowShort);
  }
}
