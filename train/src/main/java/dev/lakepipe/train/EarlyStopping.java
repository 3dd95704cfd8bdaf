package dev.lakepipe.train;

/**
 * Early stopping on a validation metric: the best epoch so far and how many epochs have passed without an
 * improvement of more than {@code minDelta}. Immutable; {@link #observe} gives the state after one more epoch.
 *
 * @param bestEpoch the best epoch so far (1-based; 0 before the first)
 * @param best its metric value (NaN before the first epoch)
 * @param sinceBest epochs since the best one
 */
public record EarlyStopping(int bestEpoch, double best, int sinceBest) {

  /** Before any epoch. */
  public static EarlyStopping start() {
    return new EarlyStopping(0, Double.NaN, 0);
  }

  /**
   * The state after {@code epoch} scored {@code value}. The first epoch is always the best so far; later ones
   * must beat the best by more than {@code minDelta} (up for metrics where higher is better, down for
   * {@code validation_loss}). A NaN value never improves.
   */
  public EarlyStopping observe(int epoch, double value, TrainSettings.EarlyStopping s) {
    boolean improved;
    if (Double.isNaN(value)) {
      improved = false;
    } else if (bestEpoch == 0) {
      improved = true;
    } else {
      improved = s.higherIsBetter() ? value > best + s.minDelta() : value < best - s.minDelta();
    }
    return improved ? new EarlyStopping(epoch, value, 0) : new EarlyStopping(bestEpoch, best, sinceBest + 1);
  }

  /** Whether {@code epoch} is the best so far. */
  public boolean isBest(int epoch) {
    return bestEpoch == epoch;
  }

  /** Whether to stop: {@code patience} epochs in a row without improvement. */
  public boolean shouldStop(TrainSettings.EarlyStopping s) {
    return sinceBest >= s.patience();
  }
}
