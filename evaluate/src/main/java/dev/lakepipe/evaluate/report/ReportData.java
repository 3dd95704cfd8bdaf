package dev.lakepipe.evaluate.report;

import static dev.lakepipe.core.LakepipeErrors.checkArgument;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Everything one evaluation run's HTML report shows, as plain values: the evaluate job fills it from its result
 * tables (all of them small: one row per metric, epoch, class pair, curve point, bin, slice or feature), so
 * building it and rendering it never touch Spark.
 *
 * <p>Every list may be empty and every double may be NaN; {@link HtmlReport} shows "no data" or "n/a" for them
 * instead of failing. Lists and maps are copied on construction (null becomes empty), so a {@code ReportData}
 * is immutable apart from {@link #confusion()}, which is cloned in and out.
 *
 * @param header        what was evaluated and where it came from
 * @param metrics       headline metrics in display order, e.g. accuracy, macro F1, log loss
 * @param baseline      the majority-class baseline the headline metrics are compared with; may be null
 * @param gate          the registry gate's verdict; may be null when the run was not gated
 * @param training      training history, one row per epoch in epoch order
 * @param classLabels   class labels, indexing the confusion matrix
 * @param confusion     counts, {@code confusion[actual][predicted]}, k × k for k class labels (or 0 × 0)
 * @param roc           one-vs-rest ROC curves (x = false positive rate, y = true positive rate)
 * @param pr            one-vs-rest precision-recall curves (x = recall, y = precision)
 * @param calibration   reliability-diagram bins in confidence order
 * @param ece           expected calibration error over {@code calibration}; NaN when unknown
 * @param slices        per-slice metrics
 * @param drift         per-feature drift between the training and the evaluated data
 */
public record ReportData(
    Header header,
    List<HeadlineMetric> metrics,
    Baseline baseline,
    GateVerdict gate,
    List<EpochRow> training,
    List<String> classLabels,
    long[][] confusion,
    List<Curve> roc,
    List<Curve> pr,
    List<CalibrationBin> calibration,
    double ece,
    List<SliceRow> slices,
    List<DriftRow> drift) {

  public ReportData {
    checkArgument(header != null, "Cannot build the report: header is required");
    metrics = copy(metrics);
    training = copy(training);
    classLabels = copy(classLabels);
    roc = copy(roc);
    pr = copy(pr);
    calibration = copy(calibration);
    slices = copy(slices);
    drift = copy(drift);
    confusion = confusion == null ? new long[0][] : deepCopy(confusion);
    int k = classLabels.size();
    checkArgument(confusion.length == 0 || confusion.length == k,
        "Cannot build the report: the confusion matrix has %s rows but there are %s class labels",
        confusion.length, k);
    for (int i = 0; i < confusion.length; i++) {
      checkArgument(confusion[i] != null && confusion[i].length == k,
          "Cannot build the report: confusion matrix row %s (%s) has %s columns, expected %s",
          i, classLabels.get(i), confusion[i] == null ? 0 : confusion[i].length, k);
    }
  }

  /** A copy of the confusion counts, {@code [actual][predicted]}. */
  @Override
  public long[][] confusion() {
    return deepCopy(confusion);
  }

  /** Title block: what was evaluated, with which inputs, trained where. */
  public record Header(
      String datasetName,
      String runId,
      String modelVersion,
      Instant createdAt,
      String goldVersion,
      String featuresRunId,
      String trainingMaster,
      int trainingWorkers) {}

  /** One headline metric; {@code ciLow} / {@code ciHigh} are null when no confidence interval was computed. */
  public record HeadlineMetric(String name, double value, Double ciLow, Double ciHigh) {

    public static HeadlineMetric of(String name, double value) {
      return new HeadlineMetric(name, value, null, null);
    }

    public boolean hasInterval() {
      return ciLow != null && ciHigh != null;
    }
  }

  /**
   * The majority-class baseline: always predicting {@code majorityClass}; {@code metrics} holds its value for
   * the headline metric of the same name (missing names are shown as "n/a").
   */
  public record Baseline(String majorityClass, Map<String, Double> metrics) {

    public Baseline {
      metrics = metrics == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
    }
  }

  /**
   * The registry gate's decision. {@code previousBlessedVersion} is the model version this run was compared
   * with, or null when none was blessed before.
   */
  public record GateVerdict(boolean blessed, List<String> reasons, String previousBlessedVersion) {

    public GateVerdict {
      reasons = copy(reasons);
    }

    public static GateVerdict blessed(List<String> reasons, String previousBlessedVersion) {
      return new GateVerdict(true, reasons, previousBlessedVersion);
    }

    public static GateVerdict rejected(List<String> reasons, String previousBlessedVersion) {
      return new GateVerdict(false, reasons, previousBlessedVersion);
    }
  }

  /** One epoch of training history; {@code bestSoFar} marks epochs whose validation metric set a new best. */
  public record EpochRow(
      int epoch,
      double learningRate,
      double trainLoss,
      double validationLoss,
      String validationMetricName,
      double validationMetric,
      boolean bestSoFar) {}

  /** A point of a curve. */
  public record Point(double x, double y) {}

  /**
   * A named curve such as "spam vs rest" with its area under the curve. {@code positiveRate} is the share of
   * positives, i.e. the precision of a random classifier, drawn as the PR baseline; NaN when unknown or for ROC.
   */
  public record Curve(String name, double auc, List<Point> points, double positiveRate) {

    public Curve {
      points = copy(points);
    }

    public Curve(String name, double auc, List<Point> points) {
      this(name, auc, points, Double.NaN);
    }
  }

  /** One reliability-diagram bin over predicted confidence {@code [lower, upper)}. */
  public record CalibrationBin(double lower, double upper, long count, double meanConfidence, double accuracy) {}

  /** Metrics of one slice value, e.g. slice "language", value "de"; metric names keep their given order. */
  public record SliceRow(
      String slice, String sliceValue, long support, boolean belowMinSupport, Map<String, Double> metrics) {

    public SliceRow {
      metrics = metrics == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
    }
  }

  /** Which drift test produced a {@link DriftRow}. */
  public enum DriftKind {
    /** Two-sample Kolmogorov-Smirnov on a numeric feature; the row has a p-value. */
    KS,
    /** Population stability index on a binned or categorical feature; no p-value. */
    PSI;

    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** Drift of one feature; {@code pValue} is null for tests without one (PSI). */
  public record DriftRow(String feature, DriftKind kind, double statistic, Double pValue, boolean drifted) {}

  private static <T> List<T> copy(List<T> in) {
    // Not List.copyOf: a null element should fail here with a clear message, not deep inside rendering.
    if (in == null) {
      return List.of();
    }
    List<T> out = new ArrayList<>(in.size());
    for (T t : in) {
      checkArgument(t != null, "Cannot build the report: a list contains null at index %s", out.size());
      out.add(t);
    }
    return Collections.unmodifiableList(out);
  }

  private static long[][] deepCopy(long[][] in) {
    long[][] out = new long[in.length][];
    for (int i = 0; i < in.length; i++) {
      out[i] = in[i] == null ? null : in[i].clone();
    }
    return out;
  }
}
