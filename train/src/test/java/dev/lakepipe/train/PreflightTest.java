package dev.lakepipe.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.typesafe.config.ConfigFactory;
import dev.lakepipe.core.config.ConfigProblems;
import org.junit.jupiter.api.Test;

class PreflightTest {

  private static TrainSettings settings(String train) {
    return TrainSettings.parse(ConfigFactory.parseString("train { " + train + " }"), null,
        new ConfigProblems("test"));
  }

  @Test
  void tinyIterationsAgainstAnExpensiveRoundAreWarnedWithTheNumbersAndTheFix() {
    // t = 0.5 ms, o = 40 ms, f = 5, w = 2: speed-up 2*5*0.5 / (2.5 + 40) = 0.1176; frequency for o <= t f / 4:
    // ceil(4 * 40 / 0.5) = 320.
    Preflight.Verdict v = Preflight.judge(0.5, 40, 2178, 2, settings("batch-size = 8, averaging.frequency = 5"));
    assertThat(v.predictedSpeedup()).isCloseTo(5.0 / 42.5, within(1e-12));
    assertThat(v.worthIt()).isFalse();
    assertThat(v.message()).isEqualTo("pre-flight WARNING: 0.50 ms per iteration against 40 ms per averaging "
        + "round (2,178 parameters): 2 workers are predicted at 0.12x one worker, so distributed training cannot "
        + "pay off here (DL4J: iterations of ~1 ms are too small to scale). Raise train.batch-size (now 8) so an "
        + "iteration does more work, or train.averaging.frequency (now 5) to about 320, or use train.workers = 1.");
  }

  @Test
  void aHeavyIterationPays() {
    // t = 25 ms, o = 30 ms, f = 4, w = 2: 2*4*25 / (100 + 30) = 1.538...
    Preflight.Verdict v = Preflight.judge(25, 30, 263106, 2, settings("averaging.frequency = 4"));
    assertThat(v.predictedSpeedup()).isCloseTo(200.0 / 130.0, within(1e-12));
    assertThat(v.worthIt()).isTrue();
    assertThat(v.message()).isEqualTo("pre-flight: 25.00 ms per iteration, 30 ms per averaging round "
        + "(263,106 parameters): 2 workers should run about 1.5x as fast as one");
  }
}
