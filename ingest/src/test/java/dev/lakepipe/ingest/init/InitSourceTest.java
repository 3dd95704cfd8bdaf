package dev.lakepipe.ingest.init;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lakepipe.core.testing.SparkTestBase;
import dev.lakepipe.ingest.FieldProfile;
import dev.lakepipe.ingest.SourceFormat;
import dev.lakepipe.ingest.SourceSample;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How init finds an input's format, files and delimiter ({@link InitSource}) and profiles a sample of it
 * ({@link SourceSample}) on real files and real Spark; every count is worked out by hand from the files.
 */
class InitSourceTest extends SparkTestBase {

  @TempDir
  Path dir;

  @Test
  void folderWithOtherFilesGetsAnIncludeGlobAndTheDelimiterIsSniffed() throws IOException {
    Path src = Files.createDirectories(dir.resolve("export"));
    Files.writeString(src.resolve("a.csv"), "id;name, full;kind\n1;x;a\n", StandardCharsets.UTF_8);
    gzip(src.resolve("b.csv.gz"), "id;name, full;kind\n2;y;b\n");
    Files.writeString(src.resolve("README.md"), "# not data\n", StandardCharsets.UTF_8);
    Files.writeString(src.resolve(".hidden.jsonl"), "{}\n", StandardCharsets.UTF_8);

    InitSource s = InitSource.resolve(spark, src.toString(), Optional.empty());

    assertThat(s.format()).isEqualTo(SourceFormat.CSV);
    assertThat(s.delimiter()).isEqualTo(';');
    assertThat(s.include()).isEqualTo("*.{csv,csv.gz}");
    assertThat(s.files()).extracting(f -> f.substring(f.lastIndexOf('/') + 1)).containsExactly("a.csv", "b.csv.gz");
  }

  @Test
  void tabsWinForTsvAndTheOnlyFileNeedsNoInclude() throws IOException {
    Path tsv = dir.resolve("Flights 2024.tsv");
    Files.writeString(tsv, "a\tb\tc\n1\t2\t3\n", StandardCharsets.UTF_8);
    Path one = dir.resolve("one.tsv");
    Files.writeString(one, "only\n1\n", StandardCharsets.UTF_8);

    assertThat(InitSource.resolve(spark, tsv.toString(), Optional.empty()))
        .extracting(InitSource::delimiter, InitSource::include).containsExactly('\t', null);
    assertThat(InitSource.resolve(spark, one.toString(), Optional.empty()).delimiter()).isEqualTo('\t');
    assertThat(InitSource.defaultName(tsv.toString())).isEqualTo("flights_2024");
    assertThat(InitSource.defaultName("/data/2024.jsonl.gz")).isEqualTo("data_2024");
    assertThat(InitSource.defaultName("/data/payments/")).isEqualTo("payments");
  }

  @Test
  void extensionsNameTheFormat() {
    assertThat(InitSource.formatOf("x.CSV")).contains(SourceFormat.CSV);
    assertThat(InitSource.formatOf("x.tsv.bz2")).contains(SourceFormat.CSV);
    assertThat(InitSource.formatOf("x.ndjson.gz")).contains(SourceFormat.JSONL);
    assertThat(InitSource.formatOf("x.json")).contains(SourceFormat.JSONL);
    assertThat(InitSource.formatOf("part-00000-1.snappy.parquet")).contains(SourceFormat.PARQUET);
    assertThat(InitSource.formatOf("x.parquet.gz")).isEmpty();
    assertThat(InitSource.formatOf("x.txt")).isEmpty();
  }

  @Test
  void mixedOrUnknownFoldersAreRefusedWithTheFix() throws IOException {
    Path mixed = Files.createDirectories(dir.resolve("mixed"));
    Files.writeString(mixed.resolve("a.csv"), "x\n1\n", StandardCharsets.UTF_8);
    Files.writeString(mixed.resolve("b.jsonl"), "{\"x\": 1}\n", StandardCharsets.UTF_8);
    Path unknown = Files.createDirectories(dir.resolve("unknown"));
    Files.writeString(unknown.resolve("a.txt"), "x\n1\n", StandardCharsets.UTF_8);

    assertThatThrownBy(() -> InitSource.resolve(spark, mixed.toString(), Optional.empty()))
        .hasMessage("Cannot init: " + mixed + " mixes formats: csv (1 file: a.csv), jsonl (1 file: b.jsonl). Pass "
            + "--format to read one of them (the conf then reads only those files, with include), or point --input "
            + "at one file.");
    InitSource jsonl = InitSource.resolve(spark, mixed.toString(), Optional.of(SourceFormat.JSONL));
    assertThat(jsonl.include()).isEqualTo("*.jsonl");
    assertThatThrownBy(() -> InitSource.resolve(spark, unknown.toString(), Optional.empty()))
        .hasMessage("Cannot init: no file of " + unknown + " has a known extension (.csv, .tsv, .jsonl, .ndjson, "
            + ".json, each optionally .gz; .parquet); it has 1 file: a.txt. Pass --format csv, jsonl or parquet.");
    assertThat(InitSource.resolve(spark, unknown.toString(), Optional.of(SourceFormat.CSV)))
        .extracting(InitSource::include, s -> s.files().size()).containsExactly(null, 1);
    assertThatThrownBy(() -> InitSource.resolve(spark, dir.resolve("nope.csv").toString(), Optional.empty()))
        .hasMessage("Cannot init: --input " + dir.resolve("nope.csv") + " does not exist. Pass a CSV, JSON Lines or "
            + "Parquet file, or a folder of them.");
  }

  @Test
  void sampleIsProfiledWithIngestsParsingInTheSourcesFieldOrder() throws IOException {
    Path src = Files.createDirectories(dir.resolve("tickets"));
    // 4 records in a.jsonl (one malformed line), 3 in b.jsonl; "late" appears only in b.jsonl.
    Files.writeString(src.resolve("a.jsonl"), String.join("\n",
        "{\"zeta\": 1, \"when\": \"2024-01-02\", \"amount\": \" 2.5 \", \"note\": \"a b c\", \"y\": \"p\"}",
        "{\"zeta\": 2, \"when\": \"2024-01-03\", \"amount\": \"x\", \"note\": \"\", \"y\": \"q\"}",
        "not json",
        "{\"zeta\": 3, \"when\": \"01/04/2024\", \"amount\": 7, \"note\": null, \"y\": \"p\"}",
        ""), StandardCharsets.UTF_8);
    Files.writeString(src.resolve("b.jsonl"), String.join("\n",
        "{\"zeta\": 4, \"when\": \"2024-01-05\", \"amount\": -1, \"y\": \"p\", \"late\": true}",
        "{\"zeta\": 5, \"when\": \"2024-01-06\", \"amount\": 1e3, \"y\": \"q\", \"late\": false}",
        "{\"zeta\": 6, \"when\": \"2024-01-07\", \"amount\": 0, \"y\": \"q\", \"late\": false}",
        ""), StandardCharsets.UTF_8);
    InitSource s = InitSource.resolve(spark, src.toString(), Optional.empty());

    SourceSample sample = SourceSample.read(spark, s.settings("tickets"), 6, List.of("yyyy-MM-dd", "MM/dd/yyyy"));

    // The first 6 records in file order: a.jsonl's 4 (one unreadable), then b.jsonl's first 2.
    assertThat(sample.records()).isEqualTo(6);
    assertThat(sample.unreadable()).isEqualTo(1);
    assertThat(sample.firstError()).startsWith("Line 3 of ").contains("a.jsonl is not valid JSON");
    assertThat(sample.fields()).extracting(FieldProfile::name)
        .containsExactly("zeta", "when", "amount", "note", "y", "late");
    FieldProfile when = sample.fields().get(1);
    assertThat(when.rows()).isEqualTo(5);
    assertThat(when.present()).isEqualTo(5);
    assertThat(when.timestampFormats()).isEqualTo(Map.of("yyyy-MM-dd", 4L, "MM/dd/yyyy", 1L));
    assertThat(when.iso()).isEqualTo(4);
    FieldProfile amount = sample.fields().get(2);
    assertThat(List.of(amount.present(), amount.distinct(), amount.numeric(), amount.integral()))
        .containsExactly(5L, 5L, 4L, 2L);
    assertThat(amount.samples()).containsExactly(" 2.5 ", "x", "7");
    FieldProfile note = sample.fields().get(3);
    assertThat(List.of(note.present(), note.distinct(), note.singleToken())).containsExactly(1L, 1L, 0L);
    assertThat(note.meanLength()).isEqualTo(5.0);
    assertThat(note.meanWords()).isEqualTo(3.0);
    FieldProfile late = sample.fields().get(5);
    assertThat(List.of(late.present(), late.distinct())).containsExactly(2L, 2L);
    assertThat(late.samples()).containsExactly("true", "false");
  }

  private static void gzip(Path file, String text) throws IOException {
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
      out.write(text.getBytes(StandardCharsets.UTF_8));
    }
  }
}
