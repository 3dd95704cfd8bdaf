package dev.lakepipe.evaluate;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What an evaluate run measured and decided: rows scored per split, the headline metrics of
 * {@code headlineSplit} (with bootstrap intervals where computed), the gate's verdict and reasons, the drifted
 * columns and where the HTML report is.
 */
public record EvaluateReport(String runId, String modelVersion, long goldVersion, Map<String, Long> rowsPerSplit,
    String headlineSplit, Map<String, Double> headline, Map<String, double[]> intervals, boolean blessed,
    List<String> reasons, String previousBlessedVersion, List<String> driftedColumns, String reportPath) {

  /** Metrics printed, in order, when present. */
  static final List<String> PRINTED = List.of("accuracy", "macro_f1", "weighted_f1", "log_loss", "roc_auc", "ece",
      "baseline_accuracy", "baseline_macro_f1");

  public String table() {
    StringBuilder out = new StringBuilder();
    String nl = System.lineSeparator();
    out.append(String.format(Locale.ROOT, "model %s on gold version %d; rows scored: %s%n", modelVersion,
        goldVersion, rowsPerSplit));
    out.append(String.format(Locale.ROOT, "%-18s %9s  %s%n", headlineSplit + " metric", "value", "95% CI"));
    for (String m : PRINTED) {
      Double v = headline.get(m);
      if (v == null) {
        continue;
      }
      double[] ci = intervals.get(m);
      out.append(String.format(Locale.ROOT, "%-18s %9.4f  %s%n", m, v,
          ci == null ? "" : String.format(Locale.ROOT, "[%.4f, %.4f]", ci[0], ci[1])));
    }
    out.append("gate: ").append(blessed ? "BLESSED" : "NOT BLESSED")
        .append(previousBlessedVersion == null ? " (no model blessed before)"
            : " (compared with blessed " + previousBlessedVersion + ")").append(nl);
    reasons.forEach(r -> out.append("  - ").append(r).append(nl));
    out.append("drifted columns: ").append(driftedColumns.isEmpty() ? "none" : String.join(", ", driftedColumns))
        .append(nl);
    out.append("report: ").append(reportPath).append(nl);
    return out.toString();
  }
}
