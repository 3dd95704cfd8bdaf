package dev.lakepipe.clean;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakepipe.core.RunContext;
import dev.lakepipe.core.config.LakepipeConfig;
import dev.lakepipe.core.testing.SparkTestBase;
import dev.lakepipe.core.testing.TestConfigs;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rows without an exact-duplicate key (every key column null, or blank for strings) are not duplicates of
 * each other: each stays as its own row. Before this rule they all shared the hash of empty values and fell
 * into one exact cluster, so all but one left silver. The rule for keys of several columns (every column
 * missing) is proven on {@link ExactDuplicates#groups} in {@link DuplicateClustersTest}.
 */
class CleanJobMissingKeyTest extends SparkTestBase {

  private static final String LUNCH = "a repeated message about lunch plans on friday at noon";

  @TempDir
  Path dir;

  /**
   * Text dataset, default key [text]:
   * <pre>
   *   n1  NULL   ham  2002-01-01   no key: kept
   *   n2  NULL   ham  2002-01-02   no key: kept
   *   n3  "   "  ham  2002-01-03   blank (normalised to ""): no key, kept
   *   n4  ""     ham  2002-01-04   empty: no key, kept
   *   d1  LUNCH  ham  2002-01-05   keeper of d1, d2 (earlier)
   *   d2  LUNCH  ham  2002-01-06   exact duplicate of d1
   *   u1  own    ham  2002-01-07   kept
   * </pre>
   * 7 in = 6 kept + 1 exact + 0 near + 0 quarantined. (The old rule: n1..n4 one cluster, keeper n1, so
   * 3 kept + 4 exact.)
   */
  @Test
  void textRowsWithoutTextAreNeverExactDuplicates() {
    LakepipeConfig config = TestConfigs.of("""
        dataset {
          name = "t"
          columns { id = "id", text = ["text"], label = "label", event-time = "event_time" }
        }
        tables.warehouse = "%s"
        """.formatted(dir.resolve("lake")));
    spark.sql("SELECT _record_id AS id, text, 'ham' AS label, CAST(t AS TIMESTAMP) AS event_time, _record_id, "
            + "'src' AS _source, 'file:/in/a.csv' AS _source_file, CAST(n AS BIGINT) AS _source_row, "
            + "TIMESTAMP '2026-11-23 00:00:00' AS _ingested_at, 'ingest-1' AS run_id FROM VALUES "
            + "('n1', NULL, '2002-01-01', 1), ('n2', NULL, '2002-01-02', 2), ('n3', '   ', '2002-01-03', 3), "
            + "('n4', '', '2002-01-04', 4), ('d1', '" + LUNCH + "', '2002-01-05', 5), "
            + "('d2', '" + LUNCH + "', '2002-01-06', 6), "
            + "('u1', 'an entirely different note about the garden fence', '2002-01-07', 7) "
            + "AS v(_record_id, text, t, n)")
        .write().format("delta").save(dir.resolve("lake/bronze/records").toString());

    CleanReport report = CleanJob.run(spark, config, RunContext.of("clean-text"));

    assertThat(List.of(report.in(), report.kept(), report.exactDuplicates(), report.nearDuplicates(),
        report.quarantined())).containsExactly(7L, 6L, 1L, 0L, 0L);
    assertThat(strings("SELECT _record_id FROM silver.records"))
        .containsExactly("d1", "n1", "n2", "n3", "n4", "u1");
    assertThat(strings("SELECT concat_ws('|', removed_record_id, kept_record_id, kind) FROM ops.duplicates"))
        .containsExactly("d2|d1|exact");
  }

  private List<String> strings(String sql) {
    return spark.sql(sql).collectAsList().stream().map(r -> r.getString(0)).sorted().toList();
  }
}
