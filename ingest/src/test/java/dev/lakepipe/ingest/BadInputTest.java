package dev.lakepipe.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lakepipe.core.LakepipeException;
import dev.lakepipe.core.RunContext;
import dev.lakepipe.core.config.LakepipeConfig;
import dev.lakepipe.core.testing.SparkTestBase;
import dev.lakepipe.core.testing.TestConfigs;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.zip.GZIPOutputStream;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input of every class through the real ingest: the inputs are written here by hand, one ingest run reads
 * them all (one source per class, one warehouse), and each test checks its source: the readable rows are in
 * bronze, the rest in ops.quarantine with the reason code and a message naming file, line and fix, and
 * read = written + quarantined, in the report, the tables and ops.ingest_log alike. The classes that are conf
 * errors (a Parquet column that is mapped but absent) stop a run of their own with exit code 2 before anything
 * is written. docs/reliability.md lists the classes and points here.
 */
class BadInputTest extends SparkTestBase {

  private static final String DATASET = """
      dataset {
        name = "bad"
        columns { id = "id", text = ["text"], label = "label", numeric = ["score"] }
        required = ["id", "text"]
      }
      """;
  private static final String CSV_COLUMNS = "columns { id = \"id\", text = \"text\", label = \"label\", "
      + "score = \"score\" }";
  private static final String PARQUET_COLUMNS = "columns { id = \"key\", text = \"body\", label = \"y\", "
      + "score = \"n\" }";
  /** The big field: 5,000,000 times "abcdefghij" is 50,000,000 characters (and bytes: ASCII). */
  private static final int BIG_REPEATS = 5_000_000;

  @TempDir
  static Path dir;

  private static Path warehouse;
  private static IngestReport report;
  private static String bigTextSha256;

  @BeforeAll
  static void ingestEveryBadInput() throws Exception {
    warehouse = dir.resolve("lake");
    StringBuilder sources = new StringBuilder();

    // Gzip, JSON Lines: one good file and one whose gzip header is damaged (first magic byte 0x1f -> 0x00).
    Path gzjson = Files.createDirectories(dir.resolve("gzjson"));
    gzip(gzjson.resolve("good.jsonl.gz"), "{\"id\": \"g1\", \"text\": \"one\"}\n{\"id\": \"g2\", \"text\": \"two\"}\n");
    gzip(gzjson.resolve("damaged.jsonl.gz"), "{\"id\": \"g3\", \"text\": \"three\"}\n");
    byte[] damaged = Files.readAllBytes(gzjson.resolve("damaged.jsonl.gz"));
    damaged[0] = 0;
    Files.write(gzjson.resolve("damaged.jsonl.gz"), damaged);
    sources.append(source("gzjson", "jsonl", gzjson, "", "columns { id = \"id\", text = \"text\" }"));

    // Gzip, CSV, 2,000 records (record k on line k + 1), cut inside record 1001: the deflate stream is
    // sync-flushed after "1001,message 1001 padded x..x,ham,10" (so the bytes before the flush decompress to
    // exactly that text, whatever deflate's blocks) and the file is cut at the flush, inside the score "1001".
    Path gzcsv = Files.createDirectories(dir.resolve("gzcsv"));
    StringBuilder csv = new StringBuilder("id,text,label,score\n");
    for (int i = 1; i <= 2000; i++) {
      csv.append(i).append(",message ").append(i).append(" padded ").append("x".repeat(i % 97)).append(",ham,")
          .append(i).append('\n');
    }
    String text = csv.toString();
    int cut = text.indexOf(",ham,1001\n") + ",ham,10".length();
    java.io.ByteArrayOutputStream gz = new java.io.ByteArrayOutputStream();
    int flushedBytes;
    try (GZIPOutputStream out = new GZIPOutputStream(gz, true)) {
      out.write(text.substring(0, cut).getBytes(StandardCharsets.US_ASCII));
      out.flush();
      flushedBytes = gz.size();
      out.write(text.substring(cut).getBytes(StandardCharsets.US_ASCII));
    }
    Files.write(gzcsv.resolve("cut.csv.gz"), Arrays.copyOf(gz.toByteArray(), flushedBytes));
    sources.append(source("gzcsv", "csv", gzcsv, "", CSV_COLUMNS));

    // Parquet: a.parquet (score int), b.parquet (score string), c.parquet (an extra column), a copy of a.parquet
    // whose footer length is damaged, and the first half of a.parquet.
    Path pq = Files.createDirectories(dir.resolve("pq"));
    parquet("SELECT * FROM VALUES ('p1', 'one', 'ham', 1), ('p2', 'two', 'spam', 2) AS t(key, body, y, n)",
        pq.resolve("a.parquet"));
    parquet("SELECT * FROM VALUES ('p3', 'three', 'ham', '3'), ('p4', 'four', 'ham', 'x') AS t(key, body, y, n)",
        pq.resolve("b.parquet"));
    parquet("SELECT * FROM VALUES ('p5', 'five', 'spam', 5, 'extra') AS t(key, body, y, n, note)",
        pq.resolve("c.parquet"));
    byte[] a = Files.readAllBytes(pq.resolve("a.parquet"));
    byte[] corrupt = a.clone();
    // Layout: ... footer, 4-byte little-endian footer length, "PAR1". A length past the file start is corrupt.
    corrupt[a.length - 8] = (byte) 0xFF;
    corrupt[a.length - 7] = (byte) 0xFF;
    corrupt[a.length - 6] = (byte) 0xFF;
    corrupt[a.length - 5] = (byte) 0x0F;
    Files.write(pq.resolve("corrupt.parquet"), corrupt);
    Files.write(pq.resolve("cut.parquet"), Arrays.copyOf(a, a.length / 2));
    sources.append(source("pq", "parquet", pq, "", PARQUET_COLUMNS));

    // CSV whose quote opens on line 3 (in the last field) and never closes.
    Path quote = Files.createDirectories(dir.resolve("quote"));
    Files.writeString(quote.resolve("q.csv"), "id,text,score,label\n"
        + "1,fine,1,ham\n"          // line 2
        + "2,two,2,\"ham\n"         // line 3: the quote opens ...
        + "3,three,3,ham\n"         // line 4
        + "4,four,4,spam\n");       // line 5 ... and the file ends inside it
    sources.append(source("quote", "csv", quote, "", CSV_COLUMNS));

    // One UTF-8 file and two windows-1252 files, read without and with `encoding`. In s.csv the first byte of
    // line 3 is the bad one, so the text that decodes ends exactly at the line break after line 2.
    for (String name : List.of("encnokey", "enckey")) {
      Path enc = Files.createDirectories(dir.resolve(name));
      Files.writeString(enc.resolve("u.csv"), "id,text,label,score\n20,café 中文,ham,1\n", StandardCharsets.UTF_8);
      Files.write(enc.resolve("w.csv"), ("id,text,label,score\n"
          + "10,ok line,ham,1\n"          // line 2
          + "11,café crème,ham,2\n"       // line 3: é and è are single bytes 0xE9, 0xE8 in windows-1252
          + "12,after,ham,3\n").getBytes(Charset.forName("windows-1252")));
      Files.write(enc.resolve("s.csv"), ("text,id,label,score\n"
          + "ok,30,ham,1\n"                // line 2
          + "\u00c9mile,31,ham,2\n")        // line 3: starts with 0xC9 ('É' in windows-1252)
          .getBytes(Charset.forName("windows-1252")));
      sources.append(source(name, "csv", enc, name.equals("enckey") ? "encoding = \"windows-1252\"" : "",
          CSV_COLUMNS));
    }

    // JSON Lines in windows-1252, no `encoding`.
    Path encjsonl = Files.createDirectories(dir.resolve("encjsonl"));
    Files.write(encjsonl.resolve("w.jsonl"), ("{\"id\": \"40\", \"text\": \"ok\"}\n"   // line 1
        + "{\"id\": \"41\", \"text\": \"caf\u00e9\"}\n"                                  // line 2: 0xE9
        + "{\"id\": \"42\", \"text\": \"after\"}\n").getBytes(Charset.forName("windows-1252")));
    sources.append(source("encjsonl", "jsonl", encjsonl, "", "columns { id = \"id\", text = \"text\" }"));

    // Email: messages declaring their charset, bytes in that charset, no `encoding` key (UTF-8 by default).
    Path mail = Files.createDirectories(dir.resolve("mail/ham"));
    Files.write(mail.resolve("latin1.eml"), ("Message-ID: <l1@x>\nContent-Type: text/plain; charset=iso-8859-1\n\n"
        + "Caf\u00e9 cr\u00e8me\n").getBytes(StandardCharsets.ISO_8859_1));
    Files.write(mail.resolve("greek.eml"), ("Message-ID: <g1@x>\nContent-Type: text/plain; charset=\"iso-8859-7\"\n\n"
        + "\u03b1\u03b2\u03b3\n").getBytes(Charset.forName("ISO-8859-7")));
    sources.append(source("mail", "email", dir.resolve("mail"), "",
        "columns { id = \"Message-ID\", text = \"_body\", label = \"_parent_dir\" }"));

    // A text folder with `encoding`: a UTF-8 file, a windows-1252 file and a PNG.
    Path notes = Files.createDirectories(dir.resolve("notes/spam"));
    Files.writeString(notes.resolve("u.txt"), "naïve 中文\n", StandardCharsets.UTF_8);
    Files.write(notes.resolve("w.txt"), "na\u00efve\n".getBytes(Charset.forName("windows-1252")));
    Files.write(notes.resolve("pic.png"), png());
    sources.append(source("notes", "text", dir.resolve("notes"), "encoding = \"windows-1252\"",
        "columns { id = \"_path\", text = \"_body\", label = \"_parent_dir\" }"));

    // JSON Lines folder with random bytes among the records.
    Path jl = Files.createDirectories(dir.resolve("jl"));
    Files.writeString(jl.resolve("good.jsonl"), "{\"id\": \"j1\", \"text\": \"one\"}\n{\"id\": \"j2\", \"text\": \"two\"}\n");
    byte[] noise = new byte[4096];
    new Random(7).nextBytes(noise);
    noise[100] = 0; // 4,096 random bytes hold a NUL almost surely; one at offset 100 makes it certain
    for (int i = 0; i < 100; i++) {
      noise[i] = noise[i] == 0 ? 1 : noise[i];
    }
    Files.write(jl.resolve("noise.jsonl"), noise);
    sources.append(source("jl", "jsonl", jl, "", "columns { id = \"id\", text = \"text\" }"));

    // One JSON Lines record whose text is 50,000,000 characters, written in chunks; its SHA-256 computed here.
    Path big = Files.createDirectories(dir.resolve("big"));
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    byte[] chunk = "abcdefghij".repeat(100_000).getBytes(StandardCharsets.US_ASCII);
    try (OutputStream out = Files.newOutputStream(big.resolve("big.jsonl"))) {
      out.write("{\"id\": \"big1\", \"text\": \"".getBytes(StandardCharsets.US_ASCII));
      for (int i = 0; i < BIG_REPEATS / 100_000; i++) {
        out.write(chunk);
        sha.update(chunk);
      }
      out.write("\", \"label\": \"ham\"}\n{\"id\": \"small\", \"text\": \"s\"}\n".getBytes(StandardCharsets.US_ASCII));
    }
    bigTextSha256 = HexFormat.of().formatHex(sha.digest());
    sources.append(source("big", "jsonl", big, "", "columns { id = \"id\", text = \"text\", label = \"label\" }"));

    // Empty: a folder without files; a folder with an empty file and a header-only CSV.
    Path emptyDir = Files.createDirectories(dir.resolve("emptydir"));
    sources.append(source("emptydir", "csv", emptyDir, "", CSV_COLUMNS));
    Path emptyFiles = Files.createDirectories(dir.resolve("emptyfiles"));
    Files.write(emptyFiles.resolve("empty.csv"), new byte[0]);
    Files.writeString(emptyFiles.resolve("header.csv"), "id,text,label,score\n");
    sources.append(source("emptyfiles", "csv", emptyFiles, "", CSV_COLUMNS));

    report = IngestJob.run(spark, config(warehouse, sources.toString()), RunContext.of("bad1"));
  }

  @Test
  void damagedGzipHeaderQuarantinesTheFileAndKeepsTheOtherFile() {
    // good.jsonl.gz: 2 records; damaged.jsonl.gz: nothing decompresses, one UNREADABLE_FILE record at line 1.
    assertConserved("gzjson", 2, 3, 2, 1);
    assertThat(bronzeIds("gzjson")).containsExactly("g1", "g2");
    assertThat(quarantine("gzjson")).containsExactly("damaged.jsonl.gz|1|UNREADABLE_FILE");
    assertThat(message("gzjson", "damaged.jsonl.gz")).contains("Cannot read ").contains("damaged.jsonl.gz after line 0")
        .contains("Replace or repair the file");
  }

  @Test
  void truncatedCsvGzipKeepsTheRecordsBeforeTheCutAndNamesTheLine() {
    // What decompresses is the header (line 1), records 1-1000 (lines 2-1001) whole, and record 1001 (line 1002)
    // up to "...,ham,10": four fields, the header's count, but cut inside its score, so it is not read. 1,001
    // read = 1,000 written + 1 UNREADABLE_FILE at line 1002, "after line 1001".
    assertConserved("gzcsv", 1, 1001, 1000, 1);
    assertThat(quarantine("gzcsv")).containsExactly("cut.csv.gz|1002|UNREADABLE_FILE");
    assertThat(message("gzcsv", "cut.csv.gz")).contains("cut.csv.gz after line 1001: java.io.EOFException")
        .contains("the records before this line were read");
    // Records 1-1000, each once, each with its own score (record k has score k); no cut record 1001 with score 10.
    assertThat(spark.sql("SELECT count(DISTINCT id), min(CAST(id AS INT)), max(CAST(id AS INT)), "
        + "sum(CASE WHEN score = CAST(id AS DOUBLE) THEN 1 ELSE 0 END) FROM delta.`" + bronzePath()
        + "` WHERE _source = 'gzcsv'").first()).isEqualTo(org.apache.spark.sql.RowFactory.create(1000L, 1, 1000, 1000L));
  }

  @Test
  void parquetCorruptTruncatedAndChangedTypeFilesAmongGoodOnes() {
    // a: p1, p2; b (score as string): p3, p4 ('x' is no number: BAD_TYPE); c (extra column): p5;
    // corrupt.parquet and cut.parquet: one UNREADABLE_FILE record each. 7 read = 4 written + 3 quarantined.
    assertConserved("pq", 5, 7, 4, 3);
    assertThat(bronzeIds("pq")).containsExactly("p1", "p2", "p3", "p5");
    assertThat(spark.sql("SELECT id, score FROM delta.`" + bronzePath() + "` WHERE _source = 'pq' ORDER BY id")
        .collectAsList().stream().map(r -> r.getString(0) + "=" + r.getDouble(1)).toList())
        .containsExactly("p1=1.0", "p2=2.0", "p3=3.0", "p5=5.0");
    assertThat(quarantine("pq")).containsExactly(
        "b.parquet|2|BAD_TYPE", "corrupt.parquet|1|UNREADABLE_FILE", "cut.parquet|1|UNREADABLE_FILE");
    assertThat(message("pq", "cut.parquet")).contains("cut.parquet: it is not a readable Parquet file (")
        .contains("Replace or repair the file; the other files of source 'pq' were read.");
    assertThat(message("pq", "corrupt.parquet")).contains("corrupt.parquet: it is not a readable Parquet file (");
    assertThat(message("pq", "b.parquet")).contains("value 'x' of field 'n' (column score)")
        .contains("b.parquet line 2 is not a number");
  }

  @Test
  void parquetFileWithAMappedColumnRenamedIsAConfErrorNamingTheFile() throws IOException {
    Path src = Files.createDirectories(dir.resolve("pqrenamed"));
    parquet("SELECT * FROM VALUES ('p1', 'one', 'ham', 1) AS t(key, body, y, n)", src.resolve("a.parquet"));
    parquet("SELECT * FROM VALUES ('p2', 'two', 'ham', 2) AS t(key, text_body, y, n)", src.resolve("b.parquet"));
    Path lake = dir.resolve("lake-renamed");

    assertThatThrownBy(() -> IngestJob.run(spark,
        config(lake, source("pqr", "parquet", src, "", PARQUET_COLUMNS)), RunContext.of("r1")))
        .isInstanceOf(LakepipeException.class)
        .satisfies(e -> assertThat(((LakepipeException) e).exitCode()).isEqualTo(2))
        .hasMessageContaining("Cannot read source 'pqr': column 'body' missing in ")
        .hasMessageContaining("b.parquet (it has: key, text_body, y, n)")
        .hasMessageContaining("under ingest.sources.pqr.columns");
    assertThat(Files.exists(lake.resolve("bronze/records"))).isFalse();
  }

  @Test
  void parquetSourceMappingAColumnNoFileHasIsAConfError() throws IOException {
    Path src = Files.createDirectories(dir.resolve("pqmissing"));
    parquet("SELECT * FROM VALUES ('p1', 'one', 'ham', 1) AS t(key, body, y, n)", src.resolve("a.parquet"));
    Path lake = dir.resolve("lake-missing");

    assertThatThrownBy(() -> IngestJob.run(spark, config(lake, source("pqm", "parquet", src, "",
        PARQUET_COLUMNS.replace("\"body\"", "\"content\""))), RunContext.of("r1")))
        .isInstanceOf(LakepipeException.class)
        .satisfies(e -> assertThat(((LakepipeException) e).exitCode()).isEqualTo(2))
        .hasMessageContaining("Cannot read source 'pqm': column 'content' missing in ")
        .hasMessageContaining("a.parquet (it has: key, body, y, n)");
    assertThat(Files.exists(lake.resolve("bronze/records"))).isFalse();
  }

  @Test
  void unclosedQuoteIsMalformedInsteadOfSwallowingTheRestOfTheFile() {
    // Line 2 is a record; from line 3 the open quote runs to the end of the file: one MALFORMED_RECORD that
    // holds lines 3-5 (before, it passed as one good record whose label held two other records).
    assertConserved("quote", 1, 2, 1, 1);
    assertThat(bronzeIds("quote")).containsExactly("1");
    assertThat(quarantine("quote")).containsExactly("q.csv|3|MALFORMED_RECORD");
    assertThat(message("quote", "q.csv")).contains("Line 3 of ").contains("q.csv opens a quote (\") that is never "
        + "closed: line 3 to the end of the file was read as one record. Close or escape the quote");
    assertThat(spark.sql("SELECT raw_record FROM delta.`" + quarantinePath() + "` WHERE _source = 'quote'")
        .first().getString(0)).isEqualTo("2,two,2,\"ham\n3,three,3,ham\n4,four,4,spam\n");
  }

  @Test
  void fileNotInUtf8WithoutEncodingKeyIsQuarantinedFromTheBadLineWithTheFix() {
    // u.csv: 1 record. w.csv: line 2 reads; line 3 is "11,caf" then 0xE9, a UTF-8 lead byte of a 3-byte sequence
    // followed by 0x20 (' '), not a continuation byte (10xxxxxx): malformed, UNREADABLE_FILE at line 3; line 4 is
    // not read. s.csv: line 2 reads; line 3's first byte 0xC9 is a 2-byte lead followed by 'm' (0x6D): line 3
    // again (the parser reads one character ahead, and must not blame line 2, which ended at the break).
    // 5 read = 3 written + 2 quarantined.
    assertConserved("encnokey", 3, 5, 3, 2);
    assertThat(texts("encnokey")).containsExactly("10=ok line", "20=café 中文", "30=ok");
    assertThat(quarantine("encnokey")).containsExactly("s.csv|3|UNREADABLE_FILE", "w.csv|3|UNREADABLE_FILE");
    assertThat(message("encnokey", "w.csv")).contains("w.csv: line 3 is not valid UTF-8. "
        + "Set ingest.sources.encnokey.encoding to the file's charset (e.g. \"windows-1252\"");
    assertThat(message("encnokey", "s.csv")).contains("s.csv: line 3 is not valid UTF-8.");
    // encjsonl: line 1 reads; line 2 has 0xE9 then '"' (0x22): UNREADABLE_FILE at line 2, line 3 not read.
    assertConserved("encjsonl", 1, 2, 1, 1);
    assertThat(texts("encjsonl")).containsExactly("40=ok");
    assertThat(quarantine("encjsonl")).containsExactly("w.jsonl|2|UNREADABLE_FILE");
    assertThat(message("encjsonl", "w.jsonl")).contains("w.jsonl: line 2 is not valid UTF-8. "
        + "Set ingest.sources.encjsonl.encoding to the file's charset");
  }

  @Test
  void encodingKeyReadsTheOtherFilesWhileUtf8FilesStayUtf8() {
    // u.csv is valid UTF-8 and read so (its 中文 has no windows-1252 form); w.csv and s.csv are not, and are
    // read with windows-1252 whole. 6 read = 6 written.
    assertConserved("enckey", 3, 6, 6, 0);
    assertThat(texts("enckey")).containsExactly("10=ok line", "11=café crème", "12=after", "20=café 中文", "30=ok",
        "31=Émile");
  }

  @Test
  void emailFallsBackToTheCharsetTheMessageDeclares() {
    // Neither message is valid UTF-8; each is decoded with its declared charset. 0xE1 is 'α' in ISO-8859-7 but
    // 'á' in windows-1252 (the last resort), so the Greek message shows which one was used.
    assertConserved("mail", 2, 2, 2, 0);
    assertThat(texts("mail")).containsExactly("<g1@x>=αβγ\n", "<l1@x>=Café crème\n");
  }

  @Test
  void binaryFilesAreQuarantinedNotReadAsText() {
    // notes (text, encoding windows-1252): u.txt is valid UTF-8 and stays UTF-8; w.txt is windows-1252; the PNG
    // has a NUL byte at offset 8 (after the 8-byte signature): one UNREADABLE_FILE record.
    assertConserved("notes", 3, 3, 2, 1);
    assertThat(texts("notes")).containsExactly("spam/u.txt=naïve 中文\n", "spam/w.txt=naïve\n");
    assertThat(quarantine("notes")).containsExactly("pic.png|1|UNREADABLE_FILE");
    assertThat(message("notes", "pic.png")).contains("pic.png: it is binary (a NUL byte at offset 8), not text. "
        + "Remove it from the source's folder or narrow ingest.sources.notes.include (e.g. \"*.txt\").");
    // jl (jsonl): noise.jsonl's first NUL is at offset 100 (bytes 0-99 forced non-zero).
    assertConserved("jl", 2, 3, 2, 1);
    assertThat(bronzeIds("jl")).containsExactly("j1", "j2");
    assertThat(quarantine("jl")).containsExactly("noise.jsonl|1|UNREADABLE_FILE");
    assertThat(message("jl", "noise.jsonl")).contains("noise.jsonl: it is binary (a NUL byte at offset 100), not "
        + "jsonl text.");
  }

  @Test
  void fiftyMegabyteFieldIsKeptWhole() {
    assertConserved("big", 1, 2, 2, 0);
    Row r = spark.sql("SELECT length(text), sha2(text, 256) FROM delta.`" + bronzePath() + "` WHERE id = 'big1'")
        .first();
    assertThat(r.getInt(0)).isEqualTo(10 * BIG_REPEATS);
    assertThat(r.getString(1)).isEqualTo(bigTextSha256);
  }

  @Test
  void emptySourcesReadNothingAndEmptyFilesAreLogged() {
    // emptydir: no file, nothing read, nothing logged. emptyfiles: two files with no record, each logged with
    // zero counts so the next run does not read them again.
    assertConserved("emptydir", 0, 0, 0, 0);
    assertConserved("emptyfiles", 2, 0, 0, 0);
    assertThat(spark.sql("SELECT path, rows_read FROM delta.`" + warehouse.resolve("ops/ingest_log")
        + "` WHERE source = 'emptyfiles' ORDER BY path").collectAsList().stream()
        .map(r -> r.getString(0).replaceAll(".*/", "") + "=" + r.getLong(1)).toList())
        .containsExactly("empty.csv=0", "header.csv=0");
  }

  @Test
  void totalsAddUp() {
    // The sums of the sources above (gzjson, gzcsv, pq, quote, encnokey, enckey, encjsonl, mail, notes, jl, big,
    // emptydir, emptyfiles): read 3+1001+7+2+5+6+2+2+3+3+2+0+0 = 1036, written 2+1000+4+1+3+6+1+2+2+2+2+0+0 = 1025,
    // quarantined 1+1+3+1+2+0+1+0+1+1+0+0+0 = 11.
    assertThat(report.totalRead()).isEqualTo(1036);
    assertThat(report.totalWritten()).isEqualTo(1025);
    assertThat(report.totalQuarantined()).isEqualTo(11);
  }

  /** Report, bronze, quarantine and ingest log agree on the hand-derived counts of one source. */
  private static void assertConserved(String source, int files, long read, long written, long quarantined) {
    assertThat(report.source(source)).isEqualTo(new IngestReport.SourceCounts(source,
        report.source(source).format(), files, read, written, quarantined, 0));
    assertThat(count(bronzePath(), "_source", source)).as("bronze rows of " + source).isEqualTo(written);
    assertThat(count(quarantinePath(), "_source", source)).as("quarantine rows of " + source).isEqualTo(quarantined);
    Row log = spark.sql("SELECT count(*), coalesce(sum(rows_read), 0), coalesce(sum(rows_written), 0), "
        + "coalesce(sum(rows_quarantined), 0) FROM delta.`" + warehouse.resolve("ops/ingest_log")
        + "` WHERE source = '" + source + "'").first();
    assertThat(List.of(log.getLong(0), log.getLong(1), log.getLong(2), log.getLong(3))).as("ingest_log of " + source)
        .containsExactly((long) files, read, written, quarantined);
  }

  private static long count(String table, String column, String value) {
    return spark.sql("SELECT count(*) FROM delta.`" + table + "` WHERE " + column + " = '" + value + "'")
        .first().getLong(0);
  }

  private static String bronzePath() {
    return warehouse.resolve("bronze/records").toString();
  }

  private static String quarantinePath() {
    return warehouse.resolve("ops/quarantine").toString();
  }

  private static List<String> bronzeIds(String source) {
    return spark.sql("SELECT id FROM delta.`" + bronzePath() + "` WHERE _source = '" + source + "' ORDER BY id")
        .collectAsList().stream().map(r -> r.getString(0)).toList();
  }

  /** "id=text" of a source's bronze rows, sorted by id. */
  private static List<String> texts(String source) {
    Map<String, String> byId = spark.sql("SELECT id, text FROM delta.`" + bronzePath() + "` WHERE _source = '"
        + source + "'").collectAsList().stream()
        .collect(Collectors.toMap(r -> r.getString(0), r -> r.getString(1), (x, y) -> x, TreeMap::new));
    return byId.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList();
  }

  /** "file name|row|reason" of a source's quarantine rows, sorted. */
  private static List<String> quarantine(String source) {
    return spark.sql("SELECT _source_file, _source_row, reason_code FROM delta.`" + quarantinePath()
        + "` WHERE _source = '" + source + "'").collectAsList().stream()
        .map(r -> r.getString(0).replaceAll(".*/", "") + "|" + r.get(1) + "|" + r.getString(2)).sorted().toList();
  }

  private static String message(String source, String fileName) {
    return spark.sql("SELECT message FROM delta.`" + quarantinePath() + "` WHERE _source = '" + source
        + "' AND _source_file LIKE '%/" + fileName + "'").first().getString(0);
  }

  private static String source(String name, String format, Path path, String extra, String columns) {
    return "ingest.sources." + name + " {\n  format = " + format + "\n  path = \"" + path + "\"\n  " + extra
        + "\n  " + columns + "\n}\n";
  }

  private static LakepipeConfig config(Path lake, String sources) {
    return TestConfigs.of(DATASET + "tables.warehouse = \"" + lake + "\"\n" + sources);
  }

  /** Writes the query's rows as one Parquet file at {@code target}. */
  private static void parquet(String query, Path target) throws IOException {
    Path tmp = target.resolveSibling("_" + target.getFileName());
    spark.sql(query).coalesce(1).write().parquet(tmp.toString());
    try (var files = Files.list(tmp)) {
      Path part = files.filter(p -> p.getFileName().toString().endsWith(".parquet")).findFirst().orElseThrow();
      Files.move(part, target);
    }
    try (var files = Files.walk(tmp)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  /** The PNG signature then an IHDR chunk's length (0x0000000D) and type: the first NUL is at offset 8. */
  private static byte[] png() {
    return new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n', 0, 0, 0, 0x0D, 'I', 'H', 'D', 'R'};
  }

  private static void gzip(Path file, String text) throws IOException {
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
      out.write(text.getBytes(StandardCharsets.UTF_8));
    }
  }
}
