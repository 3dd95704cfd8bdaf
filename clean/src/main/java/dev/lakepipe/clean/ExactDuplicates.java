package dev.lakepipe.clean;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.not;

import dev.lakepipe.core.Lineage;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Exact duplicates: rows whose key, a SHA-256 over the configured columns (after normalisation; the main text
 * by default), is equal. Pure: returns who is in which group, and decides nothing about keepers (see
 * {@link DuplicateClusters}).
 *
 * <p>A row without a key (every key column null, or blank for string columns) is in no group: missing values
 * are not equal to each other, so such rows are never exact duplicates (as empty text never matches in
 * {@link NearDuplicates}). A row with some key columns missing and others present is grouped on what it has
 * (missing values count as empty).
 *
 * <p>Cost: one aggregation by key (partial aggregation first, so a key shared by millions of rows does not
 * land whole on one task) and one join back. Deterministic: the group id is the key itself.
 */
final class ExactDuplicates {

  /** Group id column of the membership frame. */
  static final String CLUSTER_ID = "cluster_id";

  private ExactDuplicates() {}

  /** The duplicate key: SHA-256 over the columns' values, nulls as empty. */
  static Column key(List<String> columns) {
    return Lineage.stableHash(columns.stream().map(c -> col(c)).toArray(Column[]::new));
  }

  /**
   * Membership of every exact-duplicate group of two or more rows: {@code _record_id, cluster_id}. Rows
   * whose key is unique, and rows without a key ({@link #hasKey}), do not appear.
   */
  static Dataset<Row> groups(Dataset<Row> rows, List<String> keyColumns) {
    Dataset<Row> keyed = rows.filter(hasKey(rows.schema(), keyColumns))
        .select(col(Lineage.RECORD_ID), key(keyColumns).as(CLUSTER_ID));
    Dataset<Row> shared = keyed.groupBy(CLUSTER_ID).agg(count(lit(1)).as("n")).filter(col("n").gt(1))
        .select(CLUSTER_ID);
    return keyed.join(shared, CLUSTER_ID).select(Lineage.RECORD_ID, CLUSTER_ID);
  }

  /** True when at least one key column has a value: not null, and for string columns not blank. */
  static Column hasKey(StructType schema, List<String> keyColumns) {
    return keyColumns.stream().map(c -> {
      Column v = col(c);
      return schema.apply(c).dataType().equals(DataTypes.StringType)
          ? v.isNotNull().and(not(v.rlike("^\\s*$")))
          : v.isNotNull();
    }).reduce(Column::or).orElse(lit(false));
  }
}
