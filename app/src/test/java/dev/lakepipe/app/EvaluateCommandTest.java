package dev.lakepipe.app;

import static dev.lakepipe.app.CliConfigErrorsTest.cli;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lakepipe.app.CliConfigErrorsTest.Result;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The evaluate and score commands' help and conf checks; no Spark starts (the conf is refused first). */
class EvaluateCommandTest {

  @TempDir
  Path dir;

  @Test
  void helpListsEvaluateAndScoreWithTheirOptions() {
    Result top = cli("--help");
    assertThat(top.out().lines().map(String::strip))
        .anyMatch(l -> l.startsWith("evaluate "))
        .anyMatch(l -> l.startsWith("score "));
    assertThat(cli("evaluate", "--help").out()).contains("--model", "--drift-from", "results.model_registry",
        "evaluate.gate");
    assertThat(cli("score", "--help").out()).contains("--source", "--model", "results.scores", "ops.quarantine");
    assertThat(cli("run", "--help").out().replaceAll("\\s+", " ")).contains("train, evaluate)");
  }

  @Test
  void aBadEvaluateSectionIsRefusedWithEveryProblemBeforeSparkStarts() throws IOException {
    Path conf = Files.writeString(dir.resolve("app.conf"), """
        dataset { name = "t", columns { id = id, text = [text], label = label } }
        evaluate {
          splits = [train]
          bootstrap { replicates = -1 }
          gate { min { macro_f2 = 0.8 }, max-drop { macro_f1 = 0.02 } }
        }
        """);
    Result r = cli("evaluate", "--conf", conf.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains(
        "Key evaluate.splits names 'train'. Use test and / or validation",
        "Key evaluate.bootstrap.replicates must be at least 0, got -1.",
        "Unknown key evaluate.gate.min.macro_f2. Did you mean 'evaluate.gate.min.macro_f1'?");
  }
}
