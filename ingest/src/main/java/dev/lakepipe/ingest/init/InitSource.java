package dev.lakepipe.ingest.init;

import dev.lakepipe.core.LakepipeErrors;
import dev.lakepipe.ingest.SourceFormat;
import dev.lakepipe.ingest.SourceSample;
import dev.lakepipe.ingest.SourceSettings;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;

/**
 * What {@code lakepipe init} reads and how: the input as given (a file or a folder, any Hadoop file system
 * URI), its format (from {@code --format}, else from the files' extensions), the files ingest will read, the CSV
 * delimiter, and the {@code include} glob a folder needs when it also holds files of another kind.
 *
 * <p>Extensions, optionally followed by {@code .gz} or {@code .bz2} for the text formats: {@code .csv},
 * {@code .tsv} (csv); {@code .jsonl}, {@code .ndjson}, {@code .json} (jsonl); {@code .parquet}. The delimiter
 * is the one of {@code , ; tab |} that splits the first file's header into the most fields (ties: tab for
 * {@code .tsv}, else that order).
 *
 * @param path the input as the conf's {@code path} will say it
 * @param format csv, jsonl or parquet
 * @param files the files ingest will read (after {@code include}), in ingest's order
 * @param delimiter the CSV delimiter; {@code ','} for the other formats
 * @param include the glob on file names for {@code include}, or null when every file is read
 */
public record InitSource(String path, SourceFormat format, List<String> files, char delimiter, String include) {

  /** Formats init can sample. */
  public static final List<SourceFormat> FORMATS = List.of(SourceFormat.CSV, SourceFormat.JSONL,
      SourceFormat.PARQUET);

  private static final Map<String, SourceFormat> EXTENSIONS = extensions();
  private static final List<String> COMPRESSIONS = List.of("gz", "bz2");
  private static final List<Character> DELIMITERS = List.of(',', ';', '\t', '|');

  public InitSource {
    files = List.copyOf(files);
  }

  /** The source's settings for reading it (no column mapped yet): what ingest will read with the conf. */
  public SourceSettings settings(String name) {
    return settings(name, format, path, include, delimiter);
  }

  /**
   * Finds the input's files and format and, for CSV, the delimiter. {@code format} overrides the extensions:
   * in a folder, the files with that format's extensions are read (all files when none has one).
   */
  public static InitSource resolve(SparkSession spark, String input, Optional<SourceFormat> format) {
    Path p = new Path(input);
    boolean folder;
    try {
      FileSystem fs = p.getFileSystem(spark.sparkContext().hadoopConfiguration());
      if (!fs.exists(p)) {
        throw LakepipeErrors.usage("Cannot init: --input " + input + " does not exist. Pass a CSV, JSON Lines or "
            + "Parquet file, or a folder of them.");
      }
      folder = fs.getFileStatus(p).isDirectory();
    } catch (IOException e) {
      throw LakepipeErrors.usage("Cannot init: --input " + input + " cannot be read (" + e.getMessage() + "). "
          + "Check the path and its permissions.");
    }
    List<String> all = SourceSample.files(spark, settings("init", SourceFormat.CSV, input, "*", ','));
    if (all.isEmpty()) {
      throw LakepipeErrors.usage("Cannot init: " + input + " holds no files (names starting with '.' or '_' are "
          + "skipped, as ingest skips them). Pass a folder with CSV, JSON Lines or Parquet files.");
    }
    SourceFormat chosen = format.orElseGet(() -> formatOf(input, all));
    List<String> files = all.stream().filter(f -> formatOf(fileName(f)).orElse(null) == chosen).toList();
    if (files.isEmpty()) {
      files = all;
    }
    String include = folder && files.size() < all.size() ? includeGlob(files) : null;
    char delimiter = chosen == SourceFormat.CSV ? delimiter(spark, input, include, files.get(0)) : ',';
    return new InitSource(input, chosen, files, delimiter, include);
  }

  /** The format an extension names: {@code .csv}, {@code .tsv}, {@code .jsonl}, ... (see the class comment). */
  public static Optional<SourceFormat> formatOf(String fileName) {
    return Optional.ofNullable(extension(fileName)).map(e -> EXTENSIONS.get(base(e)));
  }

  /**
   * The input's name without its extensions, folded as canonical names are, as the source and dataset name:
   * {@code Flights 2024.csv.gz} gives {@code flights_2024}; a name with no letter or digit gives {@code data}.
   */
  public static String defaultName(String input) {
    String name = fileName(input.replaceAll("/+$", ""));
    String ext = extension(name);
    if (ext != null) {
      name = name.substring(0, name.length() - ext.length() - 1);
    } else if (name.indexOf('.') > 0) {
      name = name.substring(0, name.indexOf('.'));
    }
    String folded = ConfGuesser.fold(name);
    if (folded.isEmpty()) {
      return "data";
    }
    return Character.isDigit(folded.charAt(0)) ? "data_" + folded : folded;
  }

  private static SourceFormat formatOf(String input, List<String> files) {
    Map<SourceFormat, List<String>> byFormat = new LinkedHashMap<>();
    List<String> unknown = new ArrayList<>();
    for (String f : files) {
      Optional<SourceFormat> fmt = formatOf(fileName(f));
      if (fmt.isPresent()) {
        byFormat.computeIfAbsent(fmt.get(), k -> new ArrayList<>()).add(fileName(f));
      } else {
        unknown.add(fileName(f));
      }
    }
    if (byFormat.isEmpty()) {
      throw LakepipeErrors.usage("Cannot init: no file of " + input + " has a known extension (.csv, .tsv, .jsonl, "
          + ".ndjson, .json, each optionally .gz; .parquet); it has " + firstFew(unknown) + ". Pass --format csv, "
          + "jsonl or parquet.");
    }
    if (byFormat.size() > 1) {
      throw LakepipeErrors.usage("Cannot init: " + input + " mixes formats: " + byFormat.entrySet().stream()
          .map(e -> e.getKey().id() + " (" + firstFew(e.getValue()) + ")").collect(Collectors.joining(", "))
          + ". Pass --format to read one of them (the conf then reads only those files, with include), or point "
          + "--input at one file.");
    }
    return byFormat.keySet().iterator().next();
  }

  /** The delimiter that splits the header into the most fields. */
  private static char delimiter(SparkSession spark, String input, String include, String firstFile) {
    Map<Character, Integer> fields = new LinkedHashMap<>();
    for (char d : DELIMITERS) {
      fields.put(d, fieldCount(spark, input, include, d, firstFile));
    }
    char best = fileName(firstFile).toLowerCase(Locale.ROOT).matches(".*\\.tsv(\\.(gz|bz2))?$") ? '\t' : ',';
    for (char d : DELIMITERS) {
      if (fields.get(d) > fields.get(best)) {
        best = d;
      }
    }
    return best;
  }

  private static int fieldCount(SparkSession spark, String input, String include, char delimiter, String file) {
    return SourceSample.fieldNames(spark, settings("init", SourceFormat.CSV, input, include, delimiter), file)
        .size();
  }

  /** {@code *.csv}, or {@code *.{csv,csv.gz}} when the files have several extensions. */
  static String includeGlob(List<String> files) {
    TreeSet<String> exts = new TreeSet<>();
    for (String f : files) {
      String e = extension(fileName(f));
      if (e == null) {
        return null;
      }
      exts.add(e);
    }
    return exts.size() == 1 ? "*." + exts.first() : "*.{" + String.join(",", exts) + "}";
  }

  /** The known extension at the end of a file name, as written ({@code csv}, {@code CSV.gz}), or null. */
  private static String extension(String fileName) {
    String lower = fileName.toLowerCase(Locale.ROOT);
    for (String ext : EXTENSIONS.keySet()) {
      if (lower.endsWith("." + ext) && lower.length() > ext.length() + 1) {
        return fileName.substring(fileName.length() - ext.length());
      }
      if (EXTENSIONS.get(ext) == SourceFormat.PARQUET) {
        continue;
      }
      for (String c : COMPRESSIONS) {
        String full = ext + "." + c;
        if (lower.endsWith("." + full) && lower.length() > full.length() + 1) {
          return fileName.substring(fileName.length() - full.length());
        }
      }
    }
    return null;
  }

  private static String base(String extension) {
    String lower = extension.toLowerCase(Locale.ROOT);
    for (String c : COMPRESSIONS) {
      if (lower.endsWith("." + c)) {
        return lower.substring(0, lower.length() - c.length() - 1);
      }
    }
    return lower;
  }

  private static String fileName(String path) {
    return path.substring(path.lastIndexOf('/') + 1);
  }

  private static String firstFew(List<String> names) {
    String shown = names.stream().limit(3).collect(Collectors.joining(", "));
    return names.size() + (names.size() == 1 ? " file: " : " files: ") + shown + (names.size() > 3 ? ", ..." : "");
  }

  private static SourceSettings settings(String name, SourceFormat format, String path, String include,
      char delimiter) {
    return new SourceSettings(name, format, path, include == null ? "*" : include, Map.of(), List.of(), "UTF-8",
        format == SourceFormat.CSV ? new SourceSettings.CsvOptions(delimiter, '"', '"', true) : null, null);
  }

  private static Map<String, SourceFormat> extensions() {
    Map<String, SourceFormat> m = new LinkedHashMap<>();
    m.put("csv", SourceFormat.CSV);
    m.put("tsv", SourceFormat.CSV);
    m.put("jsonl", SourceFormat.JSONL);
    m.put("ndjson", SourceFormat.JSONL);
    m.put("json", SourceFormat.JSONL);
    m.put("parquet", SourceFormat.PARQUET);
    return m;
  }
}
