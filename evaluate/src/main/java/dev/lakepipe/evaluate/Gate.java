package dev.lakepipe.evaluate;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The registry gate: decides whether an evaluated model is blessed, listing every reason. Pure; the job reads
 * the run's headline metrics and the previously blessed model's snapshot from {@code results.model_registry}.
 *
 * <p>Every check of {@link EvaluateSettings.Gate} is applied and reported, passed or not: {@code min} (the
 * metric is at least the threshold), {@code max} (at most), {@code max-drop} (the metric fell at most this much
 * below the previously blessed model's value; skipped, and said so, when no model was blessed before). A
 * metric the run did not produce fails its check (an undefined AUC is no evidence). {@code beat-baseline} (on
 * unless set false): a classifier whose macro-F1 does not exceed the majority-class baseline's on the same split
 * is not blessed, thresholds or not. Blessed when every check passes; with no thresholds configured, blessed when
 * it beats the baseline (or by default, with {@code beat-baseline = false}), with that reason.
 */
public final class Gate {

  /** The verdict: blessed or not, why, and which model the drops were measured against (null: none). */
  public record Verdict(boolean blessed, List<String> reasons, String previousBlessedVersion) {
    public Verdict {
      reasons = List.copyOf(reasons);
    }
  }

  /** The previously blessed model: its version and metric snapshot. */
  public record Previous(String modelVersion, Map<String, Double> metrics) {}

  private Gate() {}

  public static Verdict decide(EvaluateSettings.Gate gate, Map<String, Double> metrics, Previous previous) {
    List<String> reasons = new ArrayList<>();
    boolean ok = true;
    Double f1 = metrics.get("macro_f1");
    Double baseline = metrics.get("baseline_macro_f1");
    // A classifier has both; a regression has neither, so there is no baseline to beat.
    boolean againstBaseline = gate.beatBaseline() && f1 != null && baseline != null && !baseline.isNaN();
    if (gate.isEmpty()) {
      reasons.add(againstBaseline
          ? "no gate thresholds configured (evaluate.gate); blessed if it beats the majority-class baseline"
          : "no gate thresholds configured (evaluate.gate); blessed by default");
    }
    if (againstBaseline) {
      if (!f1.isNaN() && f1 > baseline + 1e-12) {
        reasons.add("macro_f1 " + fmt(f1) + " > majority-class baseline " + fmt(baseline));
      } else {
        reasons.add("macro_f1 " + (f1.isNaN() ? "undefined" : fmt(f1)) + " does not beat the majority-class "
            + "baseline " + fmt(baseline) + " (always predicting train's most frequent label); improve the model, or "
            + "set evaluate.gate.beat-baseline = false to bless it anyway");
        ok = false;
      }
    }
    for (Map.Entry<String, Double> e : gate.min().entrySet()) {
      Double v = metrics.get(e.getKey());
      if (v == null || v.isNaN()) {
        reasons.add(e.getKey() + " undefined, required >= " + fmt(e.getValue()));
        ok = false;
      } else if (v >= e.getValue()) {
        reasons.add(e.getKey() + " " + fmt(v) + " >= " + fmt(e.getValue()));
      } else {
        reasons.add(e.getKey() + " " + fmt(v) + " < " + fmt(e.getValue()) + " (evaluate.gate.min)");
        ok = false;
      }
    }
    for (Map.Entry<String, Double> e : gate.max().entrySet()) {
      Double v = metrics.get(e.getKey());
      if (v == null || v.isNaN()) {
        reasons.add(e.getKey() + " undefined, required <= " + fmt(e.getValue()));
        ok = false;
      } else if (v <= e.getValue()) {
        reasons.add(e.getKey() + " " + fmt(v) + " <= " + fmt(e.getValue()));
      } else {
        reasons.add(e.getKey() + " " + fmt(v) + " > " + fmt(e.getValue()) + " (evaluate.gate.max)");
        ok = false;
      }
    }
    for (Map.Entry<String, Double> e : gate.maxDrop().entrySet()) {
      String m = e.getKey();
      if (previous == null) {
        reasons.add(m + ": no previously blessed model, drop not checked");
        continue;
      }
      Double before = previous.metrics().get(m);
      Double now = metrics.get(m);
      if (before == null || before.isNaN()) {
        reasons.add(m + ": blessed model " + previous.modelVersion() + " has no value, drop not checked");
      } else if (now == null || now.isNaN()) {
        reasons.add(m + " undefined, blessed model " + previous.modelVersion() + " had " + fmt(before));
        ok = false;
      } else {
        double drop = before - now;
        if (drop > e.getValue() + 1e-12) {
          reasons.add(m + " dropped " + fmt(drop) + " from " + previous.modelVersion() + ", more than "
              + fmt(e.getValue()));
          ok = false;
        } else {
          reasons.add(m + " " + fmt(now) + " vs " + fmt(before) + " of " + previous.modelVersion()
              + (drop > 0 ? ", dropped " + fmt(drop) + ", within " : ", no drop; allowed ") + fmt(e.getValue()));
        }
      }
    }
    return new Verdict(ok, reasons, previous == null ? null : previous.modelVersion());
  }

  /** Two decimals at least, four at most, trailing zeros beyond two dropped: 0.8 → "0.80", 0.91234 → "0.9123". */
  static String fmt(double v) {
    BigDecimal d = BigDecimal.valueOf(v).setScale(4, RoundingMode.HALF_UP).stripTrailingZeros();
    if (d.scale() < 2) {
      d = d.setScale(2, RoundingMode.UNNECESSARY);
    }
    return d.toPlainString();
  }
}
