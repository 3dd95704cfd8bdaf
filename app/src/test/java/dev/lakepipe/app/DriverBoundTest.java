package dev.lakepipe.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakepipe.clean.CleanJob;
import dev.lakepipe.core.RunContext;
import dev.lakepipe.core.config.LakepipeConfig;
import dev.lakepipe.core.testing.SparkJobCounter;
import dev.lakepipe.core.testing.SparkTestBase;
import dev.lakepipe.core.testing.TestConfigs;
import dev.lakepipe.features.FeaturesJob;
import dev.lakepipe.ingest.IngestJob;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No stage brings per-row data to the driver: ingest, clean and features run on the same kind of input at
 * 2,000 and at 10,000 rows, and the bytes their tasks return to the driver (the serialised task results that
 * {@code collect}, {@code first}, {@code take}, a top-K and a broadcast's build side travel in, plus each
 * task's fixed-size metrics; {@link SparkJobCounter} sums them per call site and the test prints them) must not
 * grow with the rows. Collecting even one 8-byte key per row would add 8,000 × 8 = 64 KB at the larger size;
 * the bound below allows less than half of that. This test found the time split's cut-off search returning
 * ~80 % of the timed rows to the driver (an {@code orderBy(t).offset(k).first()} top-K), replaced by
 * {@code Splitter.timeAtRank}'s histogram passes.
 *
 * <p>Automatic broadcast joins are switched off for the test (Spark and AQE thresholds -1): Spark broadcasts a
 * join side below 10 MB by its own choice, which at these sizes would be the data itself and at a large size
 * would not happen; what must not happen at any size is a broadcast or collect the code asks for. The task
 * count does not depend on the row count here (two shuffle partitions, one input file for each of the CSV and
 * JSON Lines sources, the email source's 100 or 500 files read in the same 8 tasks of {@code local[2]}, AQE
 * off), so the fixed part of the result bytes is the same at both sizes.
 *
 * <p>Input per size n: a CSV source with n/2 rows and a JSON Lines source with n/2 rows, each row a 60-word
 * text of random words (no two alike, so clean keeps every row and the near-duplicate search finds nothing to
 * link), a label ham/spam alternating, an event time one hour apart; and an email source of n/20 files, one
 * message each (so its files grow with the rows, as an email source's do), with the same kind of text. Ingest
 * runs a second time with nothing new (every file found in {@code ops.ingest_log}). Features splits by time (the cut-off
 * search is where an offset-based top-K would collect ~80 % of the rows) and fits a TF-IDF text vector.
 */
class DriverBoundTest extends SparkTestBase {

  private static final String[] SETTINGS = {"spark.sql.autoBroadcastJoinThreshold",
      "spark.sql.adaptive.autoBroadcastJoinThreshold", "spark.sql.adaptive.enabled", "spark.sql.shuffle.partitions"};

  /**
   * The two sizes. The smaller is above every fixed bound a stage may bring back whole (the 1,024 buckets of one
   * time cut-off pass, Spark's range-partitioning sample), so that what differs between the two runs is only what
   * grows with the rows.
   */
  private static final int SMALL = 2000;
  private static final int LARGE = 10000;
  /** Result bytes returned to the driver per stage, per size. */
  private static final Map<String, Map<Integer, Long>> RESULT_BYTES = new LinkedHashMap<>();
  private static final Map<String, String> BEFORE = new LinkedHashMap<>();

  @TempDir
  static Path dir;

  @BeforeAll
  static void runTheStagesAtTwoSizes() throws IOException {
    for (String key : SETTINGS) {
      BEFORE.put(key, spark.conf().get(key, null));
    }
    spark.conf().set("spark.sql.autoBroadcastJoinThreshold", "-1");
    spark.conf().set("spark.sql.adaptive.autoBroadcastJoinThreshold", "-1");
    spark.conf().set("spark.sql.adaptive.enabled", "false");
    // Pinned, whatever an earlier test in this JVM left (an in-process CLI run sets its own): every job's task
    // count, and so the fixed part of the result bytes, follows this number, and a data-dependent number of
    // small jobs (the cut-off's histogram passes: 2 at one size, 3 at the other) must not cost 200 tasks each.
    spark.conf().set("spark.sql.shuffle.partitions", "2");
    for (int rows : new int[] {SMALL, LARGE}) {
      Path root = dir.resolve("n" + rows);
      LakepipeConfig config = TestConfigs.of(conf(root, rows));
      RunContext run = new RunContext("bound-" + rows, Instant.parse("2026-11-29T12:00:00Z"));
      measure("ingest", rows, () -> IngestJob.run(spark, config, run));
      measure("clean", rows, () -> CleanJob.run(spark, config, run));
      measure("features", rows, () -> FeaturesJob.run(spark, config, run));
      // Nothing new: every file is found in ops.ingest_log (a join on executors, not the log on the driver).
      measure("ingest-again", rows, () -> IngestJob.run(spark, config,
          new RunContext("again-" + rows, Instant.parse("2026-11-29T13:00:00Z"))));
    }
  }

  @AfterAll
  static void restore() {
    BEFORE.forEach((key, value) -> {
      if (value == null) {
        spark.conf().unset(key);
      } else {
        spark.conf().set(key, value);
      }
    });
  }

  @Test
  void ingestReturnsNoPerRowDataToTheDriver() {
    assertBounded("ingest", INGEST_BOUND);
  }

  @Test
  void ingestWithNothingNewReturnsNoPerFileDataToTheDriver() {
    assertBounded("ingest-again", INGEST_BOUND);
  }

  @Test
  void cleanReturnsNoPerRowDataToTheDriver() {
    assertBounded("clean", BOUND);
  }

  @Test
  void featuresReturnsNoPerRowDataToTheDriver() {
    assertBounded("features", BOUND);
  }

  /**
   * At five times the rows, the result bytes may grow by at most 24 KB: less than half of what collecting one
   * 8-byte key for each of the 8,000 extra rows would add (64 KB), far less than collecting rows (each row here
   * carries a ~350-byte text: 2.8 MB). Measured growth: a few KB (task metrics vary by some hundred bytes per
   * job, and a time cut-off's last pass holds the few rows of one bucket, more at the larger size).
   */
  private static void assertBounded(String stage, long bound) {
    long small = RESULT_BYTES.get(stage).get(SMALL);
    long large = RESULT_BYTES.get(stage).get(LARGE);
    assertThat(small).as("%s result bytes at %d rows", stage, SMALL).isPositive();
    assertThat(large - small).as("%s: result bytes returned to the driver at %d rows (%d) minus at %d rows (%d)",
        stage, LARGE, large, SMALL, small).isLessThanOrEqualTo(bound);
  }

  /** At five times the rows, clean's and features' result bytes may grow by at most this much (see below). */
  private static final long BOUND = 24 * 1024;
  /**
   * Ingest's allowance, a third of the others: ingest brings one row per source to the driver, nothing per file
   * or row. The email source has n / 20 files (100, then 500). Before, ingest collected per file its checksum
   * and, on a run that finds files logged, what the log knew of each: measured on that code with a text source
   * at 20 and 100 files, 64 and 74 result bytes more per file, so the 400 more files here would add about 25 KB
   * and 29 KB. Measured growth now, in two runs of the test: +49 and -3,106 bytes (first run), -172 and -3,560
   * bytes (nothing new).
   */
  private static final long INGEST_BOUND = 8 * 1024;

  private static void measure(String stage, int rows, Runnable job) {
    SparkJobCounter.Count count = SparkJobCounter.measure(spark, job);
    RESULT_BYTES.computeIfAbsent(stage, s -> new LinkedHashMap<>()).put(rows, count.resultBytes());
    System.out.printf("%s at %d rows (%s): %d result bytes by call site:%n%s", stage, rows, count,
        count.resultBytes(), count.resultBytesByCallSiteText());
  }

  private static String conf(Path root, int rows) throws IOException {
    Path csv = Files.createDirectories(root.resolve("in/csv"));
    Path jsonl = Files.createDirectories(root.resolve("in/jsonl"));
    Random random = new Random(rows);
    StringBuilder c = new StringBuilder("id,text,label,sent\n");
    StringBuilder j = new StringBuilder();
    Instant t0 = Instant.parse("2020-01-01T00:00:00Z");
    for (int i = 0; i < rows; i++) {
      String text = words(random, 60);
      String label = i % 2 == 0 ? "ham" : "spam";
      String time = t0.plusSeconds(3600L * i).toString();
      if (i % 2 == 0) {
        c.append(String.format(Locale.ROOT, "c%d,%s,%s,%s%n", i, text, label, time));
      } else {
        j.append(String.format(Locale.ROOT, "{\"id\": \"j%d\", \"body\": \"%s\", \"class\": \"%s\", "
            + "\"at\": \"%s\"}%n", i, text, label, time));
      }
    }
    Files.writeString(csv.resolve("rows.csv"), c, StandardCharsets.UTF_8);
    Files.writeString(jsonl.resolve("rows.jsonl"), j, StandardCharsets.UTF_8);
    // One message per file, n / 20 files, half ham, half spam, half an hour after the CSV and JSON rows' hours.
    DateTimeFormatter rfc822 = DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.ROOT)
        .withZone(ZoneOffset.UTC);
    for (int i = 0; i < rows / 20; i++) {
      Path folder = Files.createDirectories(root.resolve("in/mail/" + (i % 2 == 0 ? "ham" : "spam")));
      Files.writeString(folder.resolve("m" + i + ".eml"), "Message-ID: <m" + i + "@bound>\nDate: "
          + rfc822.format(t0.plusSeconds(3600L * i + 1800)) + "\nSubject: s\n\n" + words(random, 60) + "\n",
          StandardCharsets.UTF_8);
    }
    return """
        dataset {
          name = "bound"
          columns { id = "id", text = ["text"], label = "label", event-time = "event_time" }
          required = ["id", "text", "label"]
        }
        tables.warehouse = "%s"
        ingest.sources {
          a { format = csv, path = "%s", columns { id = "id", text = "text", label = "label", event_time = "sent" } }
          b { format = jsonl, path = "%s", columns { id = "id", text = "body", label = "class", event_time = "at" } }
          c { format = email, path = "%s", columns { id = "Message-ID", text = "_body", label = "_parent_dir",
              event_time = "Date" } }
        }
        features {
          split { policy = time, fractions { train = 0.8, validation = 0.1, test = 0.1 } }
          text.num-features = 256
        }
        """.formatted(root.resolve("lake"), csv, jsonl, root.resolve("in/mail"));
  }

  /** n random lowercase words of 3 to 8 letters, space-separated. */
  private static String words(Random random, int n) {
    StringBuilder out = new StringBuilder();
    for (int w = 0; w < n; w++) {
      if (w > 0) {
        out.append(' ');
      }
      int len = 3 + random.nextInt(6);
      for (int k = 0; k < len; k++) {
        out.append((char) ('a' + random.nextInt(26)));
      }
    }
    return out.toString();
  }
}
