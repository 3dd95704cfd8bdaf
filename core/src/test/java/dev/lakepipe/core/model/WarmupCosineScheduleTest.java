package dev.lakepipe.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class WarmupCosineScheduleTest {

  /** base 0.01, floor 0.001, 4 warm-up iterations of 20. */
  private final WarmupCosineSchedule s = new WarmupCosineSchedule(0.01, 0.001, 4, 20);

  @Test
  void warmUpRisesLinearlyToTheBase() {
    assertThat(s.valueAt(0, 0)).isCloseTo(0.0025, within(1e-15)); // 0.01 * 1/4
    assertThat(s.valueAt(1, 0)).isCloseTo(0.005, within(1e-15)); // 0.01 * 2/4
    assertThat(s.valueAt(3, 0)).isCloseTo(0.01, within(1e-15)); // 0.01 * 4/4
  }

  @Test
  void cosineFallsFromTheBaseToTheFloor() {
    // i = 4: p = 0 -> 0.001 + 0.009 * (1 + cos 0) / 2 = 0.01
    assertThat(s.valueAt(4, 1)).isCloseTo(0.01, within(1e-15));
    // i = 8: p = 4/16 -> 0.001 + 0.009 * (1 + 0.70710678118654752) / 2 = 0.0086819805153394639
    assertThat(s.valueAt(8, 1)).isCloseTo(0.0086819805153394639, within(1e-15));
    // i = 12: p = 1/2 -> 0.001 + 0.009 / 2 = 0.0055
    assertThat(s.valueAt(12, 2)).isCloseTo(0.0055, within(1e-15));
    // i = 16: p = 3/4 -> 0.001 + 0.009 * (1 - 0.70710678118654752) / 2 = 0.0023180194846605361
    assertThat(s.valueAt(16, 3)).isCloseTo(0.0023180194846605361, within(1e-15));
    // From the total on, the floor.
    assertThat(s.valueAt(20, 4)).isCloseTo(0.001, within(1e-15));
    assertThat(s.valueAt(1000, 40)).isCloseTo(0.001, within(1e-15));
  }

  @Test
  void withoutWarmUpTheFirstIterationUsesTheBase() {
    assertThat(new WarmupCosineSchedule(0.1, 0.0, 0, 10).valueAt(0, 0)).isEqualTo(0.1);
  }

  @Test
  void nonsenseIsRefusedWithTheNumbers() {
    assertThatThrownBy(() -> new WarmupCosineSchedule(0.01, 0.1, 0, 10))
        .hasMessageContaining("base 0.01, floor 0.1");
  }
}
