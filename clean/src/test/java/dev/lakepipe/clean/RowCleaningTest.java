package dev.lakepipe.clean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.ConfigFactory;
import dev.lakepipe.core.QuarantineTable;
import dev.lakepipe.core.RunContext;
import dev.lakepipe.core.config.ConfigProblems;
import dev.lakepipe.core.config.DatasetSchema;
import dev.lakepipe.core.testing.SparkTestBase;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/** Row-level cleaning on real Spark with hand-built rows; every expected value is worked out by hand. */
class RowCleaningTest extends SparkTestBase {

  private static final DatasetSchema SCHEMA = new DatasetSchema("t", "id", List.of("text", "subject"), "label",
      "event_time", List.of("size_bytes"), List.of("sender", "content_type"), List.of("id", "text", "label"));
  private static final StructType BRONZE = SCHEMA.sparkSchema()
      .add("_record_id", DataTypes.StringType)
      .add("_source", DataTypes.StringType)
      .add("_source_file", DataTypes.StringType)
      .add("_source_row", DataTypes.LongType)
      .add("_ingested_at", DataTypes.TimestampType)
      .add("run_id", DataTypes.StringType);
  private static final RunContext RUN = new RunContext("clean-1", Instant.parse("2026-11-23T10:00:00Z"));

  /** A bronze row that passes everything below; {@link #with} changes one column. */
  private static final class R {
    final Object[] v;

    R(long n) {
      v = new Object[] {"m" + n, "hello " + n, "subject " + n, "spam", ts("2002-08-22T11:26:25Z"), 100.0,
          "bob@x.org", "text/plain", "r" + n, "src", "data/f.csv", n, ts("2026-11-22T00:00:00Z"), "ingest-1"};
    }

    R with(String column, Object value) {
      v[Arrays.asList(BRONZE.fieldNames()).indexOf(column)] = value;
      return this;
    }
  }

  private static Timestamp ts(String instant) {
    return Timestamp.from(Instant.parse(instant));
  }

  private static Dataset<Row> bronze(R... rows) {
    List<Row> out = new ArrayList<>();
    for (R r : rows) {
      out.add(RowFactory.create(r.v));
    }
    return spark.createDataFrame(out, BRONZE);
  }

  private static RowCleaningSettings settings(String cleanHocon) {
    ConfigProblems problems = new ConfigProblems("test");
    RowCleaningSettings s = RowCleaningSettings.parse(
        ConfigFactory.parseString("clean {" + cleanHocon + "}").getConfig("clean"), SCHEMA, problems);
    problems.throwIfAny();
    return s;
  }

  private static RowCleaning.Result clean(String cleanHocon, R... rows) {
    Dataset<Row> in = bronze(rows);
    RowCleaning.Result result = RowCleaning.apply(in, settings(cleanHocon), SCHEMA, RUN);
    assertThat(result.kept().count() + result.quarantined().count()).isEqualTo(in.count());
    return result;
  }

  /** Kept rows: _record_id to the value of {@code column}. */
  private static Map<String, Object> kept(RowCleaning.Result r, String column) {
    Map<String, Object> out = new TreeMap<>();
    r.kept().collectAsList().forEach(row -> out.put(row.getAs("_record_id"), row.getAs(column)));
    return out;
  }

  /** Kept rows: _record_id to its flags. */
  private static Map<String, List<String>> flags(RowCleaning.Result r) {
    Map<String, List<String>> out = new TreeMap<>();
    r.kept().collectAsList().forEach(row -> out.put(row.getAs("_record_id"), row.getList(row.fieldIndex("_flags"))));
    return out;
  }

  /** Quarantined rows: _record_id to "reason_code rule_id column_name". */
  private static Map<String, String> quarantined(RowCleaning.Result r) {
    Map<String, String> out = new TreeMap<>();
    r.quarantined().collectAsList().forEach(row -> out.put(row.getAs("_record_id"),
        row.getAs("reason_code") + " " + row.getAs("rule_id") + " " + row.getAs("column_name")));
    return out;
  }

  private static final String LABELS = """
      normalize.labels { synonyms { spam = ["Spam", "1", "true", "junk"], ham = ["0", "false"] } }
      """;

  @Test
  void labelSynonymsMapToCanonicalLabelsAndUnknownLabelsAreQuarantined() {
    RowCleaning.Result r = clean(LABELS,
        new R(1).with("label", "Spam"), new R(2).with("label", "spam "), new R(3).with("label", "1"),
        new R(4).with("label", " JUNK"), new R(5).with("label", "0"), new R(6).with("label", "HAM"),
        new R(7).with("label", "maybe"), new R(8).with("label", null));

    Map<String, Object> expected = new TreeMap<>(Map.of(
        "r1", "spam", "r2", "spam", "r3", "spam", "r4", "spam", "r5", "ham", "r6", "ham"));
    // A null label is a missing value (clean.missing), not an unknown one; missing is kept by default.
    expected.put("r8", null);
    assertThat(kept(r, "label")).containsExactlyEntriesOf(expected);
    assertThat(quarantined(r)).containsExactlyEntriesOf(Map.of("r7", "UNKNOWN_LABEL labels label"));
    Row q = r.quarantined().collectAsList().get(0);
    assertThat(q.<String>getAs("raw_value")).isEqualTo("maybe");
    assertThat(q.<String>getAs("message")).isEqualTo("Cannot accept record r7 from src (data/f.csv line 7): "
        + "label 'maybe' is not one of ham, spam. Add it to clean.normalize.labels.synonyms, or set "
        + "clean.normalize.labels.unknown = keep.");
  }

  @Test
  void unknownLabelsAreKeptWhenAskedAndOnlyTrimmedWithoutSynonyms() {
    RowCleaning.Result keep = clean(LABELS.replace("] }", "] }, unknown = keep"),
        new R(1).with("label", " maybe "), new R(2).with("label", "1"));
    assertThat(kept(keep, "label")).containsExactlyEntriesOf(new TreeMap<>(Map.of("r1", "maybe", "r2", "spam")));

    RowCleaning.Result none = clean("", new R(1).with("label", " Spam "), new R(2).with("label", "1"));
    assertThat(kept(none, "label")).containsExactlyEntriesOf(new TreeMap<>(Map.of("r1", "Spam", "r2", "1")));
  }

  @Test
  void columnsAreNormalisedByRole() {
    RowCleaning.Result r = clean("""
        normalize.categorical.regex-extract { content_type = "^([^;\\\\s]+)" }
        """,
        new R(1).with("text", "ＡＢＣ１  ﬁ\u0000\n\n\n\nend ").with("subject", " Re:\tHi ")
            .with("sender", "  Bob   <Bob@X.org> ").with("content_type", "Text/Plain; charset=\"x\""),
        new R(2).with("content_type", "text/plain charset=us-ascii").with("sender", "   "),
        new R(3).with("content_type", ";odd").with("id", " m3 "));

    assertThat(kept(r, "text")).containsEntry("r1", "ABC1 fi\n\nend");
    assertThat(kept(r, "subject")).containsEntry("r1", "Re: Hi");
    assertThat(kept(r, "sender")).containsEntry("r1", "bob <bob@x.org>").containsEntry("r2", null);
    assertThat(kept(r, "content_type")).containsExactlyEntriesOf(new TreeMap<>(Map.of(
        "r1", "text/plain", "r2", "text/plain", "r3", ";odd")));
    assertThat(kept(r, "id")).containsEntry("r3", " m3 ");  // ids are never rewritten
    assertThat(flags(r).values()).allMatch(List::isEmpty);
  }

  @Test
  void rangeRuleOnNumbersQuarantinesFixesOrFlags() {
    R[] rows = {new R(1).with("size_bytes", -5.0), new R(2).with("size_bytes", 2000.0),
        new R(3).with("size_bytes", 500.0), new R(4).with("size_bytes", null), new R(5).with("size_bytes", 0.0)};
    String rule = "rules = [{ id = size, column = size_bytes, check = range, min = 0, max = 1000, action = %s }]";

    RowCleaning.Result q = clean(rule.formatted("quarantine"), rows);
    assertThat(quarantined(q)).containsExactlyEntriesOf(new TreeMap<>(Map.of(
        "r1", "RULE_FAILED size size_bytes", "r2", "RULE_FAILED size size_bytes")));
    Row r1 = q.quarantined().filter("_record_id = 'r1'").first();
    assertThat(r1.<String>getAs("raw_value")).isEqualTo("-5.0");
    assertThat(r1.<String>getAs("message")).isEqualTo("Cannot accept record r1 from src (data/f.csv line 1): "
        + "column size_bytes value '-5.0' is outside [0.0, 1000.0] (rule 'size'). Correct the value in the "
        + "source, or change clean.rules[0] ('size').");

    RowCleaning.Result fix = clean(rule.formatted("fix"), rows);
    assertThat(fix.quarantined().count()).isZero();
    Map<String, Object> sizes = kept(fix, "size_bytes");
    assertThat(sizes).containsEntry("r1", 0.0).containsEntry("r2", 1000.0).containsEntry("r3", 500.0)
        .containsEntry("r4", null).containsEntry("r5", 0.0);
    assertThat(flags(fix)).containsExactlyEntriesOf(new TreeMap<>(Map.of("r1", List.of("fixed:size"),
        "r2", List.of("fixed:size"), "r3", List.of(), "r4", List.of(), "r5", List.of())));

    RowCleaning.Result keep = clean(rule.formatted("keep"), rows);
    assertThat(keep.quarantined().count()).isZero();
    assertThat(kept(keep, "size_bytes")).containsEntry("r1", -5.0).containsEntry("r2", 2000.0);
    assertThat(flags(keep)).containsEntry("r1", List.of("rule:size")).containsEntry("r2", List.of("rule:size"))
        .containsEntry("r3", List.of());
  }

  @Test
  void eventTimeBoundsCatch1902And2038AndY2kYears() {
    R[] rows = {new R(1).with("event_time", ts("1902-05-01T00:00:00Z")),
        new R(2).with("event_time", ts("2038-01-19T03:14:08Z")), new R(3),
        new R(4).with("event_time", null), new R(5).with("event_time", ts("0102-08-22T00:00:00Z")),
        new R(6).with("event_time", ts("1995-01-01T00:00:00Z"))};
    String rule = "rules = [{ id = era, column = event_time, check = range, min = \"1995-01-01T00:00:00Z\", "
        + "max = \"2005-12-31T23:59:59Z\", action = %s }]";

    RowCleaning.Result q = clean(rule.formatted("quarantine"), rows);
    assertThat(quarantined(q)).containsOnlyKeys("r1", "r2", "r5").containsEntry("r1", "RULE_FAILED era event_time");
    assertThat(q.quarantined().filter("_record_id = 'r2'").first().<String>getAs("message"))
        .contains("column event_time value '2038-01-19 03:14:08' is outside "
            + "[1995-01-01T00:00:00Z, 2005-12-31T23:59:59Z] (rule 'era')");

    RowCleaning.Result fix = clean(rule.formatted("fix"), rows);
    Map<String, Object> times = kept(fix, "event_time");
    assertThat(times).containsEntry("r1", ts("1995-01-01T00:00:00Z")).containsEntry("r2", ts("2005-12-31T23:59:59Z"))
        .containsEntry("r3", ts("2002-08-22T11:26:25Z")).containsEntry("r4", null)
        .containsEntry("r5", ts("1995-01-01T00:00:00Z"));
    assertThat(flags(fix)).containsEntry("r1", List.of("fixed:era")).containsEntry("r6", List.of());
  }

  @Test
  void allowedRegexRequiredAndNotBlankRules() {
    R[] rows = {new R(1), new R(2).with("content_type", "image/png"), new R(3).with("sender", "not an address"),
        new R(4).with("sender", null), new R(5).with("subject", "  \t "), new R(6).with("subject", null)};
    String rules = """
        rules = [
          { id = ct, column = content_type, check = allowed, values = ["text/plain", "text/html"], action = %s }
          { id = from, column = sender, check = regex, pattern = "^[^@\\\\s]+@[^@\\\\s]+$", action = %s }
          { id = has-sender, column = sender, check = required, action = %s }
          { id = subj, column = subject, check = not-blank, action = %s }
        ]
        """;

    RowCleaning.Result q = clean(rules.formatted("quarantine", "quarantine", "quarantine", "quarantine"), rows);
    assertThat(quarantined(q)).containsExactlyEntriesOf(new TreeMap<>(Map.of(
        "r2", "RULE_FAILED ct content_type", "r3", "RULE_FAILED from sender",
        "r4", "RULE_FAILED has-sender sender", "r5", "RULE_FAILED subj subject")));
    assertThat(flags(q)).containsOnlyKeys("r1", "r6");

    RowCleaning.Result fix = clean(rules.formatted("fix", "fix", "keep", "fix"), rows);
    assertThat(fix.quarantined().count()).isZero();
    assertThat(kept(fix, "content_type")).containsEntry("r2", null).containsEntry("r1", "text/plain");
    assertThat(kept(fix, "sender")).containsEntry("r3", null).containsEntry("r1", "bob@x.org");
    assertThat(kept(fix, "subject")).containsEntry("r5", null).containsEntry("r6", null);
    // The regex fix nulls r3's sender; the required rule after it then sees null and flags it.
    assertThat(flags(fix)).containsExactlyEntriesOf(new TreeMap<>(Map.of("r1", List.of(),
        "r2", List.of("fixed:ct"), "r3", List.of("fixed:from", "rule:has-sender"),
        "r4", List.of("rule:has-sender"), "r5", List.of("fixed:subj"), "r6", List.of())));
  }

  /**
   * The checks allowed, regex, required and not-blank each fail once, with their exact quarantine message and
   * raw value, and under action keep each only flags (allowed, regex and not-blank had no keep case above;
   * required cannot fix). r4's regex sees a null sender, which passes (null is required's job); r5's subject
   * "  \t " is "" after text normalisation, so the message shows '' and the raw value the original.
   */
  @Test
  void eachStringCheckFailsOnceWithItsMessageAndKeepOnlyFlags() {
    R[] rows = {new R(1), new R(2).with("content_type", "image/png"), new R(3).with("sender", "not an address"),
        new R(4).with("sender", null), new R(5).with("subject", "  \t ")};
    String rules = """
        rules = [
          { id = ct, column = content_type, check = allowed, values = ["text/plain", "text/html"], action = %1$s }
          { id = from, column = sender, check = regex, pattern = "^[^@\\\\s]+@[^@\\\\s]+$", action = %1$s }
          { id = has-sender, column = sender, check = required, action = %1$s }
          { id = subj, column = subject, check = not-blank, action = %1$s }
        ]
        """;

    RowCleaning.Result q = clean(rules.formatted("quarantine"), rows);
    Map<String, String> messages = new TreeMap<>();
    q.quarantined().collectAsList().forEach(row -> messages.put(row.getAs("_record_id"),
        row.getAs("reason_code") + " " + row.getAs("rule_id") + " " + row.getAs("column_name") + " raw="
            + row.getAs("raw_value") + " | " + row.getAs("message")));
    String fix = ". Correct the value in the source, or change clean.rules[";
    assertThat(messages).containsExactlyEntriesOf(new TreeMap<>(Map.of(
        "r2", "RULE_FAILED ct content_type raw=image/png | Cannot accept record r2 from src (data/f.csv line 2): "
            + "column content_type value 'image/png' is not one of text/plain, text/html (rule 'ct')" + fix
            + "0] ('ct').",
        "r3", "RULE_FAILED from sender raw=not an address | Cannot accept record r3 from src (data/f.csv line 3): "
            + "column sender value 'not an address' does not match ^[^@\\s]+@[^@\\s]+$ (rule 'from')" + fix
            + "1] ('from').",
        "r4", "RULE_FAILED has-sender sender raw=null | Cannot accept record r4 from src (data/f.csv line 4): "
            + "column sender is empty (rule 'has-sender')" + fix + "2] ('has-sender').",
        "r5", "RULE_FAILED subj subject raw=  \t  | Cannot accept record r5 from src (data/f.csv line 5): "
            + "column subject value '' is blank (rule 'subj')" + fix + "3] ('subj').")));
    assertThat(flags(q)).containsExactlyEntriesOf(Map.of("r1", List.of()));

    RowCleaning.Result keep = clean(rules.formatted("keep"), rows);
    assertThat(keep.quarantined().count()).isZero();
    assertThat(flags(keep)).containsExactlyEntriesOf(new TreeMap<>(Map.of("r1", List.of(),
        "r2", List.of("rule:ct"), "r3", List.of("rule:from"), "r4", List.of("rule:has-sender"),
        "r5", List.of("rule:subj"))));
    // Keep changes no value.
    assertThat(kept(keep, "content_type")).containsEntry("r2", "image/png");
    assertThat(kept(keep, "sender")).containsEntry("r3", "not an address").containsEntry("r4", null);
    assertThat(kept(keep, "subject")).containsEntry("r5", "");
  }

  @Test
  void aRowFailingSeveralRulesIsQuarantinedOnceUnderTheFirst() {
    RowCleaning.Result r = clean("""
        rules = [
          { id = size, column = size_bytes, check = range, min = 0 }
          { id = from, column = sender, check = regex, pattern = "@" }
        ]
        """, new R(1).with("size_bytes", -1.0).with("sender", "nobody"), new R(2).with("sender", "nobody"));

    assertThat(quarantined(r)).containsExactlyEntriesOf(new TreeMap<>(Map.of(
        "r1", "RULE_FAILED size size_bytes", "r2", "RULE_FAILED from sender")));
    assertThat(r.quarantined().filter("_record_id = 'r1'").first().<String>getAs("message"))
        .isEqualTo("Cannot accept record r1 from src (data/f.csv line 1): column size_bytes value '-1.0' is "
            + "outside [0.0, any] (rule 'size'); column sender value 'nobody' does not match @ (rule 'from'). "
            + "Correct the value in the source, or change clean.rules[0] ('size'). Correct the value in the "
            + "source, or change clean.rules[1] ('from').");
  }

  @Test
  void missingValuePoliciesDropFlagOrKeep() {
    RowCleaning.Result r = clean("missing { sender = drop, event_time = flag, content_type = keep }",
        new R(1), new R(2).with("sender", " "), new R(3).with("sender", null), new R(4).with("event_time", null),
        new R(5).with("content_type", null).with("event_time", null));

    assertThat(quarantined(r)).containsExactlyEntriesOf(new TreeMap<>(Map.of(
        "r2", "MISSING_VALUE missing:sender sender", "r3", "MISSING_VALUE missing:sender sender")));
    assertThat(flags(r)).containsExactlyEntriesOf(new TreeMap<>(Map.of("r1", List.of(),
        "r4", List.of("missing:event_time"), "r5", List.of("missing:event_time"))));
    assertThat(r.quarantined().filter("_record_id = 'r2'").first().<String>getAs("message")).isEqualTo(
        "Cannot accept record r2 from src (data/f.csv line 2): column sender is empty. Fill it in the source, "
            + "or set clean.missing.sender = keep or flag.");
    assertThat(r.quarantined().filter("_record_id = 'r2'").first().<String>getAs("raw_value")).isEqualTo(" ");
  }

  @Test
  void everyRowLandsInExactlyOneOutputWithTheContractedColumns() {
    RowCleaning.Result r = clean(LABELS + """
        rules = [{ id = size, column = size_bytes, check = range, min = 0, action = fix }]
        missing { sender = drop, event_time = flag }
        """, new R(1), new R(2).with("label", "??"), new R(3).with("sender", null),
        new R(4).with("size_bytes", -3.0).with("event_time", null), new R(5).with("label", "??").with("sender", null));

    List<String> input = new ArrayList<>(Arrays.asList(BRONZE.fieldNames()));
    input.add(RowCleaning.FLAGS);
    assertThat(r.kept().columns()).containsExactlyElementsOf(input);
    assertThat(r.quarantined().columns()).containsExactly(QuarantineTable.SCHEMA.fieldNames());
    assertThat(r.quarantined().schema().apply("quarantined_at").dataType()).isEqualTo(DataTypes.TimestampType);
    assertThat(r.quarantined().schema().apply("_source_row").dataType()).isEqualTo(DataTypes.LongType);

    List<String> ids = new ArrayList<>(kept(r, "id").keySet());
    ids.addAll(quarantined(r).keySet());
    assertThat(ids).containsExactlyInAnyOrder("r1", "r2", "r3", "r4", "r5");
    // r5 has both an unknown label and a missing sender: one quarantine row, under the label problem.
    assertThat(quarantined(r)).containsExactlyEntriesOf(new TreeMap<>(Map.of("r2", "UNKNOWN_LABEL labels label",
        "r3", "MISSING_VALUE missing:sender sender", "r5", "UNKNOWN_LABEL labels label")));
    assertThat(flags(r)).containsEntry("r4", List.of("missing:event_time", "fixed:size"));

    Row q = r.quarantined().filter("_record_id = 'r3'").first();
    assertThat(q.<String>getAs("stage")).isEqualTo("clean");
    assertThat(q.<String>getAs("run_id")).isEqualTo("clean-1");
    assertThat(q.<Timestamp>getAs("quarantined_at")).isEqualTo(ts("2026-11-23T10:00:00Z"));
    assertThat(q.<Long>getAs("_source_row")).isEqualTo(3L);
    assertThat(q.<String>getAs("raw_value")).isNull();
    assertThat(q.<String>getAs("raw_record")).startsWith("{\"id\":\"m3\",\"text\":\"hello 3\"")
        .contains("\"label\":\"spam\"", "\"run_id\":\"ingest-1\"").doesNotContain("sender");
    assertThat(r.quarantined().select("_quarantine_id").distinct().count()).isEqualTo(3);

    // Same input, same ids: re-running never quarantines a row under a new id.
    RowCleaning.Result again = RowCleaning.apply(bronze(new R(3).with("sender", null)),
        settings(LABELS + "missing { sender = drop }"), SCHEMA, RUN);
    assertThat(again.quarantined().first().<String>getAs("_quarantine_id")).isEqualTo(q.getAs("_quarantine_id"));
  }

  @Test
  void emptyCleanSectionGivesDefaults() {
    assertThat(settings("")).isEqualTo(RowCleaningSettings.defaults());
    assertThat(settings("exact-duplicates { columns = [\"text\"] }")).isEqualTo(RowCleaningSettings.defaults());
  }

  @Test
  void confProblemsAreListedAtOnceNamingKeyAndFix() {
    ConfigProblems problems = new ConfigProblems("test conf");
    RowCleaningSettings.parse(ConfigFactory.parseString("""
        normalize {
          text { lowercase = yes-please, strp-html = true }
          categorical { regex-extract { nope = "(" } }
          labels { synonyms { spam = ["1"], ham = ["1"] }, unknown = drop }
        }
        rules = [
          { id = a, column = size_bytes, check = range, min = zero }
          { id = b, column = sender, check = regex, pattern = "[", action = delete }
          { id = c, column = no_such, check = between }
          { id = d, column = event_time, check = range, min = yesterday, max = "2005-01-01T00:00:00Z" }
          { id = e, column = sender, check = range, min = 1 }
          { id = a, column = text, check = required, action = fix }
          { id = g, column = text, check = not-blank, values = ["x"] }
        ]
        missing { sender = discard, nosuch = flag }
        near-duplicates { whatever = 1 }
        """), SCHEMA, problems);

    assertThat(problems.problems()).containsExactly(
        "Unknown key clean.normalize.text.strp-html. Did you mean 'clean.normalize.text.strip-html'?",
        "Key clean.normalize.text.lowercase must be true or false, got 'yes-please'.",
        "Key clean.normalize.categorical.regex-extract.nope names 'nope', which is not a categorical column. "
            + "Categorical columns (dataset.columns.categorical) are: sender, content_type.",
        "Key clean.normalize.categorical.regex-extract.nope is '(', not a valid regular expression "
            + "(Unclosed group). Fix the pattern (Java syntax; backslashes are doubled in HOCON strings).",
        "Key clean.normalize.labels.synonyms.spam lists '1', which already means 'ham'. "
            + "Keep each value under one label only.",
        "Key clean.normalize.labels.unknown is 'drop'. Use quarantine or keep.",
        "Key clean.rules[0].min is 'zero', not a number. Write a number such as 0 or 1.5e6.",
        "Key clean.rules[1].action is 'delete', an unknown action. Use one of quarantine, fix, keep.",
        "Key clean.rules[1].pattern is '[', not a valid regular expression (Unclosed character class). "
            + "Fix the pattern (Java syntax; backslashes are doubled in HOCON strings).",
        "Key clean.rules[2].column is 'no_such', which is not a canonical column. Canonical columns "
            + "(dataset.columns) are: id, text, subject, label, event_time, size_bytes, sender, content_type.",
        "Key clean.rules[2].check is 'between', an unknown check. Use one of required, range, allowed, regex, "
            + "not-blank.",
        "Key clean.rules[3].min is 'yesterday', not an ISO-8601 instant. Write it like \"1995-01-01T00:00:00Z\".",
        "Key clean.rules[4].check is range, but column 'sender' is categorical. Range checks need a numeric or "
            + "the event-time column; use allowed or regex for strings.",
        "Key clean.rules[5].action is fix, but a missing value cannot be fixed here. Use quarantine or keep "
            + "(imputation belongs to features).",
        "Key clean.rules[6].values does not apply to check not-blank. Remove it, or change clean.rules[6].check.",
        "Key clean.missing.nosuch names 'nosuch', which is not a canonical column. Canonical columns "
            + "(dataset.columns) are: id, text, subject, label, event_time, size_bytes, sender, content_type.",
        "Key clean.missing.sender is 'discard'. Use drop (quarantine the row), keep or flag.");
    assertThatThrownBy(problems::throwIfAny).hasMessageContaining("has 17 problems");
  }

  @Test
  void duplicateRuleIdsAreRejected() {
    ConfigProblems problems = new ConfigProblems("test conf");
    RowCleaningSettings.parse(ConfigFactory.parseString("""
        rules = [
          { id = x, column = size_bytes, check = range, min = 0 }
          { id = x, column = sender, check = not-blank }
        ]
        """), SCHEMA, problems);
    assertThat(problems.problems()).containsExactly(
        "Key clean.rules[1].id is 'x', which an earlier rule already uses. Give each rule its own id.");
  }
}
