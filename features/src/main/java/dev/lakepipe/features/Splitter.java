package dev.lakepipe.features;

import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.concat_ws;
import static org.apache.spark.sql.functions.conv;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.countDistinct;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.substring;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.unix_micros;
import static org.apache.spark.sql.functions.when;

import dev.lakepipe.core.ConnectedComponents;
import dev.lakepipe.core.JoinColumns;
import dev.lakepipe.core.LakepipeErrors;
import dev.lakepipe.core.Lineage;
import dev.lakepipe.core.config.DatasetSchema;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Assigns every row a {@code split} (and, with folds, a {@code fold}), deterministically from the seed.
 *
 * <p><b>Units.</b> Rows are assigned in units that must not be divided: a row alone, a near-duplicate cluster
 * (records linked in {@code ops.duplicates} that are both still in silver, joined into connected components)
 * or, for the group policy, every row sharing a group value together with every group such a cluster
 * touches. A row whose group value is null is a unit of its own.
 *
 * <p><b>Quotas.</b> The stratified and group policies order the units of each stratum (the label for
 * stratified, one stratum for group) by a seeded hash of the unit key and cut that order at
 * {@code round(n * cumulative fraction)} rows, so with single-row units every label's split counts are within
 * one row of {@code n * fraction}. Folds divide the rows outside test the same way into k equal shares.
 *
 * <p><b>Stability.</b> A hash order alone would move old rows when rows are added (every rank shifts). So a
 * run may be given the previous run's assignment (same split conf and seed): old units keep their split and
 * fold, and only new units are ordered by hash and cut to fill what each split lacks of its target, which
 * keeps the proportions within about one row per label and never moves an old row (unless a new
 * near-duplicate link merges two old units that sat in different splits: leakage safety wins, and the count
 * is logged). The time policy needs no memory: its cut-offs, once computed, are reused.
 *
 * <p><b>Time.</b> Rows are ordered by event time; cut-offs are explicit or the event time of the row at
 * {@code round(n * cumulative fraction)}; a row at a cut-off belongs to the later split (ties never straddle);
 * rows within {@code gap} before a cut-off go to split {@code gap} and are used by no split. Rows without an
 * event time, and (near-duplicates = together) members of a near-duplicate cluster that fall in another split
 * than the cluster's earliest member, are rejected for quarantine.
 *
 * <p><b>Predefined.</b> Each row's split is given by its source, file (globs) or a column's value; a given
 * test or validation row is never moved, whatever the seed, the previous assignment or near-duplicate links.
 * Rows no list names are rejected ({@code SPLIT_NOT_GIVEN}) or stop the stage; a cluster spanning given splits
 * keeps the strongest one (test, then validation, then train) and its other members are rejected, as under the
 * time policy. Validation may be carved out of the given train rows by the stratified quota or by time.
 */
public final class Splitter {

  private static final Logger LOG = LoggerFactory.getLogger(Splitter.class);

  public static final String SPLIT = "split";
  public static final String FOLD = "fold";
  /** Rejected rows carry these two columns. */
  public static final String REASON = "_reason_code";
  public static final String MESSAGE = "_reason_message";
  public static final String MISSING_EVENT_TIME = "MISSING_EVENT_TIME";
  public static final String NEAR_DUPLICATE_ACROSS_SPLITS = "NEAR_DUPLICATE_ACROSS_SPLITS";

  /** Predefined policy: a row whose value no given split lists, or (file globs) more than one does. */
  public static final String SPLIT_NOT_GIVEN = "SPLIT_NOT_GIVEN";
  public static final String SPLIT_GIVEN_TWICE = "SPLIT_GIVEN_TWICE";

  static final String UNIT = "_unit";
  private static final String COMPONENT = "_component";
  private static final String GIVEN = "_given";
  private static final String GIVEN_RANK = "_given_rank";
  private static final String TIME_ORDER_KEPT = "a time-ordered split cannot keep both in one split";
  private static final String GIVEN_KEPT = "a given split is kept as given (features.split.predefined)";
  private static final String SPLITS_KEY = "features.split.predefined.splits";
  private static final String MATCHED = "_matched";
  private static final int EXAMPLES = 5;
  private static final String STRATUM = "_stratum";
  private static final String SIZE = "_size";
  private static final String HASH = "_u";
  private static final String PREV = "_prev";
  private static final String BUCKET = "_bucket";
  private static final String START = "_start";
  private static final String CUM_NEED = "_cum_need";
  private static final String SUBS = "_subs";
  private static final String PREV_SPLIT = "_prev_split";
  private static final String PREV_FOLD = "_prev_fold";
  private static final int MAX_COMPONENT_ROUNDS = 40;

  private Splitter() {}

  /**
   * What an earlier run decided, reused when its split conf and seed equal this run's: the assignment
   * ({@code _record_id, split, fold}; null for none) and the time policy's cut-offs (null when not computed).
   */
  public record Previous(Dataset<Row> assignment, Instant validationCutoff, Instant testCutoff) {
    public static final Previous NONE = new Previous(null, null, null);
  }

  /**
   * The outcome: {@code assigned} is the accepted rows with {@code split} and {@code fold} (null outside
   * folds); {@code rejected} the rows to quarantine with {@link #REASON} and {@link #MESSAGE}; the cut-offs
   * the time policy used (null otherwise).
   */
  public record Result(Dataset<Row> assigned, Dataset<Row> rejected, Instant validationCutoff, Instant testCutoff,
      long movedRows) {}

  /**
   * Splits {@code rows} (silver rows: {@code _record_id} and the canonical columns). {@code links} holds
   * near-duplicate pairs {@code removed_record_id, kept_record_id} whose both ends are in {@code rows}.
   */
  public static Result assign(Dataset<Row> rows, Dataset<Row> links, SplitSettings s, DatasetSchema schema,
      long seed, Previous previous) {
    boolean together = s.nearDuplicates() == SplitSettings.NearDuplicates.TOGETHER;
    Dataset<Row> noLinks = links.limit(0);
    Dataset<Row> effectiveLinks = together ? links : noLinks;
    if (s.policy() == SplitSettings.Policy.TIME) {
      return byTime(rows, effectiveLinks, s, schema, previous);
    }
    if (s.policy() == SplitSettings.Policy.PREDEFINED) {
      return byGivenSplits(rows, effectiveLinks, s, schema, seed, previous);
    }
    Dataset<Row> withUnits = s.policy() == SplitSettings.Policy.GROUP
        ? groupUnits(rows, effectiveLinks, s.groupColumn())
        : recordUnits(rows, effectiveLinks);
    Dataset<Row> withPrev = withPrevious(withUnits, previous.assignment());

    List<String> splits = s.activeSplits();
    List<BigDecimal> fractions = splits.stream().map(x -> s.fractions().get(x)).toList();
    Column stratum = s.policy() == SplitSettings.Policy.STRATIFIED
        ? coalesce(col(schema.labelColumn()), lit("")) : lit("");
    Dataset<Row> units = unitTable(withPrev, stratum, col(PREV_SPLIT), seed, "split");
    Quota splitQuota = quota(units, splits, fractions);
    long moved = splitQuota.moved();
    if (moved > 0) {
      LOG.warn("features: {} rows in units whose old rows sat in different splits (new near-duplicate links "
          + "joined them); they now share one split", moved);
    }
    Dataset<Row> splitUnits = splitQuota.units().select(col(UNIT), col(BUCKET).as(SPLIT));
    Dataset<Row> assigned = withFolds(withPrev.join(splitUnits, UNIT), s, stratum, seed);
    Dataset<Row> out = assigned.drop(UNIT, PREV_SPLIT, PREV_FOLD);
    return new Result(out, rejectedShape(rows), null, null, moved);
  }

  /**
   * Adds {@code fold}: k folds over the rows outside test by the quota rule with k equal shares, units kept
   * whole, per {@code stratum}; null in test and without folds. {@code assigned} carries {@code _unit} and the
   * previous fold.
   */
  private static Dataset<Row> withFolds(Dataset<Row> assigned, SplitSettings s, Column stratum, long seed) {
    if (s.folds() == 0) {
      return assigned.withColumn(FOLD, lit(null).cast(DataTypes.IntegerType));
    }
    Dataset<Row> inFolds = assigned.filter(col(SPLIT).notEqual(SplitSettings.TEST));
    List<String> folds = IntStream.range(0, s.folds()).mapToObj(Integer::toString).toList();
    BigDecimal share = BigDecimal.ONE.divide(BigDecimal.valueOf(s.folds()), 20, RoundingMode.HALF_EVEN);
    List<BigDecimal> shares = new ArrayList<>();
    for (int i = 0; i < s.folds(); i++) {
      shares.add(i == s.folds() - 1 ? BigDecimal.ONE.subtract(share.multiply(BigDecimal.valueOf(i))) : share);
    }
    Dataset<Row> foldUnits = quota(unitTable(inFolds, stratum, col(PREV_FOLD), seed, "fold"), folds, shares).units()
        .select(col(UNIT), col(BUCKET).cast(DataTypes.IntegerType).as(FOLD));
    return assigned.join(foldUnits, JoinColumns.of(UNIT), "left");
  }

  /** A seeded hash of {@code key} as a double uniform in [0, 1): the first 52 bits of SHA-256. */
  static Column uniform(long seed, String salt, Column key) {
    return conv(substring(Lineage.stableHash(lit(Long.toString(seed)), lit(salt), key), 1, 13), 16, 10)
        .cast(DataTypes.DoubleType).divide(lit(Math.pow(2, 52)));
  }

  private static Dataset<Row> recordUnits(Dataset<Row> rows, Dataset<Row> links) {
    if (links.isEmpty()) {
      return rows.withColumn(UNIT, col(Lineage.RECORD_ID));
    }
    return withComponents(rows, links)
        .withColumn(UNIT, coalesce(col(COMPONENT), col(Lineage.RECORD_ID)))
        .drop(COMPONENT);
  }

  /**
   * Adds {@code _component}: the near-duplicate cluster of each row that {@code links} touch (connected
   * components; the cluster's smallest record id), null for the others.
   */
  private static Dataset<Row> withComponents(Dataset<Row> rows, Dataset<Row> links) {
    Dataset<Row> c = ConnectedComponents.of(links, "removed_record_id", "kept_record_id", MAX_COMPONENT_ROUNDS)
        .select(col(ConnectedComponents.NODE).as(Lineage.RECORD_ID), col(ConnectedComponents.COMPONENT).as(COMPONENT));
    return rows.join(c, JoinColumns.of(Lineage.RECORD_ID), "left");
  }

  /** Rows kept in their split, and rows rejected with a reason, by {@link #keepClusterHomes}. */
  private record Separated(Dataset<Row> kept, Dataset<Row> rejected) {}

  /**
   * Keeps near-duplicate clusters out of two splits without moving any row: a cluster's home is the split of
   * its first member in {@code order} (an SQL expression over the rows' columns, ending in the record id so
   * the choice is total), and members placed in another split are rejected with
   * {@link #NEAR_DUPLICATE_ACROSS_SPLITS}, the message naming the home record and {@code why} the row cannot
   * follow it. Rows where {@code counts} is false (the time policy's gap) neither choose the home nor are
   * rejected. {@code rows} carry {@code split} and {@code _component}; kept rows keep both, rejected rows lose
   * them. One shuffle over the rows in clusters, one join.
   */
  private static Separated keepClusterHomes(Dataset<Row> rows, Column counts, String order, String why) {
    Dataset<Row> homes = rows.filter(col(COMPONENT).isNotNull().and(counts))
        .groupBy(COMPONENT)
        .agg(expr("min_by(" + SPLIT + ", " + order + ")").as("_home"),
            expr("min_by(" + Lineage.RECORD_ID + ", " + order + ")").as("_home_record"));
    Dataset<Row> judged = rows.join(homes, JoinColumns.of(COMPONENT), "left");
    Column away = col("_home").isNotNull().and(counts).and(col(SPLIT).notEqual(col("_home")));
    Dataset<Row> rejected = judged.filter(away)
        .withColumn(REASON, lit(NEAR_DUPLICATE_ACROSS_SPLITS))
        .withColumn(MESSAGE, concat(lit("Cannot place record "), col(Lineage.RECORD_ID), lit(" in split "),
            col(SPLIT), lit(": it is a near duplicate of record "), col("_home_record"), lit(" in split "),
            col("_home"), lit(", and " + why + ". Remove the duplicate at the source, or set "
                + "features.split.near-duplicates = fail to stop instead.")))
        .drop(COMPONENT, "_home", "_home_record", SPLIT);
    return new Separated(judged.filter(away.unary_$bang()).drop("_home", "_home_record"), rejected);
  }

  private static Dataset<Row> groupUnits(Dataset<Row> rows, Dataset<Row> links, String groupColumn) {
    Column key = when(col(groupColumn).isNotNull(), concat(lit("g:"), col(groupColumn)))
        .otherwise(concat(lit("r:"), col(Lineage.RECORD_ID)));
    Dataset<Row> keyed = rows.withColumn("_group_key", key);
    Dataset<Row> keys = keyed.select(col(Lineage.RECORD_ID), col("_group_key"));
    Dataset<Row> groupLinks = links
        .join(keys.withColumnRenamed(Lineage.RECORD_ID, "removed_record_id")
            .withColumnRenamed("_group_key", "_ga"), "removed_record_id")
        .join(keys.withColumnRenamed(Lineage.RECORD_ID, "kept_record_id")
            .withColumnRenamed("_group_key", "_gb"), "kept_record_id")
        .filter(col("_ga").notEqual(col("_gb")))
        .select("_ga", "_gb");
    if (groupLinks.isEmpty()) {
      return keyed.withColumnRenamed("_group_key", UNIT);
    }
    Dataset<Row> components = ConnectedComponents.of(groupLinks, "_ga", "_gb", MAX_COMPONENT_ROUNDS)
        .select(col(ConnectedComponents.NODE).as("_group_key"), col(ConnectedComponents.COMPONENT).as("_component"));
    return keyed.join(components, JoinColumns.of("_group_key"), "left")
        .withColumn(UNIT, coalesce(col("_component"), col("_group_key")))
        .drop("_component", "_group_key");
  }

  private static Dataset<Row> withPrevious(Dataset<Row> rows, Dataset<Row> previous) {
    if (previous == null) {
      return rows.withColumn(PREV_SPLIT, lit(null).cast(DataTypes.StringType))
          .withColumn(PREV_FOLD, lit(null).cast(DataTypes.StringType));
    }
    Dataset<Row> p = previous.select(col(Lineage.RECORD_ID), col(SPLIT).as(PREV_SPLIT),
        col(FOLD).cast(DataTypes.StringType).as(PREV_FOLD));
    return rows.join(p, JoinColumns.of(Lineage.RECORD_ID), "left");
  }

  /**
   * One row per unit: its size, stratum (the value of its smallest record id), hash and previous bucket (that
   * of its smallest old record; {@code _prev_values} counts the distinct old buckets).
   */
  private static Dataset<Row> unitTable(Dataset<Row> rows, Column stratum, Column prev, long seed, String salt) {
    return rows
        .select(col(UNIT), col(Lineage.RECORD_ID), stratum.as(STRATUM), prev.as(PREV))
        .groupBy(UNIT)
        .agg(count(lit(1)).as(SIZE),
            expr("min_by(" + STRATUM + ", " + Lineage.RECORD_ID + ")").as(STRATUM),
            expr("min_by(" + PREV + ", CASE WHEN " + PREV + " IS NOT NULL THEN " + Lineage.RECORD_ID + " END)")
                .as(PREV),
            countDistinct(col(PREV)).as("_prev_values"))
        .withColumn(HASH, uniform(seed, salt, col(UNIT)));
  }

  /**
   * The units with {@code _bucket} added, and the rows of units whose old rows sat in different buckets (a new
   * near-duplicate link joined them; they now share one).
   */
  record Quota(Dataset<Row> units, long moved) {}

  /**
   * Cuts each stratum's units into {@code buckets}: units with a previous bucket keep it; the others, in hash
   * order, fill each bucket up to its target {@code round(n * cumulative fraction)} (n = all rows of the
   * stratum), in bucket order. Adds {@code _bucket}. A unit's place in that order is the rows of its stratum's
   * new units before it in (hash, unit) order, a running sum taken by {@link PrefixSum} over sub-buckets of the
   * hash range (so a stratum, and the one stratum of the group policy, is ordered in many tasks); one row per
   * stratum reaches the driver (its size, what old units hold, the rows of units whose old rows sat in
   * different buckets), from which its sub-bucket count is set.
   */
  static Quota quota(Dataset<Row> units, List<String> buckets, List<BigDecimal> fractions) {
    List<Column> aggs = new ArrayList<>();
    aggs.add(sum(SIZE).as("_n"));
    aggs.add(coalesce(sum(when(col("_prev_values").gt(1), col(SIZE))), lit(0L)).as("_moved"));
    for (int b = 0; b < buckets.size(); b++) {
      aggs.add(coalesce(sum(when(col(PREV).equalTo(buckets.get(b)), col(SIZE))), lit(0L)).as("_old" + b));
    }
    List<Row> stats = units.groupBy(STRATUM)
        .agg(aggs.get(0), aggs.subList(1, aggs.size()).toArray(Column[]::new))
        .collectAsList();
    long moved = stats.stream().mapToLong(r -> r.getLong(2)).sum();
    // Per stratum: what old units hold of each bucket, and the new rows (n minus that), by which the
    // sub-buckets of the ordering are shared out.
    long[][] old = new long[stats.size()][buckets.size()];
    long[] newRows = new long[stats.size()];
    for (int i = 0; i < stats.size(); i++) {
      newRows[i] = stats.get(i).getLong(1);
      for (int b = 0; b < buckets.size(); b++) {
        old[i][b] = stats.get(i).getLong(3 + b);
        newRows[i] -= old[i][b];
      }
    }
    long allNew = Arrays.stream(newRows).sum();
    List<Row> needs = new ArrayList<>();
    for (int i = 0; i < stats.size(); i++) {
      Row r = stats.get(i);
      needs.add(RowFactory.create(r.get(0), cumulativeNeeds(r.getLong(1), fractions, old[i]),
          PrefixSum.subBuckets(newRows[i], allNew)));
    }
    StructType needSchema = new StructType().add(STRATUM, DataTypes.StringType)
        .add(CUM_NEED, DataTypes.createArrayType(DataTypes.LongType))
        .add(SUBS, DataTypes.LongType);
    Dataset<Row> needTable = units.sparkSession().createDataFrame(needs, needSchema);

    Dataset<Row> known = units.filter(col(PREV).isin(buckets.toArray())).withColumn(BUCKET, col(PREV));
    // HASH is the first order key and sub-buckets are ranges of it, so the sum is the single window's
    // sum(SIZE) over partitionBy(STRATUM).orderBy(HASH, UNIT).rowsBetween(unboundedPreceding, -1).
    Dataset<Row> fresh = PrefixSum.before(
        units.filter(col(PREV).isNull().or(col(PREV).isin(buckets.toArray()).unary_$bang()))
            .join(broadcast(needTable), STRATUM),
        STRATUM, PrefixSum.subBucket(col(HASH), col(SUBS)), col(SIZE), START, col(HASH), col(UNIT));
    Column bucket = lit(buckets.get(buckets.size() - 1));
    for (int b = buckets.size() - 2; b >= 0; b--) {
      bucket = when(col(START).lt(col(CUM_NEED).getItem(b)), lit(buckets.get(b))).otherwise(bucket);
    }
    Dataset<Row> placed = fresh.withColumn(BUCKET, bucket).drop(START, CUM_NEED, SUBS);
    return new Quota(known.unionByName(placed), moved);
  }

  /**
   * The cumulative number of new rows each bucket takes: targets are {@code round(n * cumulative fraction)}
   * (half up, exact decimal arithmetic) minus what old units already hold, never below zero.
   */
  static long[] cumulativeNeeds(long n, List<BigDecimal> fractions, long[] old) {
    long[] cum = new long[fractions.size()];
    BigDecimal cumFraction = BigDecimal.ZERO;
    long previousBoundary = 0;
    long total = 0;
    for (int b = 0; b < fractions.size(); b++) {
      cumFraction = cumFraction.add(fractions.get(b));
      long boundary = b == fractions.size() - 1 ? n
          : BigDecimal.valueOf(n).multiply(cumFraction).setScale(0, RoundingMode.HALF_UP).longValueExact();
      long target = boundary - previousBoundary;
      previousBoundary = boundary;
      total += Math.max(0, target - old[b]);
      cum[b] = total;
    }
    return cum;
  }

  private static Result byTime(Dataset<Row> rows, Dataset<Row> links, SplitSettings s, DatasetSchema schema,
      Previous previous) {
    String t = schema.eventTimeColumn();
    Dataset<Row> timed = rows.filter(col(t).isNotNull());
    Dataset<Row> untimed = rows.filter(col(t).isNull())
        .withColumn(REASON, lit(MISSING_EVENT_TIME))
        .withColumn(MESSAGE, concat(lit("Cannot place record "), col(Lineage.RECORD_ID),
            lit(" in a time-ordered split: its " + t + " is empty. Fix the source's event time, or use "
                + "features.split.policy = stratified.")));

    Instant validation = s.validationCutoff();
    Instant test = s.testCutoff();
    if (!s.hasCutoffs()) {
      if (previous.validationCutoff() != null || previous.testCutoff() != null) {
        validation = previous.validationCutoff();
        test = previous.testCutoff();
        LOG.info("features: reusing the cut-offs of the previous run: validation {}, test {}", validation, test);
      } else {
        Instant[] cut = cutoffsByFraction(timed, t, s);
        validation = cut[0];
        test = cut[1];
      }
    }
    Column time = col(t);
    Column split = lit(SplitSettings.TRAIN);
    if (validation != null) {
      split = when(time.geq(ts(validation)), lit(SplitSettings.VALIDATION))
          .when(time.geq(ts(validation.minus(s.gap()))), lit(SplitSettings.GAP))
          .otherwise(split);
    }
    if (test != null) {
      split = when(time.geq(ts(test)), lit(SplitSettings.TEST))
          .when(time.geq(ts(test.minus(s.gap()))), lit(SplitSettings.GAP))
          .otherwise(split);
    }
    Dataset<Row> placed = timed.withColumn(SPLIT, split);

    Dataset<Row> rejectedLinks = rejectedShape(rows);
    if (!links.isEmpty()) {
      Separated separated = keepClusterHomes(withComponents(placed, links), col(SPLIT).notEqual(SplitSettings.GAP),
          "struct(" + t + ", " + Lineage.RECORD_ID + ")", TIME_ORDER_KEPT);
      rejectedLinks = separated.rejected();
      placed = separated.kept().drop(COMPONENT);
    }
    Dataset<Row> assigned = placed.withColumn(FOLD, lit(null).cast(DataTypes.IntegerType));
    Dataset<Row> rejected = untimed.unionByName(rejectedLinks);
    return new Result(assigned, rejected, validation, test, 0);
  }

  /**
   * The predefined policy. Each row's given split comes from its source, file or column value
   * ({@link #givenSplit}); rows no list names are rejected ({@link #SPLIT_NOT_GIVEN}) or stop the stage, rows
   * two lists name (possible with file globs only; equal values in two lists are a conf problem) are rejected
   * ({@link #SPLIT_GIVEN_TWICE}). A near-duplicate cluster keeps the split of its strongest given member (test,
   * then validation, then train; the smallest record id among equals) and its members given another split are
   * rejected: a given split is never changed. Validation is then carved out of the given train rows that remain,
   * by the stratified quota (buckets validation, then train, so each label gives {@code round(n * fraction)}
   * rows, stable through the previous assignment) or by time (the event time of the row at
   * {@code n - round(n * fraction)} in time order is the cut-off, reused by a later run with the same conf; given
   * train rows without an event time are rejected; a cluster the cut-off divides keeps its earliest member's
   * split, as under the time policy). Folds divide the rows outside test as under the stratified policy.
   */
  private static Result byGivenSplits(Dataset<Row> rows, Dataset<Row> links, SplitSettings s, DatasetSchema schema,
      long seed, Previous previous) {
    SplitSettings.Predefined p = s.predefined();
    List<String> rowColumns = List.of(rows.columns());
    Map<String, Column> matches = givenMatches(p);
    Dataset<Row> judged = rows.withColumn(MATCHED, matchCount(matches));
    Column shown = coalesce(concat(lit("'"), col(p.matchColumn()).cast(DataTypes.StringType), lit("'")),
        lit("(empty)"));
    String what = listed(p.by());

    Dataset<Row> unmatched = judged.filter(col(MATCHED).equalTo(0));
    if (p.unmatched() == SplitSettings.Unmatched.FAIL) {
      failOnUnmatched(unmatched, p);
    }
    Dataset<Row> rejected = rejectedColumns(unmatched
        .withColumn(REASON, lit(SPLIT_NOT_GIVEN))
        .withColumn(MESSAGE, concat(lit("Cannot place record "), col(Lineage.RECORD_ID), lit(" in a given split: its "
            + p.matchColumn() + " "), shown, lit(" matches no " + what + " under " + SPLITS_KEY + ". Add it to the "
            + "list of its split there, or set features.split.predefined.unmatched = fail to stop instead."))),
        rowColumns);
    Column[] matchedSplits = matches.entrySet().stream().map(e -> when(e.getValue(), lit(e.getKey())))
        .toArray(Column[]::new);
    rejected = rejected.unionByName(rejectedColumns(judged.filter(col(MATCHED).gt(1))
        .withColumn(REASON, lit(SPLIT_GIVEN_TWICE))
        .withColumn(MESSAGE, concat(lit("Cannot place record "), col(Lineage.RECORD_ID), lit(" in a given split: its "
            + p.matchColumn() + " "), shown, lit(" matches a " + what + " of "), concat_ws(" and ", matchedSplits),
            lit(" under " + SPLITS_KEY + ". Make the lists of different splits disjoint."))), rowColumns));

    Dataset<Row> given = judged.filter(col(MATCHED).equalTo(1))
        .withColumn(GIVEN, firstMatch(matches))
        .withColumn(SPLIT, col(GIVEN))
        .withColumn(GIVEN_RANK, when(col(GIVEN).equalTo(SplitSettings.TEST), lit(0))
            .when(col(GIVEN).equalTo(SplitSettings.VALIDATION), lit(1)).otherwise(lit(2)))
        .drop(MATCHED);
    Column givenTrain = col(GIVEN).equalTo(SplitSettings.TRAIN);
    SplitSettings.Carve carve = p.validationFromTrain();
    String t = schema.eventTimeColumn();
    if (carve == SplitSettings.Carve.TIME) {
      Column untimed = givenTrain.and(col(t).isNull());
      rejected = rejected.unionByName(rejectedColumns(given.filter(untimed)
          .withColumn(REASON, lit(MISSING_EVENT_TIME))
          .withColumn(MESSAGE, concat(lit("Cannot carve validation by time out of the given train rows at record "),
              col(Lineage.RECORD_ID), lit(": its " + t + " is empty. Fix the source's event time, or set "
                  + "features.split.predefined.validation-from-train = stratified."))), rowColumns));
      given = given.filter(untimed.unary_$bang());
    }

    boolean linked = !links.isEmpty();
    Dataset<Row> placed = given.withColumn(COMPONENT, lit(null).cast(DataTypes.StringType));
    if (linked) {
      Separated separated = keepClusterHomes(withComponents(given, links), lit(true),
          "struct(" + GIVEN_RANK + ", " + Lineage.RECORD_ID + ")", GIVEN_KEPT);
      placed = separated.kept();
      rejected = rejected.unionByName(rejectedColumns(separated.rejected(), rowColumns));
    }
    placed = withPrevious(placed.withColumn(UNIT, coalesce(col(COMPONENT), col(Lineage.RECORD_ID))),
        previous.assignment());

    BigDecimal share = s.fractions().get(SplitSettings.VALIDATION);
    Column stratum = coalesce(col(schema.labelColumn()), lit(""));
    Instant cutoff = null;
    long moved = 0;
    if (carve == SplitSettings.Carve.STRATIFIED) {
      Dataset<Row> units = unitTable(placed.filter(givenTrain), stratum, col(PREV_SPLIT), seed, "split");
      Quota validationQuota = quota(units, List.of(SplitSettings.VALIDATION, SplitSettings.TRAIN),
          List.of(share, BigDecimal.ONE.subtract(share)));
      moved = validationQuota.moved();
      Dataset<Row> carved = validationQuota.units().select(col(UNIT), col(BUCKET).as("_carved"));
      placed = placed.join(carved, JoinColumns.of(UNIT), "left")
          .withColumn(SPLIT, coalesce(col("_carved"), col(SPLIT)))
          .drop("_carved");
    } else if (carve == SplitSettings.Carve.TIME) {
      cutoff = previous.validationCutoff();
      if (cutoff != null) {
        LOG.info("features: reusing the validation cut-off of the previous run: {}", cutoff);
      } else {
        Dataset<Row> train = placed.filter(givenTrain);
        long n = train.count();
        long validation = BigDecimal.valueOf(n).multiply(share).setScale(0, RoundingMode.HALF_UP).longValueExact();
        cutoff = timeAtRank(train, t, n - validation, n);
      }
      if (cutoff != null) {
        placed = placed.withColumn(SPLIT, when(givenTrain.and(col(t).geq(ts(cutoff))), lit(SplitSettings.VALIDATION))
            .otherwise(col(SPLIT)));
        if (linked) {
          Separated separated = keepClusterHomes(placed, lit(true), "struct(" + t + ", " + Lineage.RECORD_ID + ")",
              TIME_ORDER_KEPT);
          placed = separated.kept();
          rejected = rejected.unionByName(rejectedColumns(separated.rejected(), rowColumns));
        }
      }
    }
    if (moved > 0) {
      LOG.warn("features: {} given train rows in units whose old rows sat in train and validation (new "
          + "near-duplicate links joined them); they now share one split", moved);
    }
    Dataset<Row> assigned = withFolds(placed, s, stratum, seed)
        .drop(UNIT, PREV_SPLIT, PREV_FOLD, COMPONENT, GIVEN, GIVEN_RANK);
    return new Result(assigned, rejected, cutoff, null, moved);
  }

  /** Per given split, in order, whether the row's value is in that split's list (never null). */
  static Map<String, Column> givenMatches(SplitSettings.Predefined p) {
    Column value = col(p.matchColumn()).cast(DataTypes.StringType);
    Map<String, Column> out = new LinkedHashMap<>();
    p.splits().forEach((split, values) -> out.put(split, coalesce(p.by() == SplitSettings.By.FILE
        ? value.rlike(FileGlob.anyOf(values)) : value.isin(values.toArray()), lit(false))));
    return out;
  }

  /** The split the conf gives a row: the one list naming its value; null when no list or several do. */
  static Column givenSplit(SplitSettings.Predefined p) {
    Map<String, Column> matches = givenMatches(p);
    return when(matchCount(matches).equalTo(1), firstMatch(matches));
  }

  private static Column matchCount(Map<String, Column> matches) {
    return matches.values().stream().map(m -> when(m, lit(1)).otherwise(lit(0))).reduce(Column::plus)
        .orElse(lit(0));
  }

  private static Column firstMatch(Map<String, Column> matches) {
    Column out = null;
    for (Map.Entry<String, Column> e : matches.entrySet()) {
      out = out == null ? when(e.getValue(), lit(e.getKey())) : out.when(e.getValue(), lit(e.getKey()));
    }
    return out == null ? lit(null).cast(DataTypes.StringType) : out;
  }

  private static String listed(SplitSettings.By by) {
    return switch (by) {
      case SOURCE -> "source name";
      case FILE -> "glob";
      case COLUMN -> "value";
    };
  }

  /**
   * {@code unmatched = fail}: stops the stage when a row's value is in no list, naming the first values (in
   * order) with their row counts. Only the distinct values are sorted; a few reach the driver.
   */
  private static void failOnUnmatched(Dataset<Row> unmatched, SplitSettings.Predefined p) {
    String c = p.matchColumn();
    List<Row> first = unmatched.groupBy(col(c).cast(DataTypes.StringType).as("_value")).count()
        .orderBy(col("_value").asc_nulls_first()).takeAsList(EXAMPLES + 1);
    if (first.isEmpty()) {
      return;
    }
    long total = unmatched.count();
    String examples = first.stream().limit(EXAMPLES)
        .map(r -> (r.isNullAt(0) ? "(empty)" : "'" + r.getString(0) + "'") + " (" + r.getLong(1)
            + (r.getLong(1) == 1 ? " row)" : " rows)"))
        .collect(Collectors.joining(", ")) + (first.size() > EXAMPLES ? ", ..." : "");
    throw LakepipeErrors.jobFailed("place the rows in their given splits", total + (total == 1 ? " row" : " rows")
        + " of silver match no " + listed(p.by()) + " under " + SPLITS_KEY + "; their " + c + " values: " + examples
        + ". Add each value to the list of its split there, or set features.split.predefined.unmatched = "
        + "quarantine to quarantine such rows (reason " + SPLIT_NOT_GIVEN + ").", null);
  }

  /** The rejected rows' shape: the input's columns, the reason and the message. */
  private static Dataset<Row> rejectedColumns(Dataset<Row> rejected, List<String> rowColumns) {
    List<Column> out = new ArrayList<>(rowColumns.stream().map(c -> col(c)).toList());
    out.add(col(REASON));
    out.add(col(MESSAGE));
    return rejected.select(out.toArray(Column[]::new));
  }

  /**
   * Cut-offs from fractions: the event time of the row at {@code round(n * cumulative fraction)} in time
   * order (0-based), for validation and test; null when that split has no share or no rows.
   */
  private static Instant[] cutoffsByFraction(Dataset<Row> timed, String t, SplitSettings s) {
    long n = timed.count();
    Instant[] out = new Instant[2];
    BigDecimal cum = s.fractions().get(SplitSettings.TRAIN);
    String[] names = {SplitSettings.VALIDATION, SplitSettings.TEST};
    for (int i = 0; i < 2; i++) {
      if (s.fractions().get(names[i]).signum() > 0) {
        long index = BigDecimal.valueOf(n).multiply(cum).setScale(0, RoundingMode.HALF_UP).longValueExact();
        out[i] = timeAtRank(timed, t, index, n);
      }
      cum = cum.add(s.fractions().get(names[i]));
    }
    return out;
  }

  /** Buckets per histogram pass of {@link #timeAtRank}: what one pass brings to the driver, at most. */
  static final int RANK_BUCKETS = 1024;

  /**
   * The event time of the row at {@code index} (0-based) in time order, or null when there is none: an exact
   * order statistic found without sorting the rows or bringing them to the driver. Each pass counts the rows of
   * the current time range in {@link #RANK_BUCKETS} equal-width buckets (one aggregation: at most that many
   * (bucket, count, min, max) rows reach the driver), keeps the bucket holding the rank and narrows the range
   * to that bucket's smallest and largest time. A range of one instant is the answer. Spark's timestamps (years
   * 1 to 9999) span less than 2^59 microseconds and a pass divides the range by 2^10, so at most 6 passes are
   * needed; in practice the buckets' own min and max make it 2 or 3. (An {@code orderBy(t).offset(index).first()} instead runs a top-K
   * whose tasks each return up to {@code index + 1} rows to the driver: ~80 % of the rows for the validation
   * cut-off.)
   */
  static Instant timeAtRank(Dataset<Row> timed, String t, long index, long n) {
    if (index >= n) {
      return null;
    }
    Column micros = unix_micros(col(t));
    Dataset<Row> times = timed.select(micros.as("_us")).filter(col("_us").isNotNull());
    Row range = times.agg(min("_us"), max("_us")).first();
    long lo = range.getLong(0);
    long hi = range.getLong(1);
    long rank = index;
    while (lo != hi) {
      // Width rounded up so RANK_BUCKETS buckets cover [lo, hi]; integer division (div), so a time never lands
      // in a neighbouring bucket by rounding and bucket order is time order.
      long width = (hi - lo) / RANK_BUCKETS + 1;
      List<Row> buckets = times.filter(col("_us").between(lo, hi))
          .groupBy(expr("(_us - " + lo + ") div " + width).as("_b"))
          .agg(count(lit(1)).as("_n"), min("_us").as("_lo"), max("_us").as("_hi"))
          .orderBy("_b").collectAsList();
      boolean found = false;
      for (Row b : buckets) {
        long size = b.getLong(1);
        if (rank < size) {
          lo = b.getLong(2);
          hi = b.getLong(3);
          found = true;
          break;
        }
        rank -= size;
      }
      if (!found) {
        throw new IllegalStateException("Rank " + index + " lies beyond the " + n + " timed rows counted before: "
            + "the input changed while the split was computed.");
      }
    }
    return Instant.EPOCH.plus(lo, ChronoUnit.MICROS);
  }

  private static Column ts(Instant i) {
    return lit(Timestamp.from(i));
  }

  private static Dataset<Row> rejectedShape(Dataset<Row> rows) {
    return rows.limit(0).withColumn(REASON, lit(null).cast(DataTypes.StringType))
        .withColumn(MESSAGE, lit(null).cast(DataTypes.StringType));
  }

  /** Names of split bounds for the manifest: {@code [lower, upper)} of each split under the time policy. */
  static Map<String, Instant[]> timeBounds(SplitSettings s, Instant validation, Instant test) {
    Map<String, Instant[]> out = new LinkedHashMap<>();
    java.time.Duration gap = s.gap();
    Instant firstCut = validation != null ? validation : test;
    out.put(SplitSettings.TRAIN, new Instant[] {null, firstCut == null ? null : firstCut.minus(gap)});
    if (validation != null) {
      out.put(SplitSettings.VALIDATION, new Instant[] {validation, test == null ? null : test.minus(gap)});
    }
    if (test != null) {
      out.put(SplitSettings.TEST, new Instant[] {test, null});
    }
    return out;
  }
}
