package dev.lakepipe.evaluate.report;

import static dev.lakepipe.core.LakepipeErrors.checkArgument;
import static dev.lakepipe.evaluate.report.Html.coord;
import static dev.lakepipe.evaluate.report.Html.escape;

import dev.lakepipe.evaluate.report.ReportData.Point;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A small builder for one inline SVG chart: a plot area inside margins, linear x and y scales with "nice"
 * ticks (steps of 1, 2 or 5 × 10ⁿ), axes with grid lines, and primitives placed either in data coordinates
 * (polylines, points, segments, data rectangles) or in pixels (rectangles and text, for heat maps).
 *
 * <p>The output is plain SVG markup meant to be inlined in HTML: no {@code xmlns} (HTML parsers don't need
 * it, and the report must not reference any URL), an accessible {@code <title>}, and a {@code data-chart}
 * attribute naming the chart. Every text is escaped; non-finite points are dropped.
 */
public final class SvgChart {

  /** Series colours, colour-blind friendly (Okabe-Ito, darkened for contrast on white). */
  public static final List<String> PALETTE = List.of(
      "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#7a5c00", "#333333");

  /** Plot margins in pixels. */
  public record Margins(int top, int right, int bottom, int left) {}

  /** Where a text is anchored. */
  public enum Anchor {
    START, MIDDLE, END;

    String svg() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** Stroke style of a line. */
  public enum Stroke { SOLID, DASHED, DOTTED }

  /** A legend row: a coloured line sample and a label. */
  public record LegendEntry(String label, String colour, Stroke stroke) {}

  /** Maps a data interval onto a pixel interval; ticks are "nice" values inside the domain. */
  public record LinearScale(double domainMin, double domainMax, double rangeMin, double rangeMax) {

    public LinearScale {
      checkArgument(Double.isFinite(domainMin) && Double.isFinite(domainMax) && domainMax > domainMin,
          "Cannot build a scale: the domain must be a finite, non-empty interval, got [%s, %s]", domainMin,
          domainMax);
    }

    /**
     * A scale whose domain covers {@code [min, max]}, widened to the nearest ticks when {@code extent} is
     * {@link Extent#NICE}; an empty interval is widened around its value.
     */
    public static LinearScale covering(double min, double max, double rangeMin, double rangeMax, int tickCount,
        Extent extent) {
      if (!(max > min)) {
        double pad = min == 0 ? 1 : Math.abs(min) * 0.1;
        min -= pad;
        max += pad;
      }
      if (extent == Extent.NICE) {
        // Widening can change the step ticks() will pick; repeat until it is stable (d3's nice() does the same).
        double step = niceStep(max - min, tickCount);
        for (int i = 0; i < 5; i++) {
          min = Math.floor(min / step + 1e-9) * step;
          max = Math.ceil(max / step - 1e-9) * step;
          double next = niceStep(max - min, tickCount);
          if (next == step) {
            break;
          }
          step = next;
        }
      }
      return new LinearScale(min, max, rangeMin, rangeMax);
    }

    public double apply(double v) {
      return rangeMin + (v - domainMin) / (domainMax - domainMin) * (rangeMax - rangeMin);
    }

    /** About {@code count} tick values inside the domain, on a 1-2-5 step of at least {@code minStep}. */
    public List<Double> ticks(int count, double minStep) {
      double step = Math.max(niceStep(domainMax - domainMin, count), minStep);
      List<Double> out = new ArrayList<>();
      long first = (long) Math.ceil(domainMin / step - 1e-9);
      long last = (long) Math.floor(domainMax / step + 1e-9);
      for (long i = first; i <= last; i++) {
        double v = i * step;
        out.add(v == 0 ? 0.0 : v); // no "-0"
      }
      return out;
    }

    /** Tick label text with as many decimals as the step needs. */
    public String tickLabel(double v, int count, double minStep) {
      double step = Math.max(niceStep(domainMax - domainMin, count), minStep);
      int decimals = (int) Math.max(0, Math.min(6, -Math.floor(Math.log10(step) + 1e-9)));
      return String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    static double niceStep(double span, int count) {
      double raw = span / Math.max(1, count);
      double magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
      double f = raw / magnitude;
      // Round to the nearest of 1, 2, 5, 10 on a log scale (thresholds √2, √10, √50), robust to 1.9999….
      double nice = f >= 7.071 ? 10 : f >= 3.162 ? 5 : f >= 1.414 ? 2 : 1;
      return nice * magnitude;
    }
  }

  /** Whether a scale's domain is widened to whole ticks. */
  public enum Extent { EXACT, NICE }

  private static final int X_TICKS = 6;
  private static final int Y_TICKS = 5;

  private final String kind;
  private final String title;
  private final int width;
  private final int height;
  private final Margins margins;
  private final StringBuilder body = new StringBuilder();
  private LinearScale x;
  private LinearScale y;
  private boolean axisLines;
  private double xMinStep;

  /**
   * @param kind  the {@code data-chart} value, e.g. "roc"
   * @param title accessible title, also shown as a tooltip
   */
  public SvgChart(String kind, String title, int width, int height, Margins margins) {
    this.kind = kind;
    this.title = title;
    this.width = width;
    this.height = height;
    this.margins = margins;
  }

  public int width() {
    return width;
  }

  public int height() {
    return height;
  }

  public Margins margins() {
    return margins;
  }

  public double plotLeft() {
    return margins.left();
  }

  public double plotRight() {
    return width - margins.right();
  }

  public double plotTop() {
    return margins.top();
  }

  public double plotBottom() {
    return height - margins.bottom();
  }

  /** Sets the x scale to cover {@code [min, max]}; ticks are at least {@code minStep} apart (1 for epochs). */
  public SvgChart xDomain(double min, double max, Extent extent, double minStep) {
    this.x = LinearScale.covering(min, max, plotLeft(), plotRight(), X_TICKS, extent);
    this.xMinStep = minStep;
    return this;
  }

  public SvgChart yDomain(double min, double max, Extent extent) {
    this.y = LinearScale.covering(min, max, plotBottom(), plotTop(), Y_TICKS, extent);
    return this;
  }

  public LinearScale x() {
    return x;
  }

  public LinearScale y() {
    return y;
  }

  /** Grid lines, tick marks and labels on the left and bottom, the two axis titles, and (at render) axis lines. */
  public SvgChart axes(String xLabel, String yLabel) {
    checkArgument(x != null && y != null, "Cannot draw axes of chart '%s': set both domains first", kind);
    body.append("<g class=\"axes\">");
    for (double t : y.ticks(Y_TICKS, 0)) {
      String py = coord(y.apply(t));
      body.append("<line class=\"grid\" x1=\"").append(coord(plotLeft())).append("\" x2=\"")
          .append(coord(plotRight())).append("\" y1=\"").append(py).append("\" y2=\"").append(py).append("\"/>");
      body.append("<text class=\"tick\" x=\"").append(coord(plotLeft() - 6)).append("\" y=\"").append(py)
          .append("\" text-anchor=\"end\" dominant-baseline=\"middle\">").append(y.tickLabel(t, Y_TICKS, 0))
          .append("</text>");
    }
    for (double t : x.ticks(X_TICKS, xMinStep)) {
      String px = coord(x.apply(t));
      body.append("<line class=\"tickmark\" x1=\"").append(px).append("\" x2=\"").append(px).append("\" y1=\"")
          .append(coord(plotBottom())).append("\" y2=\"").append(coord(plotBottom() + 4)).append("\"/>");
      body.append("<text class=\"tick\" x=\"").append(px).append("\" y=\"").append(coord(plotBottom() + 16))
          .append("\" text-anchor=\"middle\">").append(x.tickLabel(t, X_TICKS, xMinStep)).append("</text>");
    }
    axisLines = true;
    text((plotLeft() + plotRight()) / 2, height - 6, xLabel, Anchor.MIDDLE, 12, "axis-title");
    double cy = (plotTop() + plotBottom()) / 2;
    body.append("<text class=\"axis-title\" font-size=\"12\" text-anchor=\"middle\" transform=\"translate(14 ")
        .append(coord(cy)).append(") rotate(-90)\">").append(escape(yLabel)).append("</text>");
    body.append("</g>");
    return this;
  }

  /**
   * A line through the finite points, in data coordinates, with a hover title. Returns the number of points
   * drawn.
   */
  public int polyline(List<Point> points, String colour, Stroke stroke, double strokeWidth, String hover) {
    StringBuilder pts = new StringBuilder();
    int n = 0;
    for (Point p : points) {
      if (Double.isFinite(p.x()) && Double.isFinite(p.y())) {
        if (n++ > 0) {
          pts.append(' ');
        }
        pts.append(coord(x.apply(p.x()))).append(',').append(coord(y.apply(p.y())));
      }
    }
    if (n == 0) {
      return 0;
    }
    body.append("<polyline class=\"series\" fill=\"none\" stroke=\"").append(escape(colour))
        .append("\" stroke-width=\"").append(coord(strokeWidth)).append('"').append(dash(stroke))
        .append(" stroke-linejoin=\"round\" points=\"").append(pts).append("\">");
    title(hover);
    body.append("</polyline>");
    return n;
  }

  /** A straight segment in data coordinates (diagonals, baselines, markers). */
  public SvgChart segment(double x1, double y1, double x2, double y2, String colour, Stroke stroke, String hover) {
    body.append("<line class=\"reference\" x1=\"").append(coord(x.apply(x1))).append("\" y1=\"")
        .append(coord(y.apply(y1))).append("\" x2=\"").append(coord(x.apply(x2))).append("\" y2=\"")
        .append(coord(y.apply(y2))).append("\" stroke=\"").append(escape(colour)).append('"').append(dash(stroke))
        .append('>');
    title(hover);
    body.append("</line>");
    return this;
  }

  /** A dot in data coordinates; skipped when not finite. */
  public SvgChart point(double dx, double dy, double radius, String colour, String hover) {
    if (!Double.isFinite(dx) || !Double.isFinite(dy)) {
      return this;
    }
    body.append("<circle class=\"point\" cx=\"").append(coord(x.apply(dx))).append("\" cy=\"")
        .append(coord(y.apply(dy))).append("\" r=\"").append(coord(radius)).append("\" fill=\"")
        .append(escape(colour)).append("\">");
    title(hover);
    body.append("</circle>");
    return this;
  }

  /**
   * A bar spanning {@code [x0, x1] × [y0, y1]} in data coordinates, inset by half a pixel on the left and right
   * so that neighbouring bars show a thin gap without a stroke covering the axis.
   */
  public SvgChart dataRect(double x0, double y0, double x1, double y1, String fill, String cssClass, String hover) {
    double px0 = x.apply(Math.min(x0, x1)) + 0.5;
    double px1 = x.apply(Math.max(x0, x1)) - 0.5;
    double py0 = y.apply(Math.max(y0, y1));
    double py1 = y.apply(Math.min(y0, y1));
    return rect(px0, py0, px1 - px0, py1 - py0, fill, cssClass, hover);
  }

  /** A rectangle in pixels. */
  public SvgChart rect(double px, double py, double w, double h, String fill, String cssClass, String hover) {
    body.append("<rect class=\"").append(escape(cssClass)).append("\" x=\"").append(coord(px)).append("\" y=\"")
        .append(coord(py)).append("\" width=\"").append(coord(Math.max(0, w))).append("\" height=\"")
        .append(coord(Math.max(0, h))).append("\" fill=\"").append(escape(fill)).append("\">");
    title(hover);
    body.append("</rect>");
    return this;
  }

  /** Text in pixels. */
  public SvgChart text(double px, double py, String text, Anchor anchor, double fontSize, String cssClass) {
    body.append("<text class=\"").append(escape(cssClass)).append("\" x=\"").append(coord(px)).append("\" y=\"")
        .append(coord(py)).append("\" font-size=\"").append(coord(fontSize)).append("\" text-anchor=\"")
        .append(anchor.svg()).append("\">").append(escape(text)).append("</text>");
    return this;
  }

  /** Text in pixels rotated by {@code degrees} around its anchor point, with a hover title. */
  public SvgChart rotatedText(double px, double py, double degrees, String text, String hover, Anchor anchor,
      double fontSize, String cssClass) {
    body.append("<text class=\"").append(escape(cssClass)).append("\" font-size=\"").append(coord(fontSize))
        .append("\" text-anchor=\"").append(anchor.svg()).append("\" transform=\"translate(").append(coord(px))
        .append(' ').append(coord(py)).append(')');
    if (degrees != 0) {
      body.append(" rotate(").append(coord(degrees)).append(')');
    }
    body.append("\" dominant-baseline=\"middle\">");
    title(hover);
    body.append(escape(text)).append("</text>");
    return this;
  }

  /**
   * A boxed legend with one row per entry, placed inside the plot area at the given corner. At most
   * {@code maxRows} rows; the rest are summarised as "+ n more".
   */
  public SvgChart legend(List<LegendEntry> entries, Corner corner, int maxRows) {
    if (entries.isEmpty()) {
      return this;
    }
    int shown = entries.size() > maxRows ? maxRows - 1 : entries.size();
    int rows = shown + (shown < entries.size() ? 1 : 0);
    double rowHeight = 16;
    int longest = 0;
    for (int i = 0; i < shown; i++) {
      longest = Math.max(longest, entries.get(i).label().length());
    }
    double boxW = Math.min(plotRight() - plotLeft() - 8, 34 + longest * 6.4);
    double boxH = rows * rowHeight + 8;
    boolean left = corner == Corner.TOP_LEFT || corner == Corner.BOTTOM_LEFT;
    boolean top = corner == Corner.TOP_LEFT || corner == Corner.TOP_RIGHT;
    double bx = left ? plotLeft() + 8 : plotRight() - boxW - 8;
    double by = top ? plotTop() + 8 : plotBottom() - boxH - 8;
    body.append("<g class=\"legend\">");
    rect(bx, by, boxW, boxH, "#ffffff", "legend-box", null);
    int maxChars = (int) Math.max(8, (boxW - 34) / 6.4);
    for (int i = 0; i < shown; i++) {
      LegendEntry e = entries.get(i);
      double ry = by + 4 + rowHeight * i + rowHeight / 2;
      body.append("<line x1=\"").append(coord(bx + 6)).append("\" x2=\"").append(coord(bx + 26))
          .append("\" y1=\"").append(coord(ry)).append("\" y2=\"").append(coord(ry)).append("\" stroke=\"")
          .append(escape(e.colour())).append("\" stroke-width=\"2.5\"").append(dash(e.stroke())).append("/>");
      String label = e.label().length() > maxChars ? e.label().substring(0, maxChars - 1) + "…" : e.label();
      body.append("<text class=\"legend-label\" x=\"").append(coord(bx + 30)).append("\" y=\"").append(coord(ry))
          .append("\" font-size=\"11\" dominant-baseline=\"middle\">");
      title(e.label());
      body.append(escape(label)).append("</text>");
    }
    if (shown < entries.size()) {
      double ry = by + 4 + rowHeight * shown + rowHeight / 2;
      text(bx + 30, ry + 4, "+ " + (entries.size() - shown) + " more (hover the lines)", Anchor.START, 11,
          "legend-label");
    }
    body.append("</g>");
    return this;
  }

  /** Legend placement. */
  public enum Corner { TOP_LEFT, TOP_RIGHT, BOTTOM_LEFT, BOTTOM_RIGHT }

  /** The finished {@code <svg>} element; axis lines go last so that bars never cover them. */
  public String render() {
    if (axisLines) {
      axisLines = false;
      body.append("<line class=\"axis\" x1=\"").append(coord(plotLeft())).append("\" x2=\"")
          .append(coord(plotRight())).append("\" y1=\"").append(coord(plotBottom())).append("\" y2=\"")
          .append(coord(plotBottom())).append("\"/>");
      body.append("<line class=\"axis\" x1=\"").append(coord(plotLeft())).append("\" x2=\"")
          .append(coord(plotLeft())).append("\" y1=\"").append(coord(plotTop())).append("\" y2=\"")
          .append(coord(plotBottom())).append("\"/>");
    }
    String id = "chart-" + kind.replaceAll("[^A-Za-z0-9_-]", "-");
    return "<svg class=\"chart\" data-chart=\"" + escape(kind) + "\" role=\"img\" aria-labelledby=\"" + id
        + "-title\" viewBox=\"0 0 " + width + ' ' + height + "\" width=\"" + width + "\" height=\"" + height
        + "\" preserveAspectRatio=\"xMidYMid meet\"><title id=\"" + id + "-title\">" + escape(title) + "</title>"
        + body + "</svg>";
  }

  private void title(String hover) {
    if (hover != null && !hover.isEmpty()) {
      body.append("<title>").append(escape(hover)).append("</title>");
    }
  }

  private static String dash(Stroke stroke) {
    return switch (stroke) {
      case SOLID -> "";
      case DASHED -> " stroke-dasharray=\"6 4\"";
      case DOTTED -> " stroke-dasharray=\"2 3\"";
    };
  }
}
