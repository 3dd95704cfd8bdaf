package dev.lakepipe.features;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.input_file_name;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.xxhash64;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.lakepipe.core.LakepipeException;
import dev.lakepipe.core.config.ConfigProblems;
import dev.lakepipe.core.testing.SparkTestBase;
import java.io.File;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SplitExportTest extends SparkTestBase {

  private static final StructType SCHEMA = new StructType()
      .add("_record_id", DataTypes.StringType, false)
      .add("label", DataTypes.StringType, true)
      .add("event_time", DataTypes.TimestampType, true)
      .add("_flags", DataTypes.createArrayType(DataTypes.StringType), true)
      .add("features", SQLDataTypes.VectorType(), true)
      .add("split", DataTypes.StringType, true);

  private static final long SEED = 7L;

  @TempDir
  Path tmp;

  /** n rows r00.. with labels ham/spam in runs, increasing times, and the splits in the given sizes. */
  private static Dataset<Row> rows(int train, int validation, int test) {
    List<Row> rows = new ArrayList<>();
    int n = train + validation + test;
    for (int i = 0; i < n; i++) {
      String split = i < train ? "train" : i < train + validation ? "validation" : "test";
      rows.add(RowFactory.create(String.format("r%02d", i), i % 3 == 0 ? "spam" : "ham",
          new Timestamp(1_700_000_000_000L + i * 60_000L), new String[] {"f" + i},
          Vectors.dense(i, i * 0.5), split));
    }
    return spark.createDataFrame(rows, SCHEMA);
  }

  /** Every Parquet data file of the export: split/file name to the file. */
  private static Map<String, File> files(Path export) throws Exception {
    try (Stream<Path> walk = Files.walk(export)) {
      return walk.filter(p -> p.getFileName().toString().endsWith(".parquet")
              && !p.getFileName().toString().startsWith("."))
          .collect(Collectors.toMap(p -> export.relativize(p).toString(), Path::toFile, (a, b) -> a, TreeMap::new));
    }
  }

  /** Names under the export folder, hidden checksum files left out. */
  private static List<String> listing(Path export) throws Exception {
    try (Stream<Path> walk = Files.walk(export)) {
      return walk.filter(p -> !p.equals(export) && !p.getFileName().toString().startsWith("."))
          .map(p -> export.relativize(p).toString()).sorted().toList();
    }
  }

  /** Rows in a file, from its Parquet footer (no Spark). */
  private static long footerRows(File f) throws Exception {
    try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromPath(
        new org.apache.hadoop.fs.Path(f.getAbsolutePath()), new Configuration()))) {
      return r.getRecordCount();
    }
  }

  /** Record ids per file (keyed by split/file name), in the order each file holds them; one Spark job. */
  private static Map<String, List<String>> idsPerFile(Path export) throws Exception {
    String[] files = files(export).values().stream().map(File::getAbsolutePath).toArray(String[]::new);
    Map<String, List<String>> out = new TreeMap<>();
    for (Row r : spark.read().parquet(files).select(col("_record_id"), input_file_name()).collectAsList()) {
      String name = export.relativize(Path.of(URI.create(r.getString(1)))).toString();
      out.computeIfAbsent(name, k -> new ArrayList<>()).add(r.getString(0));
    }
    return out;
  }

  /** The ids of the rows in the split, in xxhash64(seed, _record_id) order, computed independently. */
  private static List<String> hashOrder(Dataset<Row> rows, String split) {
    return rows.filter(col("split").equalTo(split))
        .select(col("_record_id"), xxhash64(lit(SEED), col("_record_id"))).collectAsList().stream()
        .sorted(Comparator.<Row>comparingLong(r -> r.getLong(1)).thenComparing(r -> r.getString(0)))
        .map(r -> r.getString(0)).toList();
  }

  @Test
  void everyFileButASplitsLastHoldsRowsPerFileInHashOrder() throws Exception {
    Dataset<Row> in = rows(13, 7, 5).repartition(5);
    Path export = tmp.resolve("export");

    SplitExport.Result result = SplitExport.write(in, "split", new ExportSettings(export.toString(), 4), SEED,
        "run-1");

    assertThat(result.splits()).containsExactly(
        Map.entry("test", new SplitExport.Split(5, 2)),
        Map.entry("train", new SplitExport.Split(13, 4)),
        Map.entry("validation", new SplitExport.Split(7, 2)));
    assertThat(result.rows()).isEqualTo(25);
    assertThat(result.path()).isEqualTo("file:" + export);
    Map<String, Long> perFile = new TreeMap<>();
    for (Map.Entry<String, File> f : files(export).entrySet()) {
      perFile.put(f.getKey(), footerRows(f.getValue()));
    }
    assertThat(perFile).containsExactly(
        Map.entry("test/part-00000.parquet", 4L), Map.entry("test/part-00001.parquet", 1L),
        Map.entry("train/part-00000.parquet", 4L), Map.entry("train/part-00001.parquet", 4L),
        Map.entry("train/part-00002.parquet", 4L), Map.entry("train/part-00003.parquet", 1L),
        Map.entry("validation/part-00000.parquet", 4L), Map.entry("validation/part-00001.parquet", 3L));

    Map<String, List<String>> ids = idsPerFile(export);
    for (String split : List.of("train", "validation", "test")) {
      List<String> inFileOrder = ids.entrySet().stream().filter(e -> e.getKey().startsWith(split + "/"))
          .flatMap(e -> e.getValue().stream()).toList();
      assertThat(inFileOrder).as(split).containsExactlyElementsOf(hashOrder(in, split));
    }
    // Shuffled: neither by label, nor by time (the ids grow with time), nor by id.
    List<String> train = ids.entrySet().stream().filter(e -> e.getKey().startsWith("train/"))
        .flatMap(e -> e.getValue().stream()).toList();
    Map<String, String> labelOf = in.select("_record_id", "label").collectAsList().stream()
        .collect(Collectors.toMap(r -> r.getString(0), r -> r.getString(1)));
    List<String> labels = train.stream().map(labelOf::get).toList();
    assertThat(labels).isNotEqualTo(labels.stream().sorted().toList())
        .isNotEqualTo(labels.stream().sorted(Comparator.reverseOrder()).toList());
    assertThat(train).isNotEqualTo(train.stream().sorted().toList());
  }

  @Test
  void filesKeepEveryColumnButTheSplitAndVectorsRoundTrip() throws Exception {
    Dataset<Row> in = rows(3, 2, 1);
    Path export = tmp.resolve("export");

    SplitExport.write(in, "split", new ExportSettings(export.toString(), 2), SEED, "run-1");
    Dataset<Row> train = spark.read().parquet(export.resolve("train").toString());

    assertThat(train.schema()).isEqualTo(new StructType()
        .add("_record_id", DataTypes.StringType, true)
        .add("label", DataTypes.StringType, true)
        .add("event_time", DataTypes.TimestampType, true)
        .add("_flags", DataTypes.createArrayType(DataTypes.StringType), true)
        .add("features", SQLDataTypes.VectorType(), true));
    Map<String, Vector> vectors = train.collectAsList().stream()
        .collect(Collectors.toMap(r -> r.getString(0), r -> (Vector) r.get(4), (a, b) -> a, TreeMap::new));
    assertThat(vectors).isEqualTo(Map.of("r00", Vectors.dense(0, 0), "r01", Vectors.dense(1, 0.5),
        "r02", Vectors.dense(2, 1.0)));
    assertThat(train.filter(col("_record_id").equalTo("r02")).first().getList(3)).containsExactly("f2");
    assertThat(train.filter(col("_record_id").equalTo("r02")).first().getTimestamp(2))
        .isEqualTo(new Timestamp(1_700_000_120_000L));
  }

  @Test
  void theManifestListsWhatWasWritten() throws Exception {
    Path export = tmp.resolve("export");

    SplitExport.write(rows(5, 2, 0), "split", new ExportSettings(export.toString(), 2), SEED, "run-9");
    JsonNode m = new ObjectMapper().readTree(export.resolve(SplitExport.MANIFEST).toFile());

    assertThat(m.get("run_id").asText()).isEqualTo("run-9");
    assertThat(m.get("rows_per_file").asInt()).isEqualTo(2);
    assertThat(m.get("seed").asLong()).isEqualTo(SEED);
    assertThat(m.get("order").asText()).isEqualTo("xxhash64(seed, _record_id), then _record_id");
    assertThat(m.get("columns").toString()).isEqualTo("[{\"name\":\"_record_id\",\"type\":\"string\"},"
        + "{\"name\":\"label\",\"type\":\"string\"},{\"name\":\"event_time\",\"type\":\"timestamp\"},"
        + "{\"name\":\"_flags\",\"type\":\"array<string>\"},{\"name\":\"features\",\"type\":\"vector\"}]");
    assertThat(m.get("splits").toString()).isEqualTo("{\"train\":{\"rows\":5,\"files\":[\"part-00000.parquet\","
        + "\"part-00001.parquet\",\"part-00002.parquet\"]},\"validation\":{\"rows\":2,\"files\":"
        + "[\"part-00000.parquet\"]}}");
    assertThat(listing(export)).containsExactly("_lakepipe_export.json", "train", "train/part-00000.parquet",
        "train/part-00001.parquet", "train/part-00002.parquet", "validation", "validation/part-00000.parquet");
  }

  @Test
  void aSecondExportReplacesTheFirstCompletely() throws Exception {
    Path export = tmp.resolve("export");
    SplitExport.write(rows(9, 4, 4), "split", new ExportSettings(export.toString(), 3), SEED, "run-1");
    assertThat(files(export)).hasSize(7);

    SplitExport.Result second = SplitExport.write(rows(4, 0, 1), "split", new ExportSettings(export.toString(), 3),
        SEED, "run-2");

    assertThat(second.splits()).containsOnlyKeys("test", "train");
    assertThat(listing(export)).containsExactly("_lakepipe_export.json", "test", "test/part-00000.parquet",
        "train", "train/part-00000.parquet", "train/part-00001.parquet");
    assertThat(listing(tmp)).doesNotContain("_export.staging");
    assertThat(spark.read().parquet(export.resolve("test").toString()).first().getString(0)).isEqualTo("r04");
  }

  @Test
  void anEmptyInputLeavesAnEmptyExport() throws Exception {
    Path export = tmp.resolve("export");
    SplitExport.write(rows(2, 1, 1), "split", new ExportSettings(export.toString(), 3), SEED, "run-1");

    SplitExport.Result r = SplitExport.write(rows(2, 1, 1).limit(0), "split",
        new ExportSettings(export.toString(), 3), SEED, "run-2");

    assertThat(r.splits()).isEmpty();
    assertThat(listing(export)).containsExactly("_lakepipe_export.json");
    assertThat(new ObjectMapper().readTree(export.resolve(SplitExport.MANIFEST).toFile()).get("splits").toString())
        .isEqualTo("{}");
  }

  @Test
  void aFolderThatIsNotAnExportIsNeverReplaced() throws Exception {
    Path export = tmp.resolve("data");
    Files.createDirectories(export);
    Files.writeString(export.resolve("important.csv"), "keep me");

    assertThatThrownBy(() -> SplitExport.write(rows(2, 1, 1), "split", new ExportSettings(export.toString(), 3),
        SEED, "run-1"))
        .isInstanceOf(LakepipeException.class)
        .hasMessage("Cannot export to file:" + export + ": it exists and is not a Lakepipe export (no "
            + "_lakepipe_export.json), and the export replaces its folder whole. Set features.export.path to a "
            + "new or empty folder, or remove file:" + export + " yourself.");
    assertThat(listing(export)).containsExactly("important.csv");
  }

  @Test
  void rowsWithoutAUsableSplitAreRefused() {
    Path export = tmp.resolve("export");
    Dataset<Row> in = rows(2, 1, 1);

    assertThatThrownBy(() -> SplitExport.write(in.withColumn("split", lit(null).cast("string")), "split",
        new ExportSettings(export.toString(), 3), SEED, "run-1"))
        .hasMessage("Cannot export the dataset: 4 rows have no value in column 'split'. Assign every row a split "
            + "before exporting.");
    assertThatThrownBy(() -> SplitExport.write(in.withColumn("split", lit("../train")), "split",
        new ExportSettings(export.toString(), 3), SEED, "run-1"))
        .hasMessage("Cannot export the dataset: split value '../train' in column 'split' cannot name a folder. "
            + "Use letters, digits and . _ - (not first), e.g. 'train'.");
    assertThatThrownBy(() -> SplitExport.write(in.drop("split"), "split",
        new ExportSettings(export.toString(), 3), SEED, "run-1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("Cannot export the dataset: column 'split' is missing");
    assertThat(export).doesNotExist();
  }

  private static Config features(String hocon) {
    Config root = ConfigFactory.parseString(hocon);
    return root.hasPath("features") ? root.getConfig("features") : ConfigFactory.empty();
  }

  @Test
  void exportSettingsDefaultUnderTheWarehouse() {
    ConfigProblems problems = new ConfigProblems("test");

    ExportSettings local = ExportSettings.parse(ConfigFactory.empty(), "lakehouse", problems);
    ExportSettings s3 = ExportSettings.parse(features("features.split.x = 1"), "s3a://bucket/wh/", problems);
    ExportSettings set = ExportSettings.parse(features("features.export { path = \"/data/gold\", "
        + "rows-per-file = 500 }"), "lakehouse", problems);

    assertThat(problems.problems()).isEmpty();
    assertThat(local).isEqualTo(new ExportSettings("lakehouse/export/gold_dataset", 10_000));
    assertThat(s3).isEqualTo(new ExportSettings("s3a://bucket/wh/export/gold_dataset", 10_000));
    assertThat(set).isEqualTo(new ExportSettings("/data/gold", 500));
  }

  @Test
  void exportSettingsProblemsNameTheKey() {
    ConfigProblems problems = new ConfigProblems("test");

    ExportSettings s = ExportSettings.parse(features("features.export { pth = x, rows-per-file = 0 }"), "wh",
        problems);
    ExportSettings.parse(features("features.export { path = \"  \", rows-per-file = many }"), "wh", problems);
    ExportSettings.parse(features("features.export.path = \"/\""), "wh", problems);
    ExportSettings.parse(features("features.export = 5"), "wh", problems);
    ExportSettings.parse(features("features.export.path = \"a:b\""), "wh", problems);
    ExportSettings.parse(ConfigFactory.empty(), null, problems);

    assertThat(s).isEqualTo(new ExportSettings("wh/export/gold_dataset", 10_000));
    assertThat(problems.problems()).containsExactly(
        "Unknown key features.export.pth. Did you mean 'features.export.path'?",
        "Key features.export.rows-per-file must be at least 1, got 0.",
        "Key features.export.path is empty. Set it to the export folder, e.g. \"wh/export/gold_dataset\", or "
            + "remove it for that default.",
        "Key features.export.rows-per-file must be a whole number, got 'many'.",
        "Key features.export.path is '/', a file-system root; the export replaces its folder whole. Name a folder "
            + "below the root, e.g. \"wh/export/gold_dataset\".",
        "Key features.export must be an object like export { ... }, got number. Write its keys inside braces.",
        "Key features.export.path is not a valid path ('a:b': java.net.URISyntaxException: Relative path in "
            + "absolute URI: a:b). Use a folder path or URI such as \"wh/export/gold_dataset\".",
        "Key features.export.path is not set and tables.warehouse is empty, so there is no default export folder. "
            + "Set features.export.path.");
  }
}
