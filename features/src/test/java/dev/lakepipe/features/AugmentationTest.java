package dev.lakepipe.features;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lakepipe.core.LakepipeException;
import dev.lakepipe.core.config.DatasetSchema;
import dev.lakepipe.core.testing.SparkTestBase;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AugmentationTest extends SparkTestBase {

  private static final DatasetSchema DATASET = new DatasetSchema("test", "id", List.of("text", "subject"), "label",
      "event_time", List.of(), List.of(), List.of());

  private static final StructType SCHEMA = new StructType()
      .add("_record_id", DataTypes.StringType, false)
      .add("id", DataTypes.StringType, true)
      .add("text", DataTypes.StringType, true)
      .add("subject", DataTypes.StringType, true)
      .add("label", DataTypes.StringType, true)
      .add("event_time", DataTypes.TimestampType, true)
      .add("_source", DataTypes.StringType, true)
      .add("_flags", DataTypes.createArrayType(DataTypes.StringType), true)
      .add("run_id", DataTypes.StringType, true)
      .add("split", DataTypes.StringType, true);

  private static final long SEED = 42L;
  private static final Timestamp T0 = Timestamp.valueOf("2024-01-01 00:00:00");

  @TempDir
  Path tmp;

  private static Row row(String recordId, String text, String subject, String label) {
    return RowFactory.create(recordId, "id-" + recordId, text, subject, label, T0, "crm", new String[] {"f1"},
        "run-0", "train");
  }

  private static Dataset<Row> train(Row... rows) {
    return spark.createDataFrame(Arrays.asList(rows), SCHEMA);
  }

  private static AugmentSettings text(int copies, String synonymsFile, double synonymRate, double deletionRate,
      int swaps, List<String> columns, List<String> labels) {
    return new AugmentSettings(new AugmentSettings.Text(copies, columns, synonymsFile, synonymRate, deletionRate,
        swaps, labels), false);
  }

  private static AugmentSettings oversampleOnly() {
    return new AugmentSettings(AugmentSettings.Text.none(List.of("text")), true);
  }

  private String dictionary(String content) throws Exception {
    Path f = tmp.resolve("synonyms.txt");
    Files.writeString(f, content, StandardCharsets.UTF_8);
    return f.toString();
  }

  /** New rows by (augmented_from, augmentation, text). */
  private static List<String> summary(Dataset<Row> out) {
    return out.select("augmented_from", "augmentation", "text").collectAsList().stream()
        .map(r -> r.getString(0) + "|" + r.getString(1) + "|" + r.getString(2))
        .sorted()
        .collect(Collectors.toList());
  }

  private static String sha256(String s) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void oversamplingBringsEveryClassExactlyToTheLargest() {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      rows.add(row("h" + i, "ham text " + i, "s", "ham"));
    }
    rows.add(row("s1", "spam one", "s", "spam"));
    rows.add(row("s2", "spam two", "s", "spam"));
    for (int i = 0; i < 3; i++) {
      rows.add(row("p" + i, "phish " + i, "s", "phish"));
    }
    rows.add(row("u0", "no label", "s", null));
    Dataset<Row> in = spark.createDataFrame(rows, SCHEMA);

    Dataset<Row> out = Augmentation.apply(in, oversampleOnly(), DATASET, SEED);
    List<Row> copies = out.collectAsList();

    // spam: 5 copies over 2 rows, so 3 for the first in xxhash64(42L, _record_id) order and 2 for the other.
    // phish: 4 copies over 3 rows, so 2 for the first in that order and 1 for the others. ham and unlabelled:
    // none. The order, computed with a reference XXH64 (Collet's spec, seed 42 over the 8 little-endian bytes
    // of 42L, then that hash as the seed over the UTF-8 id; not Spark's code), as signed longs:
    //   s1 282050545340406452 < s2 2670656746632566402, so s1 is first;
    //   p2 -8243739837057778955 < p0 -7860276015185356608 < p1 7646840261629198982, so p2 is first.
    Map<String, Long> perOriginal = copies.stream().collect(Collectors.groupingBy(
        r -> r.getString(r.fieldIndex("augmented_from")), TreeMap::new, Collectors.counting()));
    Map<String, Long> expected = Map.of("s1", 3L, "s2", 2L, "p2", 2L, "p0", 1L, "p1", 1L);
    assertThat(perOriginal).isEqualTo(expected);
    assertThat(copies).allSatisfy(r -> {
      assertThat(r.getBoolean(r.fieldIndex("augmented"))).isTrue();
      assertThat(r.getString(r.fieldIndex("augmentation"))).isEqualTo("oversample");
      String from = r.getString(r.fieldIndex("augmented_from"));
      // An exact copy of its original, but for the id.
      assertThat(r.getString(r.fieldIndex("id"))).isEqualTo("id-" + from);
      assertThat(r.getString(r.fieldIndex("label"))).isEqualTo(from.startsWith("s") ? "spam" : "phish");
      assertThat(r.getList(r.fieldIndex("_flags"))).containsExactly("f1");
      assertThat(r.getString(r.fieldIndex("_record_id"))).isNotEqualTo(from);
    });
    assertThat(copies.stream().map(r -> r.getString(0)).distinct().count()).isEqualTo(9);
    assertThat(out.columns()).containsExactly("_record_id", "id", "text", "subject", "label", "event_time",
        "_source", "_flags", "run_id", "split", "augmented", "augmentation", "augmented_from");
  }

  @Test
  void oversamplingCountsTextCopiesSoTheUnionIsBalanced() {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      rows.add(row("h" + i, "ham words " + i, "s", "ham"));
    }
    rows.add(row("s1", "spam one", "s", "spam"));
    rows.add(row("s2", "spam two", "s", "spam"));
    Dataset<Row> in = spark.createDataFrame(rows, SCHEMA);
    AugmentSettings.Text spamOnly = new AugmentSettings.Text(1, List.of("text"), "", 0.1, 0, 1, List.of("spam"));
    AugmentSettings.Text everyClass = new AugmentSettings.Text(1, List.of("text"), "", 0.1, 0, 1, List.of());

    // ham 6, spam 2 + 2 text copies = 4: 2 oversampled copies, one per spam row.
    List<String> kinds = Augmentation.apply(in, new AugmentSettings(spamOnly, true), DATASET, SEED)
        .select("label", "augmentation").collectAsList().stream()
        .map(r -> r.getString(0) + ":" + r.getString(1)).sorted().toList();
    // ham 6 + 6 = 12, spam 2 + 2 = 4: 8 oversampled copies, 4 per spam row.
    Map<String, Long> perOriginal = Augmentation.apply(in, new AugmentSettings(everyClass, true), DATASET, SEED)
        .filter(col("augmentation").equalTo("oversample")).collectAsList().stream()
        .collect(Collectors.groupingBy(r -> r.getString(r.fieldIndex("augmented_from")), Collectors.counting()));

    assertThat(kinds).containsExactly("spam:oversample", "spam:oversample", "spam:text:swap", "spam:text:swap");
    assertThat(perOriginal).isEqualTo(Map.of("s1", 4L, "s2", 4L));
  }

  @Test
  void synonymsReplaceEveryWordWithOneAtRateOne() throws Exception {
    String dict = dictionary("""
        # spam words
        free: gratis
        money: cash

        Win: earn
        """);
    Dataset<Row> in = train(
        row("a", "Win FREE money!", "s", "spam"),
        row("b", "  free\n\nmoney  ", "s", "spam"),
        row("c", "nothing here matches", "s", "ham"),
        row("d", null, "s", "ham"),
        row("e", "   ", "s", "ham"));

    Dataset<Row> out = Augmentation.apply(in, text(1, dict, 1.0, 0, 0, List.of("text"), List.of()), DATASET, SEED);

    assertThat(summary(out)).containsExactly(
        "a|text:synonym|Earn GRATIS cash!",
        "b|text:synonym|  gratis\n\ncash  ",
        "c|text:unchanged|nothing here matches",
        "d|text:unchanged|null",
        "e|text:unchanged|   ");
  }

  @Test
  void synonymRateReplacesThatShareOfTheWordsWithSynonyms() throws Exception {
    String dict = dictionary("a: x\nb: y\nc: z\nd: w\n");
    Dataset<Row> in = train(row("r", "a b c d e", "s", "spam"));

    // 0.5 of the 4 words with synonyms: exactly 2 replaced; "e" has none and stays.
    List<String> texts = Augmentation.apply(in, text(5, dict, 0.5, 0, 0, List.of("text"), List.of()), DATASET, SEED)
        .select("text").collectAsList().stream().map(r -> r.getString(0)).toList();

    assertThat(texts).hasSize(5).allSatisfy(t -> {
      String[] w = t.split(" ");
      assertThat(w).hasSize(5);
      assertThat(w[4]).isEqualTo("e");
      long replaced = Arrays.stream(w).filter(x -> List.of("x", "y", "z", "w").contains(x)).count();
      assertThat(replaced).isEqualTo(2);
      assertThat(w[0]).isIn("a", "x");
      assertThat(w[3]).isIn("d", "w");
    });
  }

  @Test
  void deletionAtRateOneKeepsExactlyOneWordAndSwapsReverseTwoWords() {
    Dataset<Row> in = train(
        row("a", "alpha beta gamma delta", "hello world", "spam"),
        row("b", "solo", "one", "ham"));

    List<Row> deleted = Augmentation.apply(in, text(3, "", 0.1, 1.0, 0, List.of("text"), List.of()), DATASET, SEED)
        .orderBy("augmented_from").collectAsList();
    List<String> swapped = summary(Augmentation.apply(in.withColumn("text", col("subject")),
        text(1, "", 0.1, 0, 1, List.of("text"), List.of()), DATASET, SEED));

    assertThat(deleted).hasSize(6);
    assertThat(deleted.subList(0, 3)).allSatisfy(r -> {
      assertThat(r.getString(r.fieldIndex("text"))).isIn("alpha", "beta", "gamma", "delta");
      assertThat(r.getString(r.fieldIndex("augmentation"))).isEqualTo("text:delete");
      assertThat(r.getString(r.fieldIndex("subject"))).isEqualTo("hello world");
    });
    assertThat(deleted.subList(3, 6)).allSatisfy(r -> {
      assertThat(r.getString(r.fieldIndex("text"))).isEqualTo("solo");
      assertThat(r.getString(r.fieldIndex("augmentation"))).isEqualTo("text:unchanged");
    });
    assertThat(swapped).containsExactly("a|text:swap|world hello", "b|text:unchanged|one");
  }

  @Test
  void everyConfiguredColumnIsPerturbedAndTheOperationsThatChangedItAreNamed() throws Exception {
    String dict = dictionary("free: gratis\nmoney: cash\n");
    Dataset<Row> in = train(row("a", "free money", "re: hi", "spam"));

    List<Row> out = Augmentation.apply(in, text(1, dict, 1.0, 1.0, 1, List.of("text", "subject"), List.of()),
        DATASET, SEED).collectAsList();

    // text: both words replaced, then all but one deleted, then one word cannot be swapped.
    // subject: no synonyms, one of two words deleted.
    assertThat(out).hasSize(1);
    Row r = out.get(0);
    assertThat(r.getString(r.fieldIndex("text"))).isIn("gratis", "cash");
    assertThat(r.getString(r.fieldIndex("subject"))).isIn("re:", "hi");
    assertThat(r.getString(r.fieldIndex("augmentation"))).isEqualTo("text:synonym,delete");
  }

  @Test
  void onlyRowsWithTheConfiguredLabelsGetTextCopies() {
    Dataset<Row> in = train(
        row("a", "one two", "s", "spam"),
        row("b", "three four", "s", "ham"),
        row("c", "five six", "s", "spam"),
        row("d", "seven eight", "s", null));

    List<String> from = Augmentation.apply(in, text(2, "", 0.1, 0, 1, List.of("text"), List.of("spam", "phish")),
        DATASET, SEED).collectAsList().stream().map(r -> r.getString(r.fieldIndex("augmented_from"))).sorted()
        .toList();

    assertThat(from).containsExactly("a", "a", "c", "c");
  }

  @Test
  void outputIsTheSameAtAnyPartitioningAndOnEveryCallAndIdsAreStable() throws Exception {
    String dict = dictionary("quick: fast, speedy\nlazy: idle, sluggish\nfox: vixen\ndog: hound, pup\n");
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 24; i++) {
      rows.add(row("r" + i, "the quick brown fox " + i + " jumps over the lazy dog", "subject " + i,
          i % 4 == 0 ? "spam" : "ham"));
    }
    Dataset<Row> in = spark.createDataFrame(rows, SCHEMA);
    AugmentSettings s = new AugmentSettings(new AugmentSettings.Text(2, List.of("text", "subject"), dict, 0.5, 0.3,
        2, List.of()), true);

    List<Row> one = sorted(Augmentation.apply(in.repartition(1), s, DATASET, SEED));
    List<Row> five = sorted(Augmentation.apply(in.repartition(5), s, DATASET, SEED));
    List<Row> again = sorted(Augmentation.apply(in.repartition(5), s, DATASET, SEED));
    List<Row> otherSeed = sorted(Augmentation.apply(in, s, DATASET, 7L));

    // 48 text copies; ham 18 + 36, spam 6 + 12: 36 oversampled copies.
    assertThat(one).hasSize(84);
    assertThat(five).isEqualTo(one);
    assertThat(again).isEqualTo(one);
    assertThat(otherSeed.stream().map(r -> r.getString(r.fieldIndex("text"))).toList())
        .isNotEqualTo(one.stream().map(r -> r.getString(r.fieldIndex("text"))).toList());
    List<String> ids = one.stream().map(r -> r.getString(0)).toList();
    assertThat(ids).doesNotHaveDuplicates().doesNotContainAnyElementsOf(
        rows.stream().map(r -> r.getString(0)).toList());
    assertThat(ids).contains(sha256("r3\u0000text\u00001"), sha256("r0\u0000oversample\u00000"));
    assertThat(otherSeed.stream().map(r -> r.getString(0)).toList()).containsExactlyElementsOf(ids);
  }

  private static List<Row> sorted(Dataset<Row> out) {
    return out.orderBy("_record_id").collectAsList();
  }

  @Test
  void disabledGivesNoRowsAndOriginalsLineUpForTheUnion() throws Exception {
    Dataset<Row> in = train(row("a", "one two", "s", "spam"));

    Dataset<Row> none = Augmentation.apply(in, new AugmentSettings(AugmentSettings.Text.none(List.of("text")),
        false), DATASET, SEED);
    Dataset<Row> originals = Augmentation.markOriginal(in);
    Dataset<Row> union = originals.union(
        Augmentation.apply(in, text(1, "", 0.1, 0, 1, List.of("text"), List.of()), DATASET, SEED));

    assertThat(none.count()).isZero();
    assertThat(none.schema()).isEqualTo(originals.schema());
    assertThat(union.orderBy(col("augmented")).collectAsList().stream()
        .map(r -> r.getString(0) + "|" + r.get(r.fieldIndex("augmented")) + "|" + r.get(r.fieldIndex("augmentation"))
            + "|" + r.get(r.fieldIndex("augmented_from")) + "|" + r.getString(r.fieldIndex("text")))
        .toList())
        .containsExactly("a|false|null|null|one two",
            sha256("a\u0000text\u00000") + "|true|text:swap|a|two one");
  }

  @Test
  void badSynonymsLinesAreAllReportedByFileAndLine() throws Exception {
    Path f = tmp.resolve("bad-synonyms.txt");
    byte[] latin1 = "caf\u00e9: bar\n".getBytes(StandardCharsets.ISO_8859_1);
    byte[] head = "\uFEFFfree: gratis\r\nbroken line\nok: fine\n: nothing\nx: a,,b\ntwo words: z\n"
        .getBytes(StandardCharsets.UTF_8);
    byte[] content = new byte[head.length + latin1.length];
    System.arraycopy(head, 0, content, 0, head.length);
    System.arraycopy(latin1, 0, content, head.length, latin1.length);
    Files.write(f, content);
    Dataset<Row> in = train(row("a", "free", "s", "spam"));

    assertThatThrownBy(() -> Augmentation.apply(in, text(1, f.toString(), 1.0, 0, 0, List.of("text"), List.of()),
        DATASET, SEED))
        .isInstanceOf(LakepipeException.class)
        .hasMessageStartingWith("Cannot read synonyms file file:" + f + ": ")
        .hasMessageContaining("line 2 ('broken line') has no ':'; line 4 (': nothing') has no word before ':'; "
            + "line 5 ('x: a,,b') has an empty synonym (two commas in a row or a trailing comma); "
            + "line 6 ('two words: z') has more than one word before ':'; line 7 is not valid UTF-8.")
        .hasMessageEndingWith("or fix features.augment.text.synonyms-file.")
        .satisfies(e -> assertThat(((LakepipeException) e).kind()).isEqualTo(LakepipeException.Kind.CONFIG));
    String missing = tmp.resolve("nope.txt").toString();
    assertThatThrownBy(() -> Augmentation.apply(in, text(1, missing, 1.0, 0, 0, List.of("text"), List.of()),
        DATASET, SEED))
        .hasMessage("Cannot read synonyms file file:" + missing + ": no such file. "
            + "Fix features.augment.text.synonyms-file.");
  }

  @Test
  void synonymsOfAWordOnSeveralLinesAreMergedInFileOrder() {
    Synonyms s = Synonyms.parse("dict", "Big: large, huge\n  # note\nbig: huge, vast\n".getBytes(
        StandardCharsets.UTF_8));

    assertThat(s.size()).isEqualTo(1);
    assertThat(s.of("BIG")).containsExactly("large", "huge", "vast");
    assertThat(s.of("small")).isEmpty();
  }

  @Test
  void missingColumnsAreNamed() {
    Dataset<Row> in = train(row("a", "one two", "s", "spam")).drop("subject");

    assertThatThrownBy(() -> Augmentation.apply(in, text(1, "", 0.1, 0, 1, List.of("text", "subject"), List.of()),
        DATASET, SEED))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("Cannot augment the training split: column 'subject' is missing (it has: "
            + "_record_id, id, text, label");
  }
}
