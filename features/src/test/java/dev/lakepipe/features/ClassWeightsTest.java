package dev.lakepipe.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.lakepipe.features.FeatureSettings.ClassWeighting;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Class weights from label counts, worked out by hand. The Spark side (withWeights) is in FeaturePipelineTest. */
class ClassWeightsTest {

  @Test
  void balancedWeightsAreRowsOverLabelsTimesLabelCount() {
    // n = 8 rows, k = 2 labels: ham 8 / (2 * 6) = 2/3, spam 8 / (2 * 2) = 2.
    Map<String, Double> w = ClassWeights.of(ClassWeighting.BALANCED, Map.of("spam", 2L, "ham", 6L));

    assertThat(w.keySet()).containsExactly("ham", "spam");
    assertThat(w.get("ham")).isCloseTo(2.0 / 3.0, within(1e-15));
    assertThat(w.get("spam")).isEqualTo(2.0);
    // Each label then weighs n / k = 4 in total, and all rows still sum to n = 8.
    assertThat(6 * w.get("ham")).isCloseTo(4.0, within(1e-12));
    assertThat(2 * w.get("spam")).isEqualTo(4.0);
  }

  @Test
  void balancedWeightsOfThreeLabels() {
    // n = 10, k = 3: a 10 / (3 * 5) = 2/3, b 10 / (3 * 4) = 5/6, c 10 / (3 * 1) = 10/3.
    Map<String, Double> w = ClassWeights.of(ClassWeighting.BALANCED, Map.of("c", 1L, "a", 5L, "b", 4L));

    assertThat(w.keySet()).containsExactly("a", "b", "c");
    assertThat(w.get("a")).isCloseTo(2.0 / 3.0, within(1e-15));
    assertThat(w.get("b")).isCloseTo(5.0 / 6.0, within(1e-15));
    assertThat(w.get("c")).isCloseTo(10.0 / 3.0, within(1e-15));
  }

  @Test
  void balancedWeightsOfEqualCountsAreOne() {
    assertThat(ClassWeights.of(ClassWeighting.BALANCED, Map.of("ham", 3L, "spam", 3L)))
        .containsExactly(Map.entry("ham", 1.0), Map.entry("spam", 1.0));
  }

  @Test
  void noneGivesEveryLabelOne() {
    assertThat(ClassWeights.of(ClassWeighting.NONE, Map.of("spam", 2L, "ham", 6L)))
        .containsExactly(Map.entry("ham", 1.0), Map.entry("spam", 1.0));
  }

  @Test
  void noLabelsOrAnEmptyLabelAreRejected() {
    assertThatThrownBy(() -> ClassWeights.of(ClassWeighting.BALANCED, Map.of()))
        .hasMessage("Cannot weigh classes: there are no labelled rows");
    assertThatThrownBy(() -> ClassWeights.of(ClassWeighting.BALANCED, Map.of("ham", 0L)))
        .hasMessage("Cannot weigh classes: label 'ham' has count 0, must be at least 1");
  }
}
