package dev.lakepipe.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakepipe.core.RunContext;
import dev.lakepipe.core.model.ModelStore;
import dev.lakepipe.core.model.ModelVersion;
import dev.lakepipe.core.testing.SparkTestBase;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The text networks on {@link TrainFixture} with {@code features.text.representation = sequence}: token ids in
 * {@code text_ids} (vocabulary of 7 + 7 + "message" + 120 numbers, padded to 8), a 1D CNN over the embedding,
 * merged with the dense {@code features} (two inputs), and an LSTM with self-attention over the ids alone.
 */
class TextNetworkTest extends SparkTestBase {

  private static final String SEQUENCE = "text { representation = sequence, max-length = 8, vocabulary-size = 200 }";

  @TempDir
  static Path warehouse;

  @BeforeAll
  static void features() {
    TrainFixture.build(spark, warehouse, SEQUENCE);
  }

  @Test
  void aConvolutionOverTheTokensWithTheDenseFeaturesBesideIt() {
    TrainReport r = TrainJob.run(spark, TrainFixture.config(warehouse, SEQUENCE,
            "epochs = 3, network { type = text-cnn, embedding-size = 8, filters = 8, with-features = true }"),
        RunContext.of("cnn"), TrainJob.Mode.FRESH, l -> { });
    ModelVersion v = new ModelStore(warehouse.resolve("_models").toString(),
        spark.sparkContext().hadoopConfiguration()).load("cnn");
    assertThat(v.inputs()).containsExactly("text_ids", "features");
    assertThat(v.sequenceLength()).isEqualTo(8);
    assertThat(v.network()).startsWith("text-cnn embedding ").contains("conv3x8", "+ features");
    assertThat(r.best().validationMacroF1()).isGreaterThan(r.majorityBaseline());
  }

  @Test
  void anLstmWithSelfAttentionOverTheTokensAlone() {
    TrainReport r = TrainJob.run(spark, TrainFixture.config(warehouse, SEQUENCE,
            "epochs = 2, network { type = text-lstm, embedding-size = 8, lstm-size = 8, attention-heads = 2, "
                + "with-features = false }"),
        RunContext.of("lstm"), TrainJob.Mode.FRESH, l -> { });
    ModelVersion v = new ModelStore(warehouse.resolve("_models").toString(),
        spark.sparkContext().hadoopConfiguration()).load("lstm");
    assertThat(v.inputs()).containsExactly("text_ids");
    assertThat(v.network()).contains("attention x2", "lstm8");
    assertThat(r.history()).hasSize(2);
  }
}
