package dev.lakepipe.clean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lakepipe.core.LakepipeException;
import dev.lakepipe.core.testing.TestConfigs;
import org.junit.jupiter.api.Test;

/** Defaults that follow what the dataset declares: with text, and for a table without text or id. */
class CleanSettingsTest {

  @Test
  void withTextTheExactKeyIsTheMainTextAndNearDuplicatesAreSearched() {
    CleanSettings s = CleanSettings.parse(TestConfigs.of("""
        dataset { name = d, columns { id = id, text = [body, subject], label = label, numeric = [n] } }
        """));

    assertThat(s.exactKey()).containsExactly("body");
    assertThat(s.near().enabled()).isTrue();
    assertThat(s.near().column()).isEqualTo("body");
  }

  @Test
  void withoutTextTheExactKeyIsEveryColumnButTheIdAndNearDuplicatesAreOff() {
    CleanSettings s = CleanSettings.parse(TestConfigs.of("""
        dataset { name = d, columns { id = flight, label = late, event-time = day, numeric = [distance],
          categorical = [origin, carrier] } }
        """));

    assertThat(s.exactKey()).containsExactly("late", "day", "distance", "origin", "carrier");
    assertThat(s.near().enabled()).isFalse();
  }

  @Test
  void nearDuplicatesCannotBeTurnedOnWithoutText() {
    assertThatThrownBy(() -> CleanSettings.parse(TestConfigs.of("""
        dataset { name = d, columns { label = late, numeric = [distance] } }
        clean.near-duplicates.enabled = true
        """)))
        .isInstanceOf(LakepipeException.class)
        .hasMessageContaining("Key clean.near-duplicates.enabled is true, but the dataset declares no text column");
  }
}
