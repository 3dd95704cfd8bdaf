package dev.lakepipe.ingest.init;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lakepipe.core.LakepipeException;
import dev.lakepipe.ingest.FieldProfile;
import dev.lakepipe.ingest.init.ConfGuesser.ColumnGuess;
import dev.lakepipe.ingest.init.ConfGuesser.Role;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The pure half of init: hand-built profiles in, roles, names and evidence out. */
class ConfGuesserTest {

  private static final int ROWS = 20;

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "Flight Date|flight_date",
      "Delay ($)|delay",
      "  Origin   Airport |origin_airport",
      "2nd Leg|c_2nd_leg",
      "run_id|run_id_2",
      "weight|weight_2",
      "Split|split_2",
      "_private|private",
      "Café Crème|cafe_creme",
      "userID|user_id",
      "Score%|score",
      "$$$|c_7",
  })
  void canonicalNamesFoldTheSourcesOwnNames(String field, String expected) {
    assertThat(ConfGuesser.canonicalName(field, 7, new HashSet<>())).isEqualTo(expected)
        .matches("[a-z][a-z0-9_]*");
  }

  @Test
  void canonicalNamesAreUnique() {
    Set<String> taken = new HashSet<>();
    assertThat(List.of("a b", "a-b", "A_B", "a b 2").stream()
        .map(f -> ConfGuesser.canonicalName(f, 1, taken)).toList())
        .containsExactly("a_b", "a_b_2", "a_b_3", "a_b_2_2");
  }

  @Test
  void everyRuleInItsOrder() {
    List<FieldProfile> fields = List.of(
        field("ref").distinct(ROWS).integral(ROWS).numeric(ROWS).build(),
        field("when").distinct(ROWS).format("yyyy-MM-dd", ROWS).build(),
        field("logged").distinct(ROWS).format("yyyy-MM-dd HH:mm:ss", ROWS).build(),
        field("code").distinct(ROWS).build(),
        field("amount").distinct(12).numeric(ROWS).build(),
        field("city").distinct(4).build(),
        field("summary").distinct(ROWS).length(24).words(5).build(),
        field("body").distinct(ROWS).length(180).words(30).build(),
        field("owner").distinct(15).build(),
        field("empty").present(0).distinct(0).build(),
        field("class").distinct(2).samples("spam", "ham").build());

    ConfGuesser.Guess g = ConfGuesser.guess(fields, "class", "x.csv");

    assertThat(roles(g)).containsExactly(
        Map.entry("ref", "ID ref"),
        Map.entry("when", "EVENT_TIME when"),
        Map.entry("logged", "LEFT_OUT null"),
        Map.entry("code", "LEFT_OUT null"),
        Map.entry("amount", "NUMERIC amount"),
        Map.entry("city", "CATEGORICAL city"),
        Map.entry("summary", "TEXT summary"),
        Map.entry("body", "TEXT body"),
        Map.entry("owner", "LEFT_OUT null"),
        Map.entry("empty", "LEFT_OUT null"),
        Map.entry("class", "LABEL class"));
    assertThat(g.eventTimeFormat()).contains("yyyy-MM-dd");
    assertThat(g.text()).extracting(ColumnGuess::canonical).containsExactly("body", "summary");
    assertThat(g.required()).containsExactly("ref", "body", "class");
    assertThat(g.mapped()).extracting(ColumnGuess::canonical)
        .containsExactly("class", "when", "ref", "amount", "city", "body", "summary");
    assertThat(reason(g, "logged")).isEqualTo(
        "every value reads as \"yyyy-MM-dd HH:mm:ss\", but the event time is 'when' already; a dataset has one");
    assertThat(reason(g, "code")).isEqualTo("20 distinct values in 20, 6 characters on average: unique like the "
        + "id 'ref', too short for text. Map it by hand if it is a feature");
    assertThat(reason(g, "owner")).isEqualTo("15 distinct values in 20, 6 characters on average: too many for a "
        + "category, too short for text (a name or a code?). Map it by hand if it is a feature");
    assertThat(reason(g, "empty")).isEqualTo("no value in any sampled record");
    assertThat(reason(g, "city")).isEqualTo("few distinct values, each seen 5 times on average");
    assertThat(g.label().evidence()).isEqualTo("2 distinct in 20 sampled, 0% null, e.g. \"spam\", \"ham\"");
  }

  @Test
  void decimalsSmallSamplesAndPhrasesAreNoIdentifiers() {
    List<FieldProfile> fields = List.of(
        field("price").distinct(ROWS).numeric(ROWS).integral(3).build(),
        field("name").distinct(ROWS).words(2).singleToken(0).build(),
        field("label").distinct(2).build());

    assertThat(roles(ConfGuesser.guess(fields, "label", "x"))).containsExactly(
        Map.entry("price", "NUMERIC price"),
        Map.entry("name", "LEFT_OUT null"),
        Map.entry("label", "LABEL label"));

    // Mostly numbers, with a marker ingest would reject as BAD_TYPE: neither numeric nor a category.
    FieldProfile marked = new FieldProfile("temp", "string", 60, 60, 58, 57, 0, 60, 4, 1, 0, Map.of(),
        List.of("21.5", "NA", "19.0"));
    FieldProfile y = new FieldProfile("y", "string", 60, 60, 2, 0, 0, 60, 1, 1, 0, Map.of(), List.of());
    ConfGuesser.Guess g = ConfGuesser.guess(List.of(marked, y, field("n").numeric(ROWS).build()), "y", "x");
    assertThat(roles(g)).containsEntry("temp", "LEFT_OUT null");
    assertThat(reason(g, "temp")).isEqualTo("57 of 60 values read as numbers but not all (a missing-value marker?); "
        + "as a numeric column ingest would quarantine the others as BAD_TYPE. Blank them in the source, or map it "
        + "by hand");

    // Nine rows, all distinct: too few to call a field an identifier; whole numbers are numeric then.
    FieldProfile nine = new FieldProfile("n", "string", 9, 9, 9, 9, 9, 9, 1, 1, 0, Map.of(), List.of());
    FieldProfile label = new FieldProfile("y", "string", 9, 9, 2, 0, 0, 9, 1, 1, 0, Map.of(), List.of());
    assertThat(roles(ConfGuesser.guess(List.of(nine, label), "y", "x")))
        .containsEntry("n", "NUMERIC n");
  }

  @Test
  void categoriesNeedRepeatsAndAtMostFiftyValuesOrFivePercent() {
    FieldProfile fifty = new FieldProfile("a", "string", 1000, 1000, 50, 0, 0, 1000, 5, 1, 0, Map.of(), List.of());
    FieldProfile many = new FieldProfile("b", "string", 4000, 4000, 200, 0, 0, 4000, 5, 1, 0, Map.of(), List.of());
    FieldProfile tooMany = new FieldProfile("c", "string", 1000, 1000, 51, 0, 0, 1000, 5, 1, 0, Map.of(), List.of());
    FieldProfile fewRepeats = new FieldProfile("d", "string", 20, 20, 11, 0, 0, 20, 5, 1, 0, Map.of(), List.of());
    FieldProfile label = new FieldProfile("y", "string", 1000, 1000, 2, 0, 0, 1000, 1, 1, 0, Map.of(), List.of());

    assertThat(roles(ConfGuesser.guess(List.of(fifty, many, tooMany, fewRepeats, label), "y", "x")))
        .containsEntry("a", "CATEGORICAL a")
        .containsEntry("b", "CATEGORICAL b")
        .containsEntry("c", "LEFT_OUT null")
        .containsEntry("d", "LEFT_OUT null");
  }

  @Test
  void parquetTimestampsAreReadAsIsoWithoutAFormat() {
    FieldProfile ts = new FieldProfile("ts", "timestamp", ROWS, ROWS, ROWS, 0, 0, 0, 21, 2, ROWS, Map.of(
        "yyyy-MM-dd HH:mm:ss", 12L), List.of("2024-01-01 10:00:00.5"));
    FieldProfile isoText = new FieldProfile("t", "string", ROWS, ROWS, ROWS, 0, 0, ROWS, 10, 1, ROWS, Map.of(),
        List.of());
    FieldProfile label = field("y").distinct(2).build();

    ConfGuesser.Guess g = ConfGuesser.guess(List.of(ts, isoText, label), "y", "x");

    assertThat(roles(g)).containsEntry("ts", "EVENT_TIME ts");
    assertThat(g.eventTimeFormat()).isEmpty();
    assertThat(reason(g, "ts")).isEqualTo("a Parquet timestamp, read as ISO-8601");
    // A string column ISO-8601 reads but no listed format does (e.g. bare years) is no timestamp.
    assertThat(roles(g)).containsEntry("t", "ID t");
  }

  @Test
  void evidenceShowsNullRateAndShortenedSamples() {
    FieldProfile f = new FieldProfile("notes", "string", 60, 59, 59, 0, 0, 0, 80, 12, 0, Map.of(),
        List.of("first line\nsecond line", "x".repeat(50), "\"quoted\""));
    ColumnGuess c = new ColumnGuess(f, Role.TEXT, "notes", "long");

    assertThat(c.evidence()).isEqualTo("59 distinct in 60 sampled, 1.7% null, e.g. \"first line second line\", \""
        + "x".repeat(40) + "...\", \"\\\"quoted\\\"\"");
    assertThat(ConfGuesser.percent(12, 20)).isEqualTo("60%");
    assertThat(ConfGuesser.percent(0, 0)).isEqualTo("0%");
  }

  @Test
  void unknownLabelNamesTheFileAndItsFields() {
    List<FieldProfile> fields = List.of(field("Flight Date").build(), field("Cancelled").distinct(2).build());

    assertThatThrownBy(() -> ConfGuesser.guess(fields, "cancelled", "/data/flights.csv"))
        .isInstanceOf(LakepipeException.class)
        .hasMessage("Cannot init: --label 'cancelled' is not a field of /data/flights.csv. Its fields are: "
            + "Flight Date, Cancelled. Did you mean 'Cancelled'? Names are case-sensitive. Pass the field that "
            + "holds each record's class as --label.");
  }

  @Test
  void labelWithoutValuesIsRefused() {
    List<FieldProfile> fields = List.of(field("a").build(), field("y").present(0).distinct(0).build());

    assertThatThrownBy(() -> ConfGuesser.guess(fields, "y", "/data/x.jsonl"))
        .hasMessage("Cannot init: --label 'y' has no value in the 20 records sampled from /data/x.jsonl. Pass the "
            + "field that holds each record's class.");
  }

  @Test
  void nothingToLearnFromIsRefused() {
    List<FieldProfile> fields = List.of(
        field("ref").distinct(ROWS).build(),
        field("owner").distinct(15).build(),
        field("y").distinct(2).build());

    assertThatThrownBy(() -> ConfGuesser.guess(fields, "y", "/data/x.csv"))
        .hasMessage("Cannot init: no field of /data/x.csv besides the label has anything to learn from (a number, "
            + "a category, a text or a time); 'ref' looks like an identifier; 'owner' 15 distinct values in 20, 6 "
            + "characters on average: too many for a category, too short for text (a name or a code?). Map it by "
            + "hand if it is a feature. Sample more records with --sample-rows, or write the conf by hand.");

    // An event time alone is enough: the conf then takes its parts as features.
    List<FieldProfile> timed = List.of(field("day").distinct(ROWS).format("yyyy-MM-dd", ROWS).build(),
        field("y").distinct(2).build());
    assertThat(ConfGuesser.guess(timed, "y", "x").hasFeatures()).isFalse();
  }

  private static Map<String, String> roles(ConfGuesser.Guess g) {
    Map<String, String> out = new LinkedHashMap<>();
    g.columns().forEach(c -> out.put(c.field().name(), c.role() + " " + c.canonical()));
    return out;
  }

  private static String reason(ConfGuesser.Guess g, String field) {
    return g.columns().stream().filter(c -> c.field().name().equals(field)).findFirst().orElseThrow().reason();
  }

  private static Builder field(String name) {
    return new Builder(name);
  }

  /** A text field of {@link #ROWS} records, all present and one short word each, unless told otherwise. */
  private static final class Builder {
    private final String name;
    private long present = ROWS;
    private long distinct = 1;
    private long numeric;
    private long integral;
    private long singleToken = -1;
    private double length = 6;
    private double words = 1;
    private final Map<String, Long> formats = new LinkedHashMap<>();
    private List<String> samples = List.of();

    Builder(String name) {
      this.name = name;
    }

    Builder present(long n) {
      present = n;
      return this;
    }

    Builder distinct(long n) {
      distinct = n;
      return this;
    }

    Builder numeric(long n) {
      numeric = n;
      return this;
    }

    Builder integral(long n) {
      integral = n;
      return this;
    }

    Builder singleToken(long n) {
      singleToken = n;
      return this;
    }

    Builder length(double n) {
      length = n;
      return this;
    }

    Builder words(double n) {
      words = n;
      if (n > 1 && singleToken < 0) {
        singleToken = 0;
      }
      return this;
    }

    Builder format(String pattern, long n) {
      formats.put(pattern, n);
      return this;
    }

    Builder samples(String... values) {
      samples = List.of(values);
      return this;
    }

    FieldProfile build() {
      return new FieldProfile(name, "string", ROWS, present, distinct, numeric, integral,
          singleToken < 0 ? present : singleToken, length, words, 0, formats, samples);
    }
  }
}
