package dev.lakepipe.features;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_set;
import static org.apache.spark.sql.functions.concat_ws;
import static org.apache.spark.sql.functions.countDistinct;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.sort_array;
import static org.apache.spark.sql.functions.when;

import dev.lakepipe.core.Lineage;
import dev.lakepipe.core.config.DatasetSchema;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The checks every split must pass before anything is written: no record in two splits, no near-duplicate
 * pair or identical main text across splits (when the dataset has text), every label of validation and test
 * seen in train, and, per policy, strict time order with the gap or disjoint groups. Each check is recorded in
 * {@code ops.split_manifest} with its result; the stage fails when one does not pass. Rows in the time
 * policy's {@code gap} are in no split and are not compared across splits, but their labels must be known to
 * train like any row of gold.dataset.
 *
 * <p>The predefined policy adds {@code given-splits-kept}: every row is in the split its source, file or column
 * gives (given train rows may be in validation when validation is carved out of them).
 */
public final class LeakageChecks {

  /** One check's outcome; {@code detail} says what was compared, or what leaked with examples. */
  public record Check(String name, boolean passed, String detail) {}

  public static final String RECORD_IDS = "record-ids-unique";
  public static final String NEAR_DUPLICATES = "near-duplicates-within-split";
  public static final String EXACT_TEXT = "identical-text-within-split";
  public static final String LABELS = "labels-seen-in-train";
  public static final String TIME_ORDER = "time-order";
  public static final String GROUPS = "groups-disjoint";
  public static final String GIVEN_SPLITS = "given-splits-kept";

  private static final int EXAMPLES = 3;

  private LeakageChecks() {}

  /**
   * Runs every check that applies. {@code assigned} holds the accepted original rows (not augmented) with
   * {@code split}; {@code links} near-duplicate pairs {@code removed_record_id, kept_record_id}.
   */
  public static List<Check> run(Dataset<Row> assigned, Dataset<Row> links, SplitSettings s, DatasetSchema schema) {
    String split = Splitter.SPLIT;
    Dataset<Row> inSplits = assigned.filter(col(split).notEqual(SplitSettings.GAP));
    List<Check> out = new ArrayList<>();

    long rows = assigned.count();
    long ids = assigned.select(Lineage.RECORD_ID).distinct().count();
    out.add(new Check(RECORD_IDS, rows == ids, rows == ids
        ? rows + " rows, each record in one split"
        : (rows - ids) + " records appear more than once across splits"));

    Dataset<Row> a = inSplits.select(col(Lineage.RECORD_ID).as("removed_record_id"), col(split).as("_sa"));
    Dataset<Row> b = inSplits.select(col(Lineage.RECORD_ID).as("kept_record_id"), col(split).as("_sb"));
    Found crossing = found(links.join(a, "removed_record_id").join(b, "kept_record_id")
        .filter(col("_sa").notEqual(col("_sb")))
        .orderBy("removed_record_id", "kept_record_id")
        .select(concat_ws("", col("removed_record_id"), lit(" ("), col("_sa"), lit(") ~ "), col("kept_record_id"),
            lit(" ("), col("_sb"), lit(")"))));
    out.add(new Check(NEAR_DUPLICATES, crossing.isEmpty(), crossing.isEmpty()
        ? "no near-duplicate pair from ops.duplicates spans two splits"
        : crossing.count() + " near-duplicate pairs span splits, e.g. " + crossing.examples()
            + ". Set features.split.near-duplicates = together to keep each cluster in one split"));

    String text = schema.textColumn();
    if (text != null) {
      // Grouped by a SHA-256 of the text, so the shuffle carries 64 characters per row, not whole documents.
      Found sameText = found(inSplits.groupBy(Lineage.stableHash(col(text)).as("_text_hash"))
          .agg(countDistinct(col(split)).as("_n"), min(Lineage.RECORD_ID).as("_id"),
              sort_array(collect_set(col(split))).as("_splits"))
          .filter(col("_n").gt(1))
          .orderBy("_id")
          .select(concat_ws("", lit("record "), col("_id"), lit(" ("), concat_ws(", ", col("_splits")), lit(")"))));
      out.add(new Check(EXACT_TEXT, sameText.isEmpty(), sameText.isEmpty()
          ? "no " + text + " value appears in two splits"
          : sameText.count() + " distinct " + text + " values appear in more than one split, e.g. "
              + sameText.examples() + ". Deduplicate on " + text + " in clean (clean.exact-duplicates.key)"));
    }

    String label = schema.labelColumn();
    Map<String, List<String>> labelsBySplit = new LinkedHashMap<>();
    // Gap rows too: they are in gold.dataset, so their labels are indexed as well.
    for (Row r : assigned.select(col(split), col(label)).distinct().orderBy(split, label).collectAsList()) {
      labelsBySplit.computeIfAbsent(r.getString(0), k -> new ArrayList<>()).add(r.getString(1));
    }
    List<String> trainLabels = labelsBySplit.getOrDefault(SplitSettings.TRAIN, List.of());
    List<String> unseen = new ArrayList<>();
    labelsBySplit.forEach((sp, ls) -> ls.stream().filter(l -> !trainLabels.contains(l))
        .forEach(l -> unseen.add("'" + l + "' in " + sp)));
    out.add(new Check(LABELS, unseen.isEmpty(), unseen.isEmpty()
        ? "train has every label: " + String.join(", ", trainLabels)
        : "labels missing from train: " + String.join(", ", unseen) + ". The model cannot learn them; set "
            + "features.split.unseen-labels = quarantine to quarantine those rows, or use policy = stratified, or "
            + "move the cut-offs so train sees every label"));

    if (s.policy() == SplitSettings.Policy.TIME) {
      out.add(timeOrder(inSplits, s, schema.eventTimeColumn()));
    }
    if (s.policy() == SplitSettings.Policy.GROUP) {
      String g = s.groupColumn();
      Found shared = found(inSplits.filter(col(g).isNotNull()).groupBy(col(g))
          .agg(countDistinct(col(split)).as("_n"), sort_array(collect_set(col(split))).as("_splits"))
          .filter(col("_n").gt(1))
          .orderBy(g)
          .select(concat_ws("", lit("'"), col(g), lit("' ("), concat_ws(", ", col("_splits")), lit(")"))));
      out.add(new Check(GROUPS, shared.isEmpty(), shared.isEmpty()
          ? "no " + g + " value appears in two splits"
          : shared.count() + " " + g + " values appear in more than one split, e.g. " + shared.examples()));
    }
    if (s.policy() == SplitSettings.Policy.PREDEFINED) {
      out.add(givenSplitsKept(assigned, s.predefined()));
    }
    return out;
  }

  /**
   * Predefined policy: every row given test or validation is in that split, and every row given train is in
   * train (or in validation, when validation is carved out of the given train rows). The given split is worked
   * out again from the row's source, file or column value, independently of how the rows were placed.
   */
  private static Check givenSplitsKept(Dataset<Row> assigned, SplitSettings.Predefined p) {
    Column given = Splitter.givenSplit(p);
    Column split = col(Splitter.SPLIT);
    Column fromTrain = p.carvesValidation() ? split.isin(SplitSettings.TRAIN, SplitSettings.VALIDATION)
        : split.equalTo(SplitSettings.TRAIN);
    Column kept = when(given.equalTo(SplitSettings.TRAIN), fromTrain).otherwise(split.equalTo(given));
    Found moved = found(assigned.withColumn("_given", given)
        .filter(coalesce(kept, org.apache.spark.sql.functions.lit(false)).unary_$bang())
        .orderBy(Lineage.RECORD_ID)
        .select(concat_ws("", col(Lineage.RECORD_ID), lit(" (given "), coalesce(col("_given"), lit("no split")),
            lit(", in "), split, lit(")"))));
    return new Check(GIVEN_SPLITS, moved.isEmpty(), moved.isEmpty()
        ? "every row is in the split its " + p.matchColumn() + " gives"
            + (p.carvesValidation() ? " (validation carved out of given train by " + p.validationFromTrain().id() + ")"
            : "")
        : moved.count() + " rows are not in the split their " + p.matchColumn() + " gives, e.g. " + moved.examples()
            + ". Given splits are never changed; this is a bug, please report it with the run_id");
  }

  /** Consecutive non-empty splits: the later split's first event is more than {@code gap} after the earlier's last. */
  private static Check timeOrder(Dataset<Row> inSplits, SplitSettings s, String t) {
    Map<String, Timestamp[]> range = new LinkedHashMap<>();
    for (Row r : inSplits.groupBy(Splitter.SPLIT).agg(min(t), max(t)).collectAsList()) {
      range.put(r.getString(0), new Timestamp[] {r.getTimestamp(1), r.getTimestamp(2)});
    }
    List<String> present = SplitSettings.SPLITS.stream().filter(range::containsKey).toList();
    List<String> problems = new ArrayList<>();
    List<String> facts = new ArrayList<>();
    for (int i = 1; i < present.size(); i++) {
      String before = present.get(i - 1);
      String after = present.get(i);
      java.time.Instant last = range.get(before)[1].toInstant();
      java.time.Instant first = range.get(after)[0].toInstant();
      String fact = before + " ends " + last + ", " + after + " starts " + first;
      facts.add(fact);
      if (!first.isAfter(last.plus(s.gap()))) {
        problems.add(fact + " (gap " + s.gap() + ")");
      }
    }
    return new Check(TIME_ORDER, problems.isEmpty(), problems.isEmpty()
        ? (facts.isEmpty() ? "one split only" : String.join("; ", facts) + "; gap " + s.gap())
        : "time order broken: " + String.join("; ", problems));
  }

  private static Column lit(String s) {
    return org.apache.spark.sql.functions.lit(s);
  }

  /** How many offending rows a check found, and the first few (in a fixed order) for the message. */
  private record Found(long count, String examples) {
    boolean isEmpty() {
      return count == 0;
    }
  }

  private static Found found(Dataset<Row> offending) {
    List<Row> first = offending.takeAsList(EXAMPLES);
    if (first.isEmpty()) {
      return new Found(0, "");
    }
    long n = first.size() < EXAMPLES ? first.size() : offending.count();
    return new Found(n, first.stream().map(r -> r.getString(0)).collect(Collectors.joining("; ")));
  }
}
