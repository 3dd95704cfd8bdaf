package dev.lakepipe.evaluate.report;

import java.util.Locale;

/** Escaping and number formatting shared by {@link HtmlReport} and {@link SvgChart}. */
final class Html {

  private Html() {}

  /** Escapes text for HTML/SVG element content and double- or single-quoted attributes; null becomes "". */
  static String escape(String s) {
    if (s == null) {
      return "";
    }
    StringBuilder sb = new StringBuilder(s.length() + 16);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '&' -> sb.append("&amp;");
        case '<' -> sb.append("&lt;");
        case '>' -> sb.append("&gt;");
        case '"' -> sb.append("&quot;");
        case '\'' -> sb.append("&#39;");
        default -> {
          // Control characters other than tab/newline are invalid in HTML; show them as U+FFFD.
          if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
            sb.append('\uFFFD');
          } else {
            sb.append(c);
          }
        }
      }
    }
    return sb.toString();
  }

  /** A metric value: 3 decimals below 10, fewer above, "n/a" for NaN and infinities. */
  static String metric(double v) {
    if (!Double.isFinite(v)) {
      return "n/a";
    }
    double a = Math.abs(v);
    if (a != 0 && a < 0.001) {
      return String.format(Locale.ROOT, "%.2e", v);
    }
    if (a >= 1000) {
      return String.format(Locale.ROOT, "%,.0f", v);
    }
    return String.format(Locale.ROOT, a >= 10 ? "%.2f" : "%.3f", v);
  }

  /** A loss or learning rate: 4 significant digits. */
  static String significant(double v) {
    if (!Double.isFinite(v)) {
      return "n/a";
    }
    double a = Math.abs(v);
    if (a != 0 && (a < 0.001 || a >= 1e6)) {
      return String.format(Locale.ROOT, "%.3e", v);
    }
    return stripZeros(String.format(Locale.ROOT, "%.4g", v));
  }

  /** A count with thousands separators. */
  static String count(long n) {
    return String.format(Locale.ROOT, "%,d", n);
  }

  /** A count in at most 4 characters, for small cells: 950, 1.2k, 34k, 1.2M. */
  static String compactCount(long n) {
    if (n < 1000) {
      return Long.toString(n);
    }
    String[] units = {"k", "M", "G", "T"};
    double v = n;
    int u = -1;
    while (v >= 999.5 && u < units.length - 1) {
      v /= 1000;
      u++;
    }
    return (v < 9.95 ? String.format(Locale.ROOT, "%.1f", v) : String.format(Locale.ROOT, "%.0f", v)) + units[u];
  }

  /** A percentage with one decimal; "n/a" for NaN. */
  static String percent(double fraction) {
    return Double.isFinite(fraction) ? String.format(Locale.ROOT, "%.1f%%", fraction * 100) : "n/a";
  }

  /** A coordinate for SVG attributes: at most 2 decimals, no trailing zeros. */
  static String coord(double v) {
    if (v == Math.rint(v) && Math.abs(v) < 1e9) {
      return Long.toString((long) v);
    }
    return stripZeros(String.format(Locale.ROOT, "%.2f", v));
  }

  private static String stripZeros(String s) {
    if (s.indexOf('.') < 0 || s.indexOf('e') >= 0) {
      return s;
    }
    int end = s.length();
    while (s.charAt(end - 1) == '0') {
      end--;
    }
    if (s.charAt(end - 1) == '.') {
      end--;
    }
    String out = s.substring(0, end);
    return out.equals("-0") ? "0" : out;
  }
}
