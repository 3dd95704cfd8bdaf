package dev.lakepipe.ingest.init;

import dev.lakepipe.core.LakepipeErrors;
import dev.lakepipe.ingest.SourceFormat;
import dev.lakepipe.ingest.SourceSample;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code lakepipe init}: writes a starter conf for a CSV, JSON Lines or Parquet input. Finds the input's
 * format and files ({@link InitSource}), reads its first records as ingest would ({@link SourceSample}),
 * guesses every field's role ({@link ConfGuesser}) and writes the conf ({@link StarterConf}), which
 * {@code validate-conf} accepts and ingest reads unedited.
 *
 * <p>Cost: a listing of the input, the first record of one file per candidate CSV delimiter, and the sample
 * (at most {@code sampleRows} records, on the driver). Deterministic: the same files and options give the same
 * conf. It never replaces an existing file unless asked to.
 */
public final class ConfInit {

  private static final Logger LOG = LoggerFactory.getLogger(ConfInit.class);
  private static final Pattern SOURCE_NAME = Pattern.compile("[a-z][a-z0-9_-]*");

  /** What to do when the output file exists. */
  public enum Existing {
    REFUSE,
    REPLACE
  }

  /**
   * One init.
   *
   * @param input a file or folder (any Hadoop file system URI)
   * @param label the input's field that holds the class
   * @param name the dataset's and the source's name
   * @param output where the conf goes
   * @param sampleRows records to sample
   * @param format the input's format; empty to go by the files' extensions
   */
  public record Request(String input, String label, String name, Path output, int sampleRows,
      Optional<SourceFormat> format, Existing existing) {

    /**
     * A request with the defaults filled in: the name from the input's file name ({@link InitSource#defaultName}),
     * the output {@code conf/<name>.conf}.
     */
    public static Request of(String input, String label, Optional<String> name, Optional<Path> output,
        int sampleRows, Optional<SourceFormat> format, Existing existing) {
      String n = name.orElseGet(() -> InitSource.defaultName(input));
      return new Request(input, label, n, output.orElseGet(() -> Path.of("conf", n + ".conf")), sampleRows, format,
          existing);
    }

    /** Checks what can be checked before reading anything; throws a usage error naming the option. */
    public void check() {
      if (!SOURCE_NAME.matcher(name).matches()) {
        throw LakepipeErrors.usage("Cannot init: --name '" + name + "' is not a source name. Use lowercase letters, "
            + "digits, '_' and '-', starting with a letter, e.g. --name flights.");
      }
      if (sampleRows < 1) {
        throw LakepipeErrors.usage("Cannot init: --sample-rows must be at least 1, got " + sampleRows + ".");
      }
      if (format.isPresent() && !InitSource.FORMATS.contains(format.get())) {
        throw LakepipeErrors.usage("Cannot init: --format " + format.get().id() + " cannot be sampled. Use csv, "
            + "jsonl or parquet.");
      }
      if (existing == Existing.REFUSE && Files.exists(output)) {
        throw exists(output);
      }
      if (Files.isDirectory(output)) {
        throw LakepipeErrors.usage("Cannot write " + output + ": it is a folder. Pass --output with a file name, "
            + "e.g. conf/" + name + ".conf.");
      }
    }
  }

  /** What init found and wrote. */
  public record Result(Request request, InitSource source, SourceSample sample, ConfGuesser.Guess guess,
      String conf) {

    /** One line per field (field, canonical column, role, evidence) for the terminal. */
    public String table() {
      int w = Math.max(12, guess.columns().stream().mapToInt(c -> c.field().name().length()).max().orElse(0) + 2);
      int cw = Math.max(12, guess.columns().stream()
          .mapToInt(c -> c.canonical() == null ? 1 : c.canonical().length()).max().orElse(0) + 2);
      StringBuilder sb = new StringBuilder();
      sb.append(String.format(Locale.ROOT, "%-" + w + "s%-" + cw + "s%-13s%s%n", "field", "column", "role",
          "evidence"));
      for (ConfGuesser.ColumnGuess c : guess.columns()) {
        sb.append(String.format(Locale.ROOT, "%-" + w + "s%-" + cw + "s%-13s%s%n", c.field().name(),
            c.canonical() == null ? "-" : c.canonical(), c.role().description(),
            c.role() == ConfGuesser.Role.LEFT_OUT ? c.reason() : c.evidence()));
      }
      return sb.toString();
    }
  }

  private ConfInit() {}

  /** Samples the input, guesses, and writes the conf to {@code request.output()}. */
  public static Result run(SparkSession spark, Request request) {
    request.check();
    InitSource source = InitSource.resolve(spark, request.input(), request.format());
    SourceSample sample = SourceSample.read(spark, source.settings(request.name()), request.sampleRows(),
        ConfGuesser.TIMESTAMP_FORMATS);
    String where = request.input();
    if (sample.records() > 0 && sample.unreadable() == sample.records()) {
      throw LakepipeErrors.usage("Cannot init: none of the " + sample.records() + " records sampled from " + where
          + " could be read as " + source.format().id() + ". The first problem: " + sample.firstError()
          + (request.format().isPresent() ? "" : " Pass --format if the extension does not say the format."));
    }
    ConfGuesser.Guess guess = ConfGuesser.guess(sample.fields(), request.label(), where);
    String conf = StarterConf.render(request.name(), source, sample, guess, request.output().toString());
    write(request, conf);
    LOG.info("init: {} fields of {} ({} records sampled) into {}", sample.fields().size(), request.input(),
        sample.records(), request.output());
    return new Result(request, source, sample, guess, conf);
  }

  private static void write(Request r, String conf) {
    Path out = r.output().toAbsolutePath();
    try {
      Files.createDirectories(out.getParent());
      if (r.existing() == Existing.REFUSE) {
        Files.writeString(out, conf, StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW);
        return;
      }
      Path tmp = Files.createTempFile(out.getParent(), "." + out.getFileName(), ".tmp");
      Files.writeString(tmp, conf, StandardCharsets.UTF_8);
      Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (FileAlreadyExistsException e) {
      throw exists(r.output());
    } catch (IOException e) {
      throw LakepipeErrors.jobFailed("write " + r.output(), e.getMessage()
          + ". Check that the folder is writable, or pass another --output.", e);
    }
  }

  private static RuntimeException exists(Path output) {
    return LakepipeErrors.usage("Cannot write " + output + ": the file exists. Pass --force to replace it, or "
        + "another --output.");
  }
}
