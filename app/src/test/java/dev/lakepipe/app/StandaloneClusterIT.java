package dev.lakepipe.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lakepipe.core.testing.SparkTestBase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job jar as clusters run it: {@code SparkSubmit} in a JVM of its own with only Spark's jars on the classpath
 * ({@code target/spark-classpath.txt}) and {@code lakepipe-job.jar} as the application, first on {@code local[2]}
 * (the reference), then on a real Spark standalone cluster ({@link StandaloneCluster}: a master and two workers,
 * executors in JVMs of their own): the whole pipeline in client deploy mode with one executor JVM killed while clean
 * runs and another while training runs, then an ingest whose driver is killed mid-write, re-run in cluster deploy
 * mode with the same run id. Catches what
 * in-process tests cannot: classes missing from or clashing in the shaded jar, unmerged service files (Delta's data
 * source), a main that does not exit, and what only separate executor JVMs show (serialisation, closures over
 * driver-only objects, ND4J's natives and the classpath on executors, lost executors and their tasks' retries).
 *
 * <p>One cluster and one data set ({@link TinyDataset}) for the class; every run uses run id {@code r1}, so the tables
 * of two runs are compared row for row, leaving out only the wall-clock columns ({@code _ingested_at},
 * {@code decided_at}, {@code quarantined_at}). The tests run in order: the cluster runs are compared with the
 * reference of the first. The faults ride on the client-mode run rather than on runs of their own: an undisturbed
 * cluster run would add nothing the reference comparison does not prove, and each run costs minutes on 2 cores.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StandaloneClusterIT extends SparkTestBase {

  private static final long DEADLINE_MINUTES = 15;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern CLEAN_ROW =
      Pattern.compile("(?m)^clean\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)\\s*$");
  /** The wall-clock columns: when a run started, so they differ between any two runs. */
  private static final Set<String> CLOCK_COLUMNS = Set.of("_ingested_at", "decided_at", "quarantined_at");

  @TempDir
  static Path dir;
  static Path target;
  static Path conf;
  static StandaloneCluster cluster;
  static Submitted reference;
  static Submitted client;
  /** The executors killed during the client run: clean's, then training's. */
  static CompletableFuture<List<Killed>> faults;

  /** An executor JVM killed (SIGKILL) once the job group {@code during} had started its first Spark job. */
  record Killed(String during, String executorId, String appId) {}

  /** A started spark-submit JVM, its output file and its event log folder. */
  record Submitted(Process process, Path log, Path events, Path warehouse) {}

  @BeforeAll
  static void startReferenceClusterAndClientRun() throws Exception {
    target = Launcher.ROOT.resolve("app/target");
    assertThat(target.resolve("lakepipe-job.jar")).as("run after mvn package").isRegularFile();
    conf = TinyDataset.write(dir);
    // Beside the conf as docs/deploy.md has it: --env standalone reads it (shuffle and Delta snapshot partitions).
    Files.copy(Launcher.ROOT.resolve("conf/standalone.conf"), dir.resolve("standalone.conf"));
    // The local[2] reference runs while the cluster starts and the client-mode run goes: the machine has 2
    // cores, but most of each run is JVM start-up and waiting.
    reference = submit("reference", null, List.of("--master", "local[2]"), "run", "r1", dir.resolve("lake-local"));
    cluster = StandaloneCluster.start(dir.resolve("cluster"));
    client = submit("client", cluster, clientMode(), "run", "r1", dir.resolve("lake-client"));
    // While the reference test waits, this thread kills one executor when clean starts and one when training does.
    faults = CompletableFuture.supplyAsync(() -> List.of(
        killAnExecutorOnceStarted(client, "CLEAN", ""),
        killAnExecutorOnceStarted(client, "TRAIN-r1-epoch-1", ": fit")));
  }

  @AfterAll
  static void stopCluster() {
    if (faults != null) {
      faults.cancel(true);
    }
    for (Submitted s : new Submitted[] {reference, client}) {
      if (s != null && s.process.isAlive()) {
        s.process.destroyForcibly();
      }
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  @Order(1)
  void thePipelineRunsFromTheShadedJarUnderSparkSubmitOnLocal2() throws Exception {
    String output = finish(reference);
    Path warehouse = reference.warehouse;

    // files, read, written, quarantined, already present (TinyDataset: derived there)
    Map<String, long[]> report = TinyDataset.reportRows(output);
    assertThat(report).as(output).containsOnlyKeys("crm", "export");
    assertThat(report.get("crm")).containsExactly(1, 3, 2, 1, 0);
    assertThat(report.get("export")).containsExactly(2, 45, 44, 1, 0);

    // Read back in this JVM, without the CLI: the exact rows the child wrote.
    List<Row> bronze = delta(warehouse, "bronze/records").groupBy("_source").count().orderBy("_source")
        .collectAsList();
    assertThat(bronze).extracting(r -> r.getString(0) + "=" + r.getLong(1)).containsExactly("crm=2", "export=44");
    List<String> ids = delta(warehouse, "bronze/records").select("id").orderBy("id").as(Encoders.STRING())
        .collectAsList();
    assertThat(ids).hasSize(46).contains("<c1@x>", "<c2@x>", "<e1@x>", "<e3@x>", "<m0@x>", "<m41@x>");
    assertThat(delta(warehouse, "ops/quarantine").count()).isEqualTo(2);
    // Clean conserves rows: 46 in = kept + exact + near duplicates + quarantined.
    long[] clean = cleanRow(output);
    assertThat(clean[0]).isEqualTo(46);
    assertThat(clean[1] + clean[2] + clean[3] + clean[4]).isEqualTo(46);

    // Clean, features, train and evaluate ran too, with Spark MLlib from Spark's jars and the rest (Delta,
    // Deeplearning4j and ND4J's natives) from the job jar.
    assertThat(output).contains("features (run r1)", "train (run r1)", "evaluate (run r1)");
    assertModelPredictionsAndReport(warehouse, output);
  }

  @Test
  @Order(2)
  void clientModeRunsEveryStageOnExecutorJvmsAndOutlivesAnExecutorKilledInCleanAndOneInTraining()
      throws Exception {
    String output = finish(client);
    List<Killed> killed = faults.get(1, TimeUnit.MINUTES);
    String appId = appId(client.events);
    List<JsonNode> events = events(client.events);

    // The two executors the application started with ran on one worker each, and every executor (the successors
    // too) was a JVM of its own, not the driver's: the worker's work folder holds app-*/<executor id>/stderr for
    // each.
    Map<String, String> executorLogs = executorLogs(appId);
    Map<String, String> workerOf = new TreeMap<>();
    executorLogs.keySet().forEach(k -> workerOf.put(k.substring(k.indexOf('/') + 1), k.substring(0, k.indexOf('/'))));
    assertThat(workerOf).as("executor id to worker").containsKeys("0", "1");
    assertThat(workerOf.get("0")).as("the first two executors on two workers").isNotEqualTo(workerOf.get("1"));
    Set<Long> pids = new TreeSet<>();
    for (String log : executorLogs.values()) {
      pids.add(pid(log));
    }
    assertThat(pids).hasSameSizeAs(executorLogs.values()).doesNotContain(client.process.pid());

    // The faults: each killed executor was removed and the worker started a successor (ids go 0, 1, 2, 3); the
    // tasks the dead JVMs were running are printed (a kill between two tasks loses none, and the stage still ran
    // without that executor from then on).
    assertThat(killed).extracting(Killed::appId).containsOnly(appId);
    List<String> removed = executorIds(events, "SparkListenerExecutorRemoved");
    assertThat(removed).as("executors removed").containsAll(killed.stream().map(Killed::executorId).toList());
    // The successor of clean's victim registered before training (features ran in between); training's victim's
    // successor may start after the last task, so it is not required.
    assertThat(executorIds(events, "SparkListenerExecutorAdded")).as("executors added").contains("0", "1", "2");
    System.out.printf("faults: killed %s of %s; tasks lost with them: %d%n", killed, appId, events.stream()
        .filter(e -> e.path("Event").asText().equals("SparkListenerTaskEnd")
            && e.path("Task End Reason").path("Reason").asText().equals("ExecutorLostFailure")).count());

    // Clean and training ran on more than one executor JVM, and every epoch's fit finished (Spark's event log).
    assertThat(executorsOfTasks(events, "CLEAN", "")).hasSizeGreaterThanOrEqualTo(2);
    assertThat(executorsOfTasks(events, "TRAIN-r1-epoch-", ": fit")).hasSizeGreaterThanOrEqualTo(2);
    // Executor JVMs loaded ND4J's natives and trained. Not "every executor with a fit task": a fit job's first
    // stage orders the minibatch paths without ND4J, and training's victim may die after such a task.
    assertThat(executorLogs.values()).filteredOn(log -> log.contains("Loaded [CpuBackend] backend"))
        .as("executor logs that loaded ND4J's CPU backend").isNotEmpty();
    assertThat(output).contains("master averaging, 2 workers");

    // The same output as the undisturbed reference: every table of ingest, clean and features row for row, and
    // clean's counts (rows conserved: 46 in = kept + exact + near + quarantined).
    assertSameTables(reference.warehouse, client.warehouse, "r1", "r1");
    long[] clean = cleanRow(output);
    assertThat(clean).containsExactly(cleanRow(Files.readString(reference.log)));
    assertThat(clean[1] + clean[2] + clean[3] + clean[4]).isEqualTo(46);
    assertModelPredictionsAndReport(client.warehouse, output);
  }

  @Test
  @Order(3)
  void aDriverKilledMidWriteLeavesTablesReadableAndAClusterModeRerunWritesEachRowOnce() throws Exception {
    // Two new messages in a new export file, then ingest on the client run's warehouse with run id r2, its driver
    // (the client-mode spark-submit JVM) killed with kill -9 as soon as bronze's next Delta commit is written:
    // ingest writes ops.quarantine (nothing new here, so no commit), bronze (the MERGE), then ops.ingest_log.
    // Ingest rather than clean: the same kill and re-run for a fraction of clean's fixed cost.
    Files.writeString(dir.resolve("in/export/part-3.jsonl"), ""
        + "{\"msg_id\": \"<n1@x>\", \"subj\": \"late\", \"body\": \"late arrival one\", \"class\": \"ham\"}\n"
        + "{\"msg_id\": \"<n2@x>\", \"subj\": \"late\", \"body\": \"late arrival two\", \"class\": \"spam\"}\n",
        java.nio.charset.StandardCharsets.UTF_8);
    List<String> tables = List.of("bronze/records", "ops/quarantine", "ops/ingest_log");
    Map<String, long[]> before = KilledWrites.versionsAndCounts(spark, client.warehouse, tables);
    assertThat(before.get("bronze/records")[1]).isEqualTo(46);
    Path trigger = KilledWrites.commit(client.warehouse, "bronze/records", before.get("bronze/records")[0] + 1);
    Submitted doomed = submit("killed-driver", cluster, clientMode(), "ingest", "r2", client.warehouse);
    boolean seen = KilledWrites.killWhen(trigger, doomed.process, Duration.ofMinutes(DEADLINE_MINUTES));
    String killedOutput = Files.readString(doomed.log);
    assertThat(seen).as("%s appeared; output:%n%s", trigger, killedOutput).isTrue();
    assertThat(doomed.process.exitValue()).as("killed by SIGKILL").isEqualTo(128 + 9);
    assertThat(killedOutput).as("killed before ingest finished").doesNotContain("ingest (run r2)");
    // Every table reads at the version it had with the rows it had; its current version is that one or the killed
    // run's one whole next commit, which reads too: bronze holds its 46 rows plus the 2 new ones, whole.
    KilledWrites.assertReadableAtPreviousOrNew(spark, client.warehouse, before);
    assertThat(delta(client.warehouse, "bronze/records").count()).isEqualTo(48);
    assertThat(KilledWrites.version(spark, client.warehouse, "ops/ingest_log"))
        .as("killed before the ingest log was written").isEqualTo(before.get("ops/ingest_log")[0]);

    // The re-run with the same run id, the driver on a worker this time: the log never recorded the new file, so
    // it is read again, and its two rows are already in bronze (the killed run's MERGE committed them).
    Submitted s = submit("cluster-ingest", cluster, clusterMode(), "ingest", "r2", client.warehouse);
    String submitOutput = finish(s);
    Matcher m = Pattern.compile("driver-\\d{14}-\\d{4}").matcher(submitOutput);
    assertThat(m.find()).as("spark-submit names the submitted driver:%n%s", submitOutput).isTrue();
    String driverId = m.group();
    // spark-submit returns once the driver is submitted: poll the master until the driver is done.
    JsonNode state = cluster.await(driverId + " done", DEADLINE_MINUTES * 60, st -> driver(st, driverId) != null);
    JsonNode driver = driver(state, driverId);
    Path driverDir = cluster.workDirs().stream().map(w -> w.resolve(driverId)).filter(Files::isDirectory)
        .findFirst().orElseThrow(() -> new AssertionError("no work folder of " + driverId));
    String stdout = Files.readString(driverDir.resolve("stdout"));
    assertThat(driver.path("state").asText()).as("%s on %s; stdout:%n%s%nstderr under %s", driverId,
        driver.path("worker").asText(), stdout, driverDir).isEqualTo("FINISHED");
    assertThat(driver.path("worker").asText()).startsWith("worker-");
    assertThat(stdout).contains("ingest (run r2)");
    // files, read, written, quarantined, already present
    assertThat(TinyDataset.reportRows(stdout).get("export")).as(stdout).containsExactly(1, 2, 0, 0, 2);
    // Every record once: the 46 of r1 and the 2 new ones; the quarantine unchanged.
    assertThat(rows(client.warehouse, "SELECT count(*), count(DISTINCT _record_id) FROM %s", "bronze/records"))
        .containsExactly("48|48");
    assertThat(rows(client.warehouse, "SELECT count(*), count(DISTINCT _quarantine_id) FROM %s", "ops/quarantine"))
        .containsExactly(before.get("ops/quarantine")[1] + "|" + before.get("ops/quarantine")[1]);
  }

  @Test
  @Order(4)
  void analystsQueryTheResultsTablesOfTheReferenceRunOverJdbc() throws Exception {
    // lakepipe serve-sql over the reference warehouse (every stage ran there), queried as DBeaver or beeline would.
    Launcher launcher = new Launcher(dir.resolve("serve-sql-logs"));
    int port = ServeSqlIT.freePort();
    Process server = launcher.start("serve-sql", "--conf", conf.toString(),
        "--set", "tables.warehouse=" + reference.warehouse, "--set", "serve-sql.port=" + port);
    int run = launcher.started();
    try {
      String url = ServeSqlIT.awaitServing(launcher, server, run);
      DriverManager.setLoginTimeout(60);
      try (Connection c = DriverManager.getConnection(url, "analyst", "")) {
        assertThat(ServeSqlIT.rows(c, "SHOW TABLES IN results")).contains("results|metrics|false",
            "results|model_registry|false", "results|predictions|false");
        long tests = delta(reference.warehouse, "gold/dataset").where("split = 'test'").count();
        assertThat(tests).isPositive();
        assertThat(ServeSqlIT.rows(c, "SELECT count(*), count(DISTINCT _record_id) FROM results.predictions "
            + "WHERE run_id = 'r1' AND split = 'test'")).containsExactly(tests + "|" + tests);
        // docs/evaluate.md's "rows the model gets wrong" and "worst slices", as written there (run id filled in, ties ordered):
        // over JDBC they return what the same SQL returns on the Delta folders in this JVM.
        String wrong = "SELECT p._source, p._source_file, s._source_row, p.label, p.predicted_label "
            + "FROM results.predictions p JOIN silver.records s ON s._record_id = p._record_id "
            + "WHERE p.run_id = 'r1' AND p.split = 'test' AND p.label <> p.predicted_label "
            + "ORDER BY p._source_file, s._source_row";
        String worst = "SELECT slice, slice_value, value AS macro_f1, support FROM results.metrics "
            + "WHERE run_id = 'r1' AND split = 'test' AND class = '*' AND metric = 'macro_f1' "
            + "AND slice <> 'all' AND NOT below_min_support ORDER BY value ASC, slice, slice_value LIMIT 10";
        String all = "SELECT count(*) FROM results.metrics WHERE run_id = 'r1' AND split = 'test' "
            + "AND slice = 'all' AND class = '*' AND metric = 'macro_f1'";
        for (String sql : List.of(wrong, worst, all)) {
          assertThat(ServeSqlIT.rows(c, sql)).as(sql).isEqualTo(local(reference.warehouse, sql));
        }
        assertThat(ServeSqlIT.rows(c, all)).containsExactly("1");
      }
    } finally {
      server.destroy();
      if (!server.waitFor(60, TimeUnit.SECONDS)) {
        server.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      }
    }
  }

  /** {@code sql} run in this JVM with each {@code db.table} replaced by its Delta folder; rows joined by |. */
  private static List<String> local(Path warehouse, String sql) {
    Matcher m = Pattern.compile("\\b(results|silver|gold|ops|bronze)\\.([a-z_]+)\\b").matcher(sql);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      m.appendReplacement(out, Matcher.quoteReplacement(
          "delta.`" + warehouse.resolve(m.group(1)).resolve(m.group(2)) + "`"));
    }
    m.appendTail(out);
    return spark.sql(out.toString()).collectAsList().stream()
        .map(r -> r.mkString("|").replace("null", "NULL")).toList();
  }

  // ---- submitting

  /** Client deploy mode: the driver is the spark-submit JVM; one executor of 1 core and 1 GB per worker. */
  private static List<String> clientMode() {
    return List.of("--master", cluster.masterUrl(), "--deploy-mode", "client",
        "--conf", "spark.executor.cores=1", "--conf", "spark.cores.max=2", "--conf", "spark.executor.memory=1g");
  }

  /** Cluster deploy mode: the driver runs on a worker (taking its core), one executor on the other. */
  private static List<String> clusterMode() {
    return List.of("--master", cluster.masterUrl(), "--deploy-mode", "cluster",
        "--conf", "spark.executor.cores=1", "--conf", "spark.cores.max=2", "--conf", "spark.executor.memory=1g",
        "--conf", "spark.driver.memory=1g");
  }

  /**
   * Starts {@code SparkSubmit} of the job jar: {@code <command> --conf tiny.conf --env standalone|local
   * --run-id <runId> --set tables.warehouse=<warehouse>}, with the Java 17 flags in every JVM, ND4J's natives
   * unpacked under the repository's target/ and Spark's event log (to see which executor ran which task).
   */
  private static Submitted submit(String name, StandaloneCluster on, List<String> sparkArgs, String command,
      String runId, Path warehouse) throws IOException {
    String flags = Files.readString(target.resolve("lakepipe-jvm.options")).trim();
    String javacpp = "-Dorg.bytedeco.javacpp.cachedir=" + Launcher.ROOT.resolve("target/javacpp");
    Path events = Files.createDirectories(dir.resolve("events-" + name));
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(Arrays.asList(flags.split("\\s+")));
    cmd.addAll(List.of("-Xmx1g", javacpp, "-Duser.timezone=UTC"));
    if (!sparkArgs.contains("cluster")) {
      // The launcher's logging: the stage reports on the console, Spark at WARN.
      cmd.add("-Dlog4j2.configurationFile=" + Launcher.ROOT.resolve("conf/log4j2.properties"));
      cmd.add("-Dlakepipe.log.file=" + dir.resolve(name + "-lakepipe.log"));
    }
    cmd.addAll(List.of("-cp", Files.readString(target.resolve("spark-classpath.txt")).trim(),
        "org.apache.spark.deploy.SparkSubmit"));
    cmd.addAll(sparkArgs);
    cmd.addAll(List.of("--conf", "spark.ui.enabled=false",
        "--conf", "spark.eventLog.enabled=true", "--conf", "spark.eventLog.dir=" + events.toUri(),
        "--conf", "spark.driver.extraJavaOptions=" + flags + " " + javacpp,
        "--conf", "spark.executor.extraJavaOptions=" + flags + " " + javacpp
            + " -Daeron.publication.unblock.timeout=60000000000",
        "--class", "dev.lakepipe.app.LakepipeCli", target.resolve("lakepipe-job.jar").toString(),
        command, "--conf", conf.toString(), "--env", on == null ? "local" : "standalone", "--run-id", runId,
        "--set", "tables.warehouse=" + warehouse));
    Path log = dir.resolve(name + ".log");
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
        .redirectOutput(log.toFile());
    if (on == null) {
      pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    } else {
      on.environment(pb);
    }
    return new Submitted(pb.start(), log, events, warehouse);
  }

  /** Waits for the spark-submit JVM (with a deadline), asserts exit 0, returns its output. */
  private static String finish(Submitted s) throws Exception {
    boolean finished;
    try {
      finished = s.process.waitFor(DEADLINE_MINUTES, TimeUnit.MINUTES);
    } finally {
      if (s.process.isAlive()) {
        s.process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      }
    }
    String output = Files.readString(s.log);
    assertThat(finished).as("spark-submit finished within %d minutes; output:%n%s", DEADLINE_MINUTES, output)
        .isTrue();
    assertThat(s.process.exitValue()).as("spark-submit exit code; output:%n%s", output).isZero();
    return output;
  }

  // ---- what the executors did

  /**
   * Polls the run's event log until a job of group {@code group} whose description ends with {@code description}
   * started, then kills (SIGKILL) one live executor JVM of the application.
   */
  private static Killed killAnExecutorOnceStarted(Submitted s, String group, String description) {
    try {
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(DEADLINE_MINUTES);
      String appId = null;
      while (appId == null) {
        if (!s.process.isAlive() || System.nanoTime() > deadline) {
          throw new AssertionError("no job of group " + group + " started while the run was alive; output:\n"
              + Files.readString(s.log));
        }
        try (Stream<Path> files = Files.list(s.events)) {
          for (Path f : files.toList()) {
            boolean started = Files.readAllLines(f).stream().anyMatch(l -> l.contains("SparkListenerJobStart")
                && l.contains("\"spark.jobGroup.id\":\"" + group + "\"")
                && (description.isEmpty() || l.matches(
                    ".*\"spark.job.description\":\"[^\"]*" + Pattern.quote(description) + "\".*")));
            if (started) {
              appId = f.getFileName().toString().replace(".inprogress", "");
            }
          }
        }
        Thread.sleep(200);
      }
      String app = appId;
      ProcessHandle executor = ProcessHandle.allProcesses()
          .filter(p -> p.info().commandLine().map(c -> c.contains("CoarseGrainedExecutorBackend")
              && c.contains(app) && c.contains(cluster.sparkHome().toString())).orElse(false))
          .findFirst().orElseThrow(() -> new AssertionError("no executor JVM of " + app + " found"));
      String killedId = argument(executor.info().arguments().orElseThrow(), "--executor-id");
      assertThat(executor.destroyForcibly()).as("kill -9 of executor " + killedId).isTrue();
      executor.onExit().get(60, TimeUnit.SECONDS);
      return new Killed(group, killedId, appId);
    } catch (Exception e) {
      throw new IllegalStateException("could not kill an executor during " + group, e);
    }
  }

  private static List<String> executorIds(List<JsonNode> events, String event) {
    return events.stream().filter(e -> e.path("Event").asText().equals(event))
        .map(e -> e.path("Executor ID").asText()).toList();
  }

  private static String appId(Path events) throws IOException {
    try (Stream<Path> files = Files.list(events)) {
      List<String> apps = files.map(f -> f.getFileName().toString()).toList();
      assertThat(apps).as("one event log in " + events).hasSize(1);
      return apps.get(0).replace(".inprogress", "");
    }
  }

  private static List<JsonNode> events(Path folder) throws IOException {
    List<JsonNode> out = new ArrayList<>();
    for (String line : Files.readAllLines(folder.resolve(appId(folder)))) {
      out.add(JSON.readTree(line));
    }
    return out;
  }

  /** Executor ids of the successful tasks of the jobs whose group starts with {@code group}, description ends so. */
  private static Set<String> executorsOfTasks(List<JsonNode> events, String group, String descriptionEnd) {
    Set<Integer> stages = new TreeSet<>();
    for (JsonNode e : events) {
      JsonNode props = e.path("Properties");
      if (e.path("Event").asText().equals("SparkListenerJobStart")
          && props.path("spark.jobGroup.id").asText().startsWith(group)
          && props.path("spark.job.description").asText().endsWith(descriptionEnd)) {
        e.path("Stage IDs").forEach(id -> stages.add(id.asInt()));
      }
    }
    assertThat(stages).as("stages of job group %s", group).isNotEmpty();
    Set<String> executors = new TreeSet<>();
    for (JsonNode e : events) {
      if (e.path("Event").asText().equals("SparkListenerTaskEnd") && stages.contains(e.path("Stage ID").asInt())
          && e.path("Task End Reason").path("Reason").asText().equals("Success")) {
        executors.add(e.path("Task Info").path("Executor ID").asText());
      }
    }
    return executors;
  }

  /** {@code work-N/<executor id>} to the executor's stderr, for the application's executors on both workers. */
  private static Map<String, String> executorLogs(String appId) throws IOException {
    Map<String, String> logs = new TreeMap<>();
    for (Path work : cluster.workDirs()) {
      Path app = work.resolve(appId);
      if (!Files.isDirectory(app)) {
        continue;
      }
      try (Stream<Path> executors = Files.list(app)) {
        for (Path e : executors.filter(Files::isDirectory).toList()) {
          logs.put(work.getFileName() + "/" + e.getFileName(), Files.readString(e.resolve("stderr")));
        }
      }
    }
    return logs;
  }

  private static long pid(String executorLog) {
    Matcher m = Pattern.compile("Started daemon with process name: (\\d+)@").matcher(executorLog);
    assertThat(m.find()).as("executor log names its pid").isTrue();
    return Long.parseLong(m.group(1));
  }

  private static String argument(String[] args, String name) {
    for (int i = 0; i + 1 < args.length; i++) {
      if (args[i].equals(name)) {
        return args[i + 1];
      }
    }
    throw new AssertionError(name + " not in " + Arrays.toString(args));
  }

  private static JsonNode driver(JsonNode state, String driverId) {
    for (JsonNode d : state.path("completeddrivers")) {
      if (d.path("id").asText().equals(driverId)) {
        return d;
      }
    }
    return null;
  }

  // ---- tables

  /** Every table of ingest, clean and features equal row for row, the wall-clock columns left out. */
  private void assertSameTables(Path expected, Path actual, String expectedRun, String actualRun) {
    for (String table : List.of("bronze/records", "ops/quarantine")) {
      assertThat(contents(actual, table, actualRun)).as(table).isEqualTo(contents(expected, table, expectedRun))
          .isNotEmpty();
    }
    assertSameCleanTables(expected, actual, expectedRun, actualRun);
    // gold: every record's split, fold, label and weight, and its feature vector
    assertThat(contents(actual, "gold/dataset", actualRun)).as("gold/dataset")
        .isEqualTo(contents(expected, "gold/dataset", expectedRun)).isNotEmpty();
  }

  /** silver.records, ops.duplicates (the run's rows) and ops.quarantine equal row for row. */
  private void assertSameCleanTables(Path expected, Path actual, String expectedRun, String actualRun) {
    assertThat(contents(actual, "silver/records", actualRun)).as("silver/records")
        .isEqualTo(contents(expected, "silver/records", expectedRun)).isNotEmpty();
    assertThat(contents(actual, "ops/duplicates", actualRun)).as("ops/duplicates of run " + actualRun)
        .isEqualTo(contents(expected, "ops/duplicates", expectedRun)).isNotEmpty();
    assertThat(contents(actual, "ops/quarantine", "")).as("ops/quarantine")
        .isEqualTo(contents(expected, "ops/quarantine", "")).isNotEmpty();
  }

  /**
   * A table's rows as sorted strings, without the wall-clock columns; with {@code runId} only that run's rows
   * and without the run id (so runs f1 and r1 compare).
   */
  private List<String> contents(Path warehouse, String table, String runId) {
    Dataset<Row> df = delta(warehouse, table);
    if (!runId.isEmpty() && Arrays.asList(df.columns()).contains("run_id")) {
      df = df.where(org.apache.spark.sql.functions.col("run_id").equalTo(runId)).drop("run_id");
    }
    for (String c : CLOCK_COLUMNS) {
      df = df.drop(c);
    }
    List<String> rows = new ArrayList<>(df.collectAsList().stream().map(Row::toString).toList());
    rows.sort(null);
    return rows;
  }

  private static Dataset<Row> delta(Path warehouse, String table) {
    return spark.read().format("delta").load(warehouse.resolve(table).toString());
  }

  private static List<String> rows(Path warehouse, String sql, String table) {
    return spark.sql(String.format(sql, "delta.`" + warehouse.resolve(table) + "`")).collectAsList().stream()
        .map(r -> r.mkString("|")).toList();
  }

  /** A model, one prediction per test row, and the report exist (their values may differ between runs). */
  private static void assertModelPredictionsAndReport(Path warehouse, String output) throws IOException {
    Map<String, Long> splits = new TreeMap<>();
    delta(warehouse, "gold/dataset").groupBy("split").count().collectAsList()
        .forEach(r -> splits.put(r.getString(0), r.getLong(1)));
    assertThat(splits).containsOnlyKeys("test", "train", "validation");
    try (Stream<Path> runs = Files.list(warehouse.resolve("_artifacts/features"))) {
      assertThat(runs.map(r -> r.resolve("metadata.json")).filter(Files::isRegularFile).count()).isEqualTo(1);
    }
    try (Stream<Path> models = Files.list(warehouse.resolve("_models"))) {
      assertThat(models.map(m -> m.resolve("model.json")).filter(Files::isRegularFile).count()).isEqualTo(1);
    }
    assertThat(delta(warehouse, "results/predictions").count()).isEqualTo(splits.get("test"));
    assertThat(output).containsPattern("(?m)^report: .*report\\.html$");
    assertThat(warehouse.resolve("_reports/r1/report.html")).isRegularFile();
  }

  // ---- console reports

  /** Clean's report row: in, kept, exact, near, quarantined, label conflicts. */
  private static long[] cleanRow(String out) {
    Matcher m = CLEAN_ROW.matcher(out);
    assertThat(m.find()).as("clean's report row in:%n%s", out).isTrue();
    long[] c = new long[6];
    for (int i = 0; i < 6; i++) {
      c[i] = Long.parseLong(m.group(i + 1));
    }
    return c;
  }
}
