package dev.lakepipe.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.lakepipe.core.LakepipeException;
import dev.lakepipe.core.config.ConfigProblems;
import dev.lakepipe.core.config.DatasetSchema;
import java.util.List;
import org.junit.jupiter.api.Test;

class AugmentSettingsTest {

  private static final DatasetSchema SCHEMA = new DatasetSchema("test", "id", List.of("text", "subject"), "label",
      "event_time", List.of("size_bytes"), List.of("sender", "content_type"), List.of());

  private static Config features(String hocon) {
    Config root = ConfigFactory.parseString(hocon);
    return root.hasPath("features") ? root.getConfig("features") : ConfigFactory.empty();
  }

  @Test
  void absentSectionGivesDefaultsAndIsOff() {
    ConfigProblems problems = new ConfigProblems("test");

    AugmentSettings s = AugmentSettings.parse(ConfigFactory.empty(), SCHEMA, problems);

    assertThat(problems.problems()).isEmpty();
    assertThat(s.enabled()).isFalse();
    assertThat(s.oversample()).isFalse();
    assertThat(s.text()).isEqualTo(new AugmentSettings.Text(0, List.of("text"), "", 0.1, 0.0, 0, List.of()));
    assertThat(s.text()).isEqualTo(AugmentSettings.Text.none(List.of("text")));
    assertThat(s.text().enabled()).isFalse();
  }

  @Test
  void readsEveryKey() {
    ConfigProblems problems = new ConfigProblems("test");

    AugmentSettings s = AugmentSettings.parse(features("""
        features.augment {
          text {
            copies = 2, columns = [subject, text], synonyms-file = " hdfs:///dicts/en.txt "
            synonym-rate = 0.5, deletion-rate = 0.2, swaps = 1, labels = [spam]
          }
          oversample { enabled = true }
        }
        features.split { other = "not ours" }
        """), SCHEMA, problems);

    assertThat(problems.problems()).isEmpty();
    assertThat(s).isEqualTo(new AugmentSettings(new AugmentSettings.Text(2, List.of("subject", "text"),
        "hdfs:///dicts/en.txt", 0.5, 0.2, 1, List.of("spam")), true));
    assertThat(s.enabled()).isTrue();
    assertThat(s.text().replacesSynonyms()).isTrue();
  }

  @Test
  void oversamplingAloneIsEnough() {
    ConfigProblems problems = new ConfigProblems("test");

    AugmentSettings s = AugmentSettings.parse(features("features.augment.oversample.enabled = true"), SCHEMA,
        problems);

    assertThat(problems.problems()).isEmpty();
    assertThat(s.enabled()).isTrue();
    assertThat(s.text().enabled()).isFalse();
  }

  @Test
  void everyProblemIsReportedAtOnceNamingTheKey() {
    ConfigProblems problems = new ConfigProblems("test conf");

    AugmentSettings.parse(features("""
        features.augment {
          txt { copies = 1 }
          text {
            copies = -1, columns = [text, sender, text], synonym-rate = 1.5, deletion-rate = "lots"
            swaps = two, labels = spam, synonym-file = "x"
          }
          oversample { enabled = maybe, ratio = 2 }
        }
        """), SCHEMA, problems);

    assertThat(problems.problems()).containsExactlyInAnyOrder(
        "Unknown key features.augment.txt. Did you mean 'features.augment.text'?",
        "Unknown key features.augment.text.synonym-file. Did you mean 'features.augment.text.synonyms-file'?",
        "Key features.augment.text.copies must be at least 0, got -1.",
        "Key features.augment.text.columns names 'sender', which is not a text column in dataset.columns.text "
            + "(text, subject). Name some of those.",
        "Key features.augment.text.columns names 'text' twice. List each column once.",
        "Key features.augment.text.synonym-rate must be between 0 and 1, got 1.5. Use a share such as 0.1.",
        "Key features.augment.text.deletion-rate must be a number between 0 and 1, got 'lots'. "
            + "Use a share such as 0.1.",
        "Key features.augment.text.swaps must be a whole number, got 'two'.",
        "Key features.augment.text.labels must be a list of strings like [\"a\", \"b\"].",
        "Unknown key features.augment.oversample.ratio. Allowed here: enabled.",
        "Key features.augment.oversample.enabled must be true or false, got 'maybe'.");
    assertThatThrownBy(problems::throwIfAny)
        .isInstanceOf(LakepipeException.class)
        .hasMessageContaining("Cannot start: the configuration (test conf) has 11 problems")
        .hasMessageContaining("features.augment.text.copies");
  }

  @Test
  void copiesWithoutAnyPerturbationAreRejected() {
    ConfigProblems problems = new ConfigProblems("test");

    // A synonym rate without a synonyms file perturbs nothing, nor does a file with a zero rate.
    AugmentSettings.parse(features("features.augment.text { copies = 3, synonym-rate = 0.5 }"), SCHEMA, problems);
    AugmentSettings.parse(features("features.augment.text { copies = 1, synonyms-file = \"s.txt\", "
        + "synonym-rate = 0 }"), SCHEMA, problems);

    assertThat(problems.problems()).containsExactly(
        "Key features.augment.text.copies is 3, but no perturbation is set, so every copy would equal its "
            + "original. Set features.augment.text.synonyms-file, features.augment.text.deletion-rate or "
            + "features.augment.text.swaps, or use features.augment.oversample for exact copies.",
        "Key features.augment.text.copies is 1, but no perturbation is set, so every copy would equal its "
            + "original. Set features.augment.text.synonyms-file, features.augment.text.deletion-rate or "
            + "features.augment.text.swaps, or use features.augment.oversample for exact copies.");
  }

  @Test
  void sectionsMustBeObjectsAndColumnsNotEmpty() {
    ConfigProblems problems = new ConfigProblems("test");

    AugmentSettings.parse(features("features.augment.text = on"), SCHEMA, problems);
    AugmentSettings.parse(features("features.augment = true"), SCHEMA, problems);
    AugmentSettings.parse(features("features.augment.text { columns = [], swaps = 1, copies = 1 }"), SCHEMA,
        problems);

    assertThat(problems.problems()).containsExactly(
        "Key features.augment.text must be an object like text { ... }, got string. Write its keys inside braces.",
        "Key features.augment must be an object like augment { ... }, got boolean. Write its keys inside braces.",
        "Key features.augment.text.columns is empty. List the text columns to perturb, e.g. [\"text\"], or "
            + "remove the key.");
  }

  @Test
  void withoutADatasetSchemaColumnChecksAreSkipped() {
    ConfigProblems problems = new ConfigProblems("test");

    AugmentSettings s = AugmentSettings.parse(features("features.augment.text { copies = 1, swaps = 2 }"), null,
        problems);

    assertThat(problems.problems()).isEmpty();
    assertThat(s.text().columns()).isEmpty();
  }
}
