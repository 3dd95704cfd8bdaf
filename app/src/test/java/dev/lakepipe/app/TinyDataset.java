package dev.lakepipe.app;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The small two-source dataset the job-jar tests submit (ShadedJarSubmitIT, YarnClusterIT): a CSV export as
 * Excel writes it and a JSON Lines export, with the conf that maps both. Counts by hand:
 * <ul>
 *   <li>crm ({@code crm/messages.csv}, 1 file): BOM, {@code ';'}, CRLF, a quoted multi-line body; 3 rows, one
 *       without a label (quarantined by ingest: label is required), so 3 read, 2 written, 1 quarantined;</li>
 *   <li>export ({@code export/part-1.jsonl}, {@code export/part-2.jsonl}, 2 files): 3 + 42 records, one without
 *       an id (quarantined), so 45 read, 44 written, 1 quarantined. part-2 holds m0..m41, 21 ham and 21 spam of
 *       distinct words, so train, validation and test all exist and a model has something to learn.</li>
 * </ul>
 */
final class TinyDataset {

  private TinyDataset() {}

  /** Writes {@code in/crm} and {@code in/export} under {@code in}; returns {@code in}. */
  static Path writeSources(Path in) throws IOException {
    Path crm = Files.createDirectories(in.resolve("crm"));
    Files.writeString(crm.resolve("messages.csv"), "\uFEFFmessage_id;subject;content;is_spam\r\n"
        + "<c1@x>;hello;\"first line\nsecond line\";0\r\n"
        + "<c2@x>;buy;cheap \"\"pills\"\";1\r\n"
        + "<c3@x>;no label;body;\r\n", StandardCharsets.UTF_8);
    Path export = Files.createDirectories(in.resolve("export"));
    Files.writeString(export.resolve("part-1.jsonl"), ""
        + "{\"msg_id\": \"<e1@x>\", \"subj\": \"hi\", \"body\": \"text one\", \"class\": \"ham\"}\n"
        + "{\"msg_id\": null, \"subj\": \"no id\", \"body\": \"text two\", \"class\": \"spam\"}\n"
        + "{\"msg_id\": \"<e3@x>\", \"subj\": \"yo\", \"body\": \"text three\", \"class\": \"spam\"}\n",
        StandardCharsets.UTF_8);
    Files.writeString(export.resolve("part-2.jsonl"), labelledMessages(), StandardCharsets.UTF_8);
    return in;
  }

  /** The conf of the dataset with its sources at {@code in + "/crm"} and {@code in + "/export"} (a path or URI). */
  static String conf(String in) {
    return """
        dataset {
          name = "tiny"
          columns { id = "id", text = ["text", "subject"], label = "label" }
          required = ["id", "text", "label"]
        }
        ingest.sources {
          crm {
            format = csv
            path = "%s/crm"
            delimiter = ";"
            columns { id = "message_id", text = "content", subject = "subject", label = "is_spam" }
          }
          export {
            format = jsonl
            path = "%s/export"
            columns { id = "msg_id", text = "body", subject = "subj", label = "class" }
          }
        }
        """.formatted(in, in);
  }

  /** 42 JSON lines, ids m0..m41, alternating ham and spam, each text eight words of its class's vocabulary. */
  static String labelledMessages() {
    String[] ham = ("meeting agenda review project budget quarter schedule minutes colleague office report "
        + "lunch planning draft notes team deadline calendar slides feedback").split(" ");
    String[] spam = ("cheap pills offer winner prize casino viagra discount click unsubscribe loan credit "
        + "bonus free lottery million refund crypto deal urgent").split(" ");
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < 42; i++) {
      String[] words = i % 2 == 0 ? ham : spam;
      StringBuilder text = new StringBuilder();
      for (int k = 0; k < 8; k++) {
        text.append(k == 0 ? "" : " ").append(words[(i * 7 + k * k * 3 + k) % words.length]);
      }
      out.append(String.format(Locale.ROOT, "{\"msg_id\": \"<m%d@x>\", \"subj\": \"s%d\", "
          + "\"body\": \"%s number %d\", \"class\": \"%s\"}%n", i, i, text, i, i % 2 == 0 ? "ham" : "spam"));
    }
    return out.toString();
  }
}
