package dev.lakepipe.train;

import org.nd4j.evaluation.classification.Evaluation;

/**
 * Macro-averaged F1 over every class, from a DL4J confusion matrix. DL4J's own macro F1 leaves out classes
 * that were never predicted nor present; here a class with no true and no predicted rows counts as F1 0 only if
 * it has support, and classes without support are left out (scikit-learn's rule with {@code labels} = the
 * classes present).
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
