package dev.lakepipe.train;

import java.util.List;
import java.util.Locale;

/**
 * What a train run did, for the CLI and tests.
 *
 * @param modelVersion the version written to the model store
 * @param modelPath the model zip
 * @param history every epoch, resumed ones included
 * @param bestEpoch the epoch the model holds
 * @param metric the early-stopping metric
 * @param stopReason {@code max-epochs} or {@code early-stopping}
 * @param preflight the pre-flight verdict line
 * @param master averaging or sharing
 * @param workers the number of workers
 * @param trainRows train examples
 * @param majorityBaseline the validation macro-F1 of always predicting train's most frequent label
 */
public record TrainReport(String modelVersion, String modelPath, List<EpochRecord> history, int bestEpoch,
    String metric, String stopReason, String preflight, String master, int workers, long trainRows,
    double majorityBaseline) {

  /** The best epoch's record. */
  public EpochRecord best() {
    return history.stream().filter(r -> r.epoch() == bestEpoch).findFirst().orElseThrow();
  }

  public String table() {
    EpochRecord b = best();
    return String.format(Locale.ROOT, "model %s: best epoch %d of %d (%s), validation macro-F1 %.4f, accuracy "
            + "%.4f (majority-class baseline macro-F1 %.4f)%n%s%nmaster %s, %d workers, %,d train rows%nmodel: %s%n",
        modelVersion, bestEpoch, history.size(), stopReason, b.validationMacroF1(), b.validationAccuracy(),
        majorityBaseline, preflight, master, workers, trainRows, modelPath);
  }
}
