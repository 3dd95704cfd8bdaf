package dev.lakepipe.core.model;

import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * The learning rate per iteration: a linear warm-up, then cosine annealing down to a floor.
 *
 * <ul>
 *   <li>iteration {@code i < warmup}: {@code base × (i + 1) / warmup} (the first iteration already learns; the
 *       last warm-up iteration reaches {@code base});</li>
 *   <li>{@code warmup ≤ i}: with {@code p = min(1, (i − warmup) / max(1, total − warmup))},
 *       {@code floor + (base − floor) × (1 + cos(π p)) / 2}: {@code base} at the end of the warm-up,
 *       {@code floor} from iteration {@code total} on.</li>
 * </ul>
 * The epoch argument is ignored: the schedule counts iterations, the network's own counter, which DL4J keeps
 * across epochs, averaging rounds and a checkpoint's resume. A DL4J {@link ISchedule} saved inside every model
 * zip (as its class name and these four numbers), so it lives in core: evaluate loads models with it.
 */
public final class WarmupCosineSchedule implements ISchedule {

  private static final long serialVersionUID = 1L;

  private final double base;
  private final double floor;
  private final int warmup;
  private final int total;

  public WarmupCosineSchedule(@JsonProperty("base") double base, @JsonProperty("floor") double floor,
      @JsonProperty("warmup") int warmup, @JsonProperty("total") int total) {
    if (!(base > 0) || floor < 0 || floor > base || warmup < 0 || total < warmup) {
      throw new IllegalArgumentException(String.format(java.util.Locale.ROOT, "Cannot build a learning-rate "
          + "schedule from base %s, floor %s, warm-up %d and total %d iterations: need base > 0, 0 <= floor <= "
          + "base and 0 <= warm-up <= total.", base, floor, warmup, total));
    }
    this.base = base;
    this.floor = floor;
    this.warmup = warmup;
    this.total = total;
  }

  @Override
  public double valueAt(int iteration, int epoch) {
    if (iteration < warmup) {
      return base * (iteration + 1) / warmup;
    }
    double progress = Math.min(1.0, (double) (iteration - warmup) / Math.max(1, total - warmup));
    return floor + (base - floor) * 0.5 * (1.0 + Math.cos(Math.PI * progress));
  }

  @Override
  public ISchedule clone() {
    return new WarmupCosineSchedule(base, floor, warmup, total);
  }

  @JsonProperty("base")
  public double base() {
    return base;
  }

  @JsonProperty("floor")
  public double floor() {
    return floor;
  }

  @JsonProperty("warmup")
  public int warmup() {
    return warmup;
  }

  @JsonProperty("total")
  public int total() {
    return total;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof WarmupCosineSchedule s && s.base == base && s.floor == floor && s.warmup == warmup
        && s.total == total;
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(base, floor, warmup, total);
  }

  @Override
  public String toString() {
    return "WarmupCosineSchedule(base=" + base + ", floor=" + floor + ", warmup=" + warmup + ", total=" + total
        + ")";
  }
}
