package dev.lakepipe.evaluate;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.struct;

import dev.lakepipe.core.LakepipeErrors;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The long format of {@code results.metrics}: one row per (slice, slice value, class, metric), and the slicing
 * every metric computation shares.
 *
 * <p>Slicing explodes each prediction into one copy per slice it belongs to: {@code ("all", "*")} and
 * {@code (c, value of c)} for every slice column {@code c} (null values become {@code "(null)"}). Every
 * aggregation then groups by {@code (slice, slice_value, ...)}, so all slices come out of the same jobs (a union
 * of groupings, one scan), never one Spark job per slice value. The copies multiply the rows fed to the
 * map-side partial aggregation by {@code 1 + sliceColumns.size()}; the shuffle carries aggregates only.
 */
public final class MetricRow {

  public static final String SLICE = "slice";
  public static final String SLICE_VALUE = "slice_value";
  public static final String CLASS = "class";
  public static final String METRIC = "metric";
  public static final String VALUE = "value";
  public static final String CI_LOW = "ci_low";
  public static final String CI_HIGH = "ci_high";
  public static final String SUPPORT = "support";
  public static final String BELOW_MIN_SUPPORT = "below_min_support";

  /** Slice name and value of the row covering every prediction. */
  public static final String ALL = "all";
  public static final String ANY = "*";
  /** Slice value standing for a null in the slice column. */
  public static final String NULL_VALUE = "(null)";

  /** The columns of a metrics table, in order. */
  public static final StructType SCHEMA = new StructType()
      .add(SLICE, DataTypes.StringType, false)
      .add(SLICE_VALUE, DataTypes.StringType, false)
      .add(CLASS, DataTypes.StringType, false)
      .add(METRIC, DataTypes.StringType, false)
      .add(VALUE, DataTypes.DoubleType, true)
      .add(CI_LOW, DataTypes.DoubleType, true)
      .add(CI_HIGH, DataTypes.DoubleType, true)
      .add(SUPPORT, DataTypes.LongType, false)
      .add(BELOW_MIN_SUPPORT, DataTypes.BooleanType, false);

  private MetricRow() {}

  /**
   * One copy of each row per slice it belongs to, with {@code slice} and {@code slice_value} columns added;
   * the slice columns themselves are kept.
   */
  static Dataset<Row> explodeSlices(Dataset<Row> in, List<String> sliceColumns) {
    requireColumns(in, "slice", sliceColumns);
    List<Column> slices = new ArrayList<>();
    slices.add(struct(lit(ALL).as(SLICE), lit(ANY).as(SLICE_VALUE)));
    for (String c : sliceColumns) {
      LakepipeErrors.checkArgument(!c.equals(ALL), "Cannot slice metrics: a slice column may not be named '%s'", ALL);
      slices.add(struct(lit(c).as(SLICE), coalesce(col(c).cast("string"), lit(NULL_VALUE)).as(SLICE_VALUE)));
    }
    return in.withColumn("_slice", explode(array(slices.toArray(Column[]::new))))
        .withColumn(SLICE, col("_slice." + SLICE))
        .withColumn(SLICE_VALUE, col("_slice." + SLICE_VALUE))
        .drop("_slice");
  }

  /**
   * Puts metric rows (with at least slice, slice_value, class, metric, value, support and the slice's row count
   * {@code _rows}) in the table's column order, ci columns null, flagging slices with fewer than
   * {@code minSupport} rows.
   */
  static Dataset<Row> finish(Dataset<Row> metrics, long minSupport) {
    Dataset<Row> m = metrics;
    if (!Arrays.asList(m.columns()).contains(CI_LOW)) {
      m = m.withColumn(CI_LOW, lit(null).cast("double")).withColumn(CI_HIGH, lit(null).cast("double"));
    }
    return m.withColumn(BELOW_MIN_SUPPORT, col("_rows").lt(minSupport))
        .select(col(SLICE), col(SLICE_VALUE), col(CLASS), col(METRIC), col(VALUE).cast("double").as(VALUE),
            col(CI_LOW), col(CI_HIGH), col(SUPPORT).cast("long").as(SUPPORT), col(BELOW_MIN_SUPPORT));
  }

  /** Join columns for {@code Dataset.join(other, on(...), how)}. */
  static scala.collection.Seq<String> on(String... columns) {
    return scala.collection.JavaConverters.asScalaBuffer(Arrays.asList(columns));
  }

  /** Fails naming every missing column at once. */
  static void requireColumns(Dataset<Row> in, String what, List<String> columns) {
    List<String> have = Arrays.asList(in.columns());
    List<String> missing = columns.stream().filter(c -> !have.contains(c)).toList();
    LakepipeErrors.checkArgument(missing.isEmpty(), "Cannot compute %s metrics: column(s) %s missing from the "
        + "predictions (columns: %s)", what, missing, have);
  }
}
