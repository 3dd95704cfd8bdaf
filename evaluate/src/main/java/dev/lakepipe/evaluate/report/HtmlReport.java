package dev.lakepipe.evaluate.report;

import static dev.lakepipe.evaluate.report.Html.compactCount;
import static dev.lakepipe.evaluate.report.Html.count;
import static dev.lakepipe.evaluate.report.Html.escape;
import static dev.lakepipe.evaluate.report.Html.metric;
import static dev.lakepipe.evaluate.report.Html.percent;
import static dev.lakepipe.evaluate.report.Html.significant;

import dev.lakepipe.core.LakepipeErrors;
import dev.lakepipe.evaluate.report.ReportData.Baseline;
import dev.lakepipe.evaluate.report.ReportData.CalibrationBin;
import dev.lakepipe.evaluate.report.ReportData.Curve;
import dev.lakepipe.evaluate.report.ReportData.DriftRow;
import dev.lakepipe.evaluate.report.ReportData.EpochRow;
import dev.lakepipe.evaluate.report.ReportData.GateVerdict;
import dev.lakepipe.evaluate.report.ReportData.Header;
import dev.lakepipe.evaluate.report.ReportData.HeadlineMetric;
import dev.lakepipe.evaluate.report.ReportData.Point;
import dev.lakepipe.evaluate.report.ReportData.SliceRow;
import dev.lakepipe.evaluate.report.SvgChart.Anchor;
import dev.lakepipe.evaluate.report.SvgChart.Corner;
import dev.lakepipe.evaluate.report.SvgChart.Extent;
import dev.lakepipe.evaluate.report.SvgChart.LegendEntry;
import dev.lakepipe.evaluate.report.SvgChart.Margins;
import dev.lakepipe.evaluate.report.SvgChart.Stroke;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Renders one evaluation run as a single self-contained HTML file: inline CSS, inline SVG charts drawn here
 * (see {@link SvgChart}) and a few lines of inline JavaScript for sortable tables. It references no URL at
 * all, and its Content-Security-Policy forbids loading anything, so it opens the same offline, from an
 * artifact store or attached to an e-mail.
 *
 * <p>Sections, each with a stable id: {@code #summary} (headline metrics beside the majority-class baseline,
 * gate verdict), {@code #training-curves}, {@code #confusion}, {@code #roc}, {@code #pr}, {@code #calibration},
 * {@code #slices} and {@code #drift}. Every chart is an {@code <svg data-chart="...">} with a {@code <title>}.
 * Empty inputs render as a "no data" note, NaN as "n/a"; every string from the data is escaped.
 *
 * <p>Rendering is deterministic (same data, same bytes) and linear in the size of the data, which is small:
 * k² confusion cells, a few hundred curve points, one row per epoch, bin, slice and feature.
 */
public final class HtmlReport {

  private static final Logger LOG = LoggerFactory.getLogger(HtmlReport.class);

  /** Section ids in page order. */
  public static final List<String> SECTION_IDS =
      List.of("summary", "training-curves", "confusion", "roc", "pr", "calibration", "slices", "drift");

  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'", Locale.ROOT).withZone(ZoneOffset.UTC);
  private static final String GREY = "#6b7280";
  private static final int LEGEND_ROWS = 8;

  private HtmlReport() {}

  /** Writes the report to {@code target} through a temporary file in the same directory and an atomic rename. */
  public static void write(ReportData data, Path target) {
    byte[] bytes = render(data).getBytes(StandardCharsets.UTF_8);
    Path dir = target.toAbsolutePath().getParent();
    Path tmp = null;
    try {
      Files.createDirectories(dir);
      tmp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
      Files.write(tmp, bytes);
      readableByAll(tmp);
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
      LOG.info("report: wrote {} ({} bytes) for run {}", target, bytes.length, data.header().runId());
    } catch (IOException e) {
      deleteQuietly(tmp);
      throw LakepipeErrors.jobFailed("write the evaluation report to " + target,
          e + ". Check that the directory is writable and has space", e);
    }
  }

  /** The complete HTML document. */
  public static String render(ReportData data) {
    StringBuilder out = new StringBuilder(64 * 1024);
    Header h = data.header();
    out.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
        .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
        // Nothing may be fetched: the report must look the same offline, and a bad label can't phone home.
        .append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; ")
        .append("style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n")
        .append("<meta name=\"generator\" content=\"Lakepipe evaluate\">\n")
        .append("<title>").append(escape(text(h.datasetName()) + " · model " + text(h.modelVersion())
            + " · evaluation " + text(h.runId()))).append("</title>\n")
        .append("<style>").append(CSS).append("</style>\n</head>\n<body>\n<main>\n");
    header(out, h);
    summary(out, data);
    training(out, data.training());
    confusion(out, data.classLabels(), data.confusion());
    out.append("<div class=\"pair\">\n");
    curves(out, "roc", "ROC curves", data.roc());
    curves(out, "pr", "Precision-recall curves", data.pr());
    out.append("</div>\n");
    calibration(out, data.calibration(), data.ece());
    slices(out, data.slices());
    drift(out, data.drift());
    out.append("<footer>Generated by Lakepipe evaluate")
        .append(h.createdAt() == null ? "" : " on " + escape(TIME.format(h.createdAt())))
        .append(". Self-contained: no network access is needed to view this file.</footer>\n")
        .append("</main>\n<script>").append(SCRIPT).append("</script>\n</body>\n</html>\n");
    return out.toString();
  }

  // ---- header and summary ----

  private static void header(StringBuilder out, Header h) {
    out.append("<header class=\"top\">\n<div class=\"eyebrow\">Lakepipe · evaluation report</div>\n<h1>")
        .append(escape(text(h.datasetName()))).append(" <span class=\"sub\">model ")
        .append(escape(text(h.modelVersion()))).append("</span></h1>\n<dl class=\"meta\">");
    meta(out, "Run", h.runId());
    meta(out, "Created", h.createdAt() == null ? null : TIME.format(h.createdAt()));
    meta(out, "Gold version", h.goldVersion());
    meta(out, "Features run", h.featuresRunId());
    meta(out, "Trained on", text(h.trainingMaster()) + " · " + h.trainingWorkers()
        + (h.trainingWorkers() == 1 ? " worker" : " workers"));
    out.append("</dl>\n<nav>");
    String[] names = {"Summary", "Training", "Confusion", "ROC", "Precision-recall", "Calibration", "Slices",
        "Drift"};
    for (int i = 0; i < names.length; i++) {
      out.append("<a href=\"#").append(SECTION_IDS.get(i)).append("\">").append(names[i]).append("</a>");
    }
    out.append("</nav>\n</header>\n");
  }

  private static void meta(StringBuilder out, String name, String value) {
    out.append("<div><dt>").append(escape(name)).append("</dt><dd>").append(escape(text(value)))
        .append("</dd></div>");
  }

  private static void summary(StringBuilder out, ReportData data) {
    open(out, "summary", "Summary");
    GateVerdict gate = data.gate();
    if (gate == null) {
      out.append("<div class=\"verdict none\"><strong>Not gated</strong>: this run was not compared with the "
          + "registry.</div>\n");
    } else {
      out.append("<div class=\"verdict ").append(gate.blessed() ? "ok" : "bad").append("\"><strong>")
          .append(gate.blessed() ? "✔ Blessed" : "✘ Not blessed").append("</strong> · ")
          .append(gate.previousBlessedVersion() == null ? "no model was blessed before"
              : "compared with blessed model " + escape(gate.previousBlessedVersion()));
      if (!gate.reasons().isEmpty()) {
        out.append("<ul class=\"reasons\">");
        for (String r : gate.reasons()) {
          out.append("<li>").append(escape(r)).append("</li>");
        }
        out.append("</ul>");
      }
      out.append("</div>\n");
    }
    if (data.metrics().isEmpty()) {
      empty(out, "No headline metrics were computed for this run.");
    } else {
      Baseline base = data.baseline();
      out.append("<div class=\"cards\">");
      for (HeadlineMetric m : data.metrics()) {
        out.append("<div class=\"card\" data-metric=\"").append(escape(m.name())).append("\"><div class=\"name\">")
            .append(escape(m.name())).append("</div><div class=\"value\">").append(metric(m.value()))
            .append("</div>");
        if (m.hasInterval()) {
          out.append("<div class=\"ci\">CI ").append(metric(m.ciLow())).append(" – ").append(metric(m.ciHigh()))
              .append("</div>");
        }
        if (base != null) {
          Double b = base.metrics().get(m.name());
          out.append("<div class=\"base\">baseline ").append(b == null ? "n/a" : metric(b));
          if (b != null && Double.isFinite(b) && Double.isFinite(m.value())) {
            double d = m.value() - b;
            out.append(" <span class=\"delta\">(").append(d >= 0 ? "+" : "−").append(metric(Math.abs(d)))
                .append(")</span>");
          }
          out.append("</div>");
        }
        out.append("</div>");
      }
      out.append("</div>\n");
      if (base != null) {
        out.append("<p class=\"note\">Baseline: always predicting the majority class “")
            .append(escape(text(base.majorityClass()))).append("”.</p>\n");
      }
    }
    close(out);
  }

  // ---- training ----

  private static void training(StringBuilder out, List<EpochRow> rows) {
    open(out, "training-curves", "Training");
    if (rows.isEmpty()) {
      empty(out, "No training history was recorded for this model.");
      close(out);
      return;
    }
    EpochRow best = null;
    for (EpochRow r : rows) {
      if (r.bestSoFar()) {
        best = r;
      }
    }
    String metricName = rows.stream().map(EpochRow::validationMetricName).filter(n -> n != null && !n.isBlank())
        .findFirst().orElse("metric");
    out.append("<p class=\"lead\">").append(rows.size()).append(rows.size() == 1 ? " epoch" : " epochs");
    if (best != null) {
      out.append("; best epoch ").append(best.epoch()).append(" with validation ").append(escape(metricName))
          .append(' ').append(metric(best.validationMetric())).append(" and validation loss ")
          .append(significant(best.validationLoss()));
    }
    out.append(".</p>\n<div class=\"grid2\">");
    out.append("<figure><figcaption>Loss per epoch</figcaption>")
        .append(lossChart(rows, best)).append("</figure>");
    out.append("<figure><figcaption>Validation ").append(escape(metricName)).append(" per epoch</figcaption>")
        .append(validationChart(rows, best, metricName)).append("</figure>");
    out.append("</div>\n<details><summary>History table</summary><div class=\"table-wrap\">")
        .append("<table class=\"sortable\"><thead><tr><th data-type=\"number\" class=\"num\">Epoch</th>")
        .append("<th data-type=\"number\" class=\"num\">Learning rate</th>")
        .append("<th data-type=\"number\" class=\"num\">Train loss</th>")
        .append("<th data-type=\"number\" class=\"num\">Validation loss</th>")
        .append("<th data-type=\"number\" class=\"num\">Validation ").append(escape(metricName)).append("</th>")
        .append("<th>Best so far</th></tr></thead><tbody>");
    for (EpochRow r : rows) {
      out.append(r == best ? "<tr class=\"best\">" : "<tr>");
      numCell(out, r.epoch(), Integer.toString(r.epoch()));
      numCell(out, r.learningRate(), significant(r.learningRate()));
      numCell(out, r.trainLoss(), significant(r.trainLoss()));
      numCell(out, r.validationLoss(), significant(r.validationLoss()));
      numCell(out, r.validationMetric(), metric(r.validationMetric()));
      out.append("<td>").append(r.bestSoFar() ? "yes" : "").append("</td></tr>");
    }
    out.append("</tbody></table></div></details>\n");
    close(out);
  }

  private static String lossChart(List<EpochRow> rows, EpochRow best) {
    List<Point> train = new ArrayList<>();
    List<Point> val = new ArrayList<>();
    for (EpochRow r : rows) {
      train.add(new Point(r.epoch(), r.trainLoss()));
      val.add(new Point(r.epoch(), r.validationLoss()));
    }
    double[] ys = range(train, val);
    if (ys == null) {
      return emptyHtml("Every loss value is missing (NaN).");
    }
    SvgChart c = new SvgChart("training-loss", "Training and validation loss per epoch", 520, 320,
        new Margins(26, 18, 44, 60));
    c.xDomain(rows.get(0).epoch(), rows.get(rows.size() - 1).epoch(), Extent.EXACT, 1)
        .yDomain(ys[0], ys[1], Extent.NICE).axes("epoch", "loss");
    bestMarker(c, best);
    c.polyline(train, SvgChart.PALETTE.get(0), Stroke.SOLID, 2, "train loss");
    c.polyline(val, SvgChart.PALETTE.get(1), Stroke.SOLID, 2, "validation loss");
    if (best != null) {
      c.point(best.epoch(), best.validationLoss(), 4.5, SvgChart.PALETTE.get(1),
          "best epoch " + best.epoch() + ": validation loss " + significant(best.validationLoss()));
    }
    c.legend(List.of(new LegendEntry("train loss", SvgChart.PALETTE.get(0), Stroke.SOLID),
        new LegendEntry("validation loss", SvgChart.PALETTE.get(1), Stroke.SOLID)), Corner.TOP_RIGHT, LEGEND_ROWS);
    return c.render();
  }

  private static String validationChart(List<EpochRow> rows, EpochRow best, String metricName) {
    List<Point> pts = new ArrayList<>();
    for (EpochRow r : rows) {
      pts.add(new Point(r.epoch(), r.validationMetric()));
    }
    double[] ys = range(pts);
    if (ys == null) {
      return emptyHtml("Every validation " + metricName + " value is missing (NaN).");
    }
    String colour = SvgChart.PALETTE.get(2);
    SvgChart c = new SvgChart("validation-metric", "Validation " + metricName + " per epoch", 520, 320,
        new Margins(26, 18, 44, 60));
    c.xDomain(rows.get(0).epoch(), rows.get(rows.size() - 1).epoch(), Extent.EXACT, 1)
        .yDomain(ys[0], ys[1], Extent.NICE).axes("epoch", "validation " + metricName);
    bestMarker(c, best);
    c.polyline(pts, colour, Stroke.SOLID, 2, "validation " + metricName);
    for (EpochRow r : rows) {
      if (r.bestSoFar()) {
        c.point(r.epoch(), r.validationMetric(), r == best ? 4.5 : 2.5, colour,
            "epoch " + r.epoch() + ": new best " + metricName + " " + metric(r.validationMetric()));
      }
    }
    c.legend(List.of(new LegendEntry("validation " + metricName, colour, Stroke.SOLID),
        new LegendEntry("best epoch", GREY, Stroke.DASHED)), Corner.BOTTOM_RIGHT, LEGEND_ROWS);
    return c.render();
  }

  private static void bestMarker(SvgChart c, EpochRow best) {
    if (best == null) {
      return;
    }
    c.segment(best.epoch(), c.y().domainMin(), best.epoch(), c.y().domainMax(), GREY, Stroke.DASHED,
        "best epoch " + best.epoch());
    // The label sits in the top margin, clear of the curves and the legend.
    double px = c.x().apply(best.epoch());
    Anchor anchor = px > c.plotRight() - 40 ? Anchor.END : px < c.plotLeft() + 40 ? Anchor.START : Anchor.MIDDLE;
    c.text(px, c.plotTop() - 8, "best: epoch " + best.epoch(), anchor, 11, "annotation");
  }

  // ---- confusion ----

  private static void confusion(StringBuilder out, List<String> labels, long[][] m) {
    open(out, "confusion", "Confusion matrix");
    int k = labels.size();
    if (k == 0 || m.length == 0) {
      empty(out, "No confusion matrix was computed for this run.");
      close(out);
      return;
    }
    long total = 0;
    long correct = 0;
    long[] rowSum = new long[k];
    for (int i = 0; i < k; i++) {
      for (int j = 0; j < k; j++) {
        rowSum[i] += m[i][j];
      }
      total += rowSum[i];
      correct += m[i][i];
    }
    out.append("<p class=\"lead\">Rows are the actual class, columns the predicted class; colour is the share of "
            + "the row (blue: correct, orange: errors). ")
        .append(count(correct)).append(" of ").append(count(total)).append(" correct (")
        .append(percent(total == 0 ? Double.NaN : (double) correct / total)).append(").</p>\n");
    out.append("<div class=\"chart-scroll\">").append(confusionChart(labels, m, rowSum)).append("</div>\n");
    close(out);
  }

  private static String confusionChart(List<String> labels, long[][] m, long[] rowSum) {
    int k = labels.size();
    double labelFont = k <= 10 ? 12 : k <= 25 ? 10 : 8;
    int maxChars = k <= 10 ? 22 : 16;
    int longest = 1;
    for (String l : labels) {
      longest = Math.max(longest, Math.min(maxChars, text(l).length()));
    }
    double labelWidth = longest * labelFont * 0.62 + 10;
    // 16 px cells at 50 classes keep a 4-character count ("1.2k") inside its cell at 6.5 px.
    double cell = Math.max(16, Math.min(64, Math.floor(720.0 / k)));
    double countFont = Math.max(6.5, Math.min(14, cell * 0.3));
    boolean rotate = k > 5 || longest * labelFont * 0.62 > cell;
    double left = 28 + labelWidth;
    double top = 12;
    double grid = cell * k;
    double bottom = 36 + (rotate ? labelWidth * 0.72 + 6 : 20);
    double right = 70;
    int width = (int) Math.ceil(left + grid + right);
    int height = (int) Math.ceil(top + grid + bottom);
    SvgChart c = new SvgChart("confusion", "Confusion matrix, " + k + (k == 1 ? " class" : " classes")
        + ", actual by predicted, coloured by row share", width, height, new Margins((int) top, (int) right,
        (int) bottom, (int) left));
    for (int i = 0; i < k; i++) {
      for (int j = 0; j < k; j++) {
        double share = rowSum[i] == 0 ? 0 : (double) m[i][j] / rowSum[i];
        String fill = i == j ? mix("#f4f8fc", "#0b4f8a", share) : mix("#fdf6ef", "#b34700", share);
        double x = left + j * cell;
        double y = top + i * cell;
        c.rect(x, y, cell, cell, fill, i == j ? "cell diag" : "cell", "actual " + text(labels.get(i))
            + " → predicted " + text(labels.get(j)) + ": " + count(m[i][j])
            + (rowSum[i] == 0 ? "" : " (" + percent(share) + " of actual " + text(labels.get(i)) + ")"));
        // Beyond 10 classes zeros are left blank so the errors stand out; the hover title still says 0.
        if (m[i][j] != 0 || k <= 10) {
          c.text(x + cell / 2, y + cell / 2 + countFont * 0.35, compactCount(m[i][j]), Anchor.MIDDLE, countFont,
              share > 0.5 ? "count on-dark" : m[i][j] == 0 ? "count zero" : "count");
        }
      }
      // Row label (actual) on the left, support on the right.
      c.rotatedText(left - 6, top + i * cell + cell / 2, 0, shorten(labels.get(i), maxChars),
          "actual " + text(labels.get(i)), Anchor.END, labelFont, "class-label");
      c.text(left + grid + 6, top + i * cell + cell / 2 + labelFont * 0.35, "n=" + compactCount(rowSum[i]),
          Anchor.START, Math.min(labelFont, 11), "support");
    }
    for (int j = 0; j < k; j++) {
      double x = left + j * cell + cell / 2;
      if (rotate) {
        c.rotatedText(x, top + grid + 8, -45, shorten(labels.get(j), maxChars), "predicted " + text(labels.get(j)),
            Anchor.END, labelFont, "class-label");
      } else {
        c.rotatedText(x, top + grid + 12, 0, shorten(labels.get(j), maxChars), "predicted " + text(labels.get(j)),
            Anchor.MIDDLE, labelFont, "class-label");
      }
    }
    c.text(left + grid / 2, height - 8, "predicted class", Anchor.MIDDLE, 12, "axis-title");
    c.rotatedText(14, top + grid / 2, -90, "actual class", null, Anchor.MIDDLE, 12, "axis-title");
    return c.render();
  }

  // ---- ROC and PR ----

  private static void curves(StringBuilder out, String id, String title, List<Curve> curves) {
    boolean roc = id.equals("roc");
    open(out, id, title);
    List<Curve> drawable = curves.stream().filter(cv -> cv.points().stream().anyMatch(HtmlReport::finite))
        .toList();
    if (drawable.isEmpty()) {
      empty(out, roc ? "No ROC curves were computed for this run." : "No precision-recall curves were computed "
          + "for this run.");
      close(out);
      return;
    }
    out.append("<p class=\"lead\">").append(roc
        ? "One-vs-rest; the dashed diagonal is a random classifier. Higher and further left is better."
        : "One-vs-rest; dashed lines are each class's share of positives (a random classifier). Higher is better.")
        .append("</p>\n");
    SvgChart c = new SvgChart(id, title + " (one-vs-rest) with area under the curve", 520, 440,
        new Margins(16, 18, 44, 60));
    c.xDomain(0, 1, Extent.EXACT, 0).yDomain(0, 1, Extent.EXACT)
        .axes(roc ? "false positive rate" : "recall", roc ? "true positive rate" : "precision");
    List<LegendEntry> legend = new ArrayList<>();
    if (roc) {
      c.segment(0, 0, 1, 1, GREY, Stroke.DASHED, "random classifier (AUC 0.5)");
    }
    double width = drawable.size() > LEGEND_ROWS ? 1.25 : 2;
    for (int i = 0; i < drawable.size(); i++) {
      Curve cv = drawable.get(i);
      String colour = SvgChart.PALETTE.get(i % SvgChart.PALETTE.size());
      String label = text(cv.name()) + " (AUC " + metric(cv.auc()) + ")";
      if (!roc && Double.isFinite(cv.positiveRate())) {
        c.segment(0, cv.positiveRate(), 1, cv.positiveRate(), colour, Stroke.DOTTED,
            "random classifier for " + text(cv.name()) + ": precision " + metric(cv.positiveRate()));
      }
      c.polyline(cv.points(), colour, Stroke.SOLID, width, label);
      legend.add(new LegendEntry(label, colour, Stroke.SOLID));
    }
    if (roc && legend.size() < LEGEND_ROWS) {
      legend.add(new LegendEntry("random (AUC 0.5)", GREY, Stroke.DASHED));
    }
    c.legend(legend, roc ? Corner.BOTTOM_RIGHT : Corner.BOTTOM_LEFT, LEGEND_ROWS);
    out.append(c.render()).append('\n');
    if (drawable.size() > LEGEND_ROWS - 1) {
      out.append("<details><summary>AUC per curve</summary><table class=\"sortable\"><thead><tr><th>Curve</th>")
          .append("<th data-type=\"number\" class=\"num\">AUC</th></tr></thead><tbody>");
      for (Curve cv : drawable) {
        out.append("<tr><td>").append(escape(text(cv.name()))).append("</td>");
        numCell(out, cv.auc(), metric(cv.auc()));
        out.append("</tr>");
      }
      out.append("</tbody></table></details>\n");
    }
    close(out);
  }

  // ---- calibration ----

  private static void calibration(StringBuilder out, List<CalibrationBin> bins, double ece) {
    open(out, "calibration", "Calibration · ECE " + metric(ece));
    List<CalibrationBin> used = bins.stream().filter(b -> b.count() > 0).toList();
    if (used.isEmpty()) {
      empty(out, "No calibration bins were computed for this run.");
      close(out);
      return;
    }
    long total = used.stream().mapToLong(CalibrationBin::count).sum();
    out.append("<p class=\"lead\">Expected calibration error ").append(metric(ece))
        .append(": the count-weighted gap between confidence and accuracy over ").append(bins.size())
        .append(" bins. Bars below the diagonal mean over-confidence.</p>\n<div class=\"grid2\">");

    String blue = SvgChart.PALETTE.get(0);
    SvgChart c = new SvgChart("calibration", "Reliability diagram, ECE " + metric(ece), 520, 400,
        new Margins(16, 18, 44, 60));
    c.xDomain(0, 1, Extent.EXACT, 0).yDomain(0, 1, Extent.EXACT).axes("predicted confidence", "accuracy");
    List<Point> points = new ArrayList<>();
    for (CalibrationBin b : used) {
      String hover = "confidence " + metric(b.lower()) + "–" + metric(b.upper()) + ": " + count(b.count())
          + " predictions, mean confidence " + metric(b.meanConfidence()) + ", accuracy " + metric(b.accuracy());
      if (Double.isFinite(b.accuracy()) && Double.isFinite(b.lower()) && Double.isFinite(b.upper())) {
        c.dataRect(b.lower(), 0, b.upper(), b.accuracy(), "#b9d4ea", "bar", hover);
      }
      points.add(new Point(b.meanConfidence(), b.accuracy()));
    }
    c.segment(0, 0, 1, 1, GREY, Stroke.DASHED, "perfect calibration");
    c.polyline(points, blue, Stroke.SOLID, 2, "accuracy at mean confidence");
    for (CalibrationBin b : used) {
      c.point(b.meanConfidence(), b.accuracy(), 3.5, blue,
          count(b.count()) + " predictions: mean confidence " + metric(b.meanConfidence()) + ", accuracy "
              + metric(b.accuracy()));
    }
    c.legend(List.of(new LegendEntry("accuracy per bin", blue, Stroke.SOLID),
        new LegendEntry("perfect calibration", GREY, Stroke.DASHED)), Corner.TOP_LEFT, LEGEND_ROWS);
    out.append("<figure><figcaption>Reliability diagram (ECE ").append(metric(ece)).append(")</figcaption>")
        .append(c.render()).append("</figure>");

    long maxCount = used.stream().mapToLong(CalibrationBin::count).max().orElse(1);
    SvgChart h = new SvgChart("confidence-histogram", "Predictions per confidence bin", 520, 400,
        new Margins(16, 18, 44, 60));
    h.xDomain(0, 1, Extent.EXACT, 0).yDomain(0, maxCount, Extent.NICE).axes("predicted confidence", "predictions");
    for (CalibrationBin b : used) {
      if (Double.isFinite(b.lower()) && Double.isFinite(b.upper())) {
        h.dataRect(b.lower(), 0, b.upper(), b.count(), "#9fc9a9", "bar", "confidence " + metric(b.lower()) + "–"
            + metric(b.upper()) + ": " + count(b.count()) + " predictions (" + percent((double) b.count() / total)
            + ")");
      }
    }
    out.append("<figure><figcaption>Predictions per confidence bin (").append(count(total))
        .append(" in all)</figcaption>").append(h.render()).append("</figure></div>\n");
    close(out);
  }

  // ---- tables ----

  private static void slices(StringBuilder out, List<SliceRow> rows) {
    open(out, "slices", "Slices");
    if (rows.isEmpty()) {
      empty(out, "No slice metrics were computed for this run.");
      close(out);
      return;
    }
    Set<String> metricNames = new LinkedHashSet<>();
    rows.forEach(r -> metricNames.addAll(r.metrics().keySet()));
    long flagged = rows.stream().filter(SliceRow::belowMinSupport).count();
    out.append("<p class=\"lead\">").append(rows.size()).append(rows.size() == 1 ? " slice value" : " slice values");
    if (flagged > 0) {
      out.append("; ").append(flagged).append(" below the minimum support (highlighted): their metrics are noisy");
    }
    out.append(". Click a column to sort.</p>\n<div class=\"table-wrap\"><table class=\"sortable\"><thead><tr>")
        .append("<th>Slice</th><th>Value</th><th data-type=\"number\" class=\"num\">Support</th>");
    for (String n : metricNames) {
      out.append("<th data-type=\"number\" class=\"num\">").append(escape(n)).append("</th>");
    }
    out.append("<th>Flag</th></tr></thead><tbody>");
    for (SliceRow r : rows) {
      out.append(r.belowMinSupport() ? "<tr class=\"flagged\">" : "<tr>").append("<td>")
          .append(escape(text(r.slice()))).append("</td><td>").append(escape(text(r.sliceValue()))).append("</td>");
      numCell(out, r.support(), count(r.support()));
      for (String n : metricNames) {
        Double v = r.metrics().get(n);
        double d = v == null ? Double.NaN : v;
        numCell(out, d, metric(d));
      }
      out.append("<td>").append(r.belowMinSupport() ? "<span class=\"badge warn\">low support</span>" : "")
          .append("</td></tr>");
    }
    out.append("</tbody></table></div>\n");
    close(out);
  }

  private static void drift(StringBuilder out, List<DriftRow> rows) {
    open(out, "drift", "Drift");
    if (rows.isEmpty()) {
      empty(out, "No drift statistics were computed for this run.");
      close(out);
      return;
    }
    List<String> drifted = rows.stream().filter(DriftRow::drifted).map(r -> text(r.feature())).toList();
    out.append("<p class=\"lead\">").append(drifted.size()).append(" of ").append(rows.size())
        .append(rows.size() == 1 ? " feature" : " features").append(" drifted")
        .append(drifted.isEmpty() ? "" : " (highlighted): " + escape(String.join(", ", drifted)))
        .append(". KS: two-sample Kolmogorov-Smirnov statistic; PSI: population stability index.</p>\n")
        .append("<div class=\"table-wrap\"><table class=\"sortable\"><thead><tr><th>Feature</th><th>Test</th>")
        .append("<th data-type=\"number\" class=\"num\">Statistic</th>")
        .append("<th data-type=\"number\" class=\"num\">p-value</th><th>Drifted</th></tr></thead><tbody>");
    for (DriftRow r : rows) {
      out.append(r.drifted() ? "<tr class=\"drifted\">" : "<tr>").append("<td>").append(escape(text(r.feature())))
          .append("</td><td>").append(r.kind() == null ? "n/a" : r.kind().label()).append("</td>");
      numCell(out, r.statistic(), metric(r.statistic()));
      if (r.pValue() == null) {
        out.append("<td class=\"num\" data-value=\"\">–</td>");
      } else {
        numCell(out, r.pValue(), pValue(r.pValue()));
      }
      out.append("<td>").append(r.drifted() ? "<span class=\"badge bad\">drifted</span>"
          : "<span class=\"badge ok\">stable</span>").append("</td></tr>");
    }
    out.append("</tbody></table></div>\n");
    close(out);
  }

  // ---- small pieces ----

  private static void open(StringBuilder out, String id, String title) {
    out.append("<section id=\"").append(id).append("\">\n<h2>").append(escape(title)).append("</h2>\n");
  }

  private static void close(StringBuilder out) {
    out.append("</section>\n");
  }

  private static void empty(StringBuilder out, String message) {
    out.append(emptyHtml(message)).append('\n');
  }

  private static String emptyHtml(String message) {
    return "<p class=\"empty\">No data. " + escape(message) + "</p>";
  }

  private static void numCell(StringBuilder out, double value, String shown) {
    out.append("<td class=\"num\" data-value=\"").append(Double.isFinite(value) ? Double.toString(value) : "")
        .append("\">").append(shown).append("</td>");
  }

  private static String pValue(double p) {
    if (!Double.isFinite(p)) {
      return "n/a";
    }
    return p < 0.001 ? "&lt; 0.001" : String.format(Locale.ROOT, "%.3f", p);
  }

  private static String text(String s) {
    return s == null || s.isBlank() ? "n/a" : s;
  }

  private static String shorten(String s, int maxChars) {
    String t = text(s);
    return t.length() <= maxChars ? t : t.substring(0, maxChars - 1) + "…";
  }

  private static boolean finite(Point p) {
    return Double.isFinite(p.x()) && Double.isFinite(p.y());
  }

  /** {min, max} over the finite y values, or null when there are none. */
  @SafeVarargs
  private static double[] range(List<Point>... series) {
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    for (List<Point> s : series) {
      for (Point p : s) {
        if (finite(p)) {
          min = Math.min(min, p.y());
          max = Math.max(max, p.y());
        }
      }
    }
    return min <= max ? new double[] {min, max} : null;
  }

  /** Linear blend of two #rrggbb colours; {@code t} in [0, 1]. */
  private static String mix(String from, String to, double t) {
    double u = Math.max(0, Math.min(1, Double.isFinite(t) ? t : 0));
    int a = Integer.parseInt(from.substring(1), 16);
    int b = Integer.parseInt(to.substring(1), 16);
    int r = (int) Math.round(((a >> 16) & 0xff) * (1 - u) + ((b >> 16) & 0xff) * u);
    int g = (int) Math.round(((a >> 8) & 0xff) * (1 - u) + ((b >> 8) & 0xff) * u);
    int bl = (int) Math.round((a & 0xff) * (1 - u) + (b & 0xff) * u);
    return String.format(Locale.ROOT, "#%02x%02x%02x", r, g, bl);
  }

  /** Temp files are created owner-only; a report is meant to be shared, so make it rw-r--r-- where POSIX. */
  private static void readableByAll(Path p) throws IOException {
    if (p.getFileSystem().supportedFileAttributeViews().contains("posix")) {
      Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-r--r--"));
    }
  }

  private static void deleteQuietly(Path p) {
    if (p == null) {
      return;
    }
    try {
      Files.deleteIfExists(p);
    } catch (IOException e) {
      LOG.warn("report: could not delete temporary file {}: {}", p, e.toString());
    }
  }

  private static final String CSS = """
      :root{--fg:#1f2937;--muted:#6b7280;--line:#e5e7eb;--bg:#f5f6f8;--card:#fff;--ok:#166534;--ok-bg:#f0fdf4;\
      --bad:#b91c1c;--bad-bg:#fef2f2;--warn-bg:#fffbeb}
      *{box-sizing:border-box}
      html{-webkit-text-size-adjust:100%}
      body{margin:0;background:var(--bg);color:var(--fg);\
      font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans",sans-serif}
      main{max-width:1120px;margin:0 auto;padding:24px 24px 40px}
      header.top{padding:8px 0 4px}
      .eyebrow{font-size:12px;color:var(--muted);text-transform:uppercase;letter-spacing:.08em}
      h1{font-size:26px;margin:2px 0 14px;line-height:1.2}
      h1 .sub{font-weight:400;color:var(--muted);font-size:20px}
      h2{font-size:18px;margin:0 0 6px}
      dl.meta{display:grid;grid-template-columns:repeat(auto-fill,minmax(190px,1fr));gap:8px 24px;margin:0}
      dl.meta dt{font-size:11px;color:var(--muted);text-transform:uppercase;letter-spacing:.05em}
      dl.meta dd{margin:0;font-weight:600;overflow-wrap:anywhere}
      nav{display:flex;flex-wrap:wrap;gap:6px;margin:16px 0 0}
      nav a{color:#1d4ed8;text-decoration:none;background:#fff;border:1px solid var(--line);border-radius:999px;\
      padding:2px 12px;font-size:13px}
      nav a:hover{background:#eff6ff}
      section{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:18px 22px;margin:16px 0}
      .lead{color:var(--muted);margin:0 0 12px}
      .note{color:var(--muted);font-size:12px;margin:10px 0 0}
      .verdict{border-radius:8px;padding:10px 14px;margin:6px 0 16px;border:1px solid}
      .verdict strong{font-size:16px}
      .verdict.ok{background:var(--ok-bg);border-color:#bbf7d0;color:var(--ok)}
      .verdict.bad{background:var(--bad-bg);border-color:#fecaca;color:var(--bad)}
      .verdict.none{background:#f9fafb;border-color:var(--line);color:var(--muted)}
      .verdict ul{margin:6px 0 0;padding-left:20px}
      .cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:12px}
      .card{border:1px solid var(--line);border-radius:8px;padding:10px 14px}
      .card .name{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em;\
      overflow-wrap:anywhere}
      .card .value{font-size:28px;font-weight:650;font-variant-numeric:tabular-nums;line-height:1.3}
      .card .ci,.card .base{font-size:12px;color:var(--muted);font-variant-numeric:tabular-nums}
      .grid2{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:16px 24px}
      figure{margin:0}
      figcaption{font-weight:600;font-size:13px;margin-bottom:4px}
      .chart-scroll{overflow-x:auto}
      .chart-scroll svg.chart{margin:0 auto}
      .pair{display:grid;grid-template-columns:repeat(auto-fit,minmax(440px,1fr));gap:16px;margin:16px 0}
      .pair>section{margin:0}
      svg.chart{max-width:100%;height:auto;display:block;font-family:inherit;overflow:visible}
      svg .grid{stroke:#eceef1}
      svg .axis,svg .tickmark{stroke:#9ca3af}
      svg .tick{fill:#6b7280;font-size:11px;font-variant-numeric:tabular-nums}
      svg .axis-title{fill:#374151}
      svg .annotation{fill:#4b5563}
      svg .legend-box{stroke:#e5e7eb;fill-opacity:.92}
      svg .legend-label{fill:#1f2937}
      svg .series:hover{stroke-width:4}
      svg .cell{stroke:#fff;stroke-width:1}
      svg .cell:hover{stroke:#111827;stroke-width:1.5}
      svg .count{fill:#1f2937;pointer-events:none;font-variant-numeric:tabular-nums}
      svg .count.on-dark{fill:#fff}
      svg .count.zero{fill:#c0c4cb}
      svg .class-label{fill:#374151}
      svg .support{fill:#9ca3af}
      table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
      th,td{padding:6px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
      th.num,td.num{text-align:right}
      th{font-size:11px;color:var(--muted);text-transform:uppercase;letter-spacing:.04em;cursor:pointer;\
      user-select:none;white-space:nowrap}
      th:hover{color:var(--fg)}
      th[aria-sort=ascending]::after{content:" ▲"}
      th[aria-sort=descending]::after{content:" ▼"}
      tbody tr:hover td{background:#f9fafb}
      tr.flagged td{background:var(--warn-bg)}
      tr.drifted td{background:var(--bad-bg)}
      tr.best td{font-weight:600}
      .badge{display:inline-block;font-size:11px;padding:1px 8px;border-radius:999px;font-weight:600}
      .badge.warn{background:#fef3c7;color:#92400e}
      .badge.bad{background:#fee2e2;color:var(--bad)}
      .badge.ok{background:#dcfce7;color:var(--ok)}
      .table-wrap{overflow-x:auto}
      details{margin-top:12px}
      summary{cursor:pointer;color:#1d4ed8}
      .empty{color:var(--muted);font-style:italic;padding:14px;border:1px dashed #d1d5db;border-radius:8px;margin:0}
      footer{color:var(--muted);font-size:12px;text-align:center;margin-top:24px}
      """;

  /** Sortable tables, and a rendered/ready mark that lets a headless browser confirm the charts laid out. */
  private static final String SCRIPT = """
      (function () {
        'use strict';
        function key(row, i, numeric) {
          var cell = row.cells[i];
          if (!cell) { return numeric ? -Infinity : ''; }
          var v = cell.getAttribute('data-value');
          if (v === null) { v = cell.textContent; }
          if (numeric) { var n = parseFloat(v); return isNaN(n) ? -Infinity : n; }
          return v.toLowerCase();
        }
        Array.prototype.forEach.call(document.querySelectorAll('table.sortable'), function (table) {
          if (!table.tHead || !table.tBodies.length) { return; }
          var heads = table.tHead.rows[0].cells;
          Array.prototype.forEach.call(heads, function (th, i) {
            th.tabIndex = 0;
            th.title = 'Sort by ' + th.textContent;
            function sort() {
              var numeric = th.getAttribute('data-type') === 'number';
              var dir = th.getAttribute('aria-sort') === 'ascending' ? -1 : 1;
              Array.prototype.forEach.call(heads, function (h) { h.removeAttribute('aria-sort'); });
              th.setAttribute('aria-sort', dir === 1 ? 'ascending' : 'descending');
              var body = table.tBodies[0];
              var rows = Array.prototype.slice.call(body.rows);
              rows.sort(function (a, b) {
                var x = key(a, i, numeric), y = key(b, i, numeric);
                return x < y ? -dir : x > y ? dir : 0;
              });
              rows.forEach(function (r) { body.appendChild(r); });
            }
            th.addEventListener('click', sort);
            th.addEventListener('keydown', function (e) {
              if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); sort(); }
            });
          });
        });
        Array.prototype.forEach.call(document.querySelectorAll('svg[data-chart]'), function (svg) {
          var box = svg.getBoundingClientRect();
          svg.setAttribute('data-rendered', box.width > 0 && box.height > 0 ? 'true' : 'false');
        });
        document.documentElement.setAttribute('data-report-ready', 'true');
      })();
      """;
}
