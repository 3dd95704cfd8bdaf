package dev.lakepipe.evaluate;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@link Gate}'s majority-baseline check, alone and beside thresholds. */
class GateTest {

  private static EvaluateSettings.Gate gate(boolean beatBaseline, Map<String, Double> min) {
    return new EvaluateSettings.Gate(min, Map.of(), Map.of(), beatBaseline);
  }

  @Test
  void aClassifierThatDoesNotBeatItsMajorityBaselineIsNotBlessedUnlessTheConfSaysSo() {
    // The flight table's first model: macro-F1 0.2121 on test, where always predicting on_time gives 0.4363.
    Map<String, Double> worse = Map.of("macro_f1", 0.2121, "baseline_macro_f1", 0.4363, "accuracy", 0.241);
    Gate.Verdict v = Gate.decide(gate(true, Map.of()), worse, null);
    assertThat(v.blessed()).isFalse();
    assertThat(v.reasons()).containsExactly(
        "no gate thresholds configured (evaluate.gate); blessed if it beats the majority-class baseline",
        "macro_f1 0.2121 does not beat the majority-class baseline 0.4363 (always predicting train's most frequent "
            + "label); improve the model, or set evaluate.gate.beat-baseline = false to bless it anyway");

    assertThat(Gate.decide(gate(false, Map.of()), worse, null).blessed()).isTrue();
    // Equal to the baseline is not beating it; a threshold that passes does not outvote the baseline.
    assertThat(Gate.decide(gate(true, Map.of("accuracy", 0.2)),
        Map.of("macro_f1", 0.4363, "baseline_macro_f1", 0.4363, "accuracy", 0.241), null).blessed()).isFalse();

    Gate.Verdict better = Gate.decide(gate(true, Map.of("macro_f1", 0.7)),
        Map.of("macro_f1", 0.7333, "baseline_macro_f1", 0.4), null);
    assertThat(better.blessed()).isTrue();
    assertThat(better.reasons()).containsExactly("macro_f1 0.7333 > majority-class baseline 0.40",
        "macro_f1 0.7333 >= 0.70");
    // A regression has no macro-F1 and no baseline: nothing to check.
    Gate.Verdict regression = Gate.decide(gate(true, Map.of()), Map.of("rmse", 1.5), null);
    assertThat(regression.blessed()).isTrue();
    assertThat(regression.reasons()).containsExactly(
        "no gate thresholds configured (evaluate.gate); blessed by default");
  }
}
