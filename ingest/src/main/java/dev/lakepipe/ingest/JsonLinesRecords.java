package dev.lakepipe.ingest;

import com.fasterxml.jackson.core.JsonProcessingException;
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
 * {@code MALFORMED_RECORD} naming its line.
 */
final class JsonLinesRecords {

  private static final ObjectMapper JSON = new ObjectMapper();

  private JsonLinesRecords() {}

  static void read(InputFile file, BufferedReader in, List<Row> out) throws IOException {
    long lineNo = 0;
    String line;
    while ((line = in.readLine()) != null) {
      lineNo++;
      if (line.isBlank()) {
        continue;
      }
      JsonNode node;
      try {
        node = JSON.readTree(line);
      } catch (JsonProcessingException e) {
        out.add(RawRecords.error(file, lineNo, RawRecords.MALFORMED_RECORD,
            "Line " + lineNo + " of " + file.path() + " is not valid JSON: " + e.getOriginalMessage()
                + ". Fix or remove the line.", line));
        continue;
      }
      if (node == null || !node.isObject()) {
        out.add(RawRecords.error(file, lineNo, RawRecords.MALFORMED_RECORD,
            "Line " + lineNo + " of " + file.path() + " is JSON but not an object. "
                + "JSON Lines sources need one {...} object per line.", line));
        continue;
      }
      Map<String, String> fields = new HashMap<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        JsonNode v = e.getValue();
        fields.put(e.getKey(), v.isNull() ? null : v.isValueNode() ? v.asText() : v.toString());
      }
      out.add(RawRecords.ok(file, lineNo, fields));
    }
  }
}
