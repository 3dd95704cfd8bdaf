package dev.lakepipe.core;

import java.util.List;
import java.util.Locale;

/**
 * Every user-facing error is built here, so wording stays uniform: "Cannot &lt;action&gt;: &lt;reason&gt;.
 * &lt;fix&gt;", naming the source, file, row, column or key involved.
 */
public final class LakepipeErrors {

  private LakepipeErrors() {}

  public static LakepipeException usage(String message) {
    return new LakepipeException(LakepipeException.Kind.USAGE, message, null);
  }

  /** All configuration problems found at once, one per line. */
  public static LakepipeException invalidConfig(String origin, List<String> problems) {
    StringBuilder sb = new StringBuilder();
    sb.append("Cannot start: the configuration (").append(origin).append(") has ")
        .append(problems.size()).append(problems.size() == 1 ? " problem" : " problems").append(':');
    for (String p : problems) {
      sb.append(System.lineSeparator()).append("  - ").append(p);
    }
    return new LakepipeException(LakepipeException.Kind.CONFIG, sb.toString(), null);
  }

  public static LakepipeException config(String message) {
    return new LakepipeException(LakepipeException.Kind.CONFIG, message, null);
  }

  public static LakepipeException missingSourceColumn(
      String source, String file, List<String> missing, List<String> present) {
    return config(String.format(Locale.ROOT,
        "Cannot read source '%s': %s %s missing in %s (it has: %s). "
            + "Map the canonical column to an existing field under ingest.sources.%s.columns, or fix the file.",
        source, missing.size() == 1 ? "column" : "columns", quoteAll(missing), file, String.join(", ", present),
        source));
  }

  public static LakepipeException sourceUnreadable(String source, String location, String reason, Throwable cause) {
    return new LakepipeException(LakepipeException.Kind.JOB, String.format(Locale.ROOT,
        "Cannot read source '%s': %s (%s). Check that the path exists and is readable, "
            + "or fix ingest.sources.%s.",
        source, reason, location, source), cause);
  }

  public static LakepipeException missingEnvironmentVariable(String key, String variable) {
    return config(String.format(Locale.ROOT,
        "Cannot connect: environment variable %s (named by %s) is not set. "
            + "Export it before running; credentials are never read from conf files.",
        variable, key));
  }

  public static LakepipeException tableMissing(String table, String location, String producedBy) {
    return new LakepipeException(LakepipeException.Kind.JOB, String.format(Locale.ROOT,
        "Cannot read table %s: no Delta table at %s. Run 'lakepipe %s' first.", table, location, producedBy),
        null);
  }

  public static LakepipeException conservationBroken(String stage, String detail) {
    return new LakepipeException(LakepipeException.Kind.JOB, String.format(Locale.ROOT,
        "Cannot finish %s: row conservation does not hold (%s). This is a bug; please report it with the run_id.",
        stage, detail), null);
  }

  /** Another run holds the warehouse's lock ({@link WarehouseLock}); {@code holder} is null when unreadable. */
  public static LakepipeException warehouseLocked(String what, String warehouse, String lockFile,
      WarehouseLock.Owner holder) {
    String who = holder == null ? "another run" : String.format(Locale.ROOT, "another run (%s)", holder);
    String since = holder == null ? "" : " since " + holder.since();
    return new LakepipeException(LakepipeException.Kind.JOB, String.format(Locale.ROOT,
        "Cannot run %s: %s holds the warehouse %s%s. Wait for it to finish (or set tables.lock-timeout, e.g. 10m, "
            + "to wait for it), or remove %s if that process is gone.", what, who, warehouse, since, lockFile),
        null);
  }

  public static LakepipeException jobFailed(String action, String reason, Throwable cause) {
    return new LakepipeException(LakepipeException.Kind.JOB,
        String.format(Locale.ROOT, "Cannot %s: %s", action, reason), cause);
  }

  /** Guava-style argument check that raises a job error with a formatted message. */
  public static void checkArgument(boolean condition, String messageFormat, Object... args) {
    if (!condition) {
      throw new IllegalArgumentException(String.format(Locale.ROOT, messageFormat, args));
    }
  }

  private static String quoteAll(List<String> names) {
    return names.stream().map(n -> "'" + n + "'").reduce((a, b) -> a + ", " + b).orElse("");
  }
}
