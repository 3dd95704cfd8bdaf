package dev.lakepipe.ingest;

import java.nio.charset.Charset;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.Row;

/**
 * One record per file, for folders of raw email (RFC 822 headers, then a blank line, then the body) or raw
 * text. Fields: every header by its lowercased name (first occurrence; folded lines joined; RFC 2047 encoded
 * words decoded), and the pseudo-fields {@code _body}, {@code _file_name}, {@code _parent_dir},
 * {@code _path} and {@code _size} (bytes). The {@code date} header is normalised to an ISO-8601 instant when
 * {@link MessageDates} can read it and kept raw otherwise, so a bad date reaches quarantine as written.
 */
final class MessageRecords {

  private MessageRecords() {}

  static Row read(InputFile file, byte[] bytes, Charset charset, boolean parseHeaders) {
    String text = decode(bytes, charset);
    if (!text.isEmpty() && text.charAt(0) == '\uFEFF') {
      text = text.substring(1);
    }
    Map<String, String> fields = new HashMap<>();
    String body = text;
    if (parseHeaders) {
      int end = headerEnd(text);
      if (end < 0) {
        return RawRecords.error(file, 1L, RawRecords.MALFORMED_RECORD,
            file.path() + " has no header block (no 'Name: value' lines before a blank line). "
                + "Use format = text for files that are not email.", text);
      }
      parseHeaders(text.substring(0, end), fields);
      body = text.substring(end).replaceFirst("^(\r?\n){1,2}", "");
      String date = fields.get("date");
      if (date != null) {
        String iso = MessageDates.toIsoInstant(date);
        if (iso != null) {
          fields.put("date", iso);
        }
      }
    }
    fields.put("_body", body);
    String rel = file.relativePath();
    int slash = rel.lastIndexOf('/');
    fields.put("_file_name", slash < 0 ? rel : rel.substring(slash + 1));
    String dir = slash < 0 ? "" : rel.substring(0, slash);
    fields.put("_parent_dir", dir.substring(dir.lastIndexOf('/') + 1));
    fields.put("_path", rel);
    fields.put("_size", Long.toString(bytes.length));
    return RawRecords.ok(file, 1L, fields);
  }

  private static final java.util.regex.Pattern DECLARED_CHARSET =
      java.util.regex.Pattern.compile("(?i)charset\\s*=\\s*\"?([A-Za-z0-9_.:-]+)");

  /**
   * Decodes as UTF-8 when the bytes are valid UTF-8 (and the configured charset reads ASCII as ASCII), else with
   * the configured charset when the bytes are valid in it; otherwise (old mail is often Latin-1 or windows-1252
   * whatever the source says) with the charset the message declares, else windows-1252, so text is never
   * mangled into replacement characters when it can be read.
   */
  static String decode(byte[] bytes, Charset configured) {
    if (!configured.equals(java.nio.charset.StandardCharsets.UTF_8) && FileRecordReader.asciiCompatible(configured)) {
      String utf8 = strict(bytes, java.nio.charset.StandardCharsets.UTF_8);
      if (utf8 != null) {
        return utf8;
      }
    }
    String text = strict(bytes, configured);
    if (text != null) {
      return text;
    }
    String latin = new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1);
    java.util.regex.Matcher m = DECLARED_CHARSET.matcher(latin);
    if (m.find()) {
      try {
        Charset declared = Charset.forName(m.group(1));
        if (!declared.equals(configured)) {
          return new String(bytes, declared);
        }
      } catch (RuntimeException unknown) {
        // fall through to windows-1252
      }
    }
    return new String(bytes, Charset.forName("windows-1252"));
  }

  /** The bytes decoded with {@code charset}, or null when they are not valid in it. */
  private static String strict(byte[] bytes, Charset charset) {
    try {
      return charset.newDecoder()
          .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
          .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
          .decode(java.nio.ByteBuffer.wrap(bytes)).toString();
    } catch (java.nio.charset.CharacterCodingException e) {
      return null;
    }
  }

  /** Index of the blank line ending the headers, or -1 when the text does not start with a header. */
  private static int headerEnd(String text) {
    if (!text.matches("(?s)^(From [^\n]*\n)?[!-9;-~]+:.*")) {
      return -1;
    }
    int lf = text.indexOf("\n\n");
    int crlf = text.indexOf("\r\n\r\n");
    if (lf < 0 && crlf < 0) {
      return text.length();
    }
    if (lf < 0) {
      return crlf;
    }
    return crlf < 0 ? lf : Math.min(lf, crlf);
  }

  private static void parseHeaders(String block, Map<String, String> fields) {
    String name = null;
    StringBuilder value = new StringBuilder();
    for (String line : block.split("\r?\n")) {
      if (!line.isEmpty() && (line.charAt(0) == ' ' || line.charAt(0) == '\t') && name != null) {
        value.append(' ').append(line.strip());
        continue;
      }
      put(fields, name, value);
      int colon = line.indexOf(':');
      if (colon > 0 && !line.startsWith("From ")) {
        name = line.substring(0, colon).strip().toLowerCase(Locale.ROOT);
        value = new StringBuilder(line.substring(colon + 1).strip());
      } else {
        name = null;
      }
    }
    put(fields, name, value);
  }

  private static void put(Map<String, String> fields, String name, StringBuilder value) {
    if (name != null && !fields.containsKey(name)) {
      fields.put(name, EncodedWords.decode(value.toString()));
    }
  }
}
