package dev.lakepipe.app;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * A small two-source dataset and its conf, for the tests that run the whole pipeline from the job jar (a
 * {@code local[2]} spark-submit and a standalone cluster). Ingest's counts, worked out by hand:
 * <ul>
 *   <li>source {@code crm}: one CSV file (BOM, {@code ;}, CRLF, a quoted multi-line body) of 3 rows, one without
 *       a label: 3 read, 2 written, 1 quarantined (label is required);</li>
 *   <li>source {@code export}: two JSON Lines files, {@code part-1} with 3 records (one without an id: quarantined)
 *       and {@code part-2} with the 42 labelled messages of {@link #labelledMessages()}: 45 read, 44 written,
 *       1 quarantined.</li>
 * </ul>
 * So bronze holds 46 rows, ops.quarantine 2. Train uses minibatches of 8 rows, so the train split is more
 * than one minibatch and two training workers both get some.
 */
final class TinyDataset {

  private TinyDataset() {}

  /** Writes the sources under {@code dir/in} and the conf {@code dir/tiny.conf}; returns the conf. */
  static Path write(Path dir) throws IOException {
    Path crm = Files.createDirectories(dir.resolve("in/crm"));
    Files.writeString(crm.resolve("messages.csv"), "\uFEFFmessage_id;subject;content;is_spam\r\n"
        + "<c1@x>;hello;\"first line\nsecond line\";0\r\n"
        + "<c2@x>;buy;cheap \"\"pills\"\";1\r\n"
        + "<c3@x>;no label;body;\r\n", StandardCharsets.UTF_8);
    Path export = Files.createDirectories(dir.resolve("in/export"));
    Files.writeString(export.resolve("part-1.jsonl"), ""
        + "{\"msg_id\": \"<e1@x>\", \"subj\": \"hi\", \"body\": \"text one\", \"class\": \"ham\"}\n"
        + "{\"msg_id\": null, \"subj\": \"no id\", \"body\": \"text two\", \"class\": \"spam\"}\n"
        + "{\"msg_id\": \"<e3@x>\", \"subj\": \"yo\", \"body\": \"text three\", \"class\": \"spam\"}\n",
        StandardCharsets.UTF_8);
    // 21 ham and 21 spam messages of distinct words, so train, validation and test all exist and the model
    // has something to learn (the four rows above have one label each and stay in train).
    Files.writeString(export.resolve("part-2.jsonl"), labelledMessages(), StandardCharsets.UTF_8);
    Path conf = dir.resolve("tiny.conf");
    Files.writeString(conf, """
        dataset {
          name = "tiny"
          columns { id = "id", text = ["text", "subject"], label = "label" }
          required = ["id", "text", "label"]
        }
        ingest.sources {
          crm {
            format = csv
            path = "%s"
            delimiter = ";"
            columns { id = "message_id", text = "content", subject = "subject", label = "is_spam" }
          }
          export {
            format = jsonl
            path = "%s"
            columns { id = "msg_id", text = "body", subject = "subj", label = "class" }
          }
        }
        train { batch-size = 8, epochs = 3 }
        """.formatted(crm, export), StandardCharsets.UTF_8);
    return conf;
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
