package dev.lakepipe.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakepipe.core.testing.SparkTestBase;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What a user sees for a broken conf or a broken input: exit code 2 and one message on stderr that names the
 * key, column or file and says how to fix it. Every conf case is checked through {@code validate-conf} and
 * through {@code ingest}, which must refuse before starting any Spark work. Only the CSV header case needs
 * Spark (the header is read by ingest), hence the shared session.
 */
class CliConfigErrorsTest extends SparkTestBase {

  private static final String DATASET = """
      dataset {
        name = "tiny"
        columns {
          id = "id"
          text = ["text", "subject"]
          label = "label"
        }
        required = ["id", "text", "label"]
      }
      """;

  @TempDir
  Path dir;

  /** The result of one CLI call: exit code and what it printed to each stream. */
  record Result(int code, String out, String err) {}

  static Result cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = LakepipeCli.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Result(code, out.toString(), err.toString());
  }

  private Path writeConf(String sources) throws IOException {
    Path conf = dir.resolve("test.conf");
    Files.writeString(conf, DATASET + "\ntables.warehouse = \"" + dir.resolve("lakehouse") + "\"\n" + sources,
        StandardCharsets.UTF_8);
    return conf;
  }

  private String crmSource(String extraKeys, String columns) {
    return "ingest.sources.crm {\n"
        + "  format = csv\n"
        + "  path = \"" + dir.resolve("crm") + "\"\n"
        + "  " + extraKeys + "\n"
        + "  columns { " + columns + " }\n"
        + "}\n";
  }

  private static final String CRM_COLUMNS = "id = \"message_id\", text = \"content\", subject = \"subject\", "
      + "label = \"is_spam\"";

  @ParameterizedTest
  @ValueSource(strings = {"validate-conf", "ingest"})
  void misspelledKeyIsNamedWithTheNearestKnownKey(String command) throws IOException {
    Path conf = writeConf(crmSource("delimter = \";\"", CRM_COLUMNS));

    Result r = cli(command, "--conf", conf.toString());

    assertThat(r.code()).as(r.err()).isEqualTo(2);
    assertThat(r.err())
        .contains("has 1 problem:")
        .contains("Unknown key ingest.sources.crm.delimter")
        .contains("Did you mean 'ingest.sources.crm.delimiter'?");
    assertThat(r.out()).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"validate-conf", "ingest"})
  void unknownFormatListsTheKnownFormats(String command) throws IOException {
    Path conf = writeConf(crmSource("", CRM_COLUMNS).replace("format = csv", "format = xlsx"));

    Result r = cli(command, "--conf", conf.toString());

    assertThat(r.code()).as(r.err()).isEqualTo(2);
    assertThat(r.err())
        .contains("Key ingest.sources.crm.format is 'xlsx', an unknown format")
        .contains("Use one of csv, jsonl, parquet, jdbc, email, text.");
  }

  @ParameterizedTest
  @ValueSource(strings = {"validate-conf", "ingest"})
  void requiredCanonicalColumnNotMappedIsNamed(String command) throws IOException {
    Path conf = writeConf(crmSource("delimiter = \";\"",
        "id = \"message_id\", text = \"content\", subject = \"subject\""));

    Result r = cli(command, "--conf", conf.toString());

    assertThat(r.code()).as(r.err()).isEqualTo(2);
    assertThat(r.err())
        .contains("Key ingest.sources.crm.columns.label is missing: 'label' is required (dataset.required)")
        .contains("Map it to the source's field, e.g. label = \"<field name>\".");
  }

  @ParameterizedTest
  @ValueSource(strings = {"validate-conf", "ingest"})
  void everyProblemIsListedInOneMessage(String command) throws IOException {
    Path conf = writeConf(crmSource("delimter = \";\"", "id = \"message_id\", text = \"content\"")
        + "ingest.sources.export {\n"
        + "  format = xlsx\n"
        + "  path = \"" + dir.resolve("export") + "\"\n"
        + "  columns { id = \"msg_id\", text = \"body\", label = \"class\" }\n"
        + "}\n"
        + "tables.mode = lake\n"
        + "spark.mastr = \"local[2]\"\n");

    Result r = cli(command, "--conf", conf.toString());

    assertThat(r.code()).as(r.err()).isEqualTo(2);
    assertThat(r.err()).contains("has 5 problems:");
    assertThat(problemLines(r.err())).containsExactlyInAnyOrder(
        "  - Key tables.mode is 'lake'. Use 'path' or 'metastore'.",
        "  - Unknown key spark.mastr. Did you mean 'spark.master'?",
        "  - Unknown key ingest.sources.crm.delimter. Did you mean 'ingest.sources.crm.delimiter'?",
        "  - Key ingest.sources.crm.columns.label is missing: 'label' is required (dataset.required). "
            + "Map it to the source's field, e.g. label = \"<field name>\".",
        "  - Key ingest.sources.export.format is 'xlsx', an unknown format. "
            + "Use one of csv, jsonl, parquet, jdbc, email, text.");
  }

  @ParameterizedTest
  @ValueSource(strings = {"validate-conf", "ingest"})
  void missingConfFileIsNamed(String command) {
    Path missing = dir.resolve("nope.conf");

    Result r = cli(command, "--conf", missing.toString());

    assertThat(r.code()).as(r.err()).isEqualTo(2);
    assertThat(r.err())
        .contains("Cannot read conf file " + missing.toAbsolutePath() + ": no such file.")
        .contains("Pass --conf with the path of a HOCON file");
  }

  @ParameterizedTest
  @ValueSource(strings = {"validate-conf", "ingest"})
  void confPathThatIsAFolderIsNamedAsAFolder(String command) throws IOException {
    Path folder = Files.createDirectories(dir.resolve("conf"));

    Result r = cli(command, "--conf", folder.toString());

    assertThat(r.code()).as(r.err()).isEqualTo(2);
    assertThat(r.err())
        .contains("Cannot read conf file " + folder.toAbsolutePath() + ": it is a folder.")
        .contains("Pass --conf with the path of a HOCON file, e.g. " + folder.resolve("application.conf"));
    assertThat(r.out()).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"validate-conf", "ingest"})
  void badEnvListsTheEnvironments(String command) throws IOException {
    Path conf = writeConf(crmSource("delimiter = \";\"", CRM_COLUMNS));

    Result r = cli(command, "--conf", conf.toString(), "--env", "prod");

    assertThat(r.code()).as(r.err()).isEqualTo(2);
    assertThat(r.err()).contains("Cannot use --env 'prod': use one of local, standalone, yarn, databricks.");
  }

  @Test
  void validConfIsAccepted() throws IOException {
    Path conf = writeConf(crmSource("delimiter = \";\"", CRM_COLUMNS));

    Result r = cli("validate-conf", "--conf", conf.toString());

    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.err()).isEmpty();
    assertThat(r.out())
        .contains("Configuration OK")
        .contains("source crm: csv " + dir.resolve("crm"))
        .contains("warehouse " + dir.resolve("lakehouse"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"validate-conf", "ingest", "features"})
  void featuresProblemsAreReportedBeforeAnyStageRuns(String command) throws IOException {
    Path conf = writeConf(crmSource("delimiter = \";\"", CRM_COLUMNS)
        + "features.split { policy = time, fractions { train = 0.8, validation = 0.3 }, folds = 3 }\n"
        + "features.text.tokeniser = words\n");

    Result r = cli(command, "--conf", conf.toString());

    assertThat(r.code()).as(r.err()).isEqualTo(2);
    assertThat(problemLines(r.err())).containsExactlyInAnyOrder(
        "  - Keys features.split.fractions add up to 1.1. Make train + validation + test = 1, e.g. 0.8, 0.1, 0.1.",
        "  - Key features.split.policy is time, but dataset.columns.event-time is not set. Name the event-time "
            + "column there, or use policy = stratified.",
        "  - Key features.split.folds is set with policy = time. Shuffled folds would train on the future; use "
            + "policy = stratified or group for k folds, or folds = 0.",
        "  - Unknown key features.text.tokeniser. Did you mean 'features.text.tokenizer'?");
    assertThat(r.out()).isEmpty();
  }

  @Test
  void helpListsTheCommands() {
    Result r = cli("--help");

    assertThat(r.code()).isZero();
    assertThat(r.out()).contains("run", "ingest", "clean", "features", "validate-conf", "sql");
    assertThat(r.out().lines().map(String::strip))
        .anyMatch(l -> l.startsWith("run "))
        .anyMatch(l -> l.startsWith("ingest "))
        .anyMatch(l -> l.startsWith("features "))
        .anyMatch(l -> l.startsWith("validate-conf "))
        .anyMatch(l -> l.startsWith("sql "));
  }

  @Test
  void csvHeaderWithoutAMappedColumnNamesSourceFileAndColumn() throws IOException {
    Path crm = Files.createDirectories(dir.resolve("crm"));
    // Excel-style: BOM, ';', CRLF. The header has "spam" where the conf maps "is_spam".
    Files.writeString(crm.resolve("messages.csv"),
        "\uFEFFmessage_id;subject;content;spam\r\n<a@x>;hi;hello;1\r\n<b@x>;yo;\"two\nlines\";0\r\n",
        StandardCharsets.UTF_8);
    Path conf = writeConf(crmSource("delimiter = \";\"", CRM_COLUMNS));

    Result r = cli("ingest", "--conf", conf.toString());

    assertThat(r.code()).as(r.out() + r.err()).isEqualTo(2);
    assertThat(r.err())
        .contains("Cannot read source 'crm': column 'is_spam' missing in ")
        .contains("messages.csv")
        .contains("it has: message_id, subject, content, spam")
        .contains("Map the canonical column to an existing field under ingest.sources.crm.columns, or fix the file.");
    assertThat(Files.exists(dir.resolve("lakehouse").resolve("bronze").resolve("records"))).isFalse();
  }

  private static List<String> problemLines(String err) {
    List<String> out = new ArrayList<>();
    err.lines().filter(l -> l.startsWith("  - ")).forEach(out::add);
    return out;
  }
}
