package dev.lakepipe.evaluate;

import java.util.Locale;

/**
 * What a score run wrote. Conservation: {@code in = scored + unreadable + rejected + missingValue + failed}:
 * records ingest's reader could not read, rows clean's rules rejected, rows missing a required value, rows the
 * model could not score; all of them are in {@code ops.quarantine} with stage {@code score}.
 */
public record ScoreReport(String runId, String modelVersion, String source, long in, long scored,
    long unreadable, long rejected, long missingValue, long failed, String scoresTable) {

  public long quarantined() {
    return unreadable + rejected + missingValue + failed;
  }

  public String table() {
    StringBuilder out = new StringBuilder();
    out.append(String.format(Locale.ROOT, "%-8s %9s %9s %12s%n", "", "in", "scored", "quarantined"));
    out.append(String.format(Locale.ROOT, "%-8s %9d %9d %12d%n", "score", in, scored, quarantined()));
    out.append(String.format(Locale.ROOT, "model %s; source %s%n", modelVersion, source));
    if (quarantined() > 0) {
      out.append(String.format(Locale.ROOT, "quarantined: %d unreadable, %d rejected by clean's rules, %d missing "
          + "a required value, %d failed to score (ops.quarantine, stage 'score', run_id %s)%n", unreadable,
          rejected, missingValue, failed, runId));
    }
    out.append("scores: ").append(scoresTable).append(" (run_id ").append(runId).append(')')
        .append(System.lineSeparator());
    return out.toString();
  }
}
