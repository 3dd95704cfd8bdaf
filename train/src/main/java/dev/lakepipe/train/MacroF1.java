package dev.lakepipe.train;

import org.nd4j.evaluation.classification.Evaluation;

/**
 * Macro-averaged F1 from a DL4J confusion matrix: the mean of per-class F1 over the classes that occur as a true
 * or a predicted class (scikit-learn's default), a class with nothing to divide by scoring 0. Evaluate's
 * {@code ClassificationMetrics} follows the same rule, so the validation figure here and the test figure there
 * are comparable.
 */
final class MacroF1 {

  private MacroF1() {}

  static double of(Evaluation ev, int classes) {
    double sum = 0;
    int counted = 0;
    for (int c = 0; c < classes; c++) {
      long tp = ev.getConfusionMatrix().getCount(c, c);
      long support = ev.getConfusionMatrix().getActualTotal(c);
      long predicted = ev.getConfusionMatrix().getPredictedTotal(c);
      if (support == 0 && predicted == 0) {
        continue;
      }
      double precision = predicted == 0 ? 0 : (double) tp / predicted;
      double recall = support == 0 ? 0 : (double) tp / support;
      sum += precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
      counted++;
    }
    return counted == 0 ? 0 : sum / counted;
  }
}
