package dev.lakepipe.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakepipe.app.cluster.MiniYarn;
import dev.lakepipe.core.testing.SparkTestBase;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ApplicationReport;
import org.apache.hadoop.yarn.api.records.FinalApplicationStatus;
import org.apache.hadoop.yarn.api.records.YarnApplicationState;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructField;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job jar on YARN with its tables on HDFS, submitted as docs/deploy.md says: {@code SparkSubmit} in a separate
 * JVM with Spark's own jars (plus spark-yarn) and {@code HADOOP_CONF_DIR} on its classpath, against a
 * {@link MiniYarn} cluster (HDFS + YARN with two node managers) that the class starts once. Containers take Spark
 * from {@code spark.yarn.jars=local:app/target/yarn-spark-jars/*}, a folder of links to Spark's Maven jars.
 *
 * <p>The sources are copied to HDFS and the warehouse is {@code hdfs://.../lakehouse}, so every read and write of
 * the driver and the executors goes through HDFS. The same data and conf run in-process on {@code local[2]} (the
 * reference); every table the YARN runs write must equal it row for row.
 */
class YarnClusterIT extends SparkTestBase {

  private static final Duration START_DEADLINE = Duration.ofMinutes(2);
  private static final long SUBMIT_DEADLINE_MINUTES = 20;
  private static final String RUN_ID = "20261129T120000Z";

  @TempDir
  static Path dir;

  private static MiniYarn yarn;
  private static Path repo;
  private static Path jobJar;
  private static Path sparkJars;
  private static String jvmFlags;
  private static Path localIn;
  private static Path reference;
  private static ExecutorService submitters;
  private static CompletableFuture<Submission> client;
  private static CompletableFuture<Submission> cluster;

  @BeforeAll
  static void startClusterAndRunReference() throws Exception {
    Path target = Path.of(System.getProperty("user.dir")).resolve("target");
    repo = target.getParent().getParent();
    jobJar = target.resolve("lakepipe-job.jar");
    assertThat(jobJar).as("run after mvn package").isRegularFile();
    sparkJars = sparkJarsFolder(target);
    jvmFlags = Files.readString(target.resolve("lakepipe-jvm.options")).trim()
        // ND4J's natives unpack into the repository's target/, not the home folder (as the launcher does).
        + " -Dorg.bytedeco.javacpp.cachedir=" + repo.resolve("target/javacpp") + " -Duser.timezone=UTC";

    localIn = TinyDataset.writeSources(dir.resolve("in"));
    yarn = MiniYarn.start(dir.resolve("yarn"), START_DEADLINE);
    yarn.fileSystem().copyFromLocalFile(new org.apache.hadoop.fs.Path(localIn.toUri()),
        new org.apache.hadoop.fs.Path("/data/in"));

    submitters = Executors.newFixedThreadPool(2);
    // One application after the other (both at once need more memory than a shared 24 GiB machine spares);
    // the reference runs in this JVM meanwhile.
    Path clientConf = confFolder("client");
    client = CompletableFuture.supplyAsync(() -> submit("client", List.of("--deploy-mode", "client",
            "--conf", "spark.yarn.am.extraJavaOptions=" + jvmFlags),
        List.of("run", "--conf", clientConf.resolve("tiny.conf").toString(), "--env", "yarn", "--run-id", RUN_ID,
            "--set", "tables.warehouse=" + warehouse("client"))), submitters);
    Path clusterConf = confFolder("cluster");
    cluster = client.handle((result, failure) -> result).thenApplyAsync(any -> submit("cluster", List.of(
            "--deploy-mode", "cluster",
            "--files", clusterConf.resolve("tiny.conf") + "," + clusterConf.resolve("yarn.conf")),
        // Ingest only: what cluster mode adds (the driver in the application master's container, the conf shipped
        // with --files, main returning rather than exiting) is the same for every stage, and each stage costs
        // minutes here; the client-mode run takes every stage through YARN and HDFS. `run` in cluster mode was
        // run once in full (every stage, tables equal to the reference, 888 s under load).
        List.of("ingest", "--conf", "tiny.conf", "--env", "yarn", "--run-id", RUN_ID,
            "--set", "tables.warehouse=" + warehouse("cluster"))), submitters);

    // The reference while they run: the same data and conf in this JVM on local[2], with the same run id.
    Path conf = Files.createDirectories(dir.resolve("reference")).resolve("tiny.conf");
    Files.writeString(conf, TinyDataset.conf(localIn.toString()), StandardCharsets.UTF_8);
    reference = dir.resolve("reference/lakehouse");
    for (String stage : List.of("ingest", "clean", "features")) {
      StringWriter out = new StringWriter();
      StringWriter err = new StringWriter();
      int code = LakepipeCli.execute(new String[] {stage, "--conf", conf.toString(), "--run-id", RUN_ID,
          "--set", "tables.warehouse=" + reference}, new PrintWriter(out, true), new PrintWriter(err, true));
      assertThat(code).as("reference %s: %s%n%s", stage, out, err).isZero();
    }
  }

  @AfterAll
  static void stopCluster() throws Exception {
    try {
      for (CompletableFuture<Submission> f : Arrays.asList(client, cluster)) {
        if (f != null) {
          // Failures are the tests' to report; here only wait until no submission is running.
          f.handle((result, failure) -> result).get(2 * SUBMIT_DEADLINE_MINUTES + 1, TimeUnit.MINUTES);
        }
      }
    } finally {
      if (submitters != null) {
        submitters.shutdownNow();
      }
      if (yarn != null) {
        yarn.close();
      }
    }
  }

  @Test
  void clientModeRunsThePipelineOnTwoExecutorContainers() throws Exception {
    Submission s = client.get();
    String warehouse = warehouse("client");
    assertSucceeded(s);
    // files, read, written, quarantined, already present (TinyDataset's counts).
    Map<String, long[]> report = TinyDataset.reportRows(s.output);
    assertThat(report.get("crm")).as(s.output).containsExactly(1, 3, 2, 1, 0);
    assertThat(report.get("export")).as(s.output).containsExactly(2, 45, 44, 1, 0);
    assertThat(s.output).contains("clean (run ", "features (run ", "train (run ", "evaluate (run ");

    // The executors ran in their own YARN containers: the node managers kept one folder per container of the
    // application, the application master's (..._000001, ExecutorLauncher in client mode) and one per executor,
    // whose stderr shows an executor JVM of its own (its process id) that registered with the driver and ran
    // tasks.
    List<Path> containers = yarn.containerLogDirs(s.app);
    Map<String, String> executorPids = new TreeMap<>();
    for (Path c : containers) {
      String stderr = Files.readString(c.resolve("stderr"));
      // Not "YarnCoarseGrainedExecutorBackend" alone: the application master logs the executors' commands.
      if (stderr.contains("YarnCoarseGrainedExecutorBackend: Successfully registered with driver")) {
        assertThat(c.getFileName().toString()).doesNotEndWith("_000001");
        assertThat(stderr).as(c.toString()).containsPattern("Running task \\S+ in stage");
        executorPids.put(c.getFileName().toString(), pid(stderr, c));
      }
    }
    assertThat(executorPids).as("executor containers of %s among %s", s.app, containers)
        .hasSizeGreaterThanOrEqualTo(2);
    assertThat(new HashSet<>(executorPids.values())).as("one JVM per executor container: %s", executorPids)
        .hasSize(executorPids.size()).doesNotContain(Long.toString(s.submitPid));
    assertThat(containers).anyMatch(c -> c.getFileName().toString().endsWith("_000001"));

    assertTablesEqualReference(warehouse, List.of("bronze/records", "silver/records", "ops/duplicates",
        "ops/quarantine", "gold/dataset"));
    // Train and evaluate wrote to HDFS too: one model, and one prediction per test record.
    assertThat(yarn.fileSystem().globStatus(new org.apache.hadoop.fs.Path("/client/lakehouse/_models/*/model.json")))
        .hasSize(1);
    long tests = spark.read().format("delta").load(warehouse + "/gold/dataset").where("split = 'test'").count();
    assertThat(spark.read().format("delta").load(warehouse + "/results/predictions").count()).isEqualTo(tests);
  }

  @Test
  void clusterModeRunsIngestWithTheDriverInAContainer() throws Exception {
    Submission s = cluster.get();
    assertSucceeded(s);
    // The driver ran in the application master's container, not in spark-submit's JVM: the stage summaries
    // are in that container's log, not in spark-submit's output.
    Path driver = yarn.containerLogDirs(s.app).stream()
        .filter(c -> c.getFileName().toString().endsWith("_000001")).findFirst().orElseThrow();
    String driverLog = Files.readString(driver.resolve("stdout")) + Files.readString(driver.resolve("stderr"));
    assertThat(driverLog).as("driver log %s", driver).contains("ingest (run " + RUN_ID);
    assertThat(s.output).as("spark-submit's own output").doesNotContain("ingest (run ");
    assertThat(driverLog).contains("YarnClusterScheduler");
    assertTablesEqualReference(warehouse("cluster"), List.of("bronze/records", "ops/quarantine"));
  }

  private static void assertSucceeded(Submission s) throws Exception {
    assertThat(s.exitCode).as("spark-submit exit code; output:%n%s", s.output).isZero();
    ApplicationReport report = yarn.report(s.app);
    assertThat(report.getYarnApplicationState()).as(s.output).isEqualTo(YarnApplicationState.FINISHED);
    assertThat(report.getFinalApplicationStatus()).as(s.output).isEqualTo(FinalApplicationStatus.SUCCEEDED);
  }

  /** Each table equals the reference's row for row; for gold/dataset, the split of every record. */
  private void assertTablesEqualReference(String warehouse, List<String> tables) {
    for (String table : tables) {
      if (table.equals("gold/dataset")) {
        assertThat(splits(warehouse)).isEqualTo(splits(reference.toString())).isNotEmpty();
      } else {
        assertThat(rows(warehouse + "/" + table, yarnInput())).as(table)
            .containsExactlyElementsOf(rows(reference.resolve(table).toString(), localIn.toString())).isNotEmpty();
      }
    }
  }

  private static String warehouse(String name) {
    return yarn.defaultFs() + "/" + name + "/lakehouse";
  }

  private static String yarnInput() {
    return yarn.defaultFs() + "/data/in";
  }

  /** The columns stamped with the run's start time (RunContext.startedAt), which two runs cannot share. */
  private static final Set<String> WALL_TIME = Set.of("_ingested_at", "decided_at", "quarantined_at", "computed_at");

  /**
   * Quarantine's key: a hash over stage, source, file URI, row and reason, so an hdfs:// input and the reference's
   * file: input give different ids for the same row. Every column it is made of is compared (the URI with the input folder
   * replaced), so leaving the hash out loses nothing.
   */
  private static final Set<String> URI_HASHES = Set.of("_quarantine_id");

  /** Every row as text, source paths replaced by {@code <in>}, sorted; wall-time columns and URI hashes left out. */
  private static List<String> rows(String path, String in) {
    Dataset<Row> t = spark.read().format("delta").load(path);
    List<String> keep = new ArrayList<>();
    for (StructField f : t.schema().fields()) {
      if (!WALL_TIME.contains(f.name()) && !URI_HASHES.contains(f.name())) {
        keep.add(f.name());
      }
    }
    assertThat(keep).as("%s columns", path).hasSizeGreaterThan(1);
    return t.selectExpr(keep.stream().map(c -> "`" + c + "`").toArray(String[]::new)).collectAsList().stream()
        .map(r -> r.toString().replace("file:" + in, "<in>").replace(in, "<in>"))
        .sorted().toList();
  }

  private static Map<String, String> splits(String warehouse) {
    Map<String, String> out = new TreeMap<>();
    spark.read().format("delta").load(warehouse + "/gold/dataset").select("id", "split").collectAsList()
        .forEach(r -> out.put(r.getString(0), r.getString(1)));
    return out;
  }

  private static Path confFolder(String name) throws IOException {
    Path confDir = Files.createDirectories(dir.resolve(name + "-conf"));
    Files.writeString(confDir.resolve("tiny.conf"), TinyDataset.conf(yarnInput()), StandardCharsets.UTF_8);
    Files.copy(repo.resolve("conf/yarn.conf"), confDir.resolve("yarn.conf"));
    return confDir;
  }

  private record Submission(int exitCode, String output, ApplicationId app, long submitPid) {}

  /**
   * Runs SparkSubmit with --master yarn in its own JVM and waits for it; finds the application it started by its
   * tag. A submission that runs out of time is killed, with its YARN application.
   */
  private static Submission submit(String name, List<String> sparkArgs, List<String> appArgs) {
    String tag = "lakepipe-it-" + name;
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(Arrays.asList(jvmFlags.split("\\s+")));
    // In cluster mode spark-submit only submits and polls; in client mode it is the driver.
    command.add(sparkArgs.contains("cluster") ? "-Xmx256m" : "-Xmx1g");
    command.add("-Dlog4j2.configurationFile=" + repo.resolve("conf/log4j2.properties"));
    command.add("-Dlakepipe.log.file=" + dir.resolve(name + "-lakepipe.log"));
    // What bin/spark-submit puts on its classpath: Spark's jars and HADOOP_CONF_DIR.
    command.addAll(List.of("-cp", sparkJars + "/*" + java.io.File.pathSeparator + yarn.hadoopConfDir(),
        "org.apache.spark.deploy.SparkSubmit",
        "--master", "yarn",
        "--conf", "spark.yarn.jars=local:" + sparkJars + "/*",
        "--conf", "spark.driver.extraJavaOptions=" + jvmFlags,
        "--conf", "spark.executor.extraJavaOptions=" + jvmFlags,
        "--num-executors", "2", "--executor-cores", "1", "--executor-memory", "640m", "--driver-memory", "1g",
        "--conf", "spark.yarn.am.memory=512m",
        "--conf", "spark.yarn.tags=" + tag,
        "--conf", "spark.ui.enabled=false"));
    command.addAll(sparkArgs);
    command.addAll(List.of("--class", "dev.lakepipe.app.LakepipeCli", jobJar.toString()));
    command.addAll(appArgs);
    Path log = dir.resolve(name + "-spark-submit.log");
    ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
        .redirectOutput(log.toFile());
    pb.environment().put("HADOOP_CONF_DIR", yarn.hadoopConfDir().toString());
    pb.environment().put("SPARK_SCALA_VERSION", "2.12");
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    try {
      Process p = pb.start();
      boolean finished;
      try {
        finished = p.waitFor(SUBMIT_DEADLINE_MINUTES, TimeUnit.MINUTES);
      } finally {
        if (p.isAlive()) {
          p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
          yarn.killTagged(tag);
        }
      }
      String output = Files.readString(log);
      assertThat(finished).as("%s: spark-submit finished within %d minutes; output:%n%s", name,
          SUBMIT_DEADLINE_MINUTES, output).isTrue();
      List<ApplicationReport> apps = yarn.applicationsTagged(tag);
      assertThat(apps).as("%s: applications tagged %s; output:%n%s", name, tag, output).hasSize(1);
      return new Submission(p.exitValue(), output, apps.get(0).getApplicationId(), p.pid());
    } catch (Exception e) {
      throw new IllegalStateException("Cannot run spark-submit for " + name + ": " + e, e);
    }
  }

  private static final Pattern DAEMON = Pattern.compile("Started daemon with process name: (\\d+)@");

  private static String pid(String stderr, Path container) {
    Matcher m = DAEMON.matcher(stderr);
    assertThat(m.find()).as("process id in %s/stderr", container).isTrue();
    return m.group(1);
  }

  /**
   * Spark's jars for spark-submit and the containers: the entries of target/spark-classpath.txt plus spark-yarn
   * (a test dependency here; a YARN cluster's Spark has it), linked into target/yarn-spark-jars.
   */
  private static Path sparkJarsFolder(Path target) throws Exception {
    Path folder = target.resolve("yarn-spark-jars");
    if (Files.isDirectory(folder)) {
      try (Stream<Path> old = Files.list(folder)) {
        for (Path f : old.toList()) {
          Files.delete(f);
        }
      }
    }
    Files.createDirectories(folder);
    List<Path> jars = new ArrayList<>();
    for (String e : Files.readString(target.resolve("spark-classpath.txt")).trim().split(java.io.File.pathSeparator)) {
      jars.add(Path.of(e));
    }
    jars.add(Path.of(Class.forName("org.apache.spark.deploy.yarn.Client").getProtectionDomain().getCodeSource()
        .getLocation().toURI()));
    for (Path jar : jars) {
      Path link = folder.resolve(jar.getFileName());
      if (!Files.exists(link)) {
        Files.createSymbolicLink(link, jar);
      }
    }
    return folder;
  }
}
