package dev.lakepipe.app;

import java.util.List;
import picocli.CommandLine.Command;

@Command(name = "run", mixinStandardHelpOptions = true,
    description = "Run every stage that exists, in order (ingest, clean, features, train, evaluate), in one Spark application.")
final class RunCommand extends StageCommand {
  @Override
  List<Stages.Stage> stages() {
    return Stages.ORDER;
  }
}
