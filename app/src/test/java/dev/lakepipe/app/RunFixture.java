package dev.lakepipe.app;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * A source whose counts through ingest, clean and features are known by hand, for the tests of concurrent and
 * killed runs. One JSON Lines file of 47 records:
 * <ul>
 *   <li>m0..m39: distinct texts, ham for even i, spam for odd i (20 + 20), size 100 + i;</li>
 *   <li>d0..d3: the texts and labels of m0..m3 again: exact duplicates;</li>
 *   <li>q0, q1: unique texts with size -5, which the rule {@code size-non-negative} quarantines in clean;</li>
 *   <li>x0: no id, which ingest quarantines (id is required).</li>
 * </ul>
 * Ingest: 47 read, 46 written, 1 quarantined. Clean (near duplicates off): 46 in = 40 kept + 4 exact duplicates
 * + 2 quarantined. Features, stratified 0.8 / 0.1 / 0.1 within each label of 20: cuts at round(16) and
 * round(18), so 16 / 2 / 2 per label: train 32, validation 4, test 4; nothing quarantined.
 */
final class RunFixture {

  private RunFixture() {}

  /** Writes the source under {@code dir/in/mail} and the conf {@code dir/runs.conf}; returns the conf. */
  static Path write(Path dir, Path warehouse) throws IOException {
    Path in = Files.createDirectories(dir.resolve("in/mail"));
    StringBuilder lines = new StringBuilder();
    for (int i = 0; i < 40; i++) {
      lines.append(record("m" + i, text(i), i % 2 == 0 ? "ham" : "spam", 100 + i));
    }
    for (int i = 0; i < 4; i++) {
      lines.append(record("d" + i, text(i), i % 2 == 0 ? "ham" : "spam", 100 + i));
    }
    lines.append(record("q0", "a ham message whose size is negative", "ham", -5));
    lines.append(record("q1", "a spam message whose size is negative", "spam", -5));
    lines.append("{\"msg_id\": null, \"body\": \"no id here\", \"class\": \"ham\", \"size\": 1}\n");
    Files.writeString(in.resolve("data.jsonl"), lines, StandardCharsets.UTF_8);
    Path conf = dir.resolve("runs.conf");
    Files.writeString(conf, """
        dataset {
          name = "runs"
          columns { id = "id", text = ["text"], label = "label", numeric = ["size"] }
          required = ["id", "text", "label"]
        }
        tables.warehouse = "%s"
        ingest.sources.mail {
          format = jsonl
          path = "%s"
          columns { id = "msg_id", text = "body", label = "class", size = "size" }
        }
        clean {
          near-duplicates.enabled = false
          rules = [{ id = "size-non-negative", column = "size", check = range, min = 0, action = quarantine }]
        }
        features.text.num-features = 32
        """.formatted(warehouse, in), StandardCharsets.UTF_8);
    return conf;
  }

  private static String text(int i) {
    return (i % 2 == 0 ? "minutes of the planning meeting number " : "cheap pills and a prize for winner number ")
        + i;
  }

  private static String record(String id, String body, String label, int size) {
    return String.format(Locale.ROOT, "{\"msg_id\": \"%s\", \"body\": \"%s\", \"class\": \"%s\", \"size\": %d}%n",
        id, body, label, size);
  }
}
