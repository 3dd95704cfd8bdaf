package dev.lakepipe.features;

import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.floor;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;

import dev.lakepipe.core.JoinColumns;
import java.util.Arrays;
import java.util.stream.Stream;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;

/**
 * Running sums in a seeded order within each stratum (a label, or one stratum for all rows) without ordering a
 * whole stratum in one task: the quota of {@link Splitter} (splits and folds) and the ranks of
 * {@link Augmentation}'s oversampling.
 *
 * <p>A window {@code partitionBy(stratum).orderBy(order)} puts every row of a stratum in one task: one task per
 * label, and one task in total under the group policy, so at 100M rows one executor sorts everything. Here the
 * sum is taken in two phases instead. Every row carries a <em>sub-bucket</em>, a non-decreasing function of the
 * first order key (a range of the seeded hash the rows are ordered by), so the sub-buckets of a stratum follow
 * each other in the order and every row of an earlier sub-bucket comes before every row of a later one (rows
 * with equal keys share a sub-bucket, so ties are broken inside one sub-bucket by the remaining order keys,
 * exactly as before). (1) One aggregation gives each (stratum, sub-bucket) its total, and a window over that
 * small table (at most {@link #SUB_BUCKETS} plus one row per stratum, see {@link #subBuckets}; one partition)
 * turns the totals into offsets: the sum of the sub-buckets before it. (2) The offsets are broadcast-joined to the rows, and the
 * window runs partitioned by (stratum, sub-bucket), adding the offset. The result is, row for row and bit for
 * bit, the single window's: a sum of longs does not depend on how it is grouped.
 *
 * <p>Cost: the same one shuffle of the rows as the single window, now spread over as many tasks as
 * {@code spark.sql.shuffle.partitions} allows (sub-buckets are hashed onto them); plus one aggregation of the
 * same rows (computed again for it unless cached or Spark reuses their exchange), partial per task, whose result
 * of at most {@code SUB_BUCKETS} + strata rows is gathered in one task, turned into offsets and broadcast. On
 * tiny inputs that is up to two more Spark jobs per running sum (the aggregation's shuffle, the broadcast).
 */
final class PrefixSum {

  /**
   * Sub-buckets over all strata together, shared out in proportion to the strata's rows ({@link #subBuckets}).
   * 1,024: more than the task count of any cluster this stage runs on (Spark's default of 200 shuffle
   * partitions; the 40 cores docs/benchmarks.md sizes a 100M-row run with), so hash placement of several
   * sub-buckets per task evens the tasks out, and 100M rows make sub-buckets of about 100,000 rows, a small sort
   * each. It bounds what is broadcast (and so passes through the driver): at most 1,024 + strata rows of
   * (stratum, sub-bucket, offset), some tens of KB, whatever the row count.
   */
  static final long SUB_BUCKETS = 1024;

  static final String SUB = "_prefix_sub";
  private static final String SUB_TOTAL = "_prefix_sub_total";
  private static final String OFFSET = "_prefix_offset";

  private PrefixSum() {}

  /**
   * How many sub-buckets a stratum of {@code stratumRows} gets when all strata hold {@code allRows}: its share of
   * {@link #SUB_BUCKETS}, rounded up, at least 1. The counts over all strata add up to less than
   * {@code SUB_BUCKETS} + the number of strata; a large stratum is divided finely, a small one hardly at all.
   */
  static long subBuckets(long stratumRows, long allRows) {
    if (stratumRows <= 0 || allRows <= 0) {
      return 1;
    }
    return Math.max(1, (SUB_BUCKETS * stratumRows + allRows - 1) / allRows);
  }

  /**
   * The sub-bucket {@code floor(position * buckets)} (a long), for a {@code position} in [0, 1] that is a
   * non-decreasing function of the first order key, {@code buckets} from {@link #subBuckets}. Floating-point
   * multiplication and {@code floor} are non-decreasing, so the sub-bucket is too (a position of exactly 1 gives
   * sub-bucket {@code buckets}, one more, which still comes last).
   */
  static Column subBucket(Column position, Column buckets) {
    return floor(position.multiply(buckets));
  }

  /**
   * {@code rows} with {@code out} added: the sum of {@code value} (a long column) over the rows of the same
   * {@code stratum} column that come before the row in {@code order} (0 for the first row), as the window
   * {@code sum(value).over(partitionBy(stratum).orderBy(order).rowsBetween(unboundedPreceding, -1))} gives it.
   * {@code sub} is the row's sub-bucket ({@link #subBucket}); it must be a non-decreasing function of
   * {@code order}'s first column within a stratum, and {@code order} must be total (end in a unique key), as
   * for the single window. Neither {@code stratum} nor {@code sub} may be null.
   */
  static Dataset<Row> before(Dataset<Row> rows, String stratum, Column sub, Column value, String out,
      Column... order) {
    Dataset<Row> withSub = rows.withColumn(SUB, sub);
    // Phase 1: offsets per (stratum, sub-bucket). The aggregate has at most SUB_BUCKETS + strata rows, so it is
    // gathered into one partition (no shuffle for the window over it, which that one partition satisfies).
    WindowSpec earlierSubs = Window.partitionBy(col(stratum)).orderBy(col(SUB))
        .rowsBetween(Window.unboundedPreceding(), -1);
    Dataset<Row> offsets = withSub.groupBy(col(stratum), col(SUB))
        .agg(sum(value).as(SUB_TOTAL))
        .coalesce(1)
        .withColumn(OFFSET, coalesce(sum(col(SUB_TOTAL)).over(earlierSubs), lit(0L)))
        .drop(SUB_TOTAL);
    // Phase 2: the running sum within each sub-bucket, plus its offset.
    WindowSpec earlierRows = Window.partitionBy(col(stratum), col(SUB)).orderBy(order)
        .rowsBetween(Window.unboundedPreceding(), -1);
    // The join puts its keys first; the columns keep the input's order, with out last.
    Column[] kept = Stream.concat(Arrays.stream(rows.columns()), Stream.of(out)).map(c -> col(c))
        .toArray(Column[]::new);
    return withSub.join(broadcast(offsets), JoinColumns.of(stratum, SUB))
        .withColumn(out, col(OFFSET).plus(coalesce(sum(value).over(earlierRows), lit(0L))))
        .select(kept);
  }
}
