package dev.lakepipe.features;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakepipe.core.testing.SparkTestBase;
import dev.lakepipe.features.LeakageChecks.Check;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/**
 * Every leakage check fails once, on a hand-built {@code assigned} frame (rows with their split) that breaks it
 * and nothing else. Several of these layouts the splitter never produces (a record in two splits, a group in
 * two splits, a given split not kept); the checks are the last line of defence against such a bug, so they are
 * fed the broken layouts directly. Each test asserts the exact failing {@link Check} and that every other check
 * passed.
 */
class LeakageChecksTest extends SparkTestBase {

  private static final StructType ASSIGNED = new StructType()
      .add("_record_id", DataTypes.StringType).add("text", DataTypes.StringType)
      .add("label", DataTypes.StringType).add("event_time", DataTypes.TimestampType)
      .add("sender", DataTypes.StringType).add("_source", DataTypes.StringType)
      .add("split", DataTypes.StringType);
  private static final Instant T0 = Instant.parse("2002-08-01T00:00:00Z");
  private static final String STRATIFIED = "split.policy = stratified";

  /** A row with its own text ("text of r-<id>"), at T0 + {@code minutes}. */
  private static Row row(String id, String label, String split) {
    return full(id, "text of r-" + id, label, 0, null, null, split);
  }

  private static Row full(String id, String text, String label, int minutes, String sender, String source,
      String split) {
    return RowFactory.create("r-" + id, text, label, Timestamp.from(T0.plusSeconds(60L * minutes)), sender, source,
        split);
  }

  private static Dataset<Row> assigned(Row... rows) {
    return spark.createDataFrame(List.of(rows), ASSIGNED);
  }

  private static List<Check> run(Dataset<Row> assigned, String hocon, String... links) {
    List<Row> pairs = new ArrayList<>();
    for (int i = 0; i < links.length; i += 2) {
      pairs.add(RowFactory.create("r-" + links[i], "r-" + links[i + 1]));
    }
    return LeakageChecks.run(assigned, spark.createDataFrame(pairs, SplitterTest.LINK), SplitterTest.settings(hocon),
        SplitterTest.SCHEMA);
  }

  /** The one failing check; every other check passed. */
  private static Check onlyFailure(List<Check> checks) {
    List<Check> failed = checks.stream().filter(c -> !c.passed()).toList();
    assertThat(failed).hasSize(1);
    return failed.get(0);
  }

  @Test
  void aRecordInTwoSplitsFailsRecordIdsUnique() {
    // r-2 is in train and in test (with another text, so the text check stays quiet): 4 rows, 3 ids.
    List<Check> checks = run(assigned(row("1", "ham", "train"), row("2", "spam", "train"),
        full("2", "text of r-2 again", "spam", 0, null, null, "test"), row("3", "ham", "test")), STRATIFIED);

    assertThat(checks).containsExactly(
        new Check(LeakageChecks.RECORD_IDS, false, "1 records appear more than once across splits"),
        new Check(LeakageChecks.NEAR_DUPLICATES, true, "no near-duplicate pair from ops.duplicates spans two splits"),
        new Check(LeakageChecks.EXACT_TEXT, true, "no text value appears in two splits"),
        new Check(LeakageChecks.LABELS, true, "train has every label: ham, spam"));
  }

  @Test
  void nearDuplicatePairsAcrossSplitsFailWithTheFirstThreeByRemovedId() {
    // Four pairs span splits, one (10 ~ 9) stays inside train. Examples: the first three by removed id.
    List<Check> checks = run(assigned(row("1", "ham", "train"), row("2", "ham", "test"),
            row("3", "ham", "validation"), row("4", "ham", "test"), row("5", "spam", "train"),
            row("6", "spam", "validation"), row("7", "spam", "train"), row("8", "spam", "test"),
            row("9", "ham", "train"), row("10", "ham", "train")), STRATIFIED,
        "2", "1", "4", "3", "6", "5", "8", "7", "10", "9");

    assertThat(onlyFailure(checks)).isEqualTo(new Check(LeakageChecks.NEAR_DUPLICATES, false,
        "4 near-duplicate pairs span splits, e.g. r-2 (test) ~ r-1 (train); r-4 (test) ~ r-3 (validation); "
            + "r-6 (validation) ~ r-5 (train). Set features.split.near-duplicates = together to keep each cluster "
            + "in one split"));
  }

  @Test
  void identicalTextInTwoSplitsFailsNamingTheSmallestIdAndTheSplits() {
    // "same words": r-1, r-3 train and r-2 test; "other": r-5 train and r-4 validation; r-6 alone.
    List<Check> checks = run(assigned(full("1", "same words", "ham", 0, null, null, "train"),
        full("2", "same words", "ham", 0, null, null, "test"),
        full("3", "same words", "spam", 0, null, null, "train"),
        full("4", "other", "spam", 0, null, null, "validation"),
        full("5", "other", "spam", 0, null, null, "train"), row("6", "ham", "test")), STRATIFIED);

    assertThat(onlyFailure(checks)).isEqualTo(new Check(LeakageChecks.EXACT_TEXT, false,
        "2 distinct text values appear in more than one split, e.g. record r-1 (test, train); "
            + "record r-4 (train, validation). Deduplicate on text in clean (clean.exact-duplicates.key)"));
  }

  @Test
  void labelsTrainLacksFailListingEachBySplit() {
    // Train has ham only; test has spam, validation eggs and spam. Listed by split, then label.
    List<Check> checks = run(assigned(row("1", "ham", "train"), row("2", "ham", "test"), row("3", "spam", "test"),
        row("4", "eggs", "validation"), row("5", "spam", "validation")), STRATIFIED);

    assertThat(onlyFailure(checks)).isEqualTo(new Check(LeakageChecks.LABELS, false,
        "labels missing from train: 'spam' in test, 'eggs' in validation, 'spam' in validation. The model cannot "
            + "learn them; set features.split.unseen-labels = quarantine to quarantine those rows, or use "
            + "policy = stratified, or move the cut-offs so train sees every label"));
  }

  @Test
  void splitsOverlappingTheGapFailTimeOrder() {
    // Gap 1 h. train 00:00-02:00, validation 02:30 (not after 02:00 + 1 h), test 03:00 (not after 02:30 + 1 h).
    // The gap row at 01:00 is in no split and is not compared.
    List<Check> checks = run(assigned(full("1", "a", "ham", 0, null, null, "train"),
            full("2", "b", "ham", 120, null, null, "train"), full("g", "c", "ham", 60, null, null, "gap"),
            full("3", "d", "ham", 150, null, null, "validation"), full("4", "e", "ham", 180, null, null, "test")),
        "split { policy = time, fractions { train = 0.8, validation = 0.1, test = 0.1 }, gap = 1h }");

    assertThat(onlyFailure(checks)).isEqualTo(new Check(LeakageChecks.TIME_ORDER, false,
        "time order broken: train ends 2002-08-01T02:00:00Z, validation starts 2002-08-01T02:30:00Z (gap PT1H); "
            + "validation ends 2002-08-01T02:30:00Z, test starts 2002-08-01T03:00:00Z (gap PT1H)"));
  }

  @Test
  void aGroupInTwoSplitsFailsGroupsDisjoint() {
    // a@x.org in train and test, b@x.org in all three, c@x.org in train only; null senders are no group.
    List<Check> checks = run(assigned(full("1", "t1", "ham", 0, "a@x.org", null, "train"),
            full("2", "t2", "ham", 0, "a@x.org", null, "test"), full("3", "t3", "ham", 0, "b@x.org", null, "train"),
            full("4", "t4", "ham", 0, "b@x.org", null, "validation"),
            full("5", "t5", "ham", 0, "b@x.org", null, "test"), full("6", "t6", "ham", 0, "c@x.org", null, "train"),
            full("7", "t7", "ham", 0, null, null, "train"), full("8", "t8", "ham", 0, null, null, "test")),
        "split { policy = group, group-column = sender }");

    assertThat(onlyFailure(checks)).isEqualTo(new Check(LeakageChecks.GROUPS, false,
        "2 sender values appear in more than one split, e.g. 'a@x.org' (test, train); "
            + "'b@x.org' (test, train, validation)"));
  }

  @Test
  void aRowOutsideItsGivenSplitFailsGivenSplitsKept() {
    // Source a gives train, b gives test, z gives nothing: r-2, r-3 and r-4 are not where their source says.
    List<Check> checks = run(assigned(full("1", "t1", "ham", 0, null, "a", "train"),
            full("2", "t2", "ham", 0, null, "b", "train"), full("3", "t3", "ham", 0, null, "a", "test"),
            full("4", "t4", "ham", 0, null, "z", "train"), full("5", "t5", "ham", 0, null, "b", "test")),
        "split { policy = predefined, predefined { by = source, splits { train = [a], test = [b] } } }");

    assertThat(onlyFailure(checks)).isEqualTo(new Check(LeakageChecks.GIVEN_SPLITS, false,
        "3 rows are not in the split their _source gives, e.g. r-2 (given test, in train); "
            + "r-3 (given train, in test); r-4 (given no split, in train). Given splits are never changed; this "
            + "is a bug, please report it with the run_id"));
  }
}
