package dev.lakepipe.ingest;

import com.univocity.parsers.common.TextParsingException;
import com.univocity.parsers.csv.CsvParser;
import com.univocity.parsers.csv.CsvParserSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;

/**
 * CSV with the source's dialect (delimiter, quote, escape, header), quoted multi-line fields allowed, parsed
 * with univocity (the parser Spark's own CSV source uses). Each record is numbered by the line it starts on.
 * A record whose field count differs from the header's is a {@code MALFORMED_RECORD}; a header that lacks a
 * mapped field yields one {@code MISSING_COLUMN} record, which ingest turns into a configuration error.
 */
final class CsvRecords {

  private CsvRecords() {}

  /**
   * The records of one CSV text, parsed one at a time as {@link Stream#next()} asks: nothing is read ahead
   * beyond the parser's buffer, so a file of any size is read in bounded memory. When the text stops early (a
   * cut gzip file, a byte not valid in the charset), the records before are returned and {@code next} throws an
   * {@link UncheckedIOException} holding a {@link FileRecordReader.ReadFailure} that names the line of the
   * record it cuts short: that record is not returned, even when what was read of it has the header's field
   * count (a value may be cut).
   */
  static Stream stream(InputFile file, SourceSettings source, TextReader in, long limit) {
    return new Stream(file, source, in, limit);
  }

  /** A pull parser over one file's records; see {@link #stream}. At most {@code limit} rows come out. */
  static final class Stream implements FileRecordReader.RecordStream {
    private final InputFile file;
    private final SourceSettings source;
    private final SourceSettings.CsvOptions o;
    private final TextReader in;
    private final CsvParser parser;
    private final long limit;
    private long emitted;
    private boolean done;
    private String[] header;
    private long linesBefore;

    private Stream(InputFile file, SourceSettings source, TextReader in, long limit) {
      this.file = file;
      this.source = source;
      this.o = source.csv();
      this.in = in;
      this.limit = limit;
      this.parser = new CsvParser(settings(o));
      in.endAtFailure();
      parser.beginParsing(in);
    }

    @Override
    public Row next() {
      if (done || emitted >= limit) {
        return null;
      }
      Row row = parse();
      if (row == null) {
        done = true;
      } else {
        emitted++;
      }
      return row;
    }

    /** The next row, or null at the end; a row that ends the file's reading (malformed, header) sets done. */
    private Row parse() {
      while (true) {
        String[] row;
        try {
          row = parser.parseNext();
        } catch (TextParsingException e) {
          done = true;
          return RawRecords.error(file, linesBefore + 1, RawRecords.MALFORMED_RECORD,
              "Cannot parse the CSV record at line " + (linesBefore + 1) + " of " + file.path() + ": "
                  + e.getMessage().lines().findFirst().orElse("") + ". Check quoting and the delimiter.", null);
        }
        if (row == null) {
          if (in.failure() != null) {
            // The text stopped right after a whole record: the next line is where the damage starts.
            throw new UncheckedIOException(new FileRecordReader.ReadFailure(linesBefore + 1, in.failure()));
          }
          return null;
        }
        long startLine = linesBefore + 1;
        linesBefore = parser.getContext().currentLine();
        boolean stopped = parser.getContext().isStopped();
        if (stopped && in.failure() != null) {
          // The text stopped inside this record (a record that ends at a line break is not marked stopped).
          throw new UncheckedIOException(new FileRecordReader.ReadFailure(startLine, in.failure()));
        }
        if (row.length == 1 && (row[0] == null || row[0].equals("\r"))) {
          continue;
        }
        // Read once: univocity hands the parsed content out once and then returns null.
        String content = stopped ? parser.getContext().currentParsedContent() : null;
        if (stopped && parser.getContext().currentLine() > startLine && endsInsideQuotes(content, o)) {
          // The parser met the end of the file inside a quoted field: every line after the quote was
          // swallowed into this one field, so the record (whatever its field count) is not trustworthy.
          done = true;
          return RawRecords.error(file, startLine, RawRecords.MALFORMED_RECORD,
              "Line " + startLine + " of " + file.path() + " opens a quote (" + o.quote() + ") that is never "
                  + "closed: line " + startLine + " to the end of the file was read as one record. Close or escape the quote (escape '"
                  + o.escape() + "'), or set ingest.sources." + source.name() + ".quote.",
              content);
        }
        stripCarriageReturn(row);
        if (header == null) {
          header = o.header() ? trimmed(row) : positional(row.length);
          if (o.header()) {
            List<String> missing = missingMapped(source, header);
            if (!missing.isEmpty()) {
              done = true;
              return RawRecords.error(file, startLine, RawRecords.MISSING_COLUMN, String.join(",", missing),
                  String.join(",", header));
            }
            continue;
          }
        }
        if (row.length != header.length) {
          return RawRecords.error(file, startLine, RawRecords.MALFORMED_RECORD,
              "Line " + startLine + " of " + file.path() + " has " + row.length + " fields; the header has "
                  + header.length + ". Check quoting and the delimiter '" + o.delimiter() + "'.",
              String.join(String.valueOf(o.delimiter()), Arrays.asList(row).stream()
                  .map(v -> v == null ? "" : v).toList()));
        }
        Map<String, String> fields = new HashMap<>();
        for (int i = 0; i < header.length; i++) {
          fields.put(header[i], row[i]);
        }
        return RawRecords.ok(file, startLine, fields);
      }
    }

    /** Stops the parser, which closes the text below it. */
    @Override
    public void close() {
      done = true;
      parser.stopParsing();
    }
  }

  /**
   * The header's field names as ingest keys them (trimmed), or an empty list for an empty file. Reads one
   * record with the same dialect and parser settings as {@link #read}; throws the read failure when the text
   * stops before the header ends.
   */
  static List<String> header(TextReader in, SourceSettings.CsvOptions o) throws IOException {
    CsvParser parser = new CsvParser(settings(o));
    in.endAtFailure();
    parser.beginParsing(in);
    try {
      String[] row;
      while ((row = parser.parseNext()) != null) {
        if (parser.getContext().isStopped() && in.failure() != null) {
          throw in.failure();
        }
        if (row.length == 1 && (row[0] == null || row[0].equals("\r"))) {
          continue;
        }
        stripCarriageReturn(row);
        return Arrays.asList(trimmed(row));
      }
      if (in.failure() != null) {
        throw in.failure();
      }
      return List.of();
    } finally {
      parser.stopParsing();
    }
  }

  private static CsvParserSettings settings(SourceSettings.CsvOptions o) {
    CsvParserSettings s = new CsvParserSettings();
    s.getFormat().setDelimiter(o.delimiter());
    s.getFormat().setQuote(o.quote());
    s.getFormat().setQuoteEscape(o.escape());
    s.getFormat().setComment('\0');
    // '\n' ends a record whether or not '\r' precedes it: files mixing CRLF and LF (common when rows were
    // appended by different tools) parse record by record. Auto-detection would lock onto the first line's
    // ending and merge the rest. The '\r' left on an unquoted last field is removed by stripCarriageReturn.
    s.getFormat().setLineSeparator("\n");
    s.getFormat().setNormalizedNewline('\n');
    s.setMaxCharsPerColumn(-1);
    s.setMaxColumns(4096);
    // Blank lines come back as empty rows and are skipped here, so line numbers stay exact.
    s.setSkipEmptyLines(false);
    s.setIgnoreLeadingWhitespaces(false);
    s.setIgnoreTrailingWhitespaces(false);
    s.setHeaderExtractionEnabled(false);
    // Read on the task's own thread (as Spark's CSV source does): one task per file is the parallelism, and the
    // end of the text (and why it ended) is known when the parser returns.
    s.setReadInputOnSeparateThread(false);
    return s;
  }

  /** Whether the raw text of a record ends inside a quoted field (a quote opened and never closed). */
  static boolean endsInsideQuotes(String raw, SourceSettings.CsvOptions o) {
    if (raw == null) {
      return false;
    }
    char quote = o.quote();
    char escape = o.escape();
    boolean inside = false;
    boolean fieldStart = true;
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (inside) {
        boolean escapedQuote = c == escape && i + 1 < raw.length() && raw.charAt(i + 1) == quote;
        if (escapedQuote) {
          i++;
        } else if (c == quote) {
          inside = false;
        }
        fieldStart = false;
      } else {
        inside = c == quote && fieldStart;
        fieldStart = c == o.delimiter() || c == '\n';
      }
    }
    return inside;
  }

  private static void stripCarriageReturn(String[] row) {
    String last = row[row.length - 1];
    if (last != null && last.endsWith("\r")) {
      row[row.length - 1] = last.substring(0, last.length() - 1);
    }
  }

  private static List<String> missingMapped(SourceSettings source, String[] header) {
    List<String> present = Arrays.asList(header);
    List<String> missing = new ArrayList<>();
    for (String field : new java.util.TreeSet<>(source.columns().values())) {
      if (!present.contains(field)) {
        missing.add(field);
      }
    }
    return missing;
  }

  private static String[] trimmed(String[] row) {
    return Arrays.stream(row).map(v -> v == null ? "" : v.strip()).toArray(String[]::new);
  }

  private static String[] positional(int n) {
    String[] names = new String[n];
    for (int i = 0; i < n; i++) {
      names[i] = "_c" + i;
    }
    return names;
  }
}
