package dev.lakepipe.train;

import dev.lakepipe.core.RunContext;
import dev.lakepipe.core.testing.SparkTestSession;
import java.nio.file.Path;

/** Trains in a JVM of its own, for the kill-and-resume test: {@code TrainMain <warehouse> <run-id> <train conf>}. */
public final class TrainMain {

  private TrainMain() {}

  public static void main(String[] args) {
    Path warehouse = Path.of(args[0]);
    TrainJob.run(SparkTestSession.get(), TrainFixture.config(warehouse, args[2]), RunContext.of(args[1]),
        TrainJob.Mode.FRESH, line -> System.out.println(line));
    System.exit(0);
  }
}
