package dev.lakepipe.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The scheduler files against the CLI they call. Airflow cannot be installed where the suite runs, so the Python
 * tests in airflow-dags/tests read the DAGs (airflow-dags/*.py) and the Databricks job (deploy/databricks-job.json)
 * with {@code ast} and {@code json}, check their shape and render every command line they would issue; this test
 * runs those Python tests, then runs each command line through the CLI in-process with {@code --dry-run}: the
 * arguments, the run id Airflow's template makes and conf/application.conf with the env file each target uses
 * (yarn.conf, databricks.conf) must be accepted exactly as a real run would accept them.
 */
class AirflowDagsTest {

  private static final long PYTHON_DEADLINE_SECONDS = 120;

  @Test
  void everyCommandLineTheDagsAndTheJobIssueIsAcceptedByTheCli() throws Exception {
    Path root = CliSampleDataTest.repoRoot();
    Path commands = Path.of(System.getProperty("user.dir")).resolve("target/airflow-dag-commands.json");
    Files.deleteIfExists(commands);
    assertThat(root.resolve("conf/yarn.conf")).isRegularFile();
    assertThat(root.resolve("conf/databricks.conf")).isRegularFile();

    runPythonTests(root, commands);

    JsonNode lines = new ObjectMapper().readTree(commands.toFile());
    // Two DAGs x two sample Airflow runs x five stages, and the Databricks job's five tasks.
    assertThat(lines.size()).isEqualTo(25);
    List<String> stagesSeen = new ArrayList<>();
    for (JsonNode line : lines) {
      List<String> args = new ArrayList<>();
      line.get("args").forEach(a -> args.add(a.asText()));
      String where = line.get("source").asText() + " task " + line.get("task").asText();
      assertThat(line.get("main_class").asText()).as(where).isEqualTo(LakepipeCli.class.getName());
      assertThat(args.get(0)).as(where).isEqualTo(line.get("task").asText());
      assertThat(line.get("spark_conf").get("spark.executor.extraJavaOptions").asText()).as(where)
          .isEqualTo(Files.readString(Path.of(System.getProperty("user.dir"), "target/lakepipe-jvm.options")).trim());
      args.add("--dry-run");

      StringWriter out = new StringWriter();
      StringWriter err = new StringWriter();
      int code = LakepipeCli.execute(args.toArray(String[]::new), new PrintWriter(out, true),
          new PrintWriter(err, true));

      String env = line.get("env").asText();
      assertThat(code).as("%s: lakepipe %s%n%s", where, String.join(" ", args), err).isZero();
      assertThat(out.toString()).as(where)
          .contains("stages:  " + args.get(0) + "\n")
          .contains("conf:    " + root.resolve("conf/application.conf") + " + " + env + ".conf\n")
          .contains("env:     " + env + "\n")
          .contains("run id:  " + line.get("run_id").asText() + "\n");
      if (line.get("source").asText().endsWith("databricks-job.json")) {
        stagesSeen.add(args.get(0));
      }
    }
    // The job's tasks in depends_on order are the CLI's own stage order.
    assertThat(stagesSeen).isEqualTo(Stages.ORDER.stream().map(s -> s.id).toList());
  }

  private static void runPythonTests(Path root, Path commands) throws IOException, InterruptedException {
    Path log = commands.resolveSibling("airflow-dags-tests.log");
    ProcessBuilder pb = new ProcessBuilder("python3", "-m", "unittest", "discover", "-v", "-s", "airflow-dags/tests")
        .directory(root.toFile())
        .redirectErrorStream(true)
        .redirectOutput(log.toFile());
    pb.environment().put("LAKEPIPE_DAG_COMMANDS", commands.toString());
    pb.environment().put("PYTHONDONTWRITEBYTECODE", "1");
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      fail("Cannot check the Airflow DAGs: python3 is not on the PATH (" + e.getMessage() + "). Install Python 3 "
          + "(Debian: apt-get install python3), or run ./lakepipe test, which installs it as root.");
      return;
    }
    boolean finished = p.waitFor(PYTHON_DEADLINE_SECONDS, TimeUnit.SECONDS);
    if (!finished) {
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    String output = Files.readString(log, StandardCharsets.UTF_8);
    assertThat(finished).as("python3 -m unittest finished within %ds:%n%s", PYTHON_DEADLINE_SECONDS, output).isTrue();
    assertThat(p.exitValue()).as("python3 -m unittest discover -s airflow-dags/tests:%n%s", output).isZero();
    assertThat(commands).as("the command lines written by airflow-dags/tests:%n%s", output).isRegularFile();
  }
}
