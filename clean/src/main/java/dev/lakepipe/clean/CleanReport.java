package dev.lakepipe.clean;

/**
 * What a clean run decided. Conservation: {@code in = kept + exactDuplicates + nearDuplicates + quarantined},
 * checked before anything is written.
 */
public record CleanReport(String runId, long in, long kept, long exactDuplicates, long nearDuplicates,
    long quarantined, long labelConflicts, long nearKept, NearDuplicates.Stats nearStats) {

  public String table() {
    return String.format(
        "%-10s %9s %9s %9s %9s %12s %15s%n%-10s %9d %9d %9d %9d %12d %15d%n"
            + "near-duplicate search: %d candidate pairs, %d verified, %d oversized buckets (%d rows) capped%n",
        "", "in", "kept", "exact", "near", "quarantined", "label conflicts",
        "clean", in, kept, exactDuplicates, nearDuplicates, quarantined, labelConflicts,
        nearStats.candidatePairs(), nearStats.verifiedPairs(), nearStats.oversizedBuckets(),
        nearStats.rowsInOversizedBuckets())
        + (nearKept == 0 ? "" : String.format("%d near duplicates kept in silver, linked to their keeper in "
            + "ops.duplicates (clean.near-duplicates.action = keep)%n", nearKept));
  }
}
