package dev.lakepipe.evaluate.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Opens rendered reports in headless Chromium: no console message (errors, CSP violations, failed loads) and
 * every chart laid out with a non-empty box. Needs Debian's {@code chromium} at /usr/bin/chromium (or the path in
 * {@code -Dlakepipe.chromium}); {@code .ci/run} installs it. With {@code -Dlakepipe.report.preview-dir=DIR} the
 * rendered reports and their screenshots are also copied to DIR for a human to look at.
 *
 * <p>This Chromium logs every console call, whatever its level, to stderr as
 * {@code [...:INFO:CONSOLE:1] "message", source: file:///...}; a correct report logs nothing, so any
 * {@code CONSOLE} line fails the test. {@link #consoleCheckCatchesADeliberateError} shows the check can fail.
 */
class ReportBrowserTest {

  private static final Path CHROMIUM = Path.of(System.getProperty("lakepipe.chromium", "/usr/bin/chromium"));
  private static final long TIMEOUT_SECONDS = 120;

  @BeforeAll
  static void requireChromium() {
    if (!Files.isExecutable(CHROMIUM)) {
      fail("Cannot run the report browser test: %s is not installed. Install Debian's chromium "
          + "(apt-get install -y chromium) or point -Dlakepipe.chromium at a Chromium binary; .ci/run installs it "
          + "when run as root.", CHROMIUM);
    }
  }

  @Test
  void consoleCheckCatchesADeliberateError(@TempDir Path dir) throws Exception {
    Path page = dir.resolve("scratch.html");
    Files.writeString(page, "<!DOCTYPE html><html><body><p>scratch</p><script>console.error('deliberate-x');"
        + "</script></body></html>");

    Run run = chromium(dir, page, "--dump-dom");

    assertThat(run.consoleLines()).hasSize(1).first().asString().contains("\"deliberate-x\"");
  }

  @Test
  void consoleCheckCatchesABlockedNetworkLoad(@TempDir Path dir) throws Exception {
    // A report that referenced a URL would trip its own Content-Security-Policy, which logs to the console.
    String html = HtmlReport.render(ReportSamples.realistic("web form"))
        .replace("</main>", "</main><img alt=\"\" src=\"https://example.invalid/pixel.png\">");
    Path page = dir.resolve("leaky.html");
    Files.writeString(page, html);

    Run run = chromium(dir, page, "--dump-dom");

    assertThat(run.consoleLines()).anyMatch(l -> l.contains("Content Security Policy"));
  }

  @Test
  void realisticReportRendersEveryChartWithoutConsoleMessages(@TempDir Path dir) throws Exception {
    // The hostile slice value would log to the console if it were not escaped.
    Path report = dir.resolve("report.html");
    HtmlReport.write(ReportSamples.realistic("<script>console.error('injected')</script>"), report);

    assertRendersCleanly(dir, report, ReportHtmlTest.CHARTS);
    assertScreenshot(dir, report, "report");
  }

  @Test
  void fiftyClassReportRendersEveryChartWithoutConsoleMessages(@TempDir Path dir) throws Exception {
    Path report = dir.resolve("report-50-classes.html");
    HtmlReport.write(ReportSamples.manyClasses(50), report);

    assertRendersCleanly(dir, report, ReportHtmlTest.CHARTS);
    assertScreenshot(dir, report, "report-50-classes");
  }

  @Test
  void emptyReportOpensWithoutConsoleMessages(@TempDir Path dir) throws Exception {
    Path report = dir.resolve("report-empty.html");
    HtmlReport.write(ReportSamples.empty(), report);

    assertRendersCleanly(dir, report, List.of());
  }

  private static void assertRendersCleanly(Path dir, Path report, List<String> charts) throws Exception {
    Run run = chromium(dir, report, "--dump-dom");

    assertThat(run.consoleLines()).as("console messages of %s", report.getFileName()).isEmpty();
    assertThat(run.stdout()).as("the report's script ran to the end").contains("data-report-ready=\"true\"");
    for (String chart : charts) {
      assertThat(run.stdout()).as("chart %s laid out", chart)
          .containsPattern("<svg [^>]*data-chart=\"" + chart + "\"[^>]*data-rendered=\"true\"");
    }
    assertThat(ReportHtmlTest.count(run.stdout(), "data-rendered=\"true\"")).isEqualTo(charts.size());
    assertThat(run.stdout()).doesNotContain("data-rendered=\"false\"");
  }

  private static void assertScreenshot(Path dir, Path report, String name) throws Exception {
    Path png = dir.resolve(name + ".png");
    Run run = chromium(dir, report, "--screenshot=" + png, "--window-size=1280,2400", "--hide-scrollbars");

    assertThat(run.consoleLines()).isEmpty();
    assertThat(png).exists();
    byte[] bytes = Files.readAllBytes(png);
    assertThat(bytes.length).as("screenshot size").isGreaterThan(20_000);
    assertThat(new String(bytes, 1, 3, StandardCharsets.US_ASCII)).isEqualTo("PNG");

    String preview = System.getProperty("lakepipe.report.preview-dir");
    if (preview != null && !preview.isBlank()) {
      Path out = Files.createDirectories(Path.of(preview));
      Files.copy(report, out.resolve(report.getFileName()), StandardCopyOption.REPLACE_EXISTING);
      Files.copy(png, out.resolve(png.getFileName()), StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /** Chromium's stdout and its stderr lines that carry console messages. */
  record Run(String stdout, List<String> consoleLines) {}

  private static Run chromium(Path dir, Path page, String... mode) throws IOException, InterruptedException {
    Path profile = Files.createTempDirectory(dir, "chromium-profile");
    Path stdout = dir.resolve("chromium-" + System.nanoTime() + ".out");
    Path stderr = dir.resolve("chromium-" + System.nanoTime() + ".err");
    // No network, no profile reuse; --disable-dev-shm-usage because containers often have a tiny /dev/shm.
    List<String> cmd = new ArrayList<>(List.of(CHROMIUM.toString(), "--headless", "--no-sandbox",
        "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--user-data-dir=" + profile, "--enable-logging=stderr", "--v=0", "--virtual-time-budget=2000"));
    cmd.addAll(List.of(mode));
    cmd.add(page.toUri().toString());
    Process p = new ProcessBuilder(cmd).redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
    if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      fail("Chromium did not finish within %ss on %s; stderr:%n%s", TIMEOUT_SECONDS, page,
          Files.readString(stderr));
    }
    String err = Files.readString(stderr, StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as("chromium exit code; stderr:%n%s", err).isZero();
    List<String> console = err.lines().filter(l -> l.contains(":CONSOLE")).toList();
    return new Run(Files.readString(stdout, StandardCharsets.UTF_8), console);
  }
}
