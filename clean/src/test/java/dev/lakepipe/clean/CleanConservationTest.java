package dev.lakepipe.clean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lakepipe.core.LakepipeException;
import org.junit.jupiter.api.Test;

/**
 * The clean stage's conservation guard ({@link CleanJob#checkConservation}, which {@code CleanJob} calls on its
 * counts before writing): counts that do not add up stop the stage with the job error, exit code 1.
 */
class CleanConservationTest {

  @Test
  void countsThatDoNotAddUpStopTheStageWithExitCode1() {
    // 10 in, 6 + 2 + 1 + 0 = 9 accounted for: one row lost.
    assertThatThrownBy(() -> CleanJob.checkConservation(10, 6, 2, 1, 0))
        .isInstanceOfSatisfying(LakepipeException.class, e -> assertThat(e.exitCode()).isEqualTo(1))
        .hasMessage("Cannot finish clean: row conservation does not hold (10 in, but 6 kept + 2 exact + 1 near "
            + "duplicates + 0 quarantined). This is a bug; please report it with the run_id.");
    // 10 in, 6 + 2 + 1 + 2 = 11 accounted for: one row counted twice.
    assertThatThrownBy(() -> CleanJob.checkConservation(10, 6, 2, 1, 2))
        .isInstanceOfSatisfying(LakepipeException.class, e -> assertThat(e.exitCode()).isEqualTo(1))
        .hasMessageContaining("(10 in, but 6 kept + 2 exact + 1 near duplicates + 2 quarantined)");
    assertThatCode(() -> CleanJob.checkConservation(10, 6, 2, 1, 1)).doesNotThrowAnyException();
  }
}
