package dev.lakepipe.ingest;

import java.io.ByteArrayOutputStream;
import java.nio.charset.Charset;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Decodes RFC 2047 encoded words in header values ({@code =?utf-8?B?5Lit5paH?=}, {@code =?iso-8859-1?Q?caf=E9?=}),
 * so subjects and senders in Chinese or accented Latin arrive as text. An encoded word it cannot decode
 * (unknown charset, bad base64) is left exactly as written.
 */
final class EncodedWords {

  private static final Pattern WORD = Pattern.compile("=\\?([^?]+)\\?([BbQq])\\?([^?]*)\\?=");
  private static final Pattern BETWEEN_WORDS = Pattern.compile("(\\?=)\\s+(=\\?)");

  private EncodedWords() {}

  static String decode(String value) {
    if (value == null || !value.contains("=?")) {
      return value;
    }
    // White space between adjacent encoded words is not part of the text (RFC 2047 section 6.2).
    String joined = BETWEEN_WORDS.matcher(value).replaceAll("$1$2");
    Matcher m = WORD.matcher(joined);
    StringBuilder sb = new StringBuilder();
    while (m.find()) {
      String decoded;
      try {
        Charset cs = Charset.forName(m.group(1).replaceFirst("\\*.*$", ""));
        byte[] bytes = m.group(2).equalsIgnoreCase("B")
            ? Base64.getMimeDecoder().decode(m.group(3))
            : quotedPrintable(m.group(3));
        decoded = new String(bytes, cs);
      } catch (RuntimeException e) {
        decoded = m.group();
      }
      m.appendReplacement(sb, Matcher.quoteReplacement(decoded));
    }
    m.appendTail(sb);
    return sb.toString();
  }

  private static byte[] quotedPrintable(String s) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '_') {
        out.write(' ');
      } else if (c == '=' && i + 2 < s.length()) {
        out.write(Integer.parseInt(s.substring(i + 1, i + 3), 16));
        i += 2;
      } else {
        out.write(c);
      }
    }
    return out.toByteArray();
  }
}
