package dev.lakepipe.evaluate.report;

import dev.lakepipe.evaluate.report.ReportData.Baseline;
import dev.lakepipe.evaluate.report.ReportData.CalibrationBin;
import dev.lakepipe.evaluate.report.ReportData.Curve;
import dev.lakepipe.evaluate.report.ReportData.DriftKind;
import dev.lakepipe.evaluate.report.ReportData.DriftRow;
import dev.lakepipe.evaluate.report.ReportData.EpochRow;
import dev.lakepipe.evaluate.report.ReportData.GateVerdict;
import dev.lakepipe.evaluate.report.ReportData.Header;
import dev.lakepipe.evaluate.report.ReportData.HeadlineMetric;
import dev.lakepipe.evaluate.report.ReportData.Point;
import dev.lakepipe.evaluate.report.ReportData.SliceRow;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Realistic report data for a 4-class ticket classifier, and variants (many classes, empty). */
final class ReportSamples {

  static final List<String> LABELS = List.of("billing", "bug report", "feature request", "account access");

  static final long[][] CONFUSION = {
      {412, 18, 6, 9},
      {22, 377, 31, 4},
      {9, 41, 198, 2},
      {14, 3, 1, 153}};

  /** Points per ROC / PR curve in {@link #realistic}. */
  static final int CURVE_POINTS = 41;

  private ReportSamples() {}

  static Header header() {
    return new Header("support-tickets", "eval-2024-06-01T10-15-00Z", "v7", Instant.parse("2024-06-01T10:22:31Z"),
        "42", "features-2024-06-01T09-50-12Z", "spark://train-master:7077", 4);
  }

  /** A full report with every section populated; {@code hostile} ends up as a slice value. */
  static ReportData realistic(String hostile) {
    return realistic(LABELS, CONFUSION, hostile);
  }

  static ReportData realistic(List<String> labels, long[][] confusion, String hostile) {
    List<HeadlineMetric> metrics = List.of(
        new HeadlineMetric("accuracy", 0.8719, 0.8561, 0.8866),
        new HeadlineMetric("macro F1", 0.8530, 0.8342, 0.8702),
        new HeadlineMetric("weighted F1", 0.8712, 0.8550, 0.8859),
        HeadlineMetric.of("log loss", 0.3921));
    Map<String, Double> base = new LinkedHashMap<>();
    base.put("accuracy", 0.3485);
    base.put("macro F1", 0.1292);
    base.put("weighted F1", 0.1801);
    base.put("log loss", 1.3410);
    GateVerdict gate = GateVerdict.blessed(List.of(
        "macro F1 0.853 ≥ blessed v6 0.841 − 0.005 tolerance",
        "accuracy beats the majority-class baseline by 0.523",
        "every slice with support ≥ 50 keeps macro F1 ≥ 0.70"), "v6");
    return new ReportData(header(), metrics, new Baseline(labels.get(0), base), gate, history(24, 17), labels,
        confusion, rocCurves(labels), prCurves(labels), calibration(), 0.0342, slices(hostile), drift());
  }

  /** {@code k} classes with a mostly-diagonal confusion matrix. */
  static ReportData manyClasses(int k) {
    List<String> labels = new ArrayList<>();
    long[][] m = new long[k][k];
    Random rnd = new Random(7);
    for (int i = 0; i < k; i++) {
      labels.add("category-" + String.format("%02d", i) + (i % 7 == 0 ? "-with-a-rather-long-name" : ""));
      for (int j = 0; j < k; j++) {
        m[i][j] = i == j ? 200 + rnd.nextInt(2000) : rnd.nextInt(10) < 7 ? 0 : rnd.nextInt(40);
      }
    }
    return realistic(labels, m, "plain");
  }

  /** Only a header: every section must say "no data". */
  static ReportData empty() {
    return new ReportData(header(), null, null, null, null, null, null, null, null, null, Double.NaN, null, null);
  }

  /** {@code epochs} epochs; validation loss is lowest, and the metric highest, at {@code bestEpoch}. */
  static List<EpochRow> history(int epochs, int bestEpoch) {
    List<EpochRow> rows = new ArrayList<>();
    Random rnd = new Random(1);
    double best = Double.NEGATIVE_INFINITY;
    for (int e = 1; e <= epochs; e++) {
      double lr = e <= 3 ? 1e-3 * e / 3 : 1e-3 * Math.pow(0.9, e - 3);
      double train = 0.28 + 1.1 * Math.exp(-e / 4.0) + rnd.nextGaussian() * 0.01;
      double d = (e - bestEpoch) / 6.0;
      double val = 0.39 + 0.95 * Math.exp(-e / 3.5) + 0.04 * d * d * (e > bestEpoch ? 1 : 0.2)
          + rnd.nextGaussian() * 0.006;
      double acc = e == bestEpoch ? 0.874 : Math.min(0.872, 0.55 + 0.32 * (1 - Math.exp(-e / 3.0))
          - (e > bestEpoch ? 0.002 * (e - bestEpoch) : 0) + rnd.nextGaussian() * 0.004);
      boolean isBest = acc > best;
      best = Math.max(best, acc);
      rows.add(new EpochRow(e, lr, train, val, "accuracy", acc, isBest));
    }
    return rows;
  }

  static List<Curve> rocCurves(List<String> labels) {
    List<Curve> curves = new ArrayList<>();
    for (int c = 0; c < Math.min(labels.size(), 12); c++) {
      double a = 4 + 3 * ((c * 37) % 10) / 10.0; // y = x^(1/a): AUC = a / (a + 1)
      List<Point> pts = new ArrayList<>();
      for (int i = 0; i < CURVE_POINTS; i++) {
        double x = i / (double) (CURVE_POINTS - 1);
        pts.add(new Point(x, Math.pow(x, 1 / a)));
      }
      curves.add(new Curve(labels.get(c) + " vs rest", a / (a + 1), pts));
    }
    return curves;
  }

  static List<Curve> prCurves(List<String> labels) {
    List<Curve> curves = new ArrayList<>();
    for (int c = 0; c < Math.min(labels.size(), 12); c++) {
      double b = 2.5 + ((c * 53) % 10) / 4.0;
      double prevalence = 0.12 + 0.25 * ((c * 31) % 10) / 10.0;
      List<Point> pts = new ArrayList<>();
      double area = 0;
      for (int i = 0; i < CURVE_POINTS; i++) {
        double r = i / (double) (CURVE_POINTS - 1);
        double p = 1 - (1 - prevalence) * Math.pow(r, b);
        pts.add(new Point(r, p));
        area += p / (CURVE_POINTS - 1);
      }
      curves.add(new Curve(labels.get(c) + " vs rest", area, pts, prevalence));
    }
    return curves;
  }

  static List<CalibrationBin> calibration() {
    long[] counts = {0, 3, 11, 24, 57, 96, 141, 203, 312, 653};
    double[] acc = {Double.NaN, 0.33, 0.36, 0.42, 0.51, 0.57, 0.66, 0.74, 0.83, 0.96};
    List<CalibrationBin> bins = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      bins.add(new CalibrationBin(i / 10.0, (i + 1) / 10.0, counts[i], counts[i] == 0 ? Double.NaN : i / 10.0 + 0.06,
          acc[i]));
    }
    return bins;
  }

  static List<SliceRow> slices(String hostile) {
    return List.of(
        slice("language", "en", 1021, false, 0.881, 0.866),
        slice("language", "de", 231, false, 0.853, 0.829),
        slice("language", "fr", 38, true, 0.789, 0.701),
        slice("channel", "email", 844, false, 0.879, 0.861),
        slice("channel", "chat", 446, false, 0.858, 0.836),
        slice("channel", hostile, 12, true, 0.667, Double.NaN),
        slice("text length", "< 50 words", 508, false, 0.842, 0.813),
        slice("text length", "≥ 50 words", 792, false, 0.891, 0.878));
  }

  private static SliceRow slice(String s, String v, long n, boolean low, double acc, double f1) {
    Map<String, Double> m = new LinkedHashMap<>();
    m.put("accuracy", acc);
    m.put("macro F1", f1);
    return new SliceRow(s, v, n, low, m);
  }

  static List<DriftRow> drift() {
    return List.of(
        new DriftRow("text_length", DriftKind.KS, 0.043, 0.41, false),
        new DriftRow("num_links", DriftKind.KS, 0.162, 0.00002, true),
        new DriftRow("language", DriftKind.PSI, 0.031, null, false),
        new DriftRow("channel", DriftKind.PSI, 0.274, null, true),
        new DriftRow("hour_of_day", DriftKind.KS, 0.058, 0.12, false),
        new DriftRow("has_attachment", DriftKind.PSI, 0.008, null, false));
  }
}
