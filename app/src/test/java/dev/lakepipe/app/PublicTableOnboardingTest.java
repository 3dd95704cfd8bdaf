package dev.lakepipe.app;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.lakepipe.app.CliConfigErrorsTest.Result;
import dev.lakepipe.core.testing.SparkTestBase;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Onboarding a real public table Lakepipe has never seen, with no hand edits: {@code seattle-weather.csv} of the
 * npm package {@code vega-datasets} 3.2.1 (1,461 days of Seattle weather, 2012-2015: a date, four measurements
 * and the day's weather, no id and no text), fetched by {@code sample-data/fetch-public-data}. {@code lakepipe
 * init} writes the conf; ingest, clean and features run on it unedited (only the warehouse is set on the command
 * line), and gold.dataset holds exactly the rows and per-split label counts worked out from the CSV itself.
 */
class PublicTableOnboardingTest extends SparkTestBase {

  @TempDir
  Path dir;

  /** Fetches the package (once per checkout; under target/, git-ignored) and returns seattle-weather.csv. */
  static Path seattleWeather() throws IOException, InterruptedException {
    Path root = CliSampleDataTest.repoRoot();
    Process p = new ProcessBuilder(root.resolve("sample-data/fetch-public-data").toString(), "vega-datasets@3.2.1")
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();
    assertThat(p.exitValue()).as("sample-data/fetch-public-data vega-datasets@3.2.1: " + out).isZero();
    Path csv = Path.of(out).resolve("data/seattle-weather.csv");
    assertThat(csv).isRegularFile();
    return csv;
  }

  @Test
  void seattleWeatherGoesFromInitToGoldWithNoHandEdits() throws Exception {
    Path csv = seattleWeather();
    Path conf = dir.resolve("seattle-weather.conf");
    Path warehouse = dir.resolve("lake");

    Result init = CliConfigErrorsTest.cli("init", "--input", csv.toString(), "--label", "weather",
        "--output", conf.toString());
    assertThat(init.code()).as(init.out() + init.err()).isZero();
    Config c = ConfigFactory.parseFile(conf.toFile()).resolve();
    assertThat(c.getString("dataset.columns.label")).isEqualTo("weather");
    assertThat(c.getString("dataset.columns.event-time")).isEqualTo("date");
    assertThat(c.getStringList("dataset.columns.numeric"))
        .containsExactly("precipitation", "temp_max", "temp_min", "wind");
    assertThat(c.hasPath("dataset.columns.id")).isFalse();
    assertThat(c.hasPath("dataset.columns.text")).isFalse();
    assertThat(c.getString("features.split.policy")).isEqualTo("time");

    for (String stage : List.of("validate-conf", "ingest", "clean", "features")) {
      Result r = CliConfigErrorsTest.cli(stage, "--conf", conf.toString(), "--set", "tables.warehouse=" + warehouse);
      assertThat(r.code()).as(stage + ": " + r.out() + r.err()).isZero();
    }

    // Expected, from the CSV alone: its rows ordered by date; the first round(1461 x 0.8) = 1169 are train, the
    // next round(1461 x 0.9) - 1169 = 146 validation, the last 146 test (every date is distinct, so no tie moves
    // a cut-off). No row is a duplicate (each has its own date) and no value is unreadable, so every row arrives.
    List<String[]> rows = new ArrayList<>();
    List<String> lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
    lines.subList(1, lines.size()).stream().filter(l -> !l.isBlank()).forEach(l -> rows.add(l.split(",")));
    rows.sort((a, b) -> a[0].compareTo(b[0]));
    assertThat(rows).hasSize(1461);
    Map<String, Map<String, Long>> expected = new TreeMap<>();
    for (int i = 0; i < rows.size(); i++) {
      String split = i < 1169 ? "train" : i < 1315 ? "validation" : "test";
      expected.computeIfAbsent(split, k -> new TreeMap<>()).merge(rows.get(i)[5], 1L, Long::sum);
    }
    // The same numbers, written out (checked by hand with sort and awk on the file): a change in the package or
    // the split shows here first.
    assertThat(expected).isEqualTo(Map.of(
        "train", Map.of("drizzle", 46L, "fog", 70L, "rain", 532L, "snow", 26L, "sun", 495L),
        "validation", Map.of("drizzle", 3L, "fog", 9L, "rain", 35L, "sun", 99L),
        "test", Map.of("drizzle", 4L, "fog", 22L, "rain", 74L, "sun", 46L)));

    Dataset<Row> gold = spark.read().format("delta").load(warehouse.resolve("gold/dataset").toString());
    assertThat(gold.count()).isEqualTo(1461);
    Map<String, Map<String, Long>> actual = new TreeMap<>();
    gold.groupBy("split", "weather").count().collectAsList().forEach(r ->
        actual.computeIfAbsent(r.getString(0), k -> new TreeMap<>()).put(r.getString(1), r.getLong(2)));
    assertThat(actual).isEqualTo(expected);
    // Row by row: the train rows are exactly the 1169 earliest dates.
    assertThat(gold.filter(col("split").equalTo("train")).agg(org.apache.spark.sql.functions.max("date"))
        .first().getTimestamp(0).toString()).startsWith(rows.get(1168)[0]);
    assertThat(spark.read().format("delta").load(warehouse.resolve("ops/quarantine").toString()).count()).isZero();
  }
}
