package dev.lakepipe.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.lakepipe.core.config.ConfigProblems;
import dev.lakepipe.core.config.DatasetSchema;
import dev.lakepipe.features.FeatureSettings.Categorical;
import dev.lakepipe.features.FeatureSettings.CategoricalColumn;
import dev.lakepipe.features.FeatureSettings.ClassWeighting;
import dev.lakepipe.features.FeatureSettings.Encoding;
import dev.lakepipe.features.FeatureSettings.Impute;
import dev.lakepipe.features.FeatureSettings.Numeric;
import dev.lakepipe.features.FeatureSettings.Representation;
import dev.lakepipe.features.FeatureSettings.Text;
import dev.lakepipe.features.FeatureSettings.TimePart;
import dev.lakepipe.features.FeatureSettings.Tokenizer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Parsing of the feature-pipeline keys of {@code features}: defaults, every key, and every problem at once. */
class FeatureSettingsTest {

  private static final DatasetSchema SCHEMA = new DatasetSchema("t", "id", List.of("text", "subject"), "label",
      "event_time", List.of("size_bytes"), List.of("sender", "content_type"), List.of("id", "text", "label"));
  private static final DatasetSchema NO_TIME = new DatasetSchema("t", "id", List.of("text"), "label",
      null, List.of(), List.of(), List.of("id", "text", "label"));

  private static Config features(String hocon) {
    return ConfigFactory.parseString("features {" + hocon + "}").getConfig("features");
  }

  private static FeatureSettings parse(String hocon) {
    ConfigProblems problems = new ConfigProblems("test");
    FeatureSettings s = FeatureSettings.parse(features(hocon), SCHEMA, problems);
    problems.throwIfAny();
    return s;
  }

  private static List<String> problems(String hocon, DatasetSchema schema) {
    ConfigProblems problems = new ConfigProblems("test");
    FeatureSettings.parse(features(hocon), schema, problems);
    return problems.problems();
  }

  @Test
  void noFeaturesBlockGivesTheDefaultsOverTheDatasetColumns() {
    ConfigProblems problems = new ConfigProblems("test");
    FeatureSettings s = FeatureSettings.parse(ConfigFactory.empty(), SCHEMA, problems);

    assertThat(problems.problems()).isEmpty();
    assertThat(s).isEqualTo(new FeatureSettings(
        new Text(List.of("text", "subject"), Representation.TFIDF, Tokenizer.WORDS, true, 1, 4096, 1, 20000, 200),
        new Numeric(List.of("size_bytes"), Impute.MEDIAN, true, true),
        new Categorical(List.of("sender", "content_type"), Encoding.ONE_HOT, FeatureSettings.NO_LIMIT, 1, 32,
            Map.of()),
        List.of(), ClassWeighting.BALANCED));
  }

  @Test
  void everyKeyIsReadAndOtherFeaturesKeysAreLeftToTheirOwners() {
    FeatureSettings s = parse("""
        seed = 7
        split { train = 0.8 }
        export { format = parquet }
        text { columns = [subject], representation = sequence, tokenizer = char-ngrams, lowercase = false,
               ngram-size = 2, vocabulary-size = 500, max-length = 64 }
        numeric { columns = [], impute = mean, missing-indicators = false, standardize = false }
        categorical { columns = [content_type], encoding = index }
        event-time { parts = [year, hour, day-of-week] }
        class-weights = none
        """);

    assertThat(s).isEqualTo(new FeatureSettings(
        new Text(List.of("subject"), Representation.SEQUENCE, Tokenizer.CHAR_NGRAMS, false, 2, 4096, 1, 500, 64),
        new Numeric(List.of(), Impute.MEAN, false, false),
        new Categorical(List.of("content_type"), Encoding.INDEX, FeatureSettings.NO_LIMIT, 1, 32, Map.of()),
        List.of(TimePart.YEAR, TimePart.HOUR, TimePart.DAY_OF_WEEK), ClassWeighting.NONE));
  }

  @Test
  void charNgramsDefaultToThreeCharactersAndTfidfKeysAreRead() {
    FeatureSettings s = parse("text { tokenizer = char-ngrams, num-features = 16, min-doc-freq = 0 }");

    assertThat(s.text()).isEqualTo(
        new Text(List.of("text", "subject"), Representation.TFIDF, Tokenizer.CHAR_NGRAMS, true, 3, 16, 0, 20000,
            200));
  }

  @Test
  void everyProblemIsReportedAtOnceNamingTheKeyAndTheFix() {
    List<String> problems = problems("""
        text { tokeniser = words, representation = bag, num-features = 8, vocabulary-size = 10,
               columns = [text, text, sender] }
        numeric { columns = [size_byte], impute = mode }
        categorical { columns = [size_bytes], encoding = one_hot }
        event-time { parts = [hour, week, hour] }
        class-weights = inverse
        """, SCHEMA);

    assertThat(problems).containsExactlyInAnyOrder(
        "Unknown key features.text.tokeniser. Did you mean 'features.text.tokenizer'?",
        "Key features.text.columns lists 'text' twice. List each column once.",
        "Key features.text.columns names 'sender', which is a categorical column, not a text one. "
            + "Use some of: text, subject.",
        "Key features.text.representation is 'bag'. Use tfidf or sequence.",
        "Key features.text.num-features must be at least 16, got 8.",
        "Key features.text.vocabulary-size applies only to representation = sequence. Remove it, or set "
            + "features.text.representation = sequence.",
        "Key features.numeric.columns names 'size_byte', which is not a column of the dataset. "
            + "Use some of: size_bytes.",
        "Key features.numeric.impute is 'mode'. Use median or mean.",
        "Key features.categorical.columns names 'size_bytes', which is a numeric column, not a categorical one. "
            + "Use some of: sender, content_type.",
        "Key features.categorical.encoding is 'one_hot'. Use one-hot, index or hashed.",
        "Key features.event-time.parts lists 'week'. Use some of: hour, day-of-week, day-of-month, month or year.",
        "Key features.event-time.parts lists 'hour' twice. List each part once.",
        "Key features.class-weights is 'inverse'. Use balanced or none.");

    ConfigProblems collected = new ConfigProblems("conf/application.conf");
    FeatureSettings.parse(features("class-weights = inverse, numeric.impute = mode"), SCHEMA, collected);
    assertThatThrownBy(collected::throwIfAny)
        .hasMessageContaining("configuration (conf/application.conf) has 2 problems")
        .hasMessageContaining("Key features.class-weights is 'inverse'. Use balanced or none.")
        .hasMessageContaining("Key features.numeric.impute is 'mode'. Use median or mean.");
  }

  @Test
  void categoricalLimitsAreInheritedByEveryColumnAndOverriddenPerColumn() {
    FeatureSettings s = parse("""
        categorical {
          columns = [sender, content_type]
          max-categories = 100
          min-category-rows = 5
          per-column {
            sender { max-categories = 20 }
            content_type { encoding = hashed, hash-buckets = 64 }
          }
        }
        """);

    Categorical c = s.categorical();
    assertThat(c).isEqualTo(new Categorical(List.of("sender", "content_type"), Encoding.ONE_HOT, 100, 5, 32,
        Map.of("sender", new CategoricalColumn(Encoding.ONE_HOT, 20, 5, 32),
            "content_type", new CategoricalColumn(Encoding.HASHED, 100, 5, 64))));
    assertThat(c.column("sender")).isEqualTo(new CategoricalColumn(Encoding.ONE_HOT, 20, 5, 32));
    assertThat(c.column("content_type").encoding()).isEqualTo(Encoding.HASHED);
    assertThat(c.column("content_type").hashBuckets()).isEqualTo(64);

    // Without per-column, every column takes the section's settings; hash-buckets defaults to 32.
    Categorical hashed = parse("categorical.encoding = hashed").categorical();
    assertThat(hashed.column("sender")).isEqualTo(
        new CategoricalColumn(Encoding.HASHED, FeatureSettings.NO_LIMIT, 1, 32));
    // A section hash-buckets is fine when a column inherits it as a hashed column.
    assertThat(parse("categorical { hash-buckets = 8, per-column.sender.encoding = hashed }").categorical()
        .column("sender")).isEqualTo(new CategoricalColumn(Encoding.HASHED, FeatureSettings.NO_LIMIT, 1, 8));
  }

  @Test
  void categoricalProblemsNameTheKeyAndTheFix() {
    List<String> problems = problems("""
        categorical {
          columns = [sender]
          max-categories = 0
          min-category-rows = 0
          hash-buckets = 1
          max-categoris = 3
          per-column {
            content_type { max-categories = 3 }
            origin { encoding = hashed }
            sender { encoding = hashed, hash-buckets = 1, min-category-rows = 2, buckets = 4 }
          }
        }
        """, SCHEMA);

    assertThat(problems).containsExactlyInAnyOrder(
        "Unknown key features.categorical.max-categoris. Did you mean 'features.categorical.max-categories'?",
        "Key features.categorical.max-categories must be at least 1, got 0.",
        "Key features.categorical.min-category-rows must be at least 1, got 0.",
        "Key features.categorical.hash-buckets must be at least 2, got 1.",
        "Key features.categorical.per-column.content_type names 'content_type', which is not in "
            + "features.categorical.columns. It lists: sender. Add it there, or remove "
            + "features.categorical.per-column.content_type.",
        "Key features.categorical.per-column.origin names 'origin', which is not in features.categorical.columns. "
            + "It lists: sender. Add it there, or remove features.categorical.per-column.origin.",
        "Unknown key features.categorical.per-column.sender.buckets. Allowed here: encoding, hash-buckets, "
            + "max-categories, min-category-rows.",
        "Key features.categorical.per-column.sender.hash-buckets must be at least 2, got 1.",
        "Key features.categorical.per-column.sender.min-category-rows applies only to encoding = one-hot or "
            + "index, and column 'sender' is hashed (hashing keeps every value). Remove it, or set "
            + "features.categorical.per-column.sender.encoding = one-hot.",
        // The section's hash-buckets serves no column: its own encoding is one-hot and sender sets its own.
        "Key features.categorical.hash-buckets applies only to encoding = hashed, and no column is hashed. "
            + "Remove it, or set features.categorical.encoding = hashed.");
  }

  @Test
  void categoricalKeysOfTheOtherEncodingAreReportedRatherThanIgnored() {
    List<String> problems = problems("""
        categorical {
          encoding = hashed
          max-categories = 10
          per-column {
            sender { encoding = one-hot, max-categories = 5, hash-buckets = 16 }
            content_type = 5
          }
        }
        """, SCHEMA);

    assertThat(problems).containsExactlyInAnyOrder(
        "Key features.categorical.per-column.sender.hash-buckets applies only to encoding = hashed, and column "
            + "'sender' is encoded one-hot. Remove it, or set features.categorical.per-column.sender.encoding = "
            + "hashed.",
        "Key features.categorical.per-column.content_type must be an object, like content_type "
            + "{ max-categories = 20 }.",
        "Key features.categorical.max-categories applies only to encoding = one-hot or index, and no column has "
            + "one. Remove it, or set features.categorical.encoding = one-hot.");
    // sender sets its own max-categories and content_type is hashed, so the section's serves no column; once
    // sender inherits it, it serves sender.
    assertThat(problems("categorical { encoding = hashed, max-categories = 10, per-column.sender.encoding = index }",
        SCHEMA)).isEmpty();
    assertThat(problems("categorical.per-column = [sender]", SCHEMA)).containsExactly(
        "Key features.categorical.per-column must be an object of columns, like per-column { sender "
            + "{ max-categories = 20 } }.");
  }

  @Test
  void categoricalSettingsSavedBeforeTheLimitsExistedReadAsTheDefaults() throws Exception {
    // The categorical part of a metadata.json written by an earlier version (FittedFeatures.load reads it).
    Categorical old = FittedFeatures.JSON.readValue("{ \"columns\": [\"sender\"], \"encoding\": \"INDEX\" }",
        Categorical.class);

    assertThat(old).isEqualTo(new Categorical(List.of("sender"), Encoding.INDEX, FeatureSettings.NO_LIMIT, 1, 32,
        Map.of()));
    Categorical current = parse("categorical.per-column.sender.max-categories = 3").categorical();
    assertThat(FittedFeatures.JSON.readValue(FittedFeatures.JSON.writeValueAsString(current), Categorical.class))
        .isEqualTo(current);
  }

  @Test
  void aTableWithoutTextHasNoTextSegmentAndNeedsSomethingElseInTheVector() {
    DatasetSchema table = new DatasetSchema("weather", null, List.of(), "weather", "date", List.of("wind"),
        List.of(), List.of("weather"));
    FeatureSettings s = FeatureSettings.parse(features(""), table, new ConfigProblems("test"));

    assertThat(s.text().enabled()).isFalse();
    assertThat(s.numeric().columns()).containsExactly("wind");
    assertThat(problems("text.representation = sequence", table)).containsExactly(
        "Key features.text.representation is sequence, but there is no text column (dataset.columns.text is "
            + "empty). Declare a text column, or remove features.text.representation.");
    DatasetSchema onlyTime = new DatasetSchema("d", null, List.of(), "y", "t", List.of(), List.of(), List.of("y"));
    assertThat(problems("", onlyTime)).containsExactly(
        "The features vector of dataset d would be empty: it has no text, numeric or categorical column to use, "
            + "and features.event-time.parts is empty. Declare columns under dataset.columns, or list event-time "
            + "parts, e.g. features.event-time.parts = [\"month\", \"day-of-week\"].");
    assertThat(problems("event-time.parts = [month]", onlyTime)).isEmpty();
  }

  @Test
  void eventTimePartsNeedAnEventTimeColumnAndColumnsOfTheRightRole() {
    List<String> problems = problems("""
        text { columns = [], representation = sequence, min-doc-freq = 2 }
        numeric { columns = [size_bytes] }
        event-time { parts = [hour], every = 1 }
        """, NO_TIME);

    assertThat(problems).containsExactlyInAnyOrder(
        "Key features.text.columns is empty. List at least one text column, e.g. [\"text\"].",
        "Key features.text.min-doc-freq applies only to representation = tfidf. Remove it, or set "
            + "features.text.representation = tfidf.",
        "Key features.numeric.columns names 'size_bytes', which is not a column of the dataset. "
            + "The dataset has none; declare them under dataset.columns.numeric, or remove "
            + "features.numeric.columns.",
        "Unknown key features.event-time.every. Allowed here: parts.",
        "Key features.event-time.parts is set, but the dataset has no event-time column. Declare "
            + "dataset.columns.event-time, or remove features.event-time.parts.");
  }

  @Test
  void sectionsMustBeObjectsAndValuesOfTheRightType() {
    List<String> problems = problems("""
        text = tfidf
        numeric { standardize = maybe, columns = size_bytes }
        categorical { encoding = [index] }
        """, SCHEMA);

    assertThat(problems).containsExactlyInAnyOrder(
        "Key features.text must be an object, like text { ... }. See docs/configuration.md.",
        "Key features.numeric.standardize must be true or false, got 'maybe'.",
        "Key features.numeric.columns must be a list of strings like [\"a\", \"b\"].",
        "Key features.categorical.encoding must be a string, got LIST. Quote the value.");
  }

  @Test
  void withoutADatasetSchemaKeysAreStillCheckedButNoSettingsComeBack() {
    ConfigProblems problems = new ConfigProblems("test");

    FeatureSettings s = FeatureSettings.parse(features("text { tokenizer = spaces }"), null, problems);

    assertThat(s).isNull();
    assertThat(problems.problems()).containsExactly("Key features.text.tokenizer is 'spaces'. Use words or char-ngrams.");
  }
}
