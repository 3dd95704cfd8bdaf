package dev.lakepipe.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lakepipe.core.LakepipeException;
import org.junit.jupiter.api.Test;

/**
 * The ingest stage's conservation guard ({@link IngestJob#checkInserted}, which {@code IngestJob} calls after
 * the bronze MERGE and before the ingest log): a MERGE that inserted another number of rows than the per-file
 * counts call new stops the stage with the job error, exit code 1.
 */
class IngestConservationTest {

  @Test
  void aMergeThatInsertedOtherThanTheNewRowsStopsTheStageWithExitCode1() {
    // 12 new rows by the per-file counts (read - quarantined - already present), 11 inserted.
    assertThatThrownBy(() -> IngestJob.checkInserted(11, 12))
        .isInstanceOfSatisfying(LakepipeException.class, e -> assertThat(e.exitCode()).isEqualTo(1))
        .hasMessage("Cannot finish ingest: row conservation does not hold (bronze MERGE inserted 11 rows but 12 "
            + "were new; a key column may not be unique (check key-column of JDBC sources)). This is a bug; "
            + "please report it with the run_id.");
    assertThatCode(() -> IngestJob.checkInserted(12, 12)).doesNotThrowAnyException();
  }
}
