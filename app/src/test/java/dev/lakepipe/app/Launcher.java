package dev.lakepipe.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the real launcher, {@code ./lakepipe}, as a user does: a separate JVM from {@code app/target/lakepipe-job.jar}
 * with {@code app/target/spark-classpath.txt}, logging as {@code conf/log4j2.properties} says. For tests that
 * run after {@code package} (the launcher would build otherwise). The launcher {@code exec}s Java, so the process
 * is the JVM itself and {@link Process#destroyForcibly()} is {@code kill -9} of the run.
 */
final class Launcher {

  /** One finished launcher run: its exit code and what it printed to each stream. */
  record Result(int code, String out, String err) {}

  static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();

  private final Path logDir;
  private int started;

  /** Launcher runs whose stdout, stderr and log file ({@code LAKEPIPE_LOG_FILE}) go under {@code logDir}. */
  Launcher(Path logDir) {
    this.logDir = logDir;
    assertThat(ROOT.resolve("app/target/lakepipe-job.jar")).as("run after mvn package").isRegularFile();
  }

  /** The log file the launcher's runs write ({@code LAKEPIPE_LOG_FILE}). */
  Path logFile() {
    return logDir.resolve("lakepipe.log");
  }

  /** Starts {@code ./lakepipe args...}; stdout and stderr go to files {@link #finish} reads. */
  Process start(String... args) throws IOException {
    return start(java.util.Map.of(), args);
  }

  /** As {@link #start(String...)}, with {@code env} added to the launcher's environment. */
  Process start(java.util.Map<String, String> env, String... args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(ROOT.resolve("lakepipe").toString());
    command.addAll(List.of(args));
    int n = ++started;
    ProcessBuilder pb = new ProcessBuilder(command).directory(ROOT.toFile())
        .redirectOutput(logDir.resolve("run-" + n + ".out").toFile())
        .redirectError(logDir.resolve("run-" + n + ".err").toFile());
    pb.environment().put("LAKEPIPE_LOG_FILE", logFile().toString());
    pb.environment().put("LAKEPIPE_DRIVER_MEMORY", "1g");
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    pb.environment().putAll(env);
    Files.createDirectories(logDir);
    return pb.start();
  }

  /** What the {@code n}-th started run has printed to stdout so far. */
  String out(int n) throws IOException {
    return Files.readString(logDir.resolve("run-" + n + ".out"));
  }

  /** What the {@code n}-th started run has printed to stderr so far. */
  String err(int n) throws IOException {
    return Files.readString(logDir.resolve("run-" + n + ".err"));
  }

  /** Waits (up to 5 minutes) for the {@code n}-th started run and returns what it printed. */
  Result finish(Process p, int n) throws IOException, InterruptedException {
    boolean done = p.waitFor(5, TimeUnit.MINUTES);
    if (!done) {
      p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
    Result r = new Result(p.exitValue(), Files.readString(logDir.resolve("run-" + n + ".out")),
        Files.readString(logDir.resolve("run-" + n + ".err")));
    assertThat(done).as("launcher run %d finished in 5 minutes; stderr:%n%s", n, r.err()).isTrue();
    return r;
  }

  /** Runs {@code ./lakepipe args...} to the end. */
  Result run(String... args) throws IOException, InterruptedException {
    Process p = start(args);
    return finish(p, started);
  }

  /** How many runs were started so far (the number of the last one). */
  int started() {
    return started;
  }
}
