package dev.lakepipe.train;

import dev.lakepipe.core.LakepipeErrors;
import dev.lakepipe.core.model.ModelStore;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.Locale;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;

/**
 * A checkpoint per finished epoch under {@code <model version>/checkpoints/epoch-NNNN/}: {@code model.zip}
 * (parameters, updater state, and the iteration and epoch counters the schedule reads) and
 * {@code state.json} ({@link State}: early-stopping state and the history so far), written last, so a
 * checkpoint without it is ignored. {@code checkpoints/best/model.zip} holds the best epoch's network.
 * Resume loads the newest complete checkpoint; with the same data, seeds and worker count the run then ends
 * with the parameters of an uninterrupted run, because every epoch's minibatch order and split across workers
 * derive from (seed, epoch) alone.
 */
final class Checkpoints {

  static final String BEST = "best";

  /** What a checkpoint records besides the network. */
  record State(int epoch, String fingerprint, long goldVersion, EarlyStopping earlyStopping,
      List<EpochRecord> history) {}

  /** A checkpoint read back. */
  record Loaded(ComputationGraph network, State state) {}

  private final ModelStore store;
  private final String version;

  Checkpoints(ModelStore store, String version) {
    this.store = store;
    this.version = version;
  }

  Path dir() {
    return store.checkpoints(version);
  }

  void save(ComputationGraph network, State state) {
    Path dir = new Path(dir(), String.format(Locale.ROOT, "epoch-%04d", state.epoch()));
    writeModel(network, new Path(dir, ModelStore.MODEL_ZIP));
    store.writeJson(new Path(dir, ModelStore.STATE_JSON), state);
  }

  void saveBest(ComputationGraph network) {
    writeModel(network, new Path(new Path(dir(), BEST), ModelStore.MODEL_ZIP));
  }

  ComputationGraph loadBest() {
    return readModel(new Path(new Path(dir(), BEST), ModelStore.MODEL_ZIP));
  }

  /** Whether any checkpoint directory exists for this version (complete or not). */
  boolean any() {
    try {
      return store.fs().exists(dir());
    } catch (IOException e) {
      return false;
    }
  }

  /** Removes every checkpoint of the version: a fresh run must not resume an old one by accident. */
  void clear() {
    try {
      store.fs().delete(store.versionDir(version), true);
    } catch (IOException e) {
      throw LakepipeErrors.jobFailed("clear the checkpoints in " + dir(), e.getMessage(), e);
    }
  }

  /**
   * The newest checkpoint with a {@code state.json}; an error naming the directory and the fix when there is
   * none or it cannot be read.
   */
  Loaded latest() {
    FileSystem fs = store.fs();
    Path newest = null;
    try {
      if (fs.exists(dir())) {
        for (FileStatus s : fs.listStatus(dir())) {
          if (s.getPath().getName().startsWith("epoch-") && fs.exists(new Path(s.getPath(), ModelStore.STATE_JSON))
              && (newest == null || s.getPath().getName().compareTo(newest.getName()) > 0)) {
            newest = s.getPath();
          }
        }
      }
    } catch (IOException e) {
      throw cannotResume("its checkpoints in " + dir() + " cannot be listed (" + e.getMessage() + ")", e);
    }
    if (newest == null) {
      throw cannotResume("there is no complete checkpoint in " + dir() + ". Run 'lakepipe train' without "
          + "--resume to start over, or pass the --run-id of the run to resume", null);
    }
    State state;
    try {
      state = store.readJson(new Path(newest, ModelStore.STATE_JSON), State.class);
    } catch (IOException e) {
      throw cannotResume("the checkpoint " + newest + " is corrupt (" + e.getMessage() + "). Delete that folder "
          + "to resume from the epoch before, or run without --resume", e);
    }
    ComputationGraph net;
    try {
      net = readModel(new Path(newest, ModelStore.MODEL_ZIP));
    } catch (RuntimeException e) {
      throw cannotResume("the checkpoint " + newest + " has no readable model.zip (" + e.getMessage() + "). Delete "
          + "that folder to resume from the epoch before, or run without --resume", e);
    }
    return new Loaded(net, state);
  }

  private RuntimeException cannotResume(String reason, Throwable cause) {
    return LakepipeErrors.jobFailed("resume training run '" + version + "'", reason + ".", cause);
  }

  private void writeModel(ComputationGraph network, Path p) {
    try (OutputStream out = store.fs().create(p, true)) {
      ModelSerializer.writeModel(network, out, true);
    } catch (IOException e) {
      throw LakepipeErrors.jobFailed("write checkpoint " + p, e.getMessage() + ". Check train.model-store", e);
    }
  }

  ComputationGraph readModel(Path p) {
    try (InputStream in = store.fs().open(p)) {
      return ModelSerializer.restoreComputationGraph(in, true);
    } catch (FileNotFoundException e) {
      throw LakepipeErrors.jobFailed("read " + p, "the file is missing.", e);
    } catch (IOException | RuntimeException e) {
      throw LakepipeErrors.jobFailed("read " + p, "it is not a readable DL4J model (" + e.getMessage() + ").", e);
    }
  }
}
