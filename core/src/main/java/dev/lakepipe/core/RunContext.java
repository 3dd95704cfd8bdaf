package dev.lakepipe.core;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.regex.Pattern;

/**
 * Identity of one stage run: the {@code run_id} stamped on every row it writes and the instant it started.
 * Re-running with the same run_id is how a crashed run is retried; writes are idempotent per run_id.
 */
public record RunContext(String runId, Instant startedAt) {

  private static final Pattern RUN_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}");
  private static final DateTimeFormatter ID_FORMAT =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  public RunContext {
    if (runId == null || !RUN_ID.matcher(runId).matches()) {
      throw LakepipeErrors.usage("Cannot use run id '" + runId + "': it must be 1-128 characters of letters, "
          + "digits, '_', '.', ':' or '-', starting with a letter or digit. Pass --run-id with such a value.");
    }
    startedAt = startedAt.truncatedTo(ChronoUnit.MICROS);
  }

  /** A new run whose id is the UTC start time, e.g. {@code 20261123T101500Z}. */
  public static RunContext startNow() {
    Instant now = Instant.now();
    return new RunContext(ID_FORMAT.format(now), now);
  }

  public static RunContext of(String runId) {
    return new RunContext(runId, Instant.now());
  }
}
