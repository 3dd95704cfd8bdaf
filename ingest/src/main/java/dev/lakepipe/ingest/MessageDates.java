package dev.lakepipe.ingest;

import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Lenient parser for RFC 822 / 2822 message dates as real mail has them: optional day name, 1-2 digit day,
 * 2-, 3- or 4-digit year (RFC 2822 section 4.3: "02" is 2002, "102" is 2002), optional seconds, a numeric
 * zone ({@code -0000} is UTC, RFC 2822 section 3.3) or one of the US zone names the RFC lists, and trailing
 * comments such as {@code (PDT)}. Anything else is not a date: the caller quarantines it with the raw value.
 */
public final class MessageDates {

  private static final Pattern DATE = Pattern.compile(
      "^(?:[A-Za-z]{3,9},?\\s+)?(\\d{1,2})\\s+([A-Za-z]{3})[a-z]*\\.?\\s+(\\d{2,4})\\s+"
          + "(\\d{1,2}):(\\d{2})(?::(\\d{2}))?\\s*([+-]\\d{4}|[A-Za-z]{1,3})?\\s*$");
  private static final Map<String, Integer> MONTHS = Map.ofEntries(
      Map.entry("jan", 1), Map.entry("feb", 2), Map.entry("mar", 3), Map.entry("apr", 4), Map.entry("may", 5),
      Map.entry("jun", 6), Map.entry("jul", 7), Map.entry("aug", 8), Map.entry("sep", 9), Map.entry("oct", 10),
      Map.entry("nov", 11), Map.entry("dec", 12));
  private static final Map<String, Integer> ZONES = Map.ofEntries(
      Map.entry("UT", 0), Map.entry("UTC", 0), Map.entry("GMT", 0), Map.entry("Z", 0),
      Map.entry("EST", -5), Map.entry("EDT", -4), Map.entry("CST", -6), Map.entry("CDT", -5),
      Map.entry("MST", -7), Map.entry("MDT", -6), Map.entry("PST", -8), Map.entry("PDT", -7));
  private static final DateTimeFormatter ISO = DateTimeFormatter.ISO_INSTANT;

  private MessageDates() {}

  /** The date as an ISO-8601 UTC instant ({@code 2002-08-22T11:26:25Z}), or null when it is not a date. */
  public static String toIsoInstant(String value) {
    if (value == null) {
      return null;
    }
    String s = value.replaceAll("\\([^)]*\\)", " ").replaceAll("\\s+", " ").trim();
    Matcher m = DATE.matcher(s);
    if (!m.matches()) {
      return null;
    }
    Integer month = MONTHS.get(m.group(2).toLowerCase(Locale.ROOT));
    if (month == null) {
      return null;
    }
    int year = Integer.parseInt(m.group(3));
    if (m.group(3).length() == 2) {
      year += year < 50 ? 2000 : 1900;
    } else if (m.group(3).length() == 3) {
      year += 1900;
    }
    int offsetMinutes;
    String zone = m.group(7);
    if (zone == null) {
      return null;
    } else if (zone.startsWith("+") || zone.startsWith("-")) {
      int hh = Integer.parseInt(zone.substring(1, 3));
      int mm = Integer.parseInt(zone.substring(3, 5));
      if (hh > 23 || mm > 59) {
        return null;
      }
      offsetMinutes = (zone.startsWith("-") ? -1 : 1) * (hh * 60 + mm);
    } else {
      Integer hours = ZONES.get(zone.toUpperCase(Locale.ROOT));
      if (hours == null) {
        return null;
      }
      offsetMinutes = hours * 60;
    }
    try {
      LocalDateTime local = LocalDateTime.of(year, month, Integer.parseInt(m.group(1)),
          Integer.parseInt(m.group(4)), Integer.parseInt(m.group(5)),
          m.group(6) == null ? 0 : Integer.parseInt(m.group(6)));
      return ISO.format(local.toInstant(ZoneOffset.ofTotalSeconds(offsetMinutes * 60)));
    } catch (java.time.DateTimeException e) {
      return null;
    }
  }
}
