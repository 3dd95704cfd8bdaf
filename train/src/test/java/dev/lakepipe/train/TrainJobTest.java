package dev.lakepipe.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lakepipe.core.LakepipeException;
import dev.lakepipe.core.RunContext;
import dev.lakepipe.core.TableCatalog;
import dev.lakepipe.core.config.LakepipeConfig;
import dev.lakepipe.core.model.ModelStore;
import dev.lakepipe.core.model.ModelVersion;
import dev.lakepipe.core.testing.SparkTestBase;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code lakepipe train} end to end on {@link TrainFixture}'s warehouse: the real features stage, then training
 * on {@code local[2]} with each master, the tables and the model store, and each bad input refused before
 * anything is written to {@code results.*}.
 */
class TrainJobTest extends SparkTestBase {

  @TempDir
  static Path warehouse;

  @BeforeAll
  static void features() {
    TrainFixture.build(spark, warehouse);
  }

  static LakepipeConfig config(String train) {
    return TrainFixture.config(warehouse, train);
  }

  private static long count(String sql) {
    return spark.sql(sql).first().getLong(0);
  }

  /** The history rows of the given runs; none when no run on this warehouse has created the table yet. */
  private static long historyRows(String runIds) {
    TableCatalog catalog = new TableCatalog(spark, config("").tables());
    catalog.registerAll();
    return catalog.exists(catalog.table("training-history"))
        ? count("SELECT count(*) FROM results.training_history WHERE run_id IN (" + runIds + ")") : 0;
  }

  @Test
  void parameterAveragingTrainsPublishesAndRecordsEveryEpoch() throws IOException {
    List<String> progress = new ArrayList<>();
    TrainReport report = TrainJob.run(spark, config(""), RunContext.of("avg-1"), TrainJob.Mode.FRESH,
        progress::add);

    // The data: 64 + 32 train rows in minibatches of 8; 8 + 4 validation rows.
    assertThat(report.trainRows()).isEqualTo(96);
    assertThat(report.workers()).isEqualTo(2);
    assertThat(report.master()).isEqualTo("averaging");
    // Always predicting ham (train's majority) on 8 ham + 4 spam: F1(ham) = 2*8/(12+8) = 0.8, F1(spam) = 0.
    assertThat(report.majorityBaseline()).isCloseTo(0.4, org.assertj.core.api.Assertions.within(1e-12));
    // The words separate the classes: the model must beat the baseline by far.
    assertThat(report.best().validationMacroF1()).isGreaterThan(0.9);

    // One progress line and one history row per epoch; every epoch does the same number of iterations.
    assertThat(progress).filteredOn(l -> l.startsWith("epoch")).hasSize(report.history().size());
    new TableCatalog(spark, config("").tables()).registerAll();
    assertThat(count("SELECT count(*) FROM results.training_history WHERE run_id = 'avg-1'"))
        .isEqualTo(report.history().size());
    List<Row> history = spark.sql("SELECT epoch, iteration, best_so_far, master, workers FROM "
        + "results.training_history WHERE run_id = 'avg-1' ORDER BY epoch").collectAsList();
    for (int i = 0; i < history.size(); i++) {
      assertThat(history.get(i).getInt(0)).isEqualTo(i + 1);
      assertThat(history.get(i).getLong(1)).isEqualTo(history.get(0).getLong(1) * (i + 1)).isPositive();
      assertThat(history.get(i).getString(3)).isEqualTo("averaging");
    }

    // The model store and results.models agree, and the zip holds the best epoch's network.
    ModelStore store = new ModelStore(warehouse.resolve("_models").toString(),
        spark.sparkContext().hadoopConfiguration());
    ModelVersion v = store.load("avg-1");
    assertThat(v.labels()).containsExactly("ham", "spam");
    assertThat(v.inputs()).containsExactly("features");
    assertThat(v.bestEpoch()).isEqualTo(report.bestEpoch());
    assertThat(v.goldVersion()).isZero();
    assertThat(v.featuresRun()).isEqualTo("features-1");
    Row models = spark.sql("SELECT best_epoch, best_metric, stop_reason, parameters, gold_version, labels "
        + "FROM results.models WHERE run_id = 'avg-1'").first();
    assertThat(models.getInt(0)).isEqualTo(report.bestEpoch());
    assertThat(models.getDouble(1)).isEqualTo(report.best().validationMacroF1());
    // features = 32 text slots + 1 numeric + 1 missing flag = 34; 34*8+8 + 8*2+2 parameters.
    assertThat(models.getLong(3)).isEqualTo(34L * 8 + 8 + 8 * 2 + 2);
    assertThat(models.getList(5)).containsExactly("ham", "spam");
    assertThat(Files.isRegularFile(warehouse.resolve("_models/avg-1/model.zip"))).isTrue();

    // Re-training on the same gold version reuses the minibatch files (their times do not change).
    Map<Path, FileTime> before = minibatchTimes();
    TrainJob.run(spark, config("epochs = 1"), RunContext.of("avg-2"), TrainJob.Mode.FRESH, l -> { });
    assertThat(minibatchTimes()).isEqualTo(before);
  }

  @Test
  void gradientSharingTrainsTheSameData() {
    TrainReport report = TrainJob.run(spark, config("master = sharing, epochs = 3"), RunContext.of("share-1"),
        TrainJob.Mode.FRESH, l -> { });
    assertThat(report.master()).isEqualTo("sharing");
    assertThat(report.history()).hasSize(3);
    // The iteration counter goes on across epochs: ceil(12 minibatches / 2 workers) = 6 iterations per epoch.
    // (It starts from 0 in a fresh JVM; after other gradient-sharing runs in the same JVM, DL4J carries a
    // JVM-wide count over, so only the steps are asserted.)
    List<Long> iterations = report.history().stream().map(EpochRecord::iteration).toList();
    assertThat(iterations.get(1) - iterations.get(0)).isEqualTo(6);
    assertThat(iterations.get(2) - iterations.get(1)).isEqualTo(6);
    assertThat(report.best().validationMacroF1()).isGreaterThan(report.majorityBaseline());
  }

  @Test
  void aSequenceNetworkWithoutTextIdsIsRefusedBeforeAnythingIsWritten() {
    assertThatThrownBy(() -> TrainJob.run(spark, config("network.type = text-cnn"), RunContext.of("bad-1"),
        TrainJob.Mode.FRESH, l -> { }))
        .isInstanceOf(LakepipeException.class)
        .hasMessageContaining("Cannot train train.network.type = text-cnn: the dataset has no text_ids")
        .hasMessageContaining("features.text.representation = sequence");
    new TableCatalog(spark, config("").tables()).registerAll();
    assertThat(Files.exists(warehouse.resolve("_models/bad-1"))).isFalse();
  }

  @Test
  void resumeWithoutACheckpointOrWithACorruptOneSaysWhatToDo() throws IOException {
    assertThatThrownBy(() -> TrainJob.run(spark, config(""), RunContext.of("never-ran"), TrainJob.Mode.RESUME,
        l -> { }))
        .isInstanceOf(LakepipeException.class)
        .hasMessageContaining("Cannot resume training run 'never-ran': there is no complete checkpoint in")
        .hasMessageContaining("without --resume");
    Path epoch = warehouse.resolve("_models/corrupt/checkpoints/epoch-0001");
    Files.createDirectories(epoch);
    Files.writeString(epoch.resolve("state.json"), "{\"epoch\": 1, \"fingerprint\": ");
    Files.writeString(epoch.resolve("model.zip"), "not a zip");
    assertThatThrownBy(() -> TrainJob.run(spark, config(""), RunContext.of("corrupt"), TrainJob.Mode.RESUME,
        l -> { }))
        .isInstanceOf(LakepipeException.class)
        .hasMessageContaining("Cannot resume training run 'corrupt': the checkpoint")
        .hasMessageContaining("is corrupt");
    assertThat(historyRows("'never-ran', 'corrupt'")).isZero();
  }

  @Test
  void aLossThatBecomesNanStopsWithTheEpochAndTheFix() {
    // Every worker's parameters overflow to NaN after its first minibatch, as a diverging run's do. (Divergence
    // from a large learning rate alone depends on the CPU's rounding: a learning rate of 10 diverged within
    // 4 epochs on this machine and not on CI's.) The scores of the later minibatches are then NaN, so the first
    // epoch's averaged train loss is too.
    TrainSettings settings = TrainSettings.parse(config("epochs = 3"));
    assertThatThrownBy(() -> TrainJob.run(spark, config("epochs = 3"), settings, RunContext.of("nan-1"),
        TrainJob.Mode.FRESH, l -> { }, List.of(new Overflow())))
        .isInstanceOf(LakepipeException.class)
        .hasMessageContaining("the train loss became NaN in epoch 1 (learning rate")
        .hasMessageContaining("Lower train.learning-rate.base")
        .hasMessageContaining("No model version was published");
    assertThat(Files.exists(warehouse.resolve("_models/nan-1/model.json"))).isFalse();
    assertThat(historyRows("'nan-1'")).isZero();
  }

  /** Sets a worker's parameters to NaN after every iteration, from its first on. */
  static final class Overflow extends BaseTrainingListener implements Serializable {
    @Override
    public void iterationDone(Model model, int iteration, int epoch) {
      model.params().assign(Double.NaN);
    }
  }

  private static Map<Path, FileTime> minibatchTimes() throws IOException {
    Map<Path, FileTime> out = new TreeMap<>();
    try (Stream<Path> files = Files.walk(warehouse.resolve("_artifacts/train/minibatches"))) {
      for (Path p : files.filter(Files::isRegularFile).toList()) {
        out.put(p, Files.getLastModifiedTime(p));
      }
    }
    assertThat(out).isNotEmpty();
    return out;
  }
}
