package dev.lakepipe.evaluate;

import static org.apache.spark.sql.functions.col;

import dev.lakepipe.core.Lineage;
import dev.lakepipe.core.RunContext;
import dev.lakepipe.core.TableCatalog;
import dev.lakepipe.core.TableRef;
import dev.lakepipe.core.model.ModelVersion;
import dev.lakepipe.evaluate.report.ReportData;
import dev.lakepipe.evaluate.report.ReportData.Baseline;
import dev.lakepipe.evaluate.report.ReportData.CalibrationBin;
import dev.lakepipe.evaluate.report.ReportData.Curve;
import dev.lakepipe.evaluate.report.ReportData.DriftKind;
import dev.lakepipe.evaluate.report.ReportData.DriftRow;
import dev.lakepipe.evaluate.report.ReportData.EpochRow;
import dev.lakepipe.evaluate.report.ReportData.GateVerdict;
import dev.lakepipe.evaluate.report.ReportData.HeadlineMetric;
import dev.lakepipe.evaluate.report.ReportData.Point;
import dev.lakepipe.evaluate.report.ReportData.SliceRow;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Fills {@link ReportData} from what an evaluate run computed. Everything collected here is small: one row per
 * metric and slice value, k² confusion cells, at most {@link RankingCurves#DEFAULT_POINTS} curve points per class,
 * ten bins, one row per epoch and per drift column.
 */
final class EvaluationReportData {

  /** Headline metrics in display order, when present. */
  static final List<String> HEADLINE = List.of("accuracy", "macro_f1", "weighted_f1", "log_loss", "roc_auc",
      "pr_auc", "ece");
  /** Metrics shown per slice. */
  static final List<String> SLICE_METRICS = List.of("accuracy", "macro_f1", "log_loss");

  private EvaluationReportData() {}

  static ReportData build(SparkSession spark, TableCatalog catalog, String datasetName, RunContext run,
      ModelVersion model, long goldVersion, List<String> labels, int majority, Dataset<Row> predictions,
      Dataset<Row> metrics, Dataset<Row> confusion, Dataset<Row> calibration, Dataset<Row> drift,
      Gate.Verdict verdict) {
    ReportData.Header header = new ReportData.Header(datasetName, run.runId(), model.modelVersion(),
        run.startedAt(), Long.toString(goldVersion), model.featuresRun(), model.master(), model.workers());

    // Metric rows: overall (class *) of every slice value, and per-class AUCs of "all" for the curve legends.
    Map<String, Row> overall = new LinkedHashMap<>();
    Map<String, Map<String, Double>> bySlice = new TreeMap<>();
    Map<String, long[]> sliceSupport = new TreeMap<>();
    Map<String, Double> classRoc = new LinkedHashMap<>();
    Map<String, Double> classPr = new LinkedHashMap<>();
    Map<String, Long> classSupport = new LinkedHashMap<>();
    for (Row r : metrics.select(MetricRow.SLICE, MetricRow.SLICE_VALUE, MetricRow.CLASS, MetricRow.METRIC,
        MetricRow.VALUE, MetricRow.CI_LOW, MetricRow.CI_HIGH, MetricRow.SUPPORT, MetricRow.BELOW_MIN_SUPPORT)
        .collectAsList()) {
      String slice = r.getString(0);
      String cls = r.getString(2);
      String metric = r.getString(3);
      if (slice.equals(MetricRow.ALL) && cls.equals(MetricRow.ANY)) {
        overall.put(metric, r);
      } else if (slice.equals(MetricRow.ALL)) {
        if (metric.equals("roc_auc")) {
          classRoc.put(cls, r.getDouble(4));
        } else if (metric.equals("pr_auc")) {
          classPr.put(cls, r.getDouble(4));
        } else if (metric.equals("support")) {
          classSupport.put(cls, r.getLong(7));
        }
      } else if (cls.equals(MetricRow.ANY) && SLICE_METRICS.contains(metric)) {
        String key = slice + "\u0000" + r.getString(1);
        bySlice.computeIfAbsent(key, k -> new LinkedHashMap<>()).put(metric, r.getDouble(4));
        sliceSupport.put(key, new long[] {r.getLong(7), r.getBoolean(8) ? 1 : 0});
      }
    }
    List<HeadlineMetric> headline = new ArrayList<>();
    for (String m : HEADLINE) {
      Row r = overall.get(m);
      if (r != null) {
        headline.add(new HeadlineMetric(m, r.getDouble(4), r.isNullAt(5) ? null : r.getDouble(5),
            r.isNullAt(6) ? null : r.getDouble(6)));
      }
    }
    Map<String, Double> base = new LinkedHashMap<>();
    if (overall.containsKey("baseline_accuracy")) {
      base.put("accuracy", overall.get("baseline_accuracy").getDouble(4));
    }
    if (overall.containsKey("baseline_macro_f1")) {
      base.put("macro_f1", overall.get("baseline_macro_f1").getDouble(4));
    }
    long rows = overall.containsKey("rows") ? (long) overall.get("rows").getDouble(4) : 0;

    List<SliceRow> slices = new ArrayList<>();
    bySlice.forEach((key, values) -> {
      String[] parts = key.split("\u0000", 2);
      Map<String, Double> ordered = new LinkedHashMap<>();
      SLICE_METRICS.stream().filter(values::containsKey).forEach(m -> ordered.put(m, values.get(m)));
      long[] support = sliceSupport.get(key);
      slices.add(new SliceRow(parts[0], parts[1], support[0], support[1] == 1, ordered));
    });

    int k = labels.size();
    long[][] matrix = new long[k][k];
    for (Row r : confusion.filter(col(MetricRow.SLICE).equalTo(MetricRow.ALL))
        .select(Confusion.ACTUAL, Confusion.PREDICTED, Confusion.COUNT).collectAsList()) {
      matrix[labels.indexOf(r.getString(0))][labels.indexOf(r.getString(1))] = r.getLong(2);
    }

    List<Curve> roc = curves(RankingCurves.roc(predictions, labels, RankingCurves.DEFAULT_POINTS), "fpr", "tpr",
        classRoc, classSupport, rows, false, k);
    List<Curve> pr = curves(RankingCurves.pr(predictions, labels, RankingCurves.DEFAULT_POINTS), "recall",
        "precision", classPr, classSupport, rows, true, k);

    List<CalibrationBin> bins = new ArrayList<>();
    double ece = Double.NaN;
    for (Row r : calibration.filter(col(MetricRow.SLICE).equalTo(MetricRow.ALL)
            .and(col(MetricRow.CLASS).equalTo(MetricRow.ANY)))
        .orderBy(col("bin").asc_nulls_last())
        .select("bin", "lower", "upper", "count", "mean_confidence", "accuracy", "ece").collectAsList()) {
      if (r.isNullAt(0)) {
        ece = r.isNullAt(6) ? Double.NaN : r.getDouble(6);
      } else {
        bins.add(new CalibrationBin(r.getDouble(1), r.getDouble(2), r.getLong(3),
            r.isNullAt(4) ? Double.NaN : r.getDouble(4), r.isNullAt(5) ? Double.NaN : r.getDouble(5)));
      }
    }

    List<DriftRow> driftRows = new ArrayList<>();
    for (Row r : drift.select("feature", "kind", "statistic", "p_value", "drifted").collectAsList()) {
      driftRows.add(new DriftRow(r.getString(0), r.getString(1).equals(Drift.KS) ? DriftKind.KS : DriftKind.PSI,
          r.isNullAt(2) ? Double.NaN : r.getDouble(2), r.isNullAt(3) ? null : r.getDouble(3), r.getBoolean(4)));
    }

    GateVerdict gate = new GateVerdict(verdict.blessed(), verdict.reasons(), verdict.previousBlessedVersion());
    return new ReportData(header, headline, new Baseline(labels.get(majority), base), gate,
        history(catalog, model.runId()), labels, matrix, roc, pr, bins, ece, slices, driftRows);
  }

  /** The model's training history, from {@code results.training_history}; empty when that table is absent. */
  private static List<EpochRow> history(TableCatalog catalog, String trainRun) {
    TableRef ref = catalog.table("training-history");
    List<EpochRow> out = new ArrayList<>();
    if (!catalog.exists(ref)) {
      return out;
    }
    for (Row r : catalog.read(ref, "train").filter(col(Lineage.RUN_ID).equalTo(trainRun)).orderBy("epoch")
        .select("epoch", "learning_rate", "train_loss", "validation_loss", "validation_macro_f1", "best_so_far")
        .collectAsList()) {
      out.add(new EpochRow(r.getInt(0), r.getDouble(1), r.getDouble(2), r.getDouble(3), "macro_f1",
          r.getDouble(4), r.getBoolean(5)));
    }
    return out;
  }

  private static List<Curve> curves(Dataset<Row> points, String x, String y, Map<String, Double> auc,
      Map<String, Long> support, long rows, boolean positiveRate, int k) {
    Map<String, List<Point>> byClass = new TreeMap<>();
    // Thresholds descending, the threshold-less start point first: the order the curve is drawn in.
    for (Row r : points.orderBy(col(MetricRow.CLASS), col("threshold").desc_nulls_first())
        .select(MetricRow.CLASS, x, y).collectAsList()) {
      byClass.computeIfAbsent(r.getString(0), c -> new ArrayList<>()).add(new Point(r.getDouble(1), r.getDouble(2)));
    }
    List<Curve> out = new ArrayList<>();
    byClass.forEach((cls, pts) -> out.add(new Curve(k == 2 ? cls : cls + " vs rest",
        auc.getOrDefault(cls, Double.NaN), pts,
        positiveRate && rows > 0 && support.containsKey(cls) ? (double) support.get(cls) / rows : Double.NaN)));
    return out;
  }
}
