package dev.lakepipe.evaluate.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lakepipe.evaluate.report.ReportData.EpochRow;
import dev.lakepipe.evaluate.report.ReportData.GateVerdict;
import dev.lakepipe.evaluate.report.ReportData.Header;
import dev.lakepipe.evaluate.report.ReportData.HeadlineMetric;
import dev.lakepipe.evaluate.report.ReportData.SliceRow;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportHtmlTest {

  static final List<String> CHARTS = List.of("training-loss", "validation-metric", "confusion", "roc", "pr",
      "calibration", "confidence-histogram");

  private static final String XSS = "<script>alert('x')</script>";

  @Test
  void everySectionAndChartIsPresentWithATitle() {
    String html = HtmlReport.render(ReportSamples.realistic("web form"));

    assertThat(HtmlReport.SECTION_IDS).containsExactly("summary", "training-curves", "confusion", "roc", "pr",
        "calibration", "slices", "drift");
    for (String id : HtmlReport.SECTION_IDS) {
      assertThat(html).contains("<section id=\"" + id + "\">");
    }
    for (String chart : CHARTS) {
      assertThat(svg(html, chart)).as(chart).contains("<title id=\"chart-" + chart + "-title\">");
    }
    assertThat(count(html, "<svg ")).isEqualTo(CHARTS.size());
    assertThat(html).doesNotContain("No data");
  }

  @Test
  void summaryShowsMetricsBaselineAndVerdict() {
    String html = section(HtmlReport.render(ReportSamples.realistic("web form")), "summary");

    assertThat(html).contains("<div class=\"value\">0.872</div>", "CI 0.856 – 0.887", "baseline 0.349",
        "(+0.523)", "✔ Blessed", "compared with blessed model v6", "<li>accuracy beats the majority-class "
            + "baseline by 0.523</li>", "always predicting the majority class “billing”");
    assertThat(html).contains("class=\"verdict ok\"");
  }

  @Test
  void rejectedVerdictIsRedWithItsReasons() {
    ReportData base = ReportSamples.realistic("web form");
    ReportData data = new ReportData(base.header(), base.metrics(), null,
        GateVerdict.rejected(List.of("macro F1 0.80 < blessed v6 0.84"), null), base.training(),
        base.classLabels(), base.confusion(), base.roc(), base.pr(), base.calibration(), base.ece(), base.slices(),
        base.drift());

    String html = section(HtmlReport.render(data), "summary");

    assertThat(html).contains("class=\"verdict bad\"", "✘ Not blessed", "no model was blessed before",
        "<li>macro F1 0.80 &lt; blessed v6 0.84</li>");
    assertThat(html).doesNotContain("baseline");
  }

  @Test
  void userStringsAreEscapedEverywhere() {
    List<String> labels = List.of("ham", XSS, "spam & eggs");
    long[][] m = {{5, 1, 0}, {2, 7, 1}, {0, 0, 9}};
    ReportData base = ReportSamples.realistic(labels, m, XSS);
    ReportData data = new ReportData(
        new Header(XSS, "run\"1", "v<1>", Instant.EPOCH, "1", "f", "local[2]", 1),
        List.of(HeadlineMetric.of(XSS, 0.5)), base.baseline(), GateVerdict.rejected(List.of(XSS), XSS),
        base.training(), labels, m, base.roc(), base.pr(), base.calibration(), base.ece(),
        List.of(new SliceRow(XSS, XSS, 3, true, Map.of(XSS, 0.1))), base.drift());

    String html = HtmlReport.render(data);

    // Our own script is the only one; the hostile label shows as text.
    assertThat(count(html, "<script")).isEqualTo(1);
    assertThat(html).doesNotContain("alert('x')");
    assertThat(html).contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
    assertThat(svg(html, "confusion")).contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;",
        "spam &amp; eggs");
    assertThat(html).contains("run&quot;1", "v&lt;1&gt;");
  }

  @Test
  void confusionHasOneCellPerClassPair() {
    for (int k : new int[] {1, 4, 50}) {
      ReportData data = k == 4 ? ReportSamples.realistic("web form")
          : k == 1 ? ReportSamples.realistic(List.of("only"), new long[][] {{17}}, "x")
          : ReportSamples.manyClasses(k);

      String chart = svg(HtmlReport.render(data), "confusion");

      assertThat(count(chart, "<rect class=\"cell")).as("k=%s", k).isEqualTo(k * k);
      assertThat(count(chart, "<rect class=\"cell diag\"")).isEqualTo(k);
    }
  }

  @Test
  void confusionCellsShowCountsAndRowShares() {
    String chart = svg(HtmlReport.render(ReportSamples.realistic("web form")), "confusion");

    // Row "bug report": 22 + 377 + 31 + 4 = 434.
    assertThat(chart).contains("<title>actual bug report → predicted feature request: 31 (7.1% of actual bug "
        + "report)</title>", ">377</text>", ">n=434</text>");
  }

  @Test
  void manyClassesUseSmallerFontAndCompactCounts() {
    String chart = svg(HtmlReport.render(ReportSamples.manyClasses(50)), "confusion");

    assertThat(chart).contains("font-size=\"8\"").doesNotContain("font-size=\"12\" text-anchor=\"end\"");
    assertThat(chart).containsPattern(">\\d\\.\\dk</text>");
  }

  @Test
  void polylinesHaveAsManyPointsAsGiven() {
    ReportData data = ReportSamples.realistic("web form");
    String html = HtmlReport.render(data);

    assertThat(pointCounts(svg(html, "roc"))).hasSize(data.roc().size())
        .allMatch(n -> n == ReportSamples.CURVE_POINTS);
    assertThat(pointCounts(svg(html, "pr"))).hasSize(data.pr().size())
        .allMatch(n -> n == ReportSamples.CURVE_POINTS);
    assertThat(pointCounts(svg(html, "training-loss"))).containsExactly(24, 24);
    assertThat(pointCounts(svg(html, "validation-metric"))).containsExactly(24);
    // Bin 0 is empty (count 0), so 9 of the 10 bins are drawn.
    assertThat(pointCounts(svg(html, "calibration"))).containsExactly(9);
  }

  @Test
  void curvesCarryAucInTheLegendAndReferenceLines() {
    String html = HtmlReport.render(ReportSamples.realistic("web form"));

    assertThat(svg(html, "roc")).contains("billing vs rest (AUC 0.800)", "random (AUC 0.5)",
        "stroke-dasharray=\"6 4\"");
    assertThat(svg(html, "pr")).contains("billing vs rest (AUC", "random classifier for billing vs rest: "
        + "precision 0.120");
    assertThat(section(html, "calibration")).contains("<h2>Calibration · ECE 0.034</h2>")
        .contains("<title id=\"chart-calibration-title\">Reliability diagram, ECE 0.034</title>");
    assertThat(svg(html, "training-loss")).contains("best: epoch 17");
  }

  @Test
  void flaggedSlicesAndDriftedFeaturesAreMarked() {
    String html = HtmlReport.render(ReportSamples.realistic("web form"));

    assertThat(count(section(html, "slices"), "<tr class=\"flagged\">")).isEqualTo(2);
    assertThat(count(section(html, "drift"), "<tr class=\"drifted\">")).isEqualTo(2);
    assertThat(section(html, "drift")).contains("2 of 6 features drifted (highlighted): num_links, channel",
        "&lt; 0.001");
  }

  @Test
  void noNetworkReferencesAnywhere() {
    for (ReportData data : List.of(ReportSamples.realistic("web form"), ReportSamples.manyClasses(50),
        ReportSamples.empty())) {
      String html = HtmlReport.render(data).toLowerCase();

      assertThat(html).doesNotContain("http://", "https://", "src=", "@import", "url(");
      assertThat(html).contains("content-security-policy\" content=\"default-src 'none'");
    }
  }

  @Test
  void emptyInputsSayNoDataInEverySection() {
    String html = HtmlReport.render(ReportSamples.empty());

    for (String id : HtmlReport.SECTION_IDS) {
      String s = section(html, id);
      if (id.equals("summary")) {
        assertThat(s).contains("Not gated", "No data. No headline metrics");
      } else {
        assertThat(s).as(id).contains("<p class=\"empty\">No data.");
      }
    }
    assertThat(html).doesNotContain("<svg");
  }

  @Test
  void nanValuesShowAsNotAvailableAndAreNotPlotted() {
    ReportData base = ReportSamples.realistic("web form");
    List<EpochRow> history = new ArrayList<>(base.training());
    EpochRow third = history.get(2);
    history.set(2, new EpochRow(3, third.learningRate(), Double.NaN, third.validationLoss(), "accuracy",
        Double.NaN, false));
    ReportData data = new ReportData(base.header(), List.of(HeadlineMetric.of("accuracy", Double.NaN)),
        base.baseline(), base.gate(), history, base.classLabels(), base.confusion(), base.roc(), base.pr(),
        base.calibration(), Double.NaN, base.slices(), base.drift());

    String html = HtmlReport.render(data);

    assertThat(section(html, "summary")).contains("<div class=\"value\">n/a</div>", "baseline 0.349</div>");
    assertThat(pointCounts(svg(html, "training-loss"))).containsExactly(23, 24);
    assertThat(pointCounts(svg(html, "validation-metric"))).containsExactly(23);
    assertThat(section(html, "calibration")).contains("ECE n/a");
    assertThat(html.replaceAll("(?s)<script>.*</script>", "")).doesNotContain("NaN");
  }

  @Test
  void allNanSeriesSayNoDataInsteadOfAChart() {
    List<EpochRow> history = List.of(new EpochRow(1, 0.1, Double.NaN, Double.NaN, "accuracy", Double.NaN, false));
    ReportData data = new ReportData(ReportSamples.header(), null, null, null, history, null, null, null, null,
        null, Double.NaN, null, null);

    String html = section(HtmlReport.render(data), "training-curves");

    assertThat(html).contains("No data. Every loss value is missing", "No data. Every validation accuracy value")
        .doesNotContain("<svg");
  }

  @Test
  void confusionMustMatchTheLabels() {
    assertThatThrownBy(() -> new ReportData(ReportSamples.header(), null, null, null, null, List.of("a", "b"),
        new long[][] {{1, 2}, {3}}, null, null, null, Double.NaN, null, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Cannot build the report: confusion matrix row 1 (b) has 1 columns, expected 2");
    assertThatThrownBy(() -> new ReportData(ReportSamples.header(), null, null, null, null, List.of("a", "b"),
        new long[][] {{1, 2}, {3, 4}, {5, 6}}, null, null, null, Double.NaN, null, null))
        .hasMessage("Cannot build the report: the confusion matrix has 3 rows but there are 2 class labels");
  }

  @Test
  void renderingIsDeterministic() {
    assertThat(HtmlReport.render(ReportSamples.realistic("a")))
        .isEqualTo(HtmlReport.render(ReportSamples.realistic("a")));
  }

  @Test
  void writeReplacesTheFileAtomicallyAndLeavesNoTemporaryFile(@TempDir Path dir) throws Exception {
    Path target = dir.resolve("reports").resolve("report.html");
    Files.createDirectories(target.getParent());
    Files.writeString(target, "old");
    ReportData data = ReportSamples.realistic("web form");

    HtmlReport.write(data, target);

    assertThat(Files.readString(target, StandardCharsets.UTF_8)).isEqualTo(HtmlReport.render(data));
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(target))).isEqualTo("rw-r--r--");
    try (Stream<Path> files = Files.list(target.getParent())) {
      assertThat(files).containsExactly(target);
    }
  }

  // ---- helpers ----

  static String svg(String html, String chart) {
    Matcher m = Pattern.compile("<svg [^>]*data-chart=\"" + Pattern.quote(chart) + "\".*?</svg>", Pattern.DOTALL)
        .matcher(html);
    assertThat(m.find()).as("chart %s present", chart).isTrue();
    return m.group();
  }

  static String section(String html, String id) {
    Matcher m = Pattern.compile("<section id=\"" + Pattern.quote(id) + "\">.*?</section>", Pattern.DOTALL)
        .matcher(html);
    assertThat(m.find()).as("section %s present", id).isTrue();
    return m.group();
  }

  static List<Integer> pointCounts(String svg) {
    List<Integer> out = new ArrayList<>();
    Matcher m = Pattern.compile("<polyline [^>]*points=\"([^\"]*)\"").matcher(svg);
    while (m.find()) {
      out.add(m.group(1).trim().split("\\s+").length);
    }
    return out;
  }

  static int count(String s, String needle) {
    int n = 0;
    for (int i = s.indexOf(needle); i >= 0; i = s.indexOf(needle, i + needle.length())) {
      n++;
    }
    return n;
  }
}
