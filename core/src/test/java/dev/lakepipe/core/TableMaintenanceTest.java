package dev.lakepipe.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lakepipe.core.config.TableSettings;
import dev.lakepipe.core.testing.SparkTestBase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * OPTIMIZE and VACUUM on real Delta tables: small files compacted into one with the same rows, the replaced files
 * deleted only when no version within the retention reads them, a table not written yet reported and left alone,
 * and Delta's retention check lifted only for a short retention the caller asked for, and restored after.
 */
class TableMaintenanceTest extends SparkTestBase {

  private static final String CHECK = "spark.databricks.delta.retentionDurationCheck.enabled";

  @TempDir
  Path dir;

  private TableCatalog catalog() {
    return new TableCatalog(spark, new TableSettings(TableSettings.Mode.PATH, dir.resolve("lake").toString(),
        Map.of("bronze-records", "bronze.records", "silver-records", "silver.records", "quarantine",
            "ops.quarantine")));
  }

  /**
   * bronze.records: four appends of one row each, one file each (versions 0-3). silver.records: written, then
   * overwritten (versions 0-1), one file each. ops.quarantine: never written.
   */
  private void writeTables() {
    for (int i = 1; i <= 4; i++) {
      rows("b" + i).write().format("delta").mode(SaveMode.Append).save(dir.resolve("lake/bronze/records").toString());
    }
    rows("s1", "s2").write().format("delta").mode(SaveMode.Overwrite).save(dir.resolve("lake/silver/records").toString());
    rows("s3", "s4").write().format("delta").mode(SaveMode.Overwrite).save(dir.resolve("lake/silver/records").toString());
  }

  /**
   * One set of tables through three calls, as a warehouse meets them over time: a short retention not asked for,
   * the default retention, then a zero retention asked for.
   */
  @Test
  void optimizeCompactsAndVacuumDeletesOnlyFilesNoVersionWithinTheRetentionReads() throws IOException {
    writeTables();

    // 1. A retention below 168 h without the opt-in is refused before any table is touched.
    assertThatThrownBy(() -> TableMaintenance.run(spark, catalog(), true, Duration.ofHours(1), false))
        .hasMessageContaining("retention of 1 h");
    assertThat(parquetFiles("bronze/records")).isEqualTo(4);

    // 2. The default retention. Catalog order is by key: bronze-records, quarantine, silver-records.
    List<TableMaintenance.Result> results = TableMaintenance.run(spark, catalog(), true,
        TableMaintenance.DELTA_DEFAULT_RETENTION, false);
    assertThat(results).extracting(r -> r.table().name()).containsExactly("bronze.records", "ops.quarantine",
        "silver.records");
    // bronze: 4 one-row files compacted into 1 (OPTIMIZE commits version 4). The 4 it replaced are minutes old,
    // within the retention: none deleted, 4 + 1 files on disk, and version 0 still reads.
    assertThat(results.get(0)).extracting(TableMaintenance.Result::present, TableMaintenance.Result::filesBefore,
        TableMaintenance.Result::filesAfter, TableMaintenance.Result::filesDeleted).containsExactly(true, 4L, 1L, 0L);
    assertThat(parquetFiles("bronze/records")).isEqualTo(5);
    assertThat(spark.read().format("delta").option("versionAsOf", 0).load(dir.resolve("lake/bronze/records")
        .toString()).count()).isEqualTo(1);
    // ops.quarantine: not written yet, so reported absent and not created.
    assertThat(results.get(1).present()).isFalse();
    assertThat(dir.resolve("lake/ops/quarantine")).doesNotExist();
    // silver: one file, nothing to compact; the overwritten version's file is within the retention too.
    assertThat(results.get(2)).extracting(TableMaintenance.Result::filesBefore, TableMaintenance.Result::filesAfter,
        TableMaintenance.Result::filesDeleted).containsExactly(1L, 1L, 0L);
    assertThat(parquetFiles("silver/records")).isEqualTo(2);

    // 3. Retention 0, asked for: every file the current versions do not read goes (bronze's 4, silver's 1).
    results = TableMaintenance.run(spark, catalog(), true, Duration.ZERO, true);
    assertThat(results.get(0)).extracting(TableMaintenance.Result::filesBefore, TableMaintenance.Result::filesAfter,
        TableMaintenance.Result::filesDeleted).containsExactly(1L, 1L, 4L);
    assertThat(parquetFiles("bronze/records")).isEqualTo(1);
    assertThat(values("bronze/records")).containsExactly("b1", "b2", "b3", "b4");
    assertThat(results.get(2)).extracting(TableMaintenance.Result::filesBefore, TableMaintenance.Result::filesAfter,
        TableMaintenance.Result::filesDeleted).containsExactly(1L, 1L, 1L);
    assertThat(parquetFiles("silver/records")).isEqualTo(1);
    assertThat(values("silver/records")).containsExactly("s3", "s4");
    // Time travel reaches back no further than the retention: version 0's file is gone.
    assertThatThrownBy(() -> spark.read().format("delta").option("versionAsOf", 0)
        .load(dir.resolve("lake/bronze/records").toString()).collectAsList()).hasMessageContaining("does not exist");

    assertThat(spark.conf().get(CHECK, "true")).as("Delta's retention check restored").isEqualTo("true");
  }

  private Dataset<Row> rows(String... values) {
    return spark.createDataset(List.of(values), org.apache.spark.sql.Encoders.STRING()).toDF("value").coalesce(1);
  }

  private List<String> values(String table) {
    return spark.read().format("delta").load(dir.resolve("lake").resolve(table).toString()).orderBy("value")
        .as(org.apache.spark.sql.Encoders.STRING()).collectAsList();
  }

  private long parquetFiles(String table) throws IOException {
    try (Stream<Path> files = Files.walk(dir.resolve("lake").resolve(table))) {
      return files.filter(f -> f.getFileName().toString().endsWith(".parquet")).count();
    }
  }
}
