package dev.lakepipe.clean;

import static org.apache.spark.sql.functions.udf;

import dev.lakepipe.clean.RowCleaningSettings.LetterCase;
import dev.lakepipe.clean.RowCleaningSettings.Markup;
import java.text.Normalizer;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.types.DataTypes;

/**
 * Canonical form of free text, in this order: optional HTML stripping (tags removed, block tags become line
 * breaks, common entities decoded), Unicode NFKC (full-width letters, ligatures, non-breaking spaces become
 * their plain forms), line breaks unified to {@code \n}, control characters other than {@code \n} and
 * {@code \t} removed, runs of spaces and tabs collapsed to one space, spaces around line breaks dropped, three
 * or more line breaks collapsed to two, ends trimmed, optional lowercasing ({@link Locale#ROOT}).
 *
 * <p>Scripts without spaces (Chinese, Japanese) and emoji, including joined emoji sequences, pass through
 * unchanged. A UDF because Spark SQL has no NFKC; it is per value, deterministic and needs no shuffle.
 */
final class TextNormalizer {

  private static final Pattern SCRIPT_OR_STYLE =
      Pattern.compile("(?is)<(script|style)\\b[^>]*>.*?</\\1\\s*>");
  private static final Pattern COMMENT = Pattern.compile("(?s)<!--.*?-->");
  private static final Pattern BLOCK_TAG =
      Pattern.compile("(?i)<(br|/?p|/?div|/?li|/?tr|/?h[1-6]|/?ul|/?ol|/?table|/?blockquote)\\b[^>]*>");
  private static final Pattern INLINE_TAG =
      Pattern.compile("(?i)</?(a|b|i|u|em|strong|span|font|small|big|sub|sup|code|tt)\\b[^>]*>");
  private static final Pattern OTHER_TAG = Pattern.compile("<[a-zA-Z/!?][^<>]*>");
  private static final Pattern ENTITY = Pattern.compile("&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});");
  private static final Map<String, String> NAMED_ENTITIES = Map.of(
      "amp", "&", "lt", "<", "gt", ">", "quot", "\"", "apos", "'", "nbsp", "\u00A0",
      "copy", "\u00A9", "reg", "\u00AE", "mdash", "\u2014", "ndash", "\u2013");

  private static final Pattern LINE_BREAK = Pattern.compile("\r\n?");
  private static final Pattern CONTROL = Pattern.compile("[\\p{Cc}&&[^\\n\\t]]");
  private static final Pattern SPACES = Pattern.compile("[ \\t]+");
  private static final Pattern SPACE_AROUND_NEWLINE = Pattern.compile(" ?\n ?");
  private static final Pattern MANY_NEWLINES = Pattern.compile("\n{3,}");

  private TextNormalizer() {}

  /** The normalised text; null stays null. */
  static String normalize(String text, LetterCase letterCase, Markup markup) {
    if (text == null) {
      return null;
    }
    String s = markup == Markup.STRIP_HTML ? stripHtml(text) : text;
    s = Normalizer.normalize(s, Normalizer.Form.NFKC);
    s = LINE_BREAK.matcher(s).replaceAll("\n");
    s = CONTROL.matcher(s).replaceAll("");
    s = SPACES.matcher(s).replaceAll(" ");
    s = SPACE_AROUND_NEWLINE.matcher(s).replaceAll("\n");
    s = MANY_NEWLINES.matcher(s).replaceAll("\n\n");
    s = s.strip();
    return letterCase == LetterCase.LOWER ? s.toLowerCase(Locale.ROOT) : s;
  }

  /** {@link #normalize} as a Spark column expression over a string column. */
  static Column normalize(Column text, LetterCase letterCase, Markup markup) {
    UserDefinedFunction f = udf((UDF1<String, String>) t -> normalize(t, letterCase, markup), DataTypes.StringType);
    return f.apply(text);
  }

  /** Removes scripts, styles, comments and tags (block tags become line breaks) and decodes entities. */
  static String stripHtml(String html) {
    String s = SCRIPT_OR_STYLE.matcher(html).replaceAll("");
    s = COMMENT.matcher(s).replaceAll("");
    s = BLOCK_TAG.matcher(s).replaceAll("\n");
    s = INLINE_TAG.matcher(s).replaceAll("");
    s = OTHER_TAG.matcher(s).replaceAll(" ");
    return decodeEntities(s);
  }

  /** Decodes named entities in {@link #NAMED_ENTITIES} and numeric ones; unknown entities stay as written. */
  static String decodeEntities(String s) {
    Matcher m = ENTITY.matcher(s);
    StringBuilder out = new StringBuilder(s.length());
    while (m.find()) {
      String name = m.group(1);
      String decoded;
      if (name.charAt(0) == '#') {
        int cp = name.length() > 1 && (name.charAt(1) == 'x' || name.charAt(1) == 'X')
            ? Integer.parseInt(name.substring(2), 16)
            : Integer.parseInt(name.substring(1));
        decoded = Character.isValidCodePoint(cp) ? new String(Character.toChars(cp)) : m.group();
      } else {
        decoded = NAMED_ENTITIES.getOrDefault(name.toLowerCase(Locale.ROOT), m.group());
      }
      m.appendReplacement(out, Matcher.quoteReplacement(decoded));
    }
    m.appendTail(out);
    return out.toString();
  }
}
