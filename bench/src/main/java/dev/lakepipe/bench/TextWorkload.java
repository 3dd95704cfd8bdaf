package dev.lakepipe.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * A deterministic text workload of any size, scaled from the sample corpus, written as the sample's JSON Lines
 * export source ({@code sample-data/export}: fields {@code msg_id, received_at, from_addr, subj, body, class,
 * size_bytes, content_type}), several files, with a conf beside it.
 *
 * <p>How rows are made (all from {@code seed}; the same arguments give byte-identical files):
 *
 * <ul>
 *   <li><b>Base</b>: the sample's messages with a body (export JSON Lines plain and gzip, CRM CSV mapped onto the
 *       export's fields, CRM's 1/0 label as spam/ham), one per distinct body: the corpus's own exact duplicates
 *       are dropped so the exact share below is what this class injects. Its near duplicates (about 0.14 verified
 *       pairs per row, docs/benchmarks.md) are real structure and are kept.
 *   <li><b>Originals</b>: original number {@code m} is base row {@code m mod B} of copy {@code m / B}; copy 0 is
 *       the real row, copy {@code c > 0} passes body, subject and sender through a per-copy letter substitution
 *       (a seeded permutation of a–z, as {@code DedupeBenchmark} does), so copies are distinct texts with the
 *       statistics of real text and no copy is a duplicate of another.
 *   <li><b>Duplicates</b>: each output row is, by a seeded draw, an exact duplicate (share {@code exact}, default
 *       0.05) or a near duplicate (share {@code near}, default 0.03: three random word edits, DedupeBenchmark's
 *       {@code edit}) of an original emitted earlier (uniform), otherwise the next original. Duplicates get their
 *       own id and keep the original's label, time and metadata (a resend).
 * </ul>
 *
 * <p>Memory: rows are computed from their index, nothing but the base (about 1,000 rows) is held; files hold
 * {@code rows-per-file} rows each (ingest reads a JSON Lines file in one task).
 *
 * <p>Usage: {@code TextWorkload <out-dir> <rows> [seed=42] [rows-per-file=50000] [exact=0.05] [near=0.03]}.
 * Writes {@code <out-dir>/data/part-NNNNN.jsonl}, {@code <out-dir>/workload.conf} (the sample conf with its
 * sources replaced by this one) and {@code <out-dir>/workload.json} (what was injected).
 */
public final class TextWorkload {

  /** What was written: counts by kind, for the benchmark's report. */
  public record Summary(Path dir, Path conf, long rows, long originals, long exactDuplicates,
      long nearDuplicates, int baseRows, int files, long seed) {}

  private static final ObjectMapper JSON = new ObjectMapper();

  private TextWorkload() {}

  public static void main(String[] args) throws IOException {
    if (args.length < 2) {
      System.err.println("usage: TextWorkload <out-dir> <rows> [seed=42] [rows-per-file=50000] [exact=0.05] "
          + "[near=0.03]");
      System.exit(2);
    }
    Path out = Path.of(args[0]);
    long rows = Long.parseLong(args[1]);
    long seed = args.length > 2 ? Long.parseLong(args[2]) : 42;
    int perFile = args.length > 3 ? Integer.parseInt(args[3]) : 50_000;
    double exact = args.length > 4 ? Double.parseDouble(args[4]) : 0.05;
    double near = args.length > 5 ? Double.parseDouble(args[5]) : 0.03;
    SparkSession spark = SparkSession.builder().master("local[2]").appName("lakepipe text workload")
        .config("spark.ui.enabled", "false").getOrCreate();
    try {
      System.out.println(ensure(spark, out, rows, seed, perFile, exact, near));
    } finally {
      spark.stop();
    }
  }

  /**
   * Writes the workload unless {@code out/workload.json} says the same one is already there; returns what is
   * there. {@code spark} only reads the sample corpus (about 1,000 rows, collected: the generator is not the
   * pipeline).
   */
  public static Summary ensure(SparkSession spark, Path out, long rows, long seed, int perFile, double exact,
      double near) throws IOException {
    Path marker = out.resolve("workload.json");
    String key = String.format(Locale.ROOT, "rows=%d seed=%d perFile=%d exact=%s near=%s", rows, seed, perFile,
        exact, near);
    if (Files.isRegularFile(marker)) {
      var node = JSON.readTree(marker.toFile());
      if (key.equals(node.path("key").asText())) {
        return new Summary(out, out.resolve("workload.conf"), node.get("rows").asLong(),
            node.get("originals").asLong(), node.get("exact_duplicates").asLong(),
            node.get("near_duplicates").asLong(), node.get("base_rows").asInt(), node.get("files").asInt(), seed);
      }
    }
    List<ObjectNode> base = base(spark);
    Path data = out.resolve("data");
    deleteTree(out);
    Files.createDirectories(data);
    SplittableRandom draws = new SplittableRandom(seed);
    long originals = 0;
    long exactCount = 0;
    long nearCount = 0;
    int files = 0;
    BufferedWriter w = null;
    try {
      for (long i = 0; i < rows; i++) {
        if (i % perFile == 0) {
          if (w != null) {
            w.close();
          }
          w = Files.newBufferedWriter(data.resolve(String.format(Locale.ROOT, "part-%05d.jsonl", files++)),
              StandardCharsets.UTF_8);
        }
        double d = draws.nextDouble();
        long pick = originals > 0 ? draws.nextLong(originals) : 0;
        ObjectNode row;
        if (originals > 0 && d < exact) {
          row = original(base, pick, seed);
          exactCount++;
        } else if (originals > 0 && d < exact + near) {
          row = original(base, pick, seed);
          row.put("body", edit(row.get("body").asText(), new Random(seed * 1_000_003L + i)));
          nearCount++;
        } else {
          row = original(base, originals++, seed);
        }
        row.put("msg_id", String.format(Locale.ROOT, "<bench-%d-%d@lakepipe.invalid>", seed, i));
        w.write(JSON.writeValueAsString(row));
        w.write('\n');
      }
    } finally {
      if (w != null) {
        w.close();
      }
    }
    Conf.write(out.resolve("workload.conf"), data.toAbsolutePath());
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("key", key);
    m.put("rows", rows);
    m.put("originals", originals);
    m.put("exact_duplicates", exactCount);
    m.put("near_duplicates", nearCount);
    m.put("base_rows", base.size());
    m.put("files", files);
    JSON.writerWithDefaultPrettyPrinter().writeValue(marker.toFile(), m);
    return new Summary(out, out.resolve("workload.conf"), rows, originals, exactCount, nearCount, base.size(),
        files, seed);
  }

  /** Original {@code m}: base row {@code m mod B} of copy {@code m / B} (copy 0 is the real row). */
  private static ObjectNode original(List<ObjectNode> base, long m, long seed) {
    ObjectNode row = base.get((int) (m % base.size())).deepCopy();
    long copy = m / base.size();
    if (copy > 0) {
      char[] cipher = cipher(new Random(seed * 7_919L + copy));
      for (String f : List.of("body", "subj", "from_addr")) {
        if (row.hasNonNull(f)) {
          row.put(f, substitute(row.get(f).asText(), cipher));
        }
      }
    }
    return row;
  }

  /** The sample's messages with a body, export fields, one per distinct body, in file order. */
  static List<ObjectNode> base(SparkSession spark) {
    Map<String, ObjectNode> byBody = new LinkedHashMap<>();
    for (Row r : spark.read().json("sample-data/export/messages-1.jsonl", "sample-data/export/messages-2.jsonl.gz")
        .select("msg_id", "received_at", "from_addr", "subj", "body", "class", "size_bytes", "content_type")
        .collectAsList()) {
      add(byBody, r.getString(1), r.getString(2), r.getString(3), r.getString(4), r.getString(5),
          r.isNullAt(6) ? null : r.get(6).toString(), r.getString(7));
    }
    for (Row r : spark.read().option("header", "true").option("sep", ";").option("multiLine", "true")
        .option("quote", "\"").option("escape", "\"").option("encoding", "UTF-8")
        .csv("sample-data/crm/messages.csv")
        .select("sent", "sender", "subject", "content", "is_spam", "bytes", "content_type").collectAsList()) {
      String label = "1".equals(r.getString(4)) ? "spam" : "0".equals(r.getString(4)) ? "ham" : r.getString(4);
      add(byBody, r.getString(0), r.getString(1), r.getString(2), r.getString(3), label, r.getString(5),
          r.getString(6));
    }
    return new ArrayList<>(byBody.values());
  }

  private static void add(Map<String, ObjectNode> byBody, String at, String from, String subj, String body,
      String label, String size, String contentType) {
    if (body == null || body.isBlank() || byBody.containsKey(body)) {
      return;
    }
    ObjectNode n = JSON.createObjectNode();
    n.put("msg_id", "");
    n.put("received_at", at);
    n.put("from_addr", from);
    n.put("subj", subj);
    n.put("body", body);
    n.put("class", label);
    if (size != null && size.matches("-?\\d+")) {
      n.put("size_bytes", Long.parseLong(size));
    } else {
      n.putNull("size_bytes");
    }
    n.put("content_type", contentType);
    byBody.put(body, n);
  }

  /** A seeded permutation of a-z: letter i becomes {@code cipher[i]} (also used by {@code DedupeBenchmark}). */
  public static char[] cipher(Random random) {
    List<Character> letters = new ArrayList<>();
    for (char ch = 'a'; ch <= 'z'; ch++) {
      letters.add(ch);
    }
    Collections.shuffle(letters, random);
    char[] out = new char[26];
    for (int i = 0; i < 26; i++) {
      out[i] = letters.get(i);
    }
    return out;
  }

  /** {@code text} with each letter replaced through {@code cipher}, case kept; null stays null. */
  public static String substitute(String text, char[] cipher) {
    if (text == null) {
      return null;
    }
    char[] cs = text.toCharArray();
    for (int i = 0; i < cs.length; i++) {
      char ch = cs[i];
      if (ch >= 'a' && ch <= 'z') {
        cs[i] = cipher[ch - 'a'];
      } else if (ch >= 'A' && ch <= 'Z') {
        cs[i] = Character.toUpperCase(cipher[ch - 'A']);
      }
    }
    return new String(cs);
  }

  /** Three random word edits: replace a word with another word of the same text (DedupeBenchmark's). */
  static String edit(String text, Random random) {
    String[] words = text.split(" ", -1);
    for (int e = 0; e < 3; e++) {
      words[random.nextInt(words.length)] = words[random.nextInt(words.length)];
    }
    return String.join(" ", words);
  }

  static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (var walk = Files.walk(p)) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(f -> {
        try {
          Files.delete(f);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    }
  }

  /** The workload's conf: the sample conf ({@code conf/application.conf}) with one JSON Lines source. */
  static final class Conf {
    private Conf() {}

    static void write(Path file, Path data) throws IOException {
      Path sample = Path.of("conf/application.conf").toAbsolutePath();
      String text = "# Written by dev.lakepipe.bench.TextWorkload: the sample conf with its sources replaced by the\n"
          + "# generated JSON Lines files (the export source's shape). Regenerated with the workload.\n"
          + "include file(\"" + sample + "\")\n"
          + "dataset.name = \"bench_text\"\n"
          + "ingest.sources = null\n"
          + "ingest.sources {\n"
          + "  export {\n"
          + "    format = jsonl\n"
          + "    path = \"" + data + "\"\n"
          + "    timestamp-formats = [\"rfc822\"]\n"
          + "    columns {\n"
          + "      id = \"msg_id\", text = \"body\", subject = \"subj\", label = \"class\"\n"
          + "      event_time = \"received_at\", size_bytes = \"size_bytes\", sender = \"from_addr\"\n"
          + "      content_type = \"content_type\"\n"
          + "    }\n"
          + "  }\n"
          + "}\n";
      Files.writeString(file, text, StandardCharsets.UTF_8);
    }
  }
}
