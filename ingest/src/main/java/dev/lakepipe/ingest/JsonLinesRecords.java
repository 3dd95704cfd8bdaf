package dev.lakepipe.ingest;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;

/**
 * JSON Lines: one JSON object per line; blank lines are skipped. Top-level fields become raw strings (numbers
 * and booleans as written, nested values as JSON text); a line that is not a JSON object is a
 * {@code MALFORMED_RECORD} naming its line. A string value has no length limit (Jackson's default of 20,000,000
 * characters would make a longer field a malformed line); Jackson's other limits stand: a number of more than
 * 1,000 digits or nesting deeper than 1,000 levels is a {@code MALFORMED_RECORD}.
 */
final class JsonLinesRecords {

  private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder().maxStringLength(Integer.MAX_VALUE).build())
      .build());

  private JsonLinesRecords() {}

  /**
   * The records of one JSON Lines text, one line parsed per {@link Stream#next()}: memory holds one line, not
   * the file. A line the text cannot give (a cut gzip file, a byte not valid in the charset) makes {@code next}
   * throw a {@link FileRecordReader.ReadFailure} naming that line.
   */
  static Stream stream(InputFile file, BufferedReader in, long limit) {
    return new Stream(file, in, limit);
  }

  /** A pull reader over one file's lines; see {@link #stream}. At most {@code limit} rows come out. */
  static final class Stream implements FileRecordReader.RecordStream {
    private final InputFile file;
    private final BufferedReader in;
    private final long limit;
    private long emitted;
    private long lineNo;

    private Stream(InputFile file, BufferedReader in, long limit) {
      this.file = file;
      this.in = in;
      this.limit = limit;
    }

    @Override
    public Row next() throws IOException {
      String line;
      while (emitted < limit && (line = readLine(in, lineNo + 1)) != null) {
        lineNo++;
        if (line.isBlank()) {
          continue;
        }
        emitted++;
        return record(line);
      }
      return null;
    }

    private Row record(String line) {
      JsonNode node;
      try {
        node = JSON.readTree(line);
      } catch (JsonProcessingException e) {
        return RawRecords.error(file, lineNo, RawRecords.MALFORMED_RECORD,
            "Line " + lineNo + " of " + file.path() + " is not valid JSON: " + e.getOriginalMessage()
                + ". Fix or remove the line.", line);
      }
      if (node == null || !node.isObject()) {
        return RawRecords.error(file, lineNo, RawRecords.MALFORMED_RECORD,
            "Line " + lineNo + " of " + file.path() + " is JSON but not an object. "
                + "JSON Lines sources need one {...} object per line.", line);
      }
      Map<String, String> fields = new HashMap<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        JsonNode v = e.getValue();
        fields.put(e.getKey(), v.isNull() ? null : v.isValueNode() ? v.asText() : v.toString());
      }
      return RawRecords.ok(file, lineNo, fields);
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }

  private static String readLine(BufferedReader in, long lineNo) throws IOException {
    try {
      return in.readLine();
    } catch (IOException e) {
      throw new FileRecordReader.ReadFailure(lineNo, e);
    }
  }

  /**
   * The field names of the first JSON object among the first {@code maxLines} lines, in the order the record
   * writes them; empty when there is none.
   */
  static List<String> firstRecordFields(BufferedReader in, int maxLines) throws IOException {
    String line;
    for (int i = 0; i < maxLines && (line = in.readLine()) != null; i++) {
      if (line.isBlank()) {
        continue;
      }
      try {
        JsonNode node = JSON.readTree(line);
        if (node != null && node.isObject()) {
          List<String> names = new java.util.ArrayList<>();
          node.fieldNames().forEachRemaining(names::add);
          return names;
        }
      } catch (JsonProcessingException e) {
        // Not a record: the sample reports it as MALFORMED_RECORD; look further.
      }
    }
    return List.of();
  }
}
