package dev.lakepipe.train;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValueType;
import dev.lakepipe.core.config.ConfigProblems;
import dev.lakepipe.core.config.DatasetSchema;
import dev.lakepipe.core.config.LakepipeConfig;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/**
 * Settings of the train stage, from {@code train}; every key is optional (docs/configuration.md lists them).
 *
 * @param master {@link Master#AVERAGING} (default) or {@link Master#SHARING}
 * @param workers training workers; 0 means Spark's default parallelism
 * @param batchSize examples per minibatch, per worker
 * @param epochs the most epochs to run
 * @param seed seeds the weights, the per-epoch order of minibatches and dropout
 * @param averagingFrequency minibatches each worker fits between two averaging rounds
 * @param prefetch minibatches a worker loads ahead (0: none)
 * @param sharing the parameter server's settings
 * @param stallTimeout a training epoch with no progress for this long fails with the watchdog's message
 * @param network the network
 * @param optimizer updater, regularisation and clipping
 * @param schedule warm-up and cosine annealing
 * @param earlyStopping metric, patience and min-delta
 * @param modelStore where model versions are written
 * @param minibatchPath where exported minibatches are kept, keyed by the data they came from
 * @param preflight whether to time minibatches on the driver first and judge whether distribution pays
 * @param precision {@code float} or {@code half} (GPU)
 */
public record TrainSettings(Master master, int workers, int batchSize, int epochs, long seed, int averagingFrequency,
    int prefetch, Sharing sharing, Duration stallTimeout, Network network, Optimizer optimizer, Schedule schedule,
    EarlyStopping earlyStopping, String modelStore, String minibatchPath, boolean preflight, String precision) {

  /** How workers combine what they learned. */
  public enum Master {
    AVERAGING("averaging"), SHARING("sharing");

    final String id;

    Master(String id) {
      this.id = id;
    }

    public String id() {
      return id;
    }
  }

  /** {@code SharedTrainingMaster}'s transport: where the controller listens and how workers find it. */
  public record Sharing(String controllerAddress, String networkMask, int port, double threshold) {}

  /** The network, built from conf by {@link NetworkFactory}. */
  public record Network(String type, List<Integer> hidden, String activation, double dropout, boolean batchNorm,
      int embeddingSize, int filters, int kernelSize, int lstmSize, int attentionHeads, boolean withFeatures) {}

  /** Updater ({@code adam}, {@code adamw}, {@code sgd} with momentum), L2, weight decay, gradient clipping. */
  public record Optimizer(String type, double momentum, double l2, double weightDecay, double gradientClip) {}

  /** Learning rate: {@code base} after {@code warmupEpochs} of linear warm-up, cosine down to {@code floor}. */
  public record Schedule(double base, double floor, double warmupEpochs, boolean cosine) {}

  /** Stop after {@code patience} epochs without an improvement of more than {@code minDelta} in {@code metric}. */
  public record EarlyStopping(String metric, int patience, double minDelta) {

    /** Whether a larger value is better ({@code validation_loss} is the one metric where smaller is). */
    public boolean higherIsBetter() {
      return !metric.equals("validation_loss");
    }
  }

  static final List<String> NETWORKS = List.of("mlp", "text-cnn", "text-lstm");
  static final List<String> ACTIVATIONS = List.of("relu", "leakyrelu", "tanh", "sigmoid", "elu", "gelu", "swish",
      "identity");
  static final List<String> OPTIMIZERS = List.of("adam", "adamw", "sgd");
  static final List<String> METRICS = List.of("macro_f1", "accuracy", "validation_loss");
  private static final Set<String> KEYS = Set.of("master", "workers", "batch-size", "epochs", "seed", "averaging",
      "sharing", "stall-timeout", "network", "optimizer", "learning-rate", "early-stopping", "model-store",
      "minibatches", "preflight", "precision");

  public static TrainSettings parse(LakepipeConfig config) {
    return config.parseStage(TrainSettings::parse);
  }

  public static TrainSettings parse(Config root, DatasetSchema schema, ConfigProblems problems) {
    Config t = section(root, "train");
    problems.rejectUnknownKeys(t, "train", KEYS);
    Master master = problems.oneOf(t, "train", "master", List.of("averaging", "sharing"), "averaging")
        .equals("sharing") ? Master.SHARING : Master.AVERAGING;
    int workers = problems.intValue(t, "train", "workers", 0, 0);
    int batchSize = problems.intValue(t, "train", "batch-size", 1, 32);
    int epochs = problems.intValue(t, "train", "epochs", 1, 10);
    long seed = t.hasPath("seed") ? problems.intValue(t, "train", "seed", 0, 42) : 42;

    Config avg = section(t, "averaging");
    problems.rejectUnknownKeys(avg, "train.averaging", Set.of("frequency", "prefetch"));
    int frequency = problems.intValue(avg, "train.averaging", "frequency", 1, 5);
    int prefetch = problems.intValue(avg, "train.averaging", "prefetch", 0, 0);

    Config sh = section(t, "sharing");
    problems.rejectUnknownKeys(sh, "train.sharing", Set.of("controller-address", "network-mask", "port",
        "threshold"));
    Sharing sharing = new Sharing(problems.optString(sh, "train.sharing", "controller-address").orElse(""),
        problems.optString(sh, "train.sharing", "network-mask").orElse(""),
        problems.intValue(sh, "train.sharing", "port", 1024, 40123),
        problems.doubleValue(sh, "train.sharing", "threshold", 1e-9, 1.0, 1e-3));
    if (sharing.port() > 65535) {
      problems.add("Key train.sharing.port must be at most 65535, got %d.", sharing.port());
    }
    Duration stall = problems.duration(t, "train", "stall-timeout", Duration.ofSeconds(5), Duration.ofMinutes(5));

    Config n = section(t, "network");
    problems.rejectUnknownKeys(n, "train.network", Set.of("type", "hidden", "activation", "dropout", "batch-norm",
        "embedding-size", "filters", "kernel-size", "lstm-size", "attention-heads", "with-features"));
    List<Integer> hidden = List.of(64);
    if (n.hasPath("hidden")) {
      try {
        hidden = List.copyOf(n.getIntList("hidden"));
        if (hidden.stream().anyMatch(h -> h < 1)) {
          problems.add("Key train.network.hidden must list layer sizes of at least 1, got %s.", hidden);
        }
      } catch (com.typesafe.config.ConfigException.WrongType e) {
        problems.add("Key train.network.hidden must be a list of layer sizes like [64, 32].");
      }
    }
    Network network = new Network(problems.oneOf(n, "train.network", "type", NETWORKS, "mlp"), hidden,
        problems.oneOf(n, "train.network", "activation", ACTIVATIONS, "relu"),
        problems.doubleValue(n, "train.network", "dropout", 0.0, 0.95, 0.0),
        problems.bool(n, "train.network", "batch-norm", false),
        problems.intValue(n, "train.network", "embedding-size", 1, 32),
        problems.intValue(n, "train.network", "filters", 1, 32),
        problems.intValue(n, "train.network", "kernel-size", 1, 3),
        problems.intValue(n, "train.network", "lstm-size", 1, 32),
        problems.intValue(n, "train.network", "attention-heads", 0, 0),
        problems.bool(n, "train.network", "with-features", true));

    Config o = section(t, "optimizer");
    problems.rejectUnknownKeys(o, "train.optimizer", Set.of("type", "momentum", "l2", "weight-decay",
        "gradient-clip"));
    Optimizer optimizer = new Optimizer(problems.oneOf(o, "train.optimizer", "type", OPTIMIZERS, "adam"),
        problems.doubleValue(o, "train.optimizer", "momentum", 0.0, 0.999, 0.9),
        problems.doubleValue(o, "train.optimizer", "l2", 0.0, 1.0, 0.0),
        problems.doubleValue(o, "train.optimizer", "weight-decay", 0.0, 1.0, 0.0),
        problems.doubleValue(o, "train.optimizer", "gradient-clip", 0.0, 1e6, 0.0));
    if (optimizer.weightDecay() > 0 && !optimizer.type().equals("adamw")) {
      problems.add("Key train.optimizer.weight-decay needs train.optimizer.type = adamw (decoupled weight decay); "
          + "use train.optimizer.l2 for %s.", optimizer.type());
    }

    Config lr = section(t, "learning-rate");
    problems.rejectUnknownKeys(lr, "train.learning-rate", Set.of("base", "floor", "warmup-epochs", "cosine"));
    Schedule schedule = new Schedule(problems.doubleValue(lr, "train.learning-rate", "base", 1e-9, 10.0, 1e-3),
        problems.doubleValue(lr, "train.learning-rate", "floor", 0.0, 10.0, 1e-5),
        problems.doubleValue(lr, "train.learning-rate", "warmup-epochs", 0.0, 1e6, 1.0),
        problems.bool(lr, "train.learning-rate", "cosine", true));
    if (schedule.floor() > schedule.base()) {
      problems.add("Key train.learning-rate.floor (%s) must not exceed train.learning-rate.base (%s).",
          schedule.floor(), schedule.base());
    }

    Config es = section(t, "early-stopping");
    problems.rejectUnknownKeys(es, "train.early-stopping", Set.of("metric", "patience", "min-delta"));
    EarlyStopping early = new EarlyStopping(problems.oneOf(es, "train.early-stopping", "metric", METRICS, "macro_f1"),
        problems.intValue(es, "train.early-stopping", "patience", 1, 3),
        problems.doubleValue(es, "train.early-stopping", "min-delta", 0.0, 1e6, 0.0));

    String warehouse = root.hasPath("tables.warehouse") ? root.getString("tables.warehouse") : "lakehouse";
    String store = problems.optString(t, "train", "model-store").orElse(warehouse + "/_models");
    String minibatches = problems.optString(t, "train", "minibatches")
        .orElse(warehouse + "/_artifacts/train/minibatches");
    boolean preflight = problems.bool(t, "train", "preflight", true);
    String precision = problems.oneOf(t, "train", "precision", List.of("float", "half"), "float");
    return new TrainSettings(master, workers, batchSize, epochs, seed, frequency, prefetch, sharing, stall,
        network, optimizer, schedule, early, store, minibatches, preflight, precision);
  }

  /** The {@code train} section as given (defaults not filled in), rendered for the model record. */
  public static String render(Config root) {
    return section(root, "train").root().render(ConfigRenderOptions.concise().setFormatted(false));
  }

  /** SHA-256 of this record: two runs with equal settings have equal fingerprints. */
  public String fingerprint() {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(toString().getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Config section(Config parent, String key) {
    return parent.hasPath(key) && parent.getValue(key).valueType() == ConfigValueType.OBJECT
        ? parent.getConfig(key) : ConfigFactory.empty();
  }
}
