package dev.lakepipe.evaluate;

import static org.apache.spark.sql.functions.abs;
import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.first;
import static org.apache.spark.sql.functions.isnan;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.log;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Distribution drift between a reference frame (e.g. train) and a current one (e.g. test or new data), per
 * column ({@code results.drift}): columns {@code feature, kind, statistic, p_value, reference_rows,
 * current_rows, drifted}.
 *
 * <p><b>Numeric columns: two-sample Kolmogorov–Smirnov.</b> {@code D = max_v |F_ref(v) - F_cur(v)|} over the
 * pooled distinct values, exact: one aggregation to (column, distinct value) with the count on each side, then
 * the distributed prefix sum of {@link RankingCurves} (the driver holds one entry per (sorted partition, column),
 * then one row per column). Nulls and NaN are left out; {@code *_rows} count the values compared. The p-value is
 * the asymptotic one: the Kolmogorov distribution's survival function
 * {@code Q(λ) = 2 Σ_{j≥1} (-1)^{j-1} exp(-2 j² λ²)} at {@code λ = sqrt(en) · D}, {@code en = n·m / (n + m)}
 * (for λ below 1 the equivalent theta series {@code 1 - sqrt(2π)/λ Σ exp(-(2j-1)² π² / (8 λ²))} is summed, as
 * it converges faster there). That is SciPy's {@code kstwobign.sf(sqrt(en) * D)}, which
 * {@code ks_2samp(method='asymp')} used up to SciPy 1.4; since 1.5 SciPy uses {@code kstwo.sf(D, round(en))}
 * instead, which is larger for small samples and agrees as samples grow. Drifted when the p-value is below
 * {@link Thresholds#ksPValue()}.
 *
 * <p><b>Categorical columns (and the label): population stability index.</b>
 * {@code PSI = Σ_c (p_cur(c) - p_ref(c)) · ln(p_cur(c) / p_ref(c))} over the categories of either side, with
 * {@code p(c)} the share of the side's rows; a category absent from one side gets share {@link #PSI_EPSILON}
 * there (not renormalised) so the log stays finite. Null is its own category {@code "(null)"}. p_value is null.
 * Drifted when PSI exceeds {@link Thresholds#psi()}. The driver holds one row per column.
 */
public final class Drift {

  public static final String KS = "ks";
  public static final String PSI = "psi";
  /** The share a category absent from one side gets there in PSI. */
  public static final double PSI_EPSILON = 1e-4;

  public static final StructType SCHEMA = new StructType()
      .add("feature", DataTypes.StringType, false)
      .add("kind", DataTypes.StringType, false)
      .add("statistic", DataTypes.DoubleType, true)
      .add("p_value", DataTypes.DoubleType, true)
      .add("reference_rows", DataTypes.LongType, false)
      .add("current_rows", DataTypes.LongType, false)
      .add("drifted", DataTypes.BooleanType, false);

  /** A column drifted when its KS p-value is below {@code ksPValue} or its PSI above {@code psi}. */
  public record Thresholds(double ksPValue, double psi) {
    public static final Thresholds DEFAULT = new Thresholds(0.05, 0.2);
  }

  private Drift() {}

  /** KS per numeric column and PSI per categorical column; rows in that order. */
  public static Dataset<Row> compare(Dataset<Row> reference, Dataset<Row> current, List<String> numericColumns,
      List<String> categoricalColumns, Thresholds thresholds) {
    List<String> all = new ArrayList<>(numericColumns);
    all.addAll(categoricalColumns);
    MetricRow.requireColumns(reference, "drift (reference)", all);
    MetricRow.requireColumns(current, "drift (current)", all);
    List<Row> out = new ArrayList<>();
    if (!numericColumns.isEmpty()) {
      out.addAll(ks(reference, current, numericColumns, thresholds));
    }
    if (!categoricalColumns.isEmpty()) {
      out.addAll(psi(reference, current, categoricalColumns, thresholds));
    }
    return reference.sparkSession().createDataFrame(out, SCHEMA);
  }

  private static List<Row> ks(Dataset<Row> reference, Dataset<Row> current, List<String> columns, Thresholds t) {
    Dataset<Row> values = meltNumeric(reference, columns, 1L).unionByName(meltNumeric(current, columns, 0L));
    Dataset<Row> cum = RankingCurves.cumulative(values, List.of("feature"));
    Column gap = abs(col(RankingCurves.CUM_POS).divide(col(RankingCurves.TOTAL_POS))
        .minus(col(RankingCurves.CUM_NEG).divide(col(RankingCurves.TOTAL_NEG))));
    Map<String, Row> byFeature = new HashMap<>();
    for (Row r : cum.groupBy("feature").agg(max(gap), first(RankingCurves.TOTAL_POS), first(RankingCurves.TOTAL_NEG))
        .collectAsList()) {
      byFeature.put(r.getString(0), r);
    }
    List<Row> out = new ArrayList<>();
    for (String c : columns) {
      Row r = byFeature.get(c);
      long n = r == null ? 0 : r.getLong(2);
      long m = r == null ? 0 : r.getLong(3);
      if (n == 0 || m == 0) {
        out.add(RowFactory.create(c, KS, null, null, n, m, false));
        continue;
      }
      double d = r.getDouble(1);
      double pValue = ksPValue(d, n, m);
      out.add(RowFactory.create(c, KS, d, pValue, n, m, pValue < t.ksPValue()));
    }
    return out;
  }

  private static Dataset<Row> meltNumeric(Dataset<Row> in, List<String> columns, long reference) {
    Column[] pairs = columns.stream()
        .map(c -> struct(lit(c).as("feature"), col(c).cast("double").as(RankingCurves.SCORE)))
        .toArray(Column[]::new);
    return in.select(explode(array(pairs)).as("_v"))
        .select(col("_v.feature").as("feature"), col("_v." + RankingCurves.SCORE).as(RankingCurves.SCORE))
        .filter(col(RankingCurves.SCORE).isNotNull().and(isnan(col(RankingCurves.SCORE)).unary_$bang()))
        .withColumn(RankingCurves.POS, lit(reference))
        .withColumn(RankingCurves.NEG, lit(1L - reference));
  }

  private static List<Row> psi(Dataset<Row> reference, Dataset<Row> current, List<String> columns, Thresholds t) {
    Dataset<Row> counts = meltCategorical(reference, columns, 1L).unionByName(meltCategorical(current, columns, 0L))
        .groupBy("feature", "category")
        .agg(sum("_ref").as("_ref"), sum("_cur").as("_cur"));
    Dataset<Row> totals = counts.groupBy("feature").agg(sum("_ref").as("_ref_rows"), sum("_cur").as("_cur_rows"));
    Column pRef = when(col("_ref").gt(0), col("_ref").divide(col("_ref_rows"))).otherwise(PSI_EPSILON);
    Column pCur = when(col("_cur").gt(0), col("_cur").divide(col("_cur_rows"))).otherwise(PSI_EPSILON);
    Map<String, Row> byFeature = new HashMap<>();
    for (Row r : counts.join(totals, "feature")
        .filter(col("_ref_rows").gt(0).and(col("_cur_rows").gt(0)))
        .groupBy("feature")
        .agg(sum(pCur.minus(pRef).multiply(log(pCur.divide(pRef)))), first("_ref_rows"), first("_cur_rows"))
        .collectAsList()) {
      byFeature.put(r.getString(0), r);
    }
    List<Row> out = new ArrayList<>();
    for (String c : columns) {
      Row r = byFeature.get(c);
      if (r == null) {
        out.add(RowFactory.create(c, PSI, null, null, 0L, 0L, false));
        continue;
      }
      double value = r.getDouble(1);
      out.add(RowFactory.create(c, PSI, value, null, r.getLong(2), r.getLong(3), value > t.psi()));
    }
    return out;
  }

  private static Dataset<Row> meltCategorical(Dataset<Row> in, List<String> columns, long reference) {
    Column[] pairs = columns.stream()
        .map(c -> struct(lit(c).as("feature"), coalesce(col(c).cast("string"), lit(MetricRow.NULL_VALUE)).as("category")))
        .toArray(Column[]::new);
    return in.select(explode(array(pairs)).as("_v"))
        .select(col("_v.feature").as("feature"), col("_v.category").as("category"))
        .withColumn("_ref", lit(reference))
        .withColumn("_cur", lit(1L - reference));
  }

  /** The asymptotic two-sided p-value of a two-sample KS statistic {@code d} from samples of n and m values. */
  static double ksPValue(double d, long n, long m) {
    double en = (double) n * m / ((double) n + m);
    return Math.min(1.0, Math.max(0.0, kolmogorovSurvival(Math.sqrt(en) * d)));
  }

  /** {@code P(K > λ)} for the Kolmogorov distribution. */
  static double kolmogorovSurvival(double lambda) {
    if (lambda <= 0) {
      return 1.0;
    }
    if (lambda < 1.0) {
      // Theta-function form of the CDF, fast for small λ.
      double sum = 0;
      double k = Math.PI * Math.PI / (8 * lambda * lambda);
      for (int j = 1; j < 100; j++) {
        double term = Math.exp(-(2.0 * j - 1) * (2.0 * j - 1) * k);
        sum += term;
        if (term < 1e-20) {
          break;
        }
      }
      return 1.0 - Math.sqrt(2 * Math.PI) / lambda * sum;
    }
    double sum = 0;
    for (int j = 1; j < 100; j++) {
      double term = Math.exp(-2.0 * j * j * lambda * lambda);
      sum += (j % 2 == 1 ? term : -term);
      if (term < 1e-20) {
        break;
      }
    }
    return 2 * sum;
  }
}
