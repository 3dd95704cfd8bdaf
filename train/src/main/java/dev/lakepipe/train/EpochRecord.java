package dev.lakepipe.train;

/**
 * What one epoch did; a row of {@code results.training_history} and part of a checkpoint's state.
 *
 * @param epoch 1-based
 * @param iteration the network's iteration count after the epoch (iterations per worker so far)
 * @param learningRate the rate of the epoch's last iteration
 * @param trainLoss the workers' mean minibatch loss at the epoch's last averaging round (class-weighted)
 * @param validationLoss mean class-weighted loss over the validation split
 * @param validationAccuracy accuracy on the validation split
 * @param validationMacroF1 macro-averaged F1 on the validation split
 * @param examplesPerSecond train examples of the epoch over its fit time
 * @param seconds the epoch's wall time, validation included
 * @param bestSoFar whether this epoch is the best so far on the early-stopping metric
 */
public record EpochRecord(int epoch, long iteration, double learningRate, double trainLoss, double validationLoss,
    double validationAccuracy, double validationMacroF1, double examplesPerSecond, double seconds,
    boolean bestSoFar) {

  /** The value of an early-stopping metric. */
  public double metric(String name) {
    return switch (name) {
      case "accuracy" -> validationAccuracy;
      case "validation_loss" -> validationLoss;
      default -> validationMacroF1;
    };
  }
}
