package dev.lakepipe.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lakepipe.core.LakepipeException;
import org.junit.jupiter.api.Test;

/**
 * The features stage's two conservation guards, which {@code FeaturesJob} calls on its counts before writing:
 * after splitting ({@link FeaturesJob#checkPlaced}) and after the transform ({@link FeaturesJob#checkGold}).
 * Counts that do not add up stop the stage with the job error, exit code 1.
 */
class FeaturesConservationTest {

  @Test
  void silverRowsNeitherPlacedNorQuarantinedStopTheStage() {
    // 40 silver rows, 37 placed + 2 quarantined = 39.
    assertThatThrownBy(() -> FeaturesJob.checkPlaced(40, 37, 2))
        .isInstanceOfSatisfying(LakepipeException.class, e -> assertThat(e.exitCode()).isEqualTo(1))
        .hasMessage("Cannot finish features: row conservation does not hold (40 silver rows, but 37 placed in "
            + "splits + 2 quarantined). This is a bug; please report it with the run_id.");
    assertThatCode(() -> FeaturesJob.checkPlaced(40, 38, 2)).doesNotThrowAnyException();
  }

  @Test
  void goldWithOtherThanOneOriginalRowPerPlacedRowStopsTheStage() {
    // 38 placed; gold has 45 rows of which 6 augmented: 39 originals, one too many.
    assertThatThrownBy(() -> FeaturesJob.checkGold(38, 45, 6))
        .isInstanceOfSatisfying(LakepipeException.class, e -> assertThat(e.exitCode()).isEqualTo(1))
        .hasMessage("Cannot finish features: row conservation does not hold (38 rows placed in splits, but gold "
            + "has 39 original rows). This is a bug; please report it with the run_id.");
    assertThatCode(() -> FeaturesJob.checkGold(38, 44, 6)).doesNotThrowAnyException();
  }
}
