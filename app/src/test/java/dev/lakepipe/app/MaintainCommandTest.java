package dev.lakepipe.app;

import static dev.lakepipe.app.CliConfigErrorsTest.cli;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lakepipe.app.CliConfigErrorsTest.Result;
import dev.lakepipe.core.testing.SparkTestBase;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.SaveMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code lakepipe maintain} through the CLI: a short retention without the opt-in is a conf error (exit 2, naming
 * the key and both fixes) before Spark starts; with it, the report row of each written table and the count of
 * tables not written yet.
 */
class MaintainCommandTest extends SparkTestBase {

  @TempDir
  Path dir;

  private Path conf() throws IOException {
    Path conf = dir.resolve("test.conf");
    Files.writeString(conf, """
        dataset {
          name = "tiny"
          columns { id = "id", text = "text", label = "label" }
          required = ["id", "text", "label"]
        }
        tables.warehouse = "%s"
        """.formatted(dir.resolve("lake")), StandardCharsets.UTF_8);
    return conf;
  }

  @Test
  void aRetentionBelowDeltasIsRefusedWithoutTheOptIn() throws IOException {
    Result r = cli("maintain", "--conf", conf().toString(), "--set", "maintain.vacuum-retention=1h");

    assertThat(r.code()).as(r.err()).isEqualTo(2);
    assertThat(r.err()).contains("Key maintain.vacuum-retention is 1h, below Delta's 168h",
        "Keep 168h or more, or set maintain.allow-short-retention = true");
    assertThat(dir.resolve("lake")).doesNotExist();
  }

  @Test
  void aSectionThatIsNotAnObjectIsNamedWithAnExample() throws IOException {
    Result r = cli("validate-conf", "--conf", conf().toString(), "--set", "maintain=weekly");

    assertThat(r.code()).as(r.err()).isEqualTo(2);
    assertThat(r.err()).contains("Key maintain must be an object such as { vacuum-retention = 168h }.");
  }

  @Test
  void compactsAndVacuumsEveryWrittenTableAndCountsTheOthers() throws IOException {
    // bronze.records: three appends of one row, one file each (versions 0, 1, 2).
    for (String id : List.of("a", "b", "c")) {
      spark.createDataset(List.of(id), Encoders.STRING()).toDF("id").coalesce(1).write().format("delta")
          .mode(SaveMode.Append).save(dir.resolve("lake/bronze/records").toString());
    }

    Result r = cli("maintain", "--conf", conf().toString(), "--set", "maintain.vacuum-retention=0h",
        "--set", "maintain.allow-short-retention=true");

    assertThat(r.code()).as(r.err()).isZero();
    // 3 files compacted into 1 by OPTIMIZE (version 3); the 3 it replaced deleted by VACUUM (retention 0 h), which
    // Delta logs as two commits of its own, VACUUM START and VACUUM END (versions 4 and 5). The other 16 of the 17
    // tables a conf names are not written yet.
    assertThat(r.out().lines()).containsSubsequence(
        "maintain: OPTIMIZE, then VACUUM of files older than 0 h",
        "table                    files before files after   files deleted  version",
        "bronze.records                      3           1               3        5",
        "(16 tables not written yet)");
    assertThat(spark.read().format("delta").load(dir.resolve("lake/bronze/records").toString()).count())
        .isEqualTo(3);
  }
}
