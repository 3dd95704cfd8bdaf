package dev.lakepipe.app;

import dev.lakepipe.core.TableCatalog;
import dev.lakepipe.core.TableMaintenance;
import dev.lakepipe.core.config.LakepipeConfig;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code lakepipe maintain}: Delta housekeeping over every table ({@link TableMaintenance}): OPTIMIZE, then VACUUM
 * with {@code maintain.vacuum-retention}. Holds the warehouse lock like a stage, so it never runs beside one on a
 * path-mode warehouse; prints a table per table of files before, after and deleted.
 */
@Command(name = "maintain", mixinStandardHelpOptions = true,
    description = {"Compact and clean every table: Delta OPTIMIZE (small files into large ones), then VACUUM "
        + "(delete the files no version newer than maintain.vacuum-retention reads; default 168h).",
        "Each run leaves the files of the versions it replaced for time travel; run this on a schedule "
            + "(e.g. weekly) so the warehouse does not grow by a copy of silver and gold per run. Takes the "
            + "warehouse lock like a stage. Keys: maintain.optimize, maintain.vacuum-retention, "
            + "maintain.allow-short-retention (docs/configuration.md)."})
final class MaintainCommand implements Callable<Integer> {

  @CommandLine.Mixin
  LakepipeCli.CommonOptions common;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    LakepipeConfig config = common.load(MaintainSettings::parse);
    MaintainSettings settings = MaintainSettings.parse(config);
    PrintWriter out = spec.commandLine().getOut();
    Stages.withLockedSession(config, "maintain", "maintain", common.runContext(), spark -> {
      List<TableMaintenance.Result> results = TableMaintenance.run(spark, new TableCatalog(spark, config.tables()),
          settings.optimize(), settings.vacuumRetention(), settings.allowShortRetention());
      out.print(table(results, settings));
      out.flush();
    });
    return 0;
  }

  /** The report: one row per table that exists, then how many do not exist yet. */
  static String table(List<TableMaintenance.Result> results, MaintainSettings settings) {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "maintain: %s, then VACUUM of files older than %s h%n",
        settings.optimize() ? "OPTIMIZE" : "no OPTIMIZE (maintain.optimize = false)",
        fmtHours(settings.vacuumRetention().toSeconds() / 3600.0)));
    sb.append(String.format(Locale.ROOT, "%-24s %12s %11s %15s %8s%n", "table", "files before", "files after",
        "files deleted", "version"));
    long absent = 0;
    for (TableMaintenance.Result r : results) {
      if (!r.present()) {
        absent++;
        continue;
      }
      sb.append(String.format(Locale.ROOT, "%-24s %12d %11d %15d %8d%n", r.table().name(), r.filesBefore(),
          r.filesAfter(), r.filesDeleted(), r.version()));
    }
    if (absent > 0) {
      sb.append(String.format(Locale.ROOT, "(%d table%s not written yet)%n", absent, absent == 1 ? "" : "s"));
    }
    return sb.toString();
  }

  private static String fmtHours(double h) {
    return h == Math.rint(h) ? Long.toString((long) h) : Double.toString(h);
  }
}
