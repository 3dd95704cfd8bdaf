package dev.lakepipe.features;

import static org.apache.spark.sql.functions.array_sort;
import static org.apache.spark.ml.functions.vector_to_array;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.map_entries;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lakepipe.core.RunContext;
import dev.lakepipe.core.config.LakepipeConfig;
import dev.lakepipe.core.testing.SparkTestBase;
import dev.lakepipe.core.testing.TestConfigs;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.MapType;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The features stage's decisions do not depend on partitioning: the real job runs on the same silver rows and
 * near-duplicate links at {@code spark.sql.shuffle.partitions} 1 and 11 without adaptive query execution
 * and 3 with it (silver itself written as that many files), and every run's whole {@code gold.dataset} (every
 * record's split and fold, label index, weight, augmentation and feature vector), features
 * {@code ops.quarantine} and {@code ops.split_manifest} (counts, checks and the fitted
 * {@code pipeline_statistics}) must equal the first run's, as sorted JSON rows. The run id and start time are
 * fixed; the warehouse path, which differs per run by construction, is replaced by {@code <lake>}; maps are
 * compared as sorted entries.
 *
 * <p>One thing is not bit-identical, and the test says so rather than hiding it: the scaler's mean and standard
 * deviation are sums of doubles (Spark's {@code StandardScaler} summarizer) whose order follows the
 * partitioning, so they move in the last bit (measured: size_bytes mean 2538.955223880597 at 1 shuffle
 * partition, 2538.9552238805973 at 3), and with them the standardised slot of the vectors. Those numbers
 * (vector values and the {@code numeric.*.mean} / {@code .std} statistics) are compared rounded to 9 decimals;
 * everything else, every split, fold, weight, category, fill and count, exactly.
 *
 * <p>Silver: {@link FeaturesJobTest#silverRows} with 60 ham and 24 spam rows (sizes with gaps, two senders
 * for ham, three for spam) plus 2 phish rows, and {@code ops.duplicates} links r-h3~r-h17, r-h40~r-h41~r-h42
 * and r-s5~r-s20 (near duplicates kept in silver, so each cluster is one unit). Conf: stratified 0.8 / 0.1 /
 * 0.1 with 5 folds, {@code min-class-rows = 3}, oversampling and one swap copy of every spam train row.
 * Phish has round(2 * 0.8) = 2 train rows &lt; 3, so both are quarantined (RARE_LABEL): 86 in = 84 placed + 2
 * quarantined.
 */
class FeaturesDeterminismTest extends SparkTestBase {

  private static final RunContext RUN = new RunContext("features-det", Instant.parse("2026-11-29T12:00:00Z"));

  /** What one configuration wrote, as sorted JSON rows. */
  record Outcome(FeaturesReport report, List<String> gold, List<String> quarantine, List<String> manifest) {}

  private static final Map<String, Outcome> OUTCOMES = new LinkedHashMap<>();

  @TempDir
  static Path root;

  @BeforeAll
  static void runFeaturesUnderEveryConfiguration() {
    List<Row> rows = new ArrayList<>(FeaturesJobTest.silverRows(60, 24));
    rows.add(FeaturesJobTest.silverRow("p0", "phish", 100, FeaturesJobTest.T0.plusSeconds(7200)));
    rows.add(FeaturesJobTest.silverRow("p1", "phish", 101, FeaturesJobTest.T0.plusSeconds(86400L * 9)));
    StructType linkShape = new StructType().add("removed_record_id", DataTypes.StringType)
        .add("kept_record_id", DataTypes.StringType).add("kind", DataTypes.StringType)
        .add("run_id", DataTypes.StringType);
    List<Row> links = List.of(RowFactory.create("r-h17", "r-h3", "near", "clean-1"),
        RowFactory.create("r-h41", "r-h40", "near", "clean-1"), RowFactory.create("r-h42", "r-h41", "near", "clean-1"),
        RowFactory.create("r-s20", "r-s5", "near", "clean-1"));
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
        spark.createDataFrame(rows, FeaturesJobTest.SILVER).repartition(partitions).write().format("delta")
            .save(lake.resolve("silver/records").toString());
        spark.createDataFrame(links, linkShape).write().format("delta")
            .save(lake.resolve("ops/duplicates").toString());
        FeaturesReport report = FeaturesJob.run(spark, config(lake), RUN);
        String name = "shuffle.partitions=" + partitions + ", adaptive=" + adaptive;
        OUTCOMES.put(name, new Outcome(report,
            json(lake, "gold/dataset", "true"),
            json(lake, "ops/quarantine", "stage = 'features'"),
            json(lake, "ops/split_manifest", "true")));
      }
    } finally {
      spark.conf().set("spark.sql.shuffle.partitions", partitionsBefore);
      spark.conf().set("spark.sql.adaptive.enabled", adaptiveBefore);
    }
  }

  @Test
  void theFixtureExercisesClustersFoldsQuarantineAndAugmentation() {
    Outcome first = OUTCOMES.values().iterator().next();
    FeaturesReport r = first.report();
    assertThat(List.of(r.in(), r.placed(), r.quarantined())).containsExactly(86L, 84L, 2L);
    assertThat(r.augmented()).isPositive();
    assertThat(first.gold()).hasSize((int) (84 + r.augmented()));
    assertThat(first.quarantine()).hasSize(2).allSatisfy(q -> assertThat(q).contains("\"RARE_LABEL\""));
    // One manifest row per split; the train row carries what the pipeline learned.
    assertThat(first.manifest()).hasSize(3);
    assertThat(first.manifest()).filteredOn(m -> m.contains("\"split\":\"train\""))
        .singleElement().asString().contains("numeric.size_bytes.fill", "numeric.size_bytes.mean",
            "categorical.sender.categories");
  }

  @Test
  void everyRecordsSplitFoldAndVectorIsTheSameAtEveryPartitionCountWithAndWithoutAdaptiveExecution() {
    assertSameEverywhere(Outcome::gold);
  }

  @Test
  void quarantineIsTheSameWhole() {
    assertSameEverywhere(Outcome::quarantine);
  }

  @Test
  void manifestAndFittedStatisticsAreTheSameWhole() {
    assertSameEverywhere(Outcome::manifest);
  }

  private static void assertSameEverywhere(Function<Outcome, List<String>> table) {
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
          columns { id = id, text = [text], label = label, event-time = event_time, numeric = [size_bytes],
            categorical = [sender] }
        }
        tables.warehouse = "%s"
        features {
          split { policy = stratified, fractions { train = 0.8, validation = 0.1, test = 0.1 }, folds = 5 }
          min-class-rows = 3
          text.num-features = 64
          event-time.parts = [hour, day-of-week]
          augment { oversample.enabled = true, text { copies = 1, swaps = 1, labels = [spam] } }
          export.rows-per-file = 10
        }
        """.formatted(lake));
  }

  /**
   * Every row of a Delta table (optionally filtered) as JSON with maps as sorted entries and the warehouse path
   * replaced by {@code <lake>}, sorted.
   */
  private static List<String> json(Path lake, String table, String filter) {
    Dataset<Row> df = spark.read().format("delta").load(lake.resolve(table).toString()).filter(filter);
    Column[] columns = Arrays.stream(df.schema().fields())
        .map(f -> f.name().equals("features")
            ? expr("transform(features_array, x -> round(x, 9))").as(f.name())
            : f.name().equals("pipeline_statistics")
            ? expr("transform(array_sort(map_entries(pipeline_statistics)), e -> named_struct('key', e.key, "
                + "'value', CASE WHEN e.key LIKE 'numeric.%.mean' OR e.key LIKE 'numeric.%.std' "
                + "THEN CAST(round(CAST(e.value AS DOUBLE), 9) AS STRING) ELSE e.value END))").as(f.name())
            : f.dataType() instanceof MapType ? array_sort(map_entries(col(f.name()))).as(f.name())
            : col(f.name()))
        .toArray(Column[]::new);
    if (Arrays.asList(df.columns()).contains("features")) {
      df = df.withColumn("features_array", vector_to_array(col("features"), "float64"));
    }
    return df.select(columns).toJSON().collectAsList().stream()
        .map(j -> j.replace(lake.toUri().toString(), "<lake>/").replace(lake.toString(), "<lake>"))
        .sorted().toList();
  }
}
