package dev.lakepipe.evaluate.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import dev.lakepipe.evaluate.report.ReportData.Point;
import dev.lakepipe.evaluate.report.SvgChart.Anchor;
import dev.lakepipe.evaluate.report.SvgChart.Extent;
import dev.lakepipe.evaluate.report.SvgChart.LinearScale;
import dev.lakepipe.evaluate.report.SvgChart.Margins;
import dev.lakepipe.evaluate.report.SvgChart.Stroke;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReportSvgChartTest {

  @Test
  void ticksAreNiceStepsInsideTheDomain() {
    LinearScale unit = new LinearScale(0, 1, 0, 100);
    assertThat(unit.ticks(5, 0)).containsExactly(0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0);
    assertThat(unit.tickLabel(0.6000000000000001, 5, 0)).isEqualTo("0.6");

    LinearScale epochs = new LinearScale(1, 24, 0, 100);
    assertThat(epochs.ticks(6, 1)).containsExactly(5.0, 10.0, 15.0, 20.0);
    assertThat(epochs.tickLabel(5, 6, 1)).isEqualTo("5");
    assertThat(new LinearScale(1, 3, 0, 100).ticks(6, 1)).containsExactly(1.0, 2.0, 3.0);
  }

  @Test
  void niceExtentWidensToWholeTicks() {
    // Span 1.11 over 5 ticks: raw step 0.222, nice step 0.2.
    LinearScale s = LinearScale.covering(0.27, 1.38, 300, 0, 5, Extent.NICE);
    assertThat(s.domainMin()).isEqualTo(0.2);
    assertThat(s.domainMax()).isCloseTo(1.4, offset(1e-12));
    assertThat(s.apply(0.8)).isCloseTo(150, offset(1e-9));
    assertThat(s.ticks(5, 0)).hasSize(7);

    // 0.2 / 0.1 is 1.9999999999999998 in binary; still a step of 2 × 0.1, not 5 × 0.1.
    assertThat(LinearScale.niceStep(1.0, 5)).isEqualTo(0.2);

    LinearScale flat = LinearScale.covering(5, 5, 0, 100, 5, Extent.EXACT);
    assertThat(flat.domainMin()).isEqualTo(4.5);
    assertThat(flat.domainMax()).isEqualTo(5.5);
  }

  @Test
  void polylineMapsDataToPixelsAndDropsNonFinitePoints() {
    SvgChart c = new SvgChart("t", "a <title>", 200, 120, new Margins(10, 10, 10, 10));
    c.xDomain(0, 1, Extent.EXACT, 0).yDomain(0, 1, Extent.EXACT);

    int drawn = c.polyline(List.of(new Point(0, 0), new Point(0.5, Double.NaN), new Point(1, 1)), "#000",
        Stroke.SOLID, 2, "s & t");
    String svg = c.render();

    assertThat(drawn).isEqualTo(2);
    assertThat(svg).contains("points=\"10,110 190,10\"", "<title>s &amp; t</title>",
        "<title id=\"chart-t-title\">a &lt;title&gt;</title>", "data-chart=\"t\"", "viewBox=\"0 0 200 120\"");
    assertThat(svg).doesNotContain("xmlns");
  }

  @Test
  void axesDrawTickLabelsAndTitles() {
    SvgChart c = new SvgChart("t", "t", 400, 300, new Margins(10, 10, 40, 50));
    c.xDomain(0, 1, Extent.EXACT, 0).yDomain(0, 1, Extent.EXACT).axes("recall", "precision");
    c.text(5, 5, "<b>", Anchor.START, 10, "x");

    String svg = c.render();

    assertThat(ReportHtmlTest.count(svg, "class=\"tick\"")).isEqualTo(12);
    assertThat(svg).contains(">0.4</text>", ">recall</text>", ">precision</text>", ">&lt;b&gt;</text>");
  }

  @Test
  void numbersAreFormattedForReaders() {
    assertThat(Html.metric(0.87194)).isEqualTo("0.872");
    assertThat(Html.metric(Double.NaN)).isEqualTo("n/a");
    assertThat(Html.metric(12.345)).isEqualTo("12.35");
    assertThat(Html.significant(0.00034)).isEqualTo("3.400e-04");
    assertThat(Html.significant(0.39210)).isEqualTo("0.3921");
    assertThat(Html.compactCount(950)).isEqualTo("950");
    assertThat(Html.compactCount(1234)).isEqualTo("1.2k");
    assertThat(Html.compactCount(34_567)).isEqualTo("35k");
    assertThat(Html.compactCount(999_999)).isEqualTo("1.0M");
    assertThat(Html.coord(-0.001)).isEqualTo("0");
    assertThat(Html.escape("a\u0001<")).isEqualTo("a\uFFFD&lt;");
  }
}
