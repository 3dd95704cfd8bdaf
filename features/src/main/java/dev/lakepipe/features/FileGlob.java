package dev.lakepipe.features;

import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A file glob of {@code features.split.predefined} ({@code by = file}) as a Java regular expression over
 * {@code _source_file}, so Spark matches it with {@code rlike} on the executors (no UDF, no collect).
 *
 * <p>Syntax: {@code *} any characters within one folder, {@code **} any characters across folders
 * ({@code **}{@code /} zero or more whole folders), {@code ?} one character but {@code /}, {@code [abc]} and
 * {@code [!abc]} a character class (a negated class never matches {@code /}), {@code {a,b}} alternatives,
 * {@code \} escapes the next character; anything else is literal. {@code _source_file} is the path ingest
 * recorded (a full URI such as {@code file:/data/flights/train/a.csv}), so a glob matches the whole path or a
 * whole trailing run of its folders: {@code train/*.csv} and {@code **}{@code /train*.csv} match
 * {@code file:/data/flights/train/a.csv} and {@code file:/data/train-2020.csv} respectively. A glob starting
 * with {@code /} is a full path without the scheme: {@code /data/flights/*.csv} matches
 * {@code file:/data/flights/a.csv} and {@code hdfs://nn:8020/data/flights/a.csv}.
 */
final class FileGlob {

  /** Any run of folders, or the start; for a glob starting with '/', an optional scheme and authority. */
  private static final String TRAILING = "^(?:.*/)?";
  private static final String ABSOLUTE = "^(?:[A-Za-z][A-Za-z0-9+.-]*:(?://[^/]*)?)?";
  private static final String SPECIAL = "\\.^$|()+[]{}*?";

  private FileGlob() {}

  /**
   * The anchored regular expression of {@code glob}.
   *
   * @throws IllegalArgumentException saying what is wrong (an unclosed class or brace, a trailing escape)
   */
  static String regex(String glob) {
    StringBuilder re = new StringBuilder(glob.startsWith("/") ? ABSOLUTE : TRAILING);
    int braces = 0;
    int i = 0;
    int n = glob.length();
    while (i < n) {
      char ch = glob.charAt(i);
      if (ch == '*') {
        if (i + 1 < n && glob.charAt(i + 1) == '*') {
          boolean folders = i + 2 < n && glob.charAt(i + 2) == '/';
          re.append(folders ? "(?:.*/)?" : ".*");
          i += folders ? 3 : 2;
        } else {
          re.append("[^/]*");
          i++;
        }
      } else if (ch == '?') {
        re.append("[^/]");
        i++;
      } else if (ch == '[') {
        int start = i + 1;
        boolean negated = start < n && glob.charAt(start) == '!';
        int first = negated ? start + 1 : start;
        // A ']' right after '[' or '[!' is a member, as in POSIX globs.
        int close = glob.indexOf(']', first < n && glob.charAt(first) == ']' ? first + 1 : first);
        if (close < 0) {
          throw new IllegalArgumentException("has a '[' at position " + (i + 1) + " that is never closed with ']'");
        }
        re.append('[').append(negated ? "^/" : "");
        for (char c : glob.substring(first, close).toCharArray()) {
          re.append(c == '\\' || c == '[' || c == '^' || c == '&' ? "\\" + c : String.valueOf(c));
        }
        re.append(']');
        i = close + 1;
      } else if (ch == '{') {
        braces++;
        re.append("(?:");
        i++;
      } else if (ch == '}') {
        if (braces == 0) {
          throw new IllegalArgumentException("has a '}' at position " + (i + 1) + " without a '{' before it");
        }
        braces--;
        re.append(')');
        i++;
      } else if (ch == ',' && braces > 0) {
        re.append('|');
        i++;
      } else if (ch == '\\') {
        if (i + 1 >= n) {
          throw new IllegalArgumentException("ends with '\\', which escapes nothing");
        }
        re.append(literal(glob.charAt(i + 1)));
        i += 2;
      } else {
        re.append(literal(ch));
        i++;
      }
    }
    if (braces > 0) {
      throw new IllegalArgumentException("has a '{' that is never closed with '}'");
    }
    re.append('$');
    try {
      Pattern.compile(re.toString());
    } catch (PatternSyntaxException e) {
      throw new IllegalArgumentException("is not a valid glob (" + e.getDescription() + ")");
    }
    return re.toString();
  }

  /** One expression matching any of {@code globs} (each already valid). */
  static String anyOf(List<String> globs) {
    StringBuilder re = new StringBuilder();
    for (String g : globs) {
      re.append(re.length() == 0 ? "" : "|").append("(?:").append(regex(g)).append(')');
    }
    return re.toString();
  }

  private static String literal(char c) {
    return SPECIAL.indexOf(c) >= 0 ? "\\" + c : String.valueOf(c);
  }
}
