package dev.lakepipe.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A Spark standalone cluster on 127.0.0.1 started from the Maven jars: one Master and two Workers, each a JVM
 * of its own ({@code org.apache.spark.deploy.master.Master}, {@code org.apache.spark.deploy.worker.Worker}) with
 * Spark's jars ({@code target/spark-classpath.txt}) as classpath and the Java 17 flags
 * ({@code target/lakepipe-jvm.options}). Each worker offers 1 core and 2 GB, so an application asking for 2
 * cores of 1 per executor gets one executor JVM on each worker.
 *
 * <p>Workers launch executors (and, in cluster deploy mode, drivers) with {@code $SPARK_HOME/jars/*} as their
 * classpath, so the fixture builds a {@code SPARK_HOME} under {@code app/target/standalone-spark-home} whose
 * {@code jars/} links the entries of {@code spark-classpath.txt}, and sets {@code SPARK_SCALA_VERSION=2.12}
 * (Spark's launcher cannot tell the Scala version without a distribution's layout). Ports are free ones picked
 * at start; the workers' work folders ({@code work-1}, {@code work-2}, one {@code app-*}/{@code <executor id>}
 * folder per executor, {@code driver-*} per driver) are under the folder given. {@link #close()} kills what
 * the workers started (executors, drivers), then the workers and the master.
 */
final class StandaloneCluster implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long START_DEADLINE_SECONDS = 180;

  private final Path dir;
  private final Path sparkHome;
  private final List<Process> processes = new ArrayList<>();
  private final List<Path> workDirs = new ArrayList<>();
  private int masterPort;
  private int webUiPort;

  private StandaloneCluster(Path dir, Path sparkHome) {
    this.dir = dir;
    this.sparkHome = sparkHome;
  }

  /** Starts a master and two workers with logs and work folders under {@code dir}; waits until both registered. */
  static StandaloneCluster start(Path dir) throws IOException, InterruptedException {
    Path target = Launcher.ROOT.resolve("app/target");
    Files.createDirectories(dir);
    StandaloneCluster cluster = new StandaloneCluster(dir, sparkHome(target));
    try {
      cluster.startProcesses(target);
      cluster.awaitWorkers();
      return cluster;
    } catch (IOException | InterruptedException | RuntimeException | Error e) {
      cluster.close();
      throw e;
    }
  }

  /** {@code spark://127.0.0.1:<port>}. */
  String masterUrl() {
    return "spark://127.0.0.1:" + masterPort;
  }

  /** The {@code SPARK_HOME} the workers use (the environment spark-submit needs too). */
  Path sparkHome() {
    return sparkHome;
  }

  /** The two workers' work folders. */
  List<Path> workDirs() {
    return List.copyOf(workDirs);
  }

  /** The master's state as its web UI's {@code /json/} gives it (workers, apps, drivers). */
  JsonNode state() throws IOException {
    URL url = URI.create("http://127.0.0.1:" + webUiPort + "/json/").toURL();
    try (InputStream in = url.openStream()) {
      return JSON.readTree(in);
    }
  }

  /** Polls {@link #state()} until {@code done} holds, at most {@code seconds}; returns that state. */
  JsonNode await(String what, long seconds, Predicate<JsonNode> done) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    JsonNode last = null;
    while (System.nanoTime() < deadline) {
      try {
        last = state();
        if (done.test(last)) {
          return last;
        }
      } catch (IOException notYetUp) {
        // the master's UI is still starting
      }
      Thread.sleep(500);
    }
    throw new AssertionError("The standalone cluster did not reach '" + what + "' within " + seconds
        + " s; last master state: " + last + "; logs under " + dir);
  }

  private static Path sparkHome(Path target) throws IOException {
    Path home = target.resolve("standalone-spark-home");
    Path jars = Files.createDirectories(home.resolve("jars"));
    for (String entry : Files.readString(target.resolve("spark-classpath.txt")).trim().split(":")) {
      Path jar = Path.of(entry);
      Path link = jars.resolve(jar.getFileName().toString());
      if (!Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        Files.createSymbolicLink(link, jar);
      }
    }
    return home;
  }

  private void startProcesses(Path target) throws IOException {
    masterPort = freePort();
    webUiPort = freePort();
    processes.add(jvm(target, "master", List.of("org.apache.spark.deploy.master.Master",
        "--host", "127.0.0.1", "--port", String.valueOf(masterPort), "--webui-port", String.valueOf(webUiPort))));
    for (int w = 1; w <= 2; w++) {
      Path work = Files.createDirectories(dir.resolve("work-" + w));
      workDirs.add(work);
      processes.add(jvm(target, "worker-" + w, List.of("org.apache.spark.deploy.worker.Worker",
          "--host", "127.0.0.1", "--port", "0", "--webui-port", "0", "--cores", "1", "--memory", "2g",
          "--work-dir", work.toString(), masterUrl())));
    }
  }

  private Process jvm(Path target, String name, List<String> mainAndArgs) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(Arrays.asList(Files.readString(target.resolve("lakepipe-jvm.options")).trim().split("\\s+")));
    command.add("-Xmx256m");
    command.addAll(List.of("-cp", Files.readString(target.resolve("spark-classpath.txt")).trim()));
    command.addAll(mainAndArgs);
    ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
        .redirectOutput(dir.resolve(name + ".log").toFile());
    environment(pb);
    return pb.start();
  }

  /** What every JVM of the cluster, and spark-submit talking to it, needs in its environment. */
  void environment(ProcessBuilder pb) {
    pb.environment().put("SPARK_HOME", sparkHome.toString());
    pb.environment().put("SPARK_SCALA_VERSION", "2.12");
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
  }

  private void awaitWorkers() throws InterruptedException {
    await("2 workers ALIVE", START_DEADLINE_SECONDS, s -> s.path("aliveworkers").asInt() == 2);
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Override
  public void close() {
    // Executors and drivers are the workers' children: kill them first, or they outlive a killed worker.
    for (Process p : processes) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
    }
    for (Process p : processes) {
      p.destroyForcibly();
    }
    for (Process p : processes) {
      try {
        p.waitFor(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
