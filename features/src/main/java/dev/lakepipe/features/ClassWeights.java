package dev.lakepipe.features;

import dev.lakepipe.core.LakepipeErrors;
import dev.lakepipe.features.FeatureSettings.ClassWeighting;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Per-label training weights from the train label counts ({@code features.class-weights}).
 *
 * <p>{@code balanced} is the usual inverse-frequency weighting (scikit-learn's {@code class_weight="balanced"}):
 * with n labelled train rows and k labels, {@code w_c = n / (k * n_c)}. Every label then carries the same total
 * weight {@code n_c * w_c = n / k}, and the weights of all rows still sum to n, so a loss averaged with them keeps
 * its scale. {@code none} gives every label 1.0. Counts come from train rows only, like every fitted statistic.
 */
public final class ClassWeights {

  private ClassWeights() {}

  /**
   * The weight of each label, in alphabetical label order.
   *
   * @param labelCounts train rows per label (labels as strings, counts at least 1)
   */
  public static Map<String, Double> of(ClassWeighting weighting, Map<String, Long> labelCounts) {
    LakepipeErrors.checkArgument(!labelCounts.isEmpty(), "Cannot weigh classes: there are no labelled rows");
    Map<String, Long> sorted = new TreeMap<>(labelCounts);
    long n = 0;
    for (Map.Entry<String, Long> e : sorted.entrySet()) {
      LakepipeErrors.checkArgument(e.getValue() >= 1, "Cannot weigh classes: label '%s' has count %s, "
          + "must be at least 1", e.getKey(), e.getValue());
      n += e.getValue();
    }
    int k = sorted.size();
    Map<String, Double> out = new LinkedHashMap<>();
    for (Map.Entry<String, Long> e : sorted.entrySet()) {
      out.put(e.getKey(), weighting == ClassWeighting.NONE ? 1.0 : (double) n / ((double) k * e.getValue()));
    }
    return Collections.unmodifiableMap(out);
  }
}
