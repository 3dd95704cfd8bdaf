package dev.lakepipe.features;

import java.util.List;
import java.util.Map;

/**
 * What a features run wrote. Conservation: {@code in = placed + quarantined}; {@code perSplit} counts the
 * dataset's rows (augmented train rows included) by split and label.
 */
public record FeaturesReport(String runId, long in, long placed, long quarantined, long augmented,
    long nearDuplicateLinks, String policy, Map<String, Map<String, Long>> perSplit, List<String> labels,
    int featureSize, String pipelinePath, String exportPath, boolean reusedPreviousAssignment) {

  public String table() {
    StringBuilder out = new StringBuilder();
    out.append(String.format("%-10s %9s %9s %12s %10s%n", "", "in", "placed", "quarantined", "augmented"));
    out.append(String.format("%-10s %9d %9d %12d %10d%n", "features", in, placed, quarantined, augmented));
    out.append(String.format("split policy %s%s; rows per split and label:%n", policy,
        reusedPreviousAssignment ? " (old rows kept in their earlier splits)" : ""));
    for (String split : orderedSplits()) {
      Map<String, Long> byLabel = perSplit.get(split);
      long total = byLabel.values().stream().mapToLong(Long::longValue).sum();
      StringBuilder labelsText = new StringBuilder();
      byLabel.forEach((label, n) -> labelsText.append(labelsText.length() == 0 ? "" : ", ").append(label)
          .append(' ').append(n));
      out.append(String.format("  %-10s %9d  (%s)%n", split, total, labelsText));
    }
    out.append(String.format("labels %s; feature vector size %d%n", String.join(", ", labels), featureSize));
    out.append("fitted pipeline: ").append(pipelinePath).append(System.lineSeparator());
    out.append("Parquet export:  ").append(exportPath).append(System.lineSeparator());
    return out.toString();
  }

  private List<String> orderedSplits() {
    List<String> order = new java.util.ArrayList<>(SplitSettings.SPLITS);
    order.add(SplitSettings.GAP);
    return order.stream().filter(perSplit::containsKey).toList();
  }
}
