package dev.lakepipe.app;

import java.util.List;
import picocli.CommandLine.Command;

@Command(name = "run", mixinStandardHelpOptions = true,
    description = "Run every stage that exists, in order (now: ingest, clean, features, train), in one Spark application.")
final class RunCommand extends StageCommand {
  @Override
  List<Stages.Stage> stages() {
    return Stages.ORDER;
  }
}
