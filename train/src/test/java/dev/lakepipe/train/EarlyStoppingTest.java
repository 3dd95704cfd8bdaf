package dev.lakepipe.train;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class EarlyStoppingTest {

  /** Runs the curve until the rule says stop; returns {stop epoch, best epoch}. */
  private static int[] run(double[] curve, TrainSettings.EarlyStopping s) {
    EarlyStopping es = EarlyStopping.start();
    for (int e = 1; e <= curve.length; e++) {
      es = es.observe(e, curve[e - 1], s);
      if (es.shouldStop(s)) {
        return new int[] {e, es.bestEpoch()};
      }
    }
    return new int[] {curve.length, es.bestEpoch()};
  }

  @Test
  void stopsAfterPatienceEpochsWithoutAnImprovementBeyondMinDelta() {
    // macro-F1 per epoch; patience 3, min-delta 0.005.
    // 1 best; 2: 0.60 > 0.505 best; 3: 0.65 > 0.605 best; 4: 0.64 (1); 5: 0.66 > 0.655 best;
    // 6: 0.658 is not > 0.665 (1); 7: 0.664 (2); 8: 0.60 (3) -> stop after epoch 8, best epoch 5.
    double[] curve = {0.50, 0.60, 0.65, 0.64, 0.66, 0.658, 0.664, 0.60, 0.99};
    assertThat(run(curve, new TrainSettings.EarlyStopping("macro_f1", 3, 0.005))).containsExactly(8, 5);
    // Without min-delta 0.664 > 0.66 is an improvement at epoch 7; then 8 and 9 (0.99 > 0.664) -> no stop.
    assertThat(run(curve, new TrainSettings.EarlyStopping("macro_f1", 3, 0.0))).containsExactly(9, 9);
  }

  @Test
  void validationLossImprovesDownwards() {
    double[] loss = {0.9, 0.7, 0.71, 0.69, 0.72, 0.73};
    // 1 best, 2 best, 3 (1), 4: 0.69 < 0.7 best, 5 (1), 6 (2): patience 2 stops at 6, best 4.
    assertThat(run(loss, new TrainSettings.EarlyStopping("validation_loss", 2, 0.0))).containsExactly(6, 4);
  }

  @Test
  void aNanEpochNeverImproves() {
    EarlyStopping es = EarlyStopping.start().observe(1, 0.5, new TrainSettings.EarlyStopping("macro_f1", 1, 0))
        .observe(2, Double.NaN, new TrainSettings.EarlyStopping("macro_f1", 1, 0));
    assertThat(es.bestEpoch()).isEqualTo(1);
    assertThat(es.sinceBest()).isEqualTo(1);
  }
}
