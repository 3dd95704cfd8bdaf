package dev.lakepipe.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lakepipe.core.LakepipeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LakepipeConfigTest {

  private static final String DATASET = """
      dataset {
        name = "d"
        columns { id = "id", text = ["text", "subject"], label = "label", event-time = "event_time",
                  numeric = ["score"], categorical = ["channel"] }
      }
      """;

  @TempDir
  Path dir;

  @Test
  void precedenceIsSetOverEnvOverFileOverDefaults() throws IOException {
    Path conf = write("application.conf", DATASET + """
        tables.warehouse = "from-file"
        spark.app-name = "from-file"
        spark.master = "local[1]"
        """);
    write("yarn.conf", "tables.warehouse = \"from-env\"\nspark.app-name = \"from-env\"\n");

    LakepipeConfig c = LakepipeConfig.load(conf, LakepipeConfig.Env.YARN, Map.of("spark.app-name", "from-set"));

    assertThat(c.spark().appName()).isEqualTo("from-set");
    assertThat(c.tables().warehouse()).isEqualTo("from-env");
    assertThat(c.spark().master()).contains("local[1]");
    assertThat(c.tables().mode()).isEqualTo(TableSettings.Mode.PATH);
    assertThat(c.spark().conf()).containsEntry("spark.sql.session.timeZone", "UTC");
    // The built-in defaults force no shuffle setting onto a cluster's session (issue 13, item 3).
    assertThat(c.spark().conf()).doesNotContainKey("spark.sql.shuffle.partitions");
    assertThat(c.origin()).isEqualTo(conf + " + yarn.conf + --set");
  }

  @Test
  void datasetColumnsGetTypesByRoleInCanonicalOrder() throws IOException {
    LakepipeConfig c = LakepipeConfig.load(write("a.conf", DATASET), LakepipeConfig.Env.LOCAL, Map.of());

    DatasetSchema d = c.dataset();
    assertThat(d.columns().keySet())
        .containsExactly("id", "text", "subject", "label", "event_time", "score", "channel");
    assertThat(d.sparkSchema().apply("event_time").dataType()).isEqualTo(DataTypes.TimestampType);
    assertThat(d.sparkSchema().apply("score").dataType()).isEqualTo(DataTypes.DoubleType);
    assertThat(d.requiredColumns()).containsExactly("id", "text", "label");
    assertThat(d.textColumn()).isEqualTo("text");
  }

  @Test
  void aTableNeedsNeitherIdNorText() throws IOException {
    LakepipeConfig c = LakepipeConfig.load(write("table.conf", """
        dataset {
          name = "weather"
          columns { label = "weather", event-time = "date", numeric = ["wind", "temp_max"] }
        }
        """), LakepipeConfig.Env.LOCAL, Map.of());

    DatasetSchema d = c.dataset();
    assertThat(d.columns().keySet()).containsExactly("weather", "date", "wind", "temp_max");
    assertThat(d.idColumn()).isNull();
    assertThat(d.hasId()).isFalse();
    assertThat(d.hasText()).isFalse();
    assertThat(d.textColumn()).isNull();
    assertThat(d.requiredColumns()).containsExactly("weather");
  }

  @Test
  void aLabelAloneIsNotADataset() throws IOException {
    Path conf = write("label-only.conf", "dataset { name = d, columns { label = y } }");

    assertThatThrownBy(() -> LakepipeConfig.load(conf, LakepipeConfig.Env.LOCAL, Map.of()))
        .isInstanceOf(LakepipeException.class)
        .hasMessageContaining("Key dataset.columns declares only the label 'y'. Name the columns to learn from: "
            + "numeric, categorical, text or event-time.");
  }

  @Test
  void everyProblemIsListedAtOnceWithItsKeyAndFix() throws IOException {
    Path conf = write("bad.conf", """
        dataset {
          name = "d"
          columns { id = "id", text = ["Text"], label = "label", numerc = ["x"] }
          required = ["id", "nope"]
        }
        tables { mode = lake, warehous = "x" }
        sparkk {}
        """);

    assertThatThrownBy(() -> LakepipeConfig.load(conf, LakepipeConfig.Env.LOCAL, Map.of()))
        .isInstanceOf(LakepipeException.class)
        .satisfies(e -> assertThat(((LakepipeException) e).exitCode()).isEqualTo(2))
        .hasMessageContaining("has 6 problems")
        .hasMessageContaining("Unknown key sparkk.")
        .hasMessageContaining("Unknown key dataset.columns.numerc. Did you mean 'dataset.columns.numeric'?")
        .hasMessageContaining("Column name 'Text' in dataset.columns is not allowed")
        .hasMessageContaining("Key dataset.required names 'nope'")
        .hasMessageContaining("Key tables.mode is 'lake'. Use 'path' or 'metastore'.")
        .hasMessageContaining("Unknown key tables.warehous. Did you mean 'tables.warehouse'?");
  }

  @Test
  void aBareIncludeKeyGetsTheQuotingHint() throws IOException {
    Path conf = write("inc.conf", DATASET + "ingest.sources.s { format = jsonl, path = x, include = \"*.json\" }\n");

    assertThatThrownBy(() -> LakepipeConfig.load(conf, LakepipeConfig.Env.LOCAL, Map.of()))
        .isInstanceOf(LakepipeException.class)
        .hasMessageContaining("include keyword")
        .hasMessageContaining("quote the key: \"include\" = \"*.csv\".");
  }

  @Test
  void missingFileAndBadSetAreUsageErrors() {
    assertThatThrownBy(() -> LakepipeConfig.load(dir.resolve("none.conf"), LakepipeConfig.Env.LOCAL, Map.of()))
        .isInstanceOf(LakepipeException.class)
        .hasMessageContaining("none.conf: no such file. Pass --conf");
    assertThatThrownBy(() -> LakepipeConfig.Env.parse("cloud"))
        .hasMessageContaining("Cannot use --env 'cloud': use one of local, standalone, yarn, databricks.");
  }

  @Test
  void setParsesListsAndKeepsOtherValuesLiteral() throws IOException {
    Path conf = write("a.conf", DATASET);
    LakepipeConfig c = LakepipeConfig.load(conf, LakepipeConfig.Env.LOCAL,
        Map.of("dataset.required", "[id,label]", "tables.warehouse", "s3a://bucket//lake # not a comment"));

    assertThat(c.dataset().requiredColumns()).containsExactly("id", "label");
    assertThat(c.tables().warehouse()).isEqualTo("s3a://bucket//lake # not a comment");
  }

  private Path write(String name, String text) throws IOException {
    Path p = dir.resolve(name);
    Files.writeString(p, text);
    return p;
  }
}
