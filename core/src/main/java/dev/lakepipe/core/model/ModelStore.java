package dev.lakepipe.core.model;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.lakepipe.core.LakepipeErrors;
import dev.lakepipe.core.LakepipeException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Where trained models live, on any Hadoop file system ({@code train.model-store}, default
 * {@code <warehouse>/_models}). Train writes here; evaluate and score read here, without depending on train.
 *
 * <pre>
 * &lt;store&gt;/&lt;model_version&gt;/
 *     model.zip            the DL4J ComputationGraph of the best epoch (ModelSerializer, updater included)
 *     model.json           {@link ModelVersion}: what the model expects and where it came from; written last
 *     checkpoints/epoch-NNNN/{model.zip, state.json}   one per finished epoch, state.json written last
 *     checkpoints/best/model.zip                        the best epoch so far, for early stopping
 * </pre>
 * A model version is {@code <run_id>} of the training run, so a resumed run writes the same version. A
 * version without {@code model.json} is unfinished: {@link #load} refuses it and {@link #versions} skips it.
 */
public final class ModelStore {

  public static final String MODEL_ZIP = "model.zip";
  public static final String MODEL_JSON = "model.json";
  public static final String CHECKPOINTS = "checkpoints";
  public static final String STATE_JSON = "state.json";

  static final ObjectMapper JSON = new ObjectMapper()
      .enable(SerializationFeature.INDENT_OUTPUT)
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private final Path root;
  private final Configuration hadoop;

  public ModelStore(String root, Configuration hadoop) {
    this.root = new Path(root);
    this.hadoop = hadoop;
  }

  public Path root() {
    return root;
  }

  public Path versionDir(String modelVersion) {
    return new Path(root, modelVersion);
  }

  public Path modelZip(String modelVersion) {
    return new Path(versionDir(modelVersion), MODEL_ZIP);
  }

  public Path checkpoints(String modelVersion) {
    return new Path(versionDir(modelVersion), CHECKPOINTS);
  }

  public FileSystem fs() {
    try {
      return root.getFileSystem(hadoop);
    } catch (IOException e) {
      throw LakepipeErrors.jobFailed("open the model store " + root, e.getMessage()
          + ". Check train.model-store", e);
    }
  }

  /** Writes {@code model.json} last: after it, the version is complete. */
  public void publish(ModelVersion version) {
    writeJson(new Path(versionDir(version.modelVersion()), MODEL_JSON), version);
  }

  /** The finished version's record; an error naming the path and the fix when it is missing or unreadable. */
  public ModelVersion load(String modelVersion) {
    Path p = new Path(versionDir(modelVersion), MODEL_JSON);
    try (InputStream in = fs().open(p)) {
      return JSON.readValue(in, ModelVersion.class);
    } catch (FileNotFoundException e) {
      throw cannotLoad(modelVersion, "there is no finished model there (" + p + " is missing). Run 'lakepipe "
          + "train' (or 'lakepipe train --resume' for a run that was stopped), or name an existing version", e);
    } catch (IOException e) {
      throw cannotLoad(modelVersion, p + " is not readable (" + e.getMessage() + "). Train the model again", e);
    }
  }

  /** Finished versions, oldest first (versions are run ids, which sort by time when they are the default). */
  public List<String> versions() {
    List<String> out = new ArrayList<>();
    try {
      FileSystem fs = fs();
      if (!fs.exists(root)) {
        return out;
      }
      for (FileStatus s : fs.listStatus(root)) {
        if (s.isDirectory() && fs.exists(new Path(s.getPath(), MODEL_JSON))) {
          out.add(s.getPath().getName());
        }
      }
    } catch (IOException e) {
      throw LakepipeErrors.jobFailed("list the model store " + root, e.getMessage(), e);
    }
    out.sort(null);
    return out;
  }

  /** The newest finished version, if any. */
  public Optional<String> latest() {
    List<String> v = versions();
    return v.isEmpty() ? Optional.empty() : Optional.of(v.get(v.size() - 1));
  }

  /**
   * Writes {@code value} as JSON to {@code path} through a temporary file and a rename, so a reader (or a
   * resume after a kill) sees the whole file or none of it.
   */
  public void writeJson(Path path, Object value) {
    FileSystem fs = fs();
    Path tmp = new Path(path.getParent(), "." + path.getName() + ".tmp");
    try {
      try (OutputStream out = fs.create(tmp, true)) {
        JSON.writeValue(out, value);
      }
      fs.delete(path, false);
      if (!fs.rename(tmp, path)) {
        throw new IOException("cannot rename " + tmp + " to " + path);
      }
    } catch (IOException e) {
      throw LakepipeErrors.jobFailed("write " + path, e.getMessage() + ". Check that the model store is writable",
          e);
    }
  }

  public <T> T readJson(Path path, Class<T> type) throws IOException {
    try (InputStream in = fs().open(path)) {
      return JSON.readValue(in, type);
    }
  }

  private static LakepipeException cannotLoad(String version, String reason, Throwable cause) {
    return LakepipeErrors.jobFailed("load model version '" + version + "'", reason + ".", cause);
  }
}
