package dev.lakepipe.ingest;

import java.util.List;

/**
 * What an ingest run did, per source. For every source {@code read = written + quarantined + alreadyPresent}
 * (already present: rows of a changed file that an earlier run wrote, skipped by the MERGE on _record_id).
 */
public record IngestReport(String runId, List<SourceCounts> sources) {

  public record SourceCounts(String source, String format, int files, long read, long written, long quarantined,
      long alreadyPresent) {}

  public long totalRead() {
    return sources.stream().mapToLong(SourceCounts::read).sum();
  }

  public long totalWritten() {
    return sources.stream().mapToLong(SourceCounts::written).sum();
  }

  public long totalQuarantined() {
    return sources.stream().mapToLong(SourceCounts::quarantined).sum();
  }

  public SourceCounts source(String name) {
    return sources.stream().filter(s -> s.source().equals(name)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no source " + name));
  }

  /** A fixed-width table of the counts, for the console. */
  public String table() {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format("%-16s %-8s %6s %9s %9s %12s %16s%n", "source", "format", "files", "read", "written",
        "quarantined", "already present"));
    for (SourceCounts s : sources) {
      sb.append(String.format("%-16s %-8s %6d %9d %9d %12d %16d%n", s.source(), s.format(), s.files(), s.read(),
          s.written(), s.quarantined(), s.alreadyPresent()));
    }
    sb.append(String.format("%-16s %-8s %6d %9d %9d %12d %16d%n", "total", "",
        sources.stream().mapToInt(SourceCounts::files).sum(), totalRead(), totalWritten(), totalQuarantined(),
        sources.stream().mapToLong(SourceCounts::alreadyPresent).sum()));
    return sb.toString();
  }
}
