package dev.lakepipe.features;

import com.typesafe.config.Config;
import dev.lakepipe.core.config.ConfigProblems;
import java.util.Set;
import org.apache.hadoop.fs.Path;

/**
 * Settings of the Parquet export ({@link SplitExport}), from {@code features.export}:
 *
 * <pre>
 * features.export {
 *   path = "&lt;warehouse&gt;/export/gold_dataset"  # any Hadoop path; replaced whole on every export
 *   rows-per-file = 10000                        # rows in every file but a split's last
 * }
 * </pre>
 *
 * @param path folder of the export: one sub-folder per split and {@code _lakepipe_export.json}
 * @param rowsPerFile rows in each Parquet file except the last of a split; at least 1
 */
public record ExportSettings(String path, int rowsPerFile) {

  private static final Set<String> KEYS = Set.of("path", "rows-per-file");
  private static final String PREFIX = "features.export";

  static final int DEFAULT_ROWS_PER_FILE = 10_000;

  /** The default export folder under a warehouse: {@code <warehouse>/export/gold_dataset}. */
  public static String defaultPath(String warehouse) {
    return new Path(new Path(warehouse, "export"), "gold_dataset").toString();
  }

  /**
   * Reads {@code export} from the {@code features} conf object (pass {@code ConfigFactory.empty()} when there is
   * none). {@code warehouse} is {@code tables.warehouse}, from which the default path is derived. Unknown keys
   * and bad values are added to {@code problems}, naming the key and the fix.
   */
  public static ExportSettings parse(Config features, String warehouse, ConfigProblems problems) {
    Config export = AugmentSettings.section(features, "export", PREFIX, problems);
    problems.rejectUnknownKeys(export, PREFIX, KEYS);
    String path = problems.optString(export, PREFIX, "path").map(String::trim).orElse(null);
    if (path != null && path.isEmpty()) {
      problems.add("Key %s.path is empty. Set it to the export folder, e.g. \"%s\", or remove it for that default.",
          PREFIX, example(warehouse));
      path = null;
    } else if (path != null) {
      try {
        if (new Path(path).getParent() == null) {
          problems.add("Key %s.path is '%s', a file-system root; the export replaces its folder whole. "
              + "Name a folder below the root, e.g. \"%s\".", PREFIX, path, example(warehouse));
          path = null;
        }
      } catch (IllegalArgumentException e) {
        problems.add("Key %s.path is not a valid path ('%s': %s). Use a folder path or URI such as \"%s\".",
            PREFIX, path, e.getMessage(), example(warehouse));
        path = null;
      }
    }
    int rowsPerFile = problems.intValue(export, PREFIX, "rows-per-file", 1, DEFAULT_ROWS_PER_FILE);
    if (path == null && (warehouse == null || warehouse.isBlank())) {
      problems.add("Key %s.path is not set and tables.warehouse is empty, so there is no default export folder. "
          + "Set %s.path.", PREFIX, PREFIX);
      return new ExportSettings(null, rowsPerFile);
    }
    return new ExportSettings(path == null ? defaultPath(warehouse) : path, rowsPerFile);
  }

  private static String example(String warehouse) {
    return warehouse == null || warehouse.isBlank() ? "export/gold_dataset" : defaultPath(warehouse);
  }
}
