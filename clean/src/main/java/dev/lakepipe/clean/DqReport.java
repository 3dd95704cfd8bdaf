package dev.lakepipe.clean;

import static org.apache.spark.sql.functions.approx_count_distinct;
import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import dev.lakepipe.core.JoinColumns;
import dev.lakepipe.core.Lineage;
import dev.lakepipe.core.RunContext;
import dev.lakepipe.core.config.DatasetSchema;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * {@code ops.dq_report}: one set of rows per clean run, so quality can be followed over time and compared
 * between runs. Per table profiled (bronze as it arrived, silver as written), per source (and {@code *} for
 * all) and per canonical column: rows, nulls, null rate, approximate distinct count, min/max (as text) and
 * mean for numeric columns, and the rule failures recorded against the column. A {@code *} column row per
 * source carries rows quarantined and duplicates removed.
 *
 * <p>Cost: one aggregation pass per profiled table (all columns at once), plus small aggregations of the
 * quarantine and duplicate decisions. Nothing is collected to the driver.
 */
final class DqReport {

  static final List<String> COLUMNS = List.of(Lineage.RUN_ID, "computed_at", "table_name", "source",
      "column_name", "rows", "nulls", "null_rate", "distinct_approx", "min_value", "max_value", "mean",
      "rule_failures", "quarantined", "duplicates_removed");

  private DqReport() {}

  /**
   * @param flagColumns maps a {@code _flags} entry prefix-and-id (e.g. {@code rule:sender-format}) to the
   *     column it concerns; flags not in the map count against the {@code *} column.
   */
  static Dataset<Row> build(Dataset<Row> bronze, Dataset<Row> silver, Dataset<Row> quarantined,
      Dataset<Row> duplicates, DatasetSchema schema, Map<String, String> flagColumns, String bronzeName,
      String silverName, RunContext run) {
    Dataset<Row> failures = ruleFailures(quarantined, silver, flagColumns, silverName);
    Dataset<Row> profile = profile(bronze, schema, bronzeName).unionByName(profile(silver, schema, silverName));
    Dataset<Row> withFailures = profile
        .join(failures.withColumnRenamed("failures", "rule_failures"),
            JoinColumns.of("table_name", "source", "column_name"),
            "left")
        .withColumn("rule_failures", org.apache.spark.sql.functions.coalesce(col("rule_failures"), lit(0L)));

    Dataset<Row> perSourceQuarantine = quarantined.groupBy(col(Lineage.SOURCE).as("source"))
        .agg(count(lit(1)).as("quarantined"));
    Dataset<Row> perSourceDuplicates = duplicates.groupBy(col("removed_source").as("source"))
        .agg(count(lit(1)).as("duplicates_removed"));
    Dataset<Row> decisions = perSourceQuarantine
        .join(perSourceDuplicates, JoinColumns.of("source"),
            "full_outer");
    Dataset<Row> decisionsAll = decisions.agg(sum("quarantined").as("quarantined"),
        sum("duplicates_removed").as("duplicates_removed")).withColumn("source", lit("*"));
    Dataset<Row> summary = decisions.unionByName(decisionsAll)
        .withColumn("table_name", lit(silverName)).withColumn("column_name", lit("*"));

    return withFailures
        .join(summary, JoinColumns.of("table_name", "source", "column_name"), "left")
        .withColumn("quarantined", org.apache.spark.sql.functions.coalesce(col("quarantined"), lit(0L)))
        .withColumn("duplicates_removed",
            org.apache.spark.sql.functions.coalesce(col("duplicates_removed"), lit(0L)))
        .withColumn(Lineage.RUN_ID, lit(run.runId()))
        .withColumn("computed_at", lit(Timestamp.from(run.startedAt())))
        .select(COLUMNS.stream().map(c -> col(c)).toArray(Column[]::new));
  }

  /** One row per (source or *, column or *) of a table: the profile of each canonical column. */
  static Dataset<Row> profile(Dataset<Row> rows, DatasetSchema schema, String tableName) {
    List<Column> stats = new ArrayList<>();
    stats.add(struct(lit("*").as("column_name"), count(lit(1)).as("rows"), lit(null).cast("long").as("nulls"),
        lit(null).cast("long").as("distinct_approx"), lit(null).cast("string").as("min_value"),
        lit(null).cast("string").as("max_value"), lit(null).cast("double").as("mean")));
    for (Map.Entry<String, DatasetSchema.Role> e : schema.columns().entrySet()) {
      Column c = col(e.getKey());
      boolean numeric = e.getValue() == DatasetSchema.Role.NUMERIC;
      boolean text = e.getValue() == DatasetSchema.Role.TEXT;
      stats.add(struct(
          lit(e.getKey()).as("column_name"),
          count(lit(1)).as("rows"),
          sum(when(c.isNull(), 1L).otherwise(0L)).as("nulls"),
          approx_count_distinct(c).as("distinct_approx"),
          // Long texts make poor min/max; their lengths say more.
          (text ? min(org.apache.spark.sql.functions.length(c)).cast("string") : min(c).cast("string"))
              .as("min_value"),
          (text ? max(org.apache.spark.sql.functions.length(c)).cast("string") : max(c).cast("string"))
              .as("max_value"),
          (numeric ? avg(c) : text ? avg(org.apache.spark.sql.functions.length(c)) : lit(null).cast("double"))
              .as("mean")));
    }
    Column all = array(stats.toArray(Column[]::new)).as("stats");
    Dataset<Row> perSource = rows.groupBy(col(Lineage.SOURCE).as("source")).agg(all);
    Dataset<Row> overall = rows.agg(all).withColumn("source", lit("*"));
    return perSource.unionByName(overall)
        .select(col("source"), explode(col("stats")).as("s"))
        .select(lit(tableName).as("table_name"), col("source"), col("s.column_name"), col("s.rows"),
            col("s.nulls"),
            when(col("s.rows").gt(0), col("s.nulls").divide(col("s.rows"))).as("null_rate"),
            col("s.distinct_approx"), col("s.min_value"), col("s.max_value"), col("s.mean"));
  }

  /**
   * Rule failures per source and column: quarantined rows by their column (and for {@code *}), plus kept
   * rows' flags. Counted against the silver table's rows, where the decisions are reported.
   */
  static Dataset<Row> ruleFailures(Dataset<Row> quarantined, Dataset<Row> silver, Map<String, String> flagColumns,
      String silverName) {
    Dataset<Row> fromQuarantine = quarantined.select(col(Lineage.SOURCE).as("source"),
        org.apache.spark.sql.functions.coalesce(col("column_name"), lit("*")).as("column_name"));
    Column flagColumn = lit("*");
    for (Map.Entry<String, String> e : flagColumns.entrySet()) {
      flagColumn = when(col("flag").equalTo(e.getKey()), lit(e.getValue())).otherwise(flagColumn);
    }
    Dataset<Row> fromFlags = silver.select(col(Lineage.SOURCE).as("source"), explode(col(RowCleaning.FLAGS))
            .as("flag"))
        .filter(col("flag").startsWith("rule:").or(col("flag").startsWith("fixed:"))
            .or(col("flag").startsWith("missing:")))
        .select(col("source"), when(col("flag").startsWith("missing:"),
            org.apache.spark.sql.functions.substring_index(col("flag"), ":", -1)).otherwise(flagColumn)
            .as("column_name"));
    Dataset<Row> each = fromQuarantine.unionByName(fromFlags);
    Dataset<Row> perSource = each.groupBy("source", "column_name").agg(count(lit(1)).as("failures"));
    Dataset<Row> overall = each.groupBy("column_name").agg(count(lit(1)).as("failures"))
        .withColumn("source", lit("*"));
    return perSource.unionByName(overall).withColumn("table_name", lit(silverName));
  }
}
