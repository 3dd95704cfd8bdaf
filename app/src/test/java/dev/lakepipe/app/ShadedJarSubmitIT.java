package dev.lakepipe.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakepipe.core.testing.SparkTestBase;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job jar as a cluster runs it: a separate JVM with only Spark's own jars on the classpath
 * ({@code target/spark-classpath.txt}), {@code SparkSubmit} as the main class and {@code lakepipe-job.jar} as
 * the application. Catches what in-process tests cannot: classes missing from or clashing in the shaded jar,
 * unmerged service files (Delta's data source), and a main that does not exit. Runs after {@code package}.
 */
class ShadedJarSubmitIT extends SparkTestBase {

  private static final long DEADLINE_MINUTES = 8;
  private static final Pattern REPORT_ROW =
      Pattern.compile("^(\\S+)\\s+(\\S+)\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)\\s*$");

  @TempDir
  Path dir;

  @Test
  void thePipelineRunsFromTheShadedJarUnderSparkSubmit() throws Exception {
    Path target = Path.of(System.getProperty("user.dir")).resolve("target");
    Path jobJar = target.resolve("lakepipe-job.jar");
    Path sparkClasspath = target.resolve("spark-classpath.txt");
    Path jvmOptions = target.resolve("lakepipe-jvm.options");
    assertThat(jobJar).as("run after mvn package").isRegularFile();
    assertThat(sparkClasspath).isRegularFile();
    assertThat(jvmOptions).isRegularFile();

    Path conf = dir.resolve("tiny.conf");
    Files.writeString(conf, TinyDataset.conf(TinyDataset.writeSources(dir.resolve("in")).toString()),
        StandardCharsets.UTF_8);
    Path warehouse = dir.resolve("lakehouse");

    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(Arrays.asList(Files.readString(jvmOptions).trim().split("\\s+")));
    command.add("-Xmx1g");
    // ND4J's natives unpack into the repository's target/, not the home folder (as the launcher does).
    command.add("-Dorg.bytedeco.javacpp.cachedir=" + target.getParent().getParent().resolve("target/javacpp"));
    command.add("-Duser.timezone=UTC");
    command.add("-Dlog4j2.configurationFile=" + target.getParent().getParent().resolve("conf/log4j2.properties"));
    command.addAll(List.of("-cp", Files.readString(sparkClasspath).trim(),
        "org.apache.spark.deploy.SparkSubmit",
        "--master", "local[2]",
        "--conf", "spark.ui.enabled=false",
        "--class", "dev.lakepipe.app.LakepipeCli",
        jobJar.toString(),
        "run", "--conf", conf.toString(), "--set", "tables.warehouse=" + warehouse));
    Path log = dir.resolve("spark-submit.log");
    ProcessBuilder pb = new ProcessBuilder(command)
        .directory(dir.toFile())
        .redirectErrorStream(true)
        .redirectOutput(log.toFile());
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");

    Process p = pb.start();
    boolean finished;
    try {
      finished = p.waitFor(DEADLINE_MINUTES, TimeUnit.MINUTES);
    } finally {
      if (p.isAlive()) {
        p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      }
    }
    String output = Files.readString(log);
    assertThat(finished).as("spark-submit finished within %d minutes; output:%n%s", DEADLINE_MINUTES, output)
        .isTrue();
    assertThat(p.exitValue()).as("spark-submit exit code; output:%n%s", output).isZero();

    // files, read, written, quarantined, already present
    Map<String, long[]> report = reportRows(output);
    assertThat(report).as(output).containsOnlyKeys("crm", "export");
    assertThat(report.get("crm")).containsExactly(1, 3, 2, 1, 0);
    assertThat(report.get("export")).containsExactly(2, 45, 44, 1, 0);

    // Read back in this JVM, without the CLI: the exact rows the child wrote.
    List<Row> bronze = spark.read().format("delta").load(warehouse.resolve("bronze/records").toString())
        .groupBy("_source").count().orderBy("_source").collectAsList();
    assertThat(bronze).extracting(r -> r.getString(0) + "=" + r.getLong(1)).containsExactly("crm=2", "export=44");
    List<String> ids = spark.read().format("delta").load(warehouse.resolve("bronze/records").toString())
        .select("id").orderBy("id").as(org.apache.spark.sql.Encoders.STRING()).collectAsList();
    assertThat(ids).hasSize(46).contains("<c1@x>", "<c2@x>", "<e1@x>", "<e3@x>", "<m0@x>", "<m41@x>");
    assertThat(spark.read().format("delta").load(warehouse.resolve("ops/quarantine").toString()).count())
        .isEqualTo(2);

    // Clean, features, train and evaluate ran too, with Spark MLlib from Spark's jars and the rest (Delta,
    // Deeplearning4j and ND4J's natives) from the job jar.
    assertThat(output).contains("features (run ", "train (run ", "evaluate (run ");
    Map<String, Long> splits = new java.util.TreeMap<>();
    spark.read().format("delta").load(warehouse.resolve("gold/dataset").toString()).groupBy("split").count()
        .collectAsList().forEach(r -> splits.put(r.getString(0), r.getLong(1)));
    assertThat(splits).containsOnlyKeys("test", "train", "validation");
    try (java.util.stream.Stream<Path> runs = Files.list(warehouse.resolve("_artifacts/features"))) {
      assertThat(runs.map(r -> r.resolve("metadata.json")).filter(Files::isRegularFile).count()).isEqualTo(1);
    }
    try (java.util.stream.Stream<Path> models = Files.list(warehouse.resolve("_models"))) {
      assertThat(models.map(m -> m.resolve("model.json")).filter(Files::isRegularFile).count()).isEqualTo(1);
    }
    assertThat(spark.read().format("delta").load(warehouse.resolve("results/predictions").toString()).count())
        .isEqualTo(splits.get("test"));
    assertThat(output).containsPattern("(?m)^report: .*report\\.html$");
  }

  static Map<String, long[]> reportRows(String out) {
    Map<String, long[]> rows = new LinkedHashMap<>();
    for (String line : out.lines().toList()) {
      Matcher m = REPORT_ROW.matcher(line);
      if (m.matches() && !m.group(1).equals("source") && !m.group(1).equals("total")
          && !m.group(2).matches("\\d+")) {
        long[] c = new long[5];
        for (int i = 0; i < 5; i++) {
          c[i] = Long.parseLong(m.group(i + 3));
        }
        rows.put(m.group(1), c);
      }
    }
    return rows;
  }
}
