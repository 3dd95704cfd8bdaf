package dev.lakepipe.train;

import dev.lakepipe.core.LakepipeErrors;
import dev.lakepipe.core.model.WarmupCosineSchedule;
import java.util.List;
import java.util.Locale;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.GradientNormalization;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.Convolution1DLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.EmbeddingSequenceLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SelfAttentionLayer;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;
import org.nd4j.linalg.schedule.ISchedule;

/**
 * Builds the network a conf names, as a DL4J {@code ComputationGraph} configuration, so every network (one
 * input or two) trains, saves and scores the same way.
 *
 * <ul>
 *   <li>{@code mlp}: {@code features} → dense layers ({@code hidden}, {@code activation}, optional batch norm
 *       and dropout) → softmax.</li>
 *   <li>{@code text-cnn}: {@code text_ids} → embedding → optional self-attention → 1D convolution → global max
 *       pooling; {@code text-lstm}: the same with an LSTM instead of the convolution. With
 *       {@code with-features} the dense {@code features} join the pooled text (a merge vertex) before the
 *       dense layers.</li>
 * </ul>
 * The loss is class-weighted cross-entropy ({@code LossMCXENT} with the fitted class weights): for every row
 * it equals the row's {@code weight} column times its cross-entropy, since {@code weight} is the class weight
 * of the row's label (docs/train.md).
 */
public final class NetworkFactory {

  public static final String FEATURES = "features";
  public static final String TEXT_IDS = "text_ids";
  static final String OUTPUT = "output";

  /** What the data gives the network: the dense vector's size, the token sequence's length and vocabulary. */
  public record Shape(int featureSize, int sequenceLength, int vocabulary, int classes) {}

  private NetworkFactory() {}

  /** The inputs the network takes, in order. */
  public static List<String> inputs(TrainSettings.Network n) {
    if (n.type().equals("mlp")) {
      return List.of(FEATURES);
    }
    return n.withFeatures() ? List.of(TEXT_IDS, FEATURES) : List.of(TEXT_IDS);
  }

  /** Checks that the data can feed the network; an error naming the key and the fix otherwise. */
  public static void check(TrainSettings.Network n, Shape shape) {
    if (shape.classes() < 2) {
      throw LakepipeErrors.jobFailed("train", String.format(Locale.ROOT, "the train split has %d label%s; a "
          + "classifier needs at least two. Check dataset.columns.label and the features stage's split.",
          shape.classes(), shape.classes() == 1 ? "" : "s"), null);
    }
    if (!n.type().equals("mlp") && shape.sequenceLength() <= 0) {
      throw LakepipeErrors.config(String.format(Locale.ROOT, "Cannot train train.network.type = %s: the dataset "
          + "has no text_ids (the features run used text.representation = tfidf). Set features.text.representation "
          + "= sequence and run 'lakepipe features' again, or use train.network.type = mlp.", n.type()));
    }
    if (inputs(n).contains(FEATURES) && shape.featureSize() <= 0) {
      throw LakepipeErrors.config("Cannot train on features: the features vector is empty. Declare text, numeric "
          + "or categorical columns, or set train.network.with-features = false.");
    }
  }

  /**
   * The configuration for {@code s} and {@code shape}; {@code iterationsPerEpoch} sizes the schedule
   * (warm-up epochs and the cosine's length over {@code epochs}).
   */
  public static ComputationGraphConfiguration build(TrainSettings s, Shape shape, double[] classWeights,
      int iterationsPerEpoch) {
    check(s.network(), shape);
    TrainSettings.Network n = s.network();
    ISchedule schedule = schedule(s.schedule(), s.epochs(), iterationsPerEpoch);
    NeuralNetConfiguration.Builder b = new NeuralNetConfiguration.Builder()
        .seed(s.seed())
        .dataType(s.precision().equals("half") ? DataType.HALF : DataType.FLOAT)
        .weightInit(WeightInit.XAVIER)
        .updater(updater(s.optimizer(), schedule));
    if (s.optimizer().l2() > 0) {
      b.l2(s.optimizer().l2());
    }
    if (s.optimizer().weightDecay() > 0) {
      // AdamW: weight decay applied to the parameters directly (scaled by the learning rate), not through Adam.
      b.weightDecay(s.optimizer().weightDecay(), true);
    }
    if (s.optimizer().gradientClip() > 0) {
      b.gradientNormalization(GradientNormalization.ClipL2PerLayer)
          .gradientNormalizationThreshold(s.optimizer().gradientClip());
    }
    ComputationGraphConfiguration.GraphBuilder g = b.graphBuilder();
    List<String> inputs = inputs(n);
    g.addInputs(inputs.toArray(new String[0]));
    // Every layer's nIn is set here, not inferred from input types: DL4J's inference would overwrite the
    // embedding's vocabulary with the sequence length.
    String last;
    int width;
    if (n.type().equals("mlp")) {
      last = FEATURES;
      width = shape.featureSize();
    } else {
      g.addLayer("embedding", new EmbeddingSequenceLayer.Builder().nIn(shape.vocabulary()).nOut(n.embeddingSize())
          .inputLength(shape.sequenceLength()).build(), TEXT_IDS);
      last = "embedding";
      if (n.attentionHeads() > 0) {
        g.addLayer("attention", new SelfAttentionLayer.Builder().nIn(n.embeddingSize()).nOut(n.embeddingSize())
            .nHeads(n.attentionHeads()).projectInput(true).build(), last);
        last = "attention";
      }
      if (n.type().equals("text-cnn")) {
        g.addLayer("conv", new Convolution1DLayer.Builder().kernelSize(n.kernelSize()).nIn(n.embeddingSize())
            .nOut(n.filters()).convolutionMode(ConvolutionMode.Same).activation(activation(n.activation()))
            .build(), last);
        last = "conv";
        width = n.filters();
      } else {
        g.addLayer("lstm", new LSTM.Builder().nIn(n.embeddingSize()).nOut(n.lstmSize())
            .activation(Activation.TANH).build(), last);
        last = "lstm";
        width = n.lstmSize();
      }
      g.addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.MAX).build(), last);
      last = "pool";
      if (n.withFeatures()) {
        g.addVertex("merge", new MergeVertex(), last, FEATURES);
        last = "merge";
        width += shape.featureSize();
      }
    }
    for (int i = 0; i < n.hidden().size(); i++) {
      String name = "dense" + i;
      DenseLayer.Builder dense = new DenseLayer.Builder().nIn(width).nOut(n.hidden().get(i))
          .activation(activation(n.activation()));
      if (n.dropout() > 0) {
        dense.dropOut(1.0 - n.dropout()); // DL4J takes the probability of keeping a unit
      }
      g.addLayer(name, dense.build(), last);
      last = name;
      width = n.hidden().get(i);
      if (n.batchNorm()) {
        g.addLayer(name + "_bn", new BatchNormalization.Builder().nIn(width).nOut(width).build(), last);
        last = name + "_bn";
      }
    }
    g.addLayer(OUTPUT, new OutputLayer.Builder(new LossMCXENT(Nd4j.create(classWeights).castTo(
        s.precision().equals("half") ? DataType.HALF : DataType.FLOAT).reshape(1, classWeights.length)))
        .nIn(width).nOut(shape.classes()).activation(Activation.SOFTMAX).build(), last);
    g.setOutputs(OUTPUT);
    return g.build();
  }

  /** The learning rate per iteration: warm-up then cosine to the floor, or warm-up then constant. */
  public static ISchedule schedule(TrainSettings.Schedule s, int epochs, int iterationsPerEpoch) {
    int perEpoch = Math.max(1, iterationsPerEpoch);
    int total = Math.max(1, epochs * perEpoch);
    int warmup = (int) Math.min(total, Math.round(s.warmupEpochs() * perEpoch));
    double floor = s.cosine() ? s.floor() : s.base();
    return new WarmupCosineSchedule(s.base(), floor, warmup, total);
  }

  static IUpdater updater(TrainSettings.Optimizer o, ISchedule lr) {
    return switch (o.type()) {
      case "sgd" -> o.momentum() > 0 ? new Nesterovs(lr, o.momentum()) : new Sgd(lr);
      default -> new Adam(lr);
    };
  }

  static Activation activation(String name) {
    return switch (name) {
      case "leakyrelu" -> Activation.LEAKYRELU;
      case "tanh" -> Activation.TANH;
      case "sigmoid" -> Activation.SIGMOID;
      case "elu" -> Activation.ELU;
      case "gelu" -> Activation.GELU;
      case "swish" -> Activation.SWISH;
      case "identity" -> Activation.IDENTITY;
      default -> Activation.RELU;
    };
  }
}
