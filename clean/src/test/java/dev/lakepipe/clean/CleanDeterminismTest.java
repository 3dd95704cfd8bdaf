package dev.lakepipe.clean;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakepipe.core.RunContext;
import dev.lakepipe.core.config.LakepipeConfig;
import dev.lakepipe.core.testing.SparkTestBase;
import dev.lakepipe.core.testing.TestConfigs;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The clean stage's decisions do not depend on partitioning: the real job runs on the same bronze rows at
 * {@code spark.sql.shuffle.partitions} 1 and 11 without adaptive query execution and 3 with it (bronze
 * itself written as that many files), and every run's whole {@code silver.records}, {@code ops.duplicates}
 * and clean {@code ops.quarantine} (every column, as JSON, sorted) must equal the first run's. The run id and
 * start time are fixed, so even the timestamps the job stamps are compared.
 *
 * <p>Bronze: {@link CleanJobTest}'s 11 rows (its Javadoc works them out: 3 kept, 3 exact, 1 near, 4
 * quarantined, 2 in label conflicts) plus 30 families g0..g29 of 30-word random-letter texts (unrelated
 * families share no near-duplicate pair), label ham / spam / phish by k mod 3, event time 2002-01-01 + k days:
 * <pre>
 *   g{k}a          every k                  the family's original
 *   g{k}b  k%3==0  (0,3,..,27)              exact copy from source src2, same time: keeper g{k}a by id
 *   g{k}c  k%5==1  (1,6,11,16,21,26)        word 15 replaced (Jaccard about 0.9), time + 1 day
 *   g{k}d  k%7==2  (2,9,16,23)              exact copy with another label, time + 2 days
 *   k%8==5  (5,13,21,29)                    the whole family dated 1980: RULE_FAILED
 *   k%10==7 (7,17,27)                       g{k}a labelled "maybe": UNKNOWN_LABEL (g27b stays, alone)
 *   k%11==4 (4,15,26)                       g{k}a and g{k}b have no time: kept, flagged; in g26 the near copy
 *                                           g26c has a time, so it is the keeper and g26a goes as near
 * </pre>
 * Quarantined 13: rule 6 (g5a, g13a, g21a/b/c, g29a), unknown 3 (g7a, g17a, g27a), label conflicts 4 (g2a/d
 * and g23a/d, agreement 1/2 &lt; 0.6). Exact 10: the b copies of k = 0, 3, 6, 9, 12, 15, 18, 24 (21 and 27
 * lost their original above) and g9d, g16d (clusters of 3 with agreement 2/3 &gt;= 0.6). Near 5: g1c, g6c,
 * g11c, g16c, g26a. Kept 22 (one per family but the 8 families 2, 5, 7, 13, 17, 21, 23, 29). So 50 generated
 * rows = 22 + 10 + 5 + 13, and with CleanJobTest's: 61 in = 25 kept + 13 exact + 6 near + 17 quarantined,
 * 6 rows in label conflicts.
 */
class CleanDeterminismTest extends SparkTestBase {

  private static final RunContext RUN = new RunContext("clean-det", Instant.parse("2026-11-29T12:00:00Z"));
  private static final StructType BRONZE = new StructType()
      .add("id", DataTypes.StringType).add("text", DataTypes.StringType).add("label", DataTypes.StringType)
      .add("event_time", DataTypes.TimestampType).add("_record_id", DataTypes.StringType)
      .add("_source", DataTypes.StringType).add("_source_file", DataTypes.StringType)
      .add("_source_row", DataTypes.LongType).add("_ingested_at", DataTypes.TimestampType)
      .add("run_id", DataTypes.StringType);
  private static final Timestamp INGESTED = Timestamp.from(Instant.parse("2026-11-23T00:00:00Z"));
  private static final Instant T0 = Instant.parse("2002-01-01T00:00:00Z");

  /** What one configuration wrote: the whole tables as sorted JSON rows. */
  record Outcome(CleanReport report, List<String> silver, List<String> duplicates, List<String> quarantine) {}

  private static final Map<String, Outcome> OUTCOMES = new LinkedHashMap<>();

  @TempDir
  static Path root;

  @BeforeAll
  static void runCleanUnderEveryConfiguration() {
    List<Row> rows = bronzeRows();
    String partitionsBefore = spark.conf().get("spark.sql.shuffle.partitions");
    String adaptiveBefore = spark.conf().get("spark.sql.adaptive.enabled");
    try {
      // Each partition count once and AQE both ways: 1 without AQE, 3 with it (coalesced shuffles, joins
      // re-planned at run time), 11 without (eleven real shuffle partitions); six combinations cost twice the time
      // for no other code path.
      for (Object[] setting : new Object[][] {{1, false}, {3, true}, {11, false}}) {
        int partitions = (Integer) setting[0];
        boolean adaptive = (Boolean) setting[1];
        spark.conf().set("spark.sql.shuffle.partitions", Integer.toString(partitions));
        spark.conf().set("spark.sql.adaptive.enabled", Boolean.toString(adaptive));
        Path lake = root.resolve("p" + partitions + "-aqe-" + adaptive);
        spark.createDataFrame(rows, BRONZE).repartition(partitions).write().format("delta")
            .save(lake.resolve("bronze/records").toString());
        CleanReport report = CleanJob.run(spark, config(lake), RUN);
        OUTCOMES.put("shuffle.partitions=" + partitions + ", adaptive=" + adaptive, new Outcome(report,
            json(lake.resolve("silver/records"), "true"),
            json(lake.resolve("ops/duplicates"), "true"),
            json(lake.resolve("ops/quarantine"), "stage = 'clean'")));
      }
    } finally {
      spark.conf().set("spark.sql.shuffle.partitions", partitionsBefore);
      spark.conf().set("spark.sql.adaptive.enabled", adaptiveBefore);
    }
  }

  @Test
  void theFixtureExercisesEveryKindOfDecision() {
    Outcome first = OUTCOMES.values().iterator().next();
    CleanReport r = first.report();
    // Worked out in the class Javadoc.
    assertThat(List.of(r.in(), r.kept(), r.exactDuplicates(), r.nearDuplicates(), r.quarantined(),
        r.labelConflicts())).containsExactly(61L, 25L, 13L, 6L, 17L, 6L);
    assertThat(first.silver()).hasSize(25);
    assertThat(first.duplicates()).hasSize(19);
    assertThat(first.quarantine()).hasSize(17);
    // The tie-breaks the Javadoc relies on: a timed near copy beats an untimed original; equal times go by id.
    assertThat(first.duplicates()).anySatisfy(d -> assertThat(d)
        .contains("\"removed_record_id\":\"g26a\",\"kept_record_id\":\"g26c\",\"kind\":\"near\""));
    assertThat(first.duplicates()).anySatisfy(d -> assertThat(d)
        .contains("\"removed_record_id\":\"g15b\",\"kept_record_id\":\"g15a\",\"kind\":\"exact\""));
  }

  @Test
  void silverIsTheSameWholeAtEveryPartitionCountWithAndWithoutAdaptiveExecution() {
    assertSameEverywhere(Outcome::silver);
  }

  @Test
  void duplicateDecisionsAreTheSameWhole() {
    assertSameEverywhere(Outcome::duplicates);
  }

  @Test
  void quarantineIsTheSameWhole() {
    assertSameEverywhere(Outcome::quarantine);
  }

  private static void assertSameEverywhere(java.util.function.Function<Outcome, List<String>> table) {
    assertThat(OUTCOMES).hasSize(3);
    Map.Entry<String, Outcome> reference = OUTCOMES.entrySet().iterator().next();
    OUTCOMES.forEach((name, outcome) -> assertThat(table.apply(outcome))
        .as("%s against %s", name, reference.getKey()).isNotEmpty()
        .containsExactlyElementsOf(table.apply(reference.getValue())));
  }

  private static LakepipeConfig config(Path lake) {
    return TestConfigs.of("""
        dataset {
          name = "t"
          columns { id = "id", text = ["text"], label = "label", event-time = "event_time" }
        }
        tables.warehouse = "%s"
        clean {
          normalize.labels.synonyms { spam = ["1"], ham = ["0"], phish = ["p"] }
          rules = [ { id = "event-time-range", column = "event_time", check = range,
                      min = "1995-01-01T00:00:00Z", max = "2005-12-31T23:59:59Z" } ]
          missing { event_time = flag }
          label-conflicts.min-agreement = 0.6
        }
        """.formatted(lake));
  }

  /** Every row of a Delta table (optionally filtered) as JSON, sorted. */
  private static List<String> json(Path table, String filter) {
    return spark.read().format("delta").load(table.toString()).filter(filter).toJSON().collectAsList().stream()
        .sorted().toList();
  }

  static List<Row> bronzeRows() {
    List<Row> rows = new ArrayList<>();
    // CleanJobTest's rows.
    String t1 = "the quick brown fox jumps over the lazy dog near the river bank today";
    String t3 = "the quick brown fox jumps over the lazy dog near the river bank tonight";
    String t5 = "completely different message about a meeting schedule for next tuesday afternoon";
    String tx = "buy cheap watches now limited offer click here";
    Object[][] fixed = {
        {"r1", t1, "spam", "2002-01-01"}, {"r2", t1, "1", "2002-01-02"}, {"r3", t3, "spam", "2002-01-03"},
        {"r5", t5, "ham", "2002-02-01"}, {"r6", t5, "spam", "2002-02-02"},
        {"r7", "unknown label message with its own words entirely", "maybe", "2002-03-01"},
        {"r8", "an old message sent long before the corpus began", "ham", "1980-01-01"},
        {"r9", "a perfectly ordinary ham message about gardening", "ham", null},
        {"r10", tx, "spam", "2002-05-02"}, {"r11", tx, "spam", "2002-05-03"}, {"r12", tx, "ham", "2002-05-01"}};
    for (Object[] f : fixed) {
      String id = (String) f[0];
      rows.add(bronze(id, (String) f[1], (String) f[2],
          f[3] == null ? null : Instant.parse(f[3] + "T00:00:00Z"), "src", "file:/in/a.csv",
          Long.parseLong(id.substring(1))));
    }
    // The 30 generated families.
    Random random = new Random(20261129L);
    String[] labels = {"ham", "spam", "phish"};
    for (int k = 0; k < 30; k++) {
      List<String> words = new ArrayList<>();
      for (int w = 0; w < 30; w++) {
        StringBuilder word = new StringBuilder();
        for (int c = 4 + random.nextInt(5); c > 0; c--) {
          word.append((char) ('a' + random.nextInt(26)));
        }
        words.add(word.toString());
      }
      String text = String.join(" ", words);
      String label = labels[k % 3];
      Instant time = k % 8 == 5 ? Instant.parse("1980-01-01T00:00:00Z").plusSeconds(86400L * k)
          : T0.plusSeconds(86400L * k);
      Instant untimed = k % 11 == 4 ? null : time;
      rows.add(bronze("g" + k + "a", text, k % 10 == 7 ? "maybe" : label, untimed, "src", "file:/in/g.csv", k));
      if (k % 3 == 0) {
        rows.add(bronze("g" + k + "b", text, label, untimed, "src2", "file:/in/g2.csv", k));
      }
      if (k % 5 == 1) {
        List<String> changed = new ArrayList<>(words);
        changed.set(15, "replaced");
        rows.add(bronze("g" + k + "c", String.join(" ", changed), label, time.plusSeconds(86400), "src2",
            "file:/in/g2.csv", 100 + k));
      }
      if (k % 7 == 2) {
        rows.add(bronze("g" + k + "d", text, label.equals("ham") ? "spam" : "ham", time.plusSeconds(2 * 86400),
            "src3", "file:/in/g3.csv", k));
      }
    }
    return rows;
  }

  private static Row bronze(String id, String text, String label, Instant time, String source, String file,
      long row) {
    return RowFactory.create(id, text, label, time == null ? null : Timestamp.from(time), id, source, file, row,
        INGESTED, "ingest-1");
  }
}
