package dev.lakepipe.evaluate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lakepipe.core.LakepipeException;
import org.junit.jupiter.api.Test;

/**
 * The score stage's conservation guard ({@link ScoreJob#checkConservation}, which {@code ScoreJob} calls on its
 * counts before writing): counts that do not add up stop the stage with the job error, exit code 1.
 */
class ScoreConservationTest {

  @Test
  void rowsNeitherScoredNorQuarantinedStopTheStageWithExitCode1() {
    // 20 read, 12 + 3 + 2 + 1 + 1 = 19 accounted for.
    assertThatThrownBy(() -> ScoreJob.checkConservation(20, 12, 3, 2, 1, 1))
        .isInstanceOfSatisfying(LakepipeException.class, e -> assertThat(e.exitCode()).isEqualTo(1))
        .hasMessage("Cannot finish score: row conservation does not hold (20 rows read, but 12 scored + 3 "
            + "unreadable + 2 rejected by clean's rules + 1 missing a required value + 1 failed to score). This is "
            + "a bug; please report it with the run_id.");
    assertThatCode(() -> ScoreJob.checkConservation(20, 13, 3, 2, 1, 1)).doesNotThrowAnyException();
  }
}
