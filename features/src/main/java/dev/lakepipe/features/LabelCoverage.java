package dev.lakepipe.features;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.when;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueType;
import dev.lakepipe.core.Lineage;
import dev.lakepipe.core.config.ConfigProblems;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes every label of gold learnable, after the split and before the leakage checks: labels with fewer than
 * {@code features.min-class-rows} train rows are quarantined ({@code RARE_LABEL}) or merged into one named
 * label, and then, with {@code features.split.unseen-labels = quarantine}, validation, test and gap rows whose
 * label no train row has are quarantined ({@code LABEL_NOT_IN_TRAIN}). With {@code unseen-labels = fail} (the
 * default) such rows stay, and the {@code labels-seen-in-train} check stops the stage.
 *
 * <p>Rare first, then unseen: a label with 0 train rows is not rare but unseen (there is nothing in train to
 * merge). A merged label is itself held to {@code min-class-rows}: when the rare labels together (with any train
 * rows already carrying the merge label) still have fewer train rows, all of them are quarantined instead. A
 * merged row keeps its original label in {@code merged_from_label} (null for every other row).
 *
 * <p>Only the train rows' label counts reach the driver (one row per label).
 */
public final class LabelCoverage {

  private static final Logger LOG = LoggerFactory.getLogger(LabelCoverage.class);

  public static final String LABEL_NOT_IN_TRAIN = "LABEL_NOT_IN_TRAIN";
  public static final String RARE_LABEL = "RARE_LABEL";
  /** The gold column holding a merged row's original label. */
  public static final String MERGED_FROM = "merged_from_label";

  private LabelCoverage() {}

  /** What to do with labels validation or test has and train lacks. */
  public enum Unseen { FAIL, QUARANTINE }

  /** What to do with labels that have fewer than {@code min-class-rows} train rows. */
  public enum Rare { QUARANTINE, MERGE }

  /**
   * {@code features.split.unseen-labels}, {@code features.min-class-rows} and {@code features.rare-labels
   * { action, merge-into }}.
   */
  public record Settings(Unseen unseen, int minClassRows, Rare rare, String mergeInto) {
    public static final Settings DEFAULT = new Settings(Unseen.FAIL, 1, Rare.QUARANTINE, "other");
    static final Set<String> RARE_KEYS = Set.of("action", "merge-into");

    /** Reads the keys from the {@code features} object; problems name the key and the fix. */
    public static Settings parse(Config features, ConfigProblems problems) {
      Config split = section(features, "split");
      String unseenText = problems.optString(split, "features.split", "unseen-labels").orElse("fail");
      Unseen unseen = Unseen.FAIL;
      try {
        unseen = Unseen.valueOf(unseenText.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        problems.add("Key features.split.unseen-labels is '%s'. Use fail (stop the stage when validation or test "
            + "has a label train lacks) or quarantine (send those rows to ops.quarantine).", unseenText);
      }
      int min = problems.intValue(features, "features", "min-class-rows", 1, 1);
      Config rare = section(features, "rare-labels");
      problems.rejectUnknownKeys(rare, "features.rare-labels", RARE_KEYS);
      String actionText = problems.optString(rare, "features.rare-labels", "action").orElse("quarantine");
      Rare action = Rare.QUARANTINE;
      try {
        action = Rare.valueOf(actionText.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        problems.add("Key features.rare-labels.action is '%s'. Use quarantine (rows of rare labels go to "
            + "ops.quarantine as RARE_LABEL) or merge (they take the label in features.rare-labels.merge-into).",
            actionText);
      }
      String into = problems.optString(rare, "features.rare-labels", "merge-into").orElse("other");
      if (into.isBlank()) {
        problems.add("Key features.rare-labels.merge-into is empty. Name the label rare labels merge into, "
            + "e.g. \"other\".");
      }
      if (rare.hasPath("merge-into") && action != Rare.MERGE) {
        problems.add("Key features.rare-labels.merge-into is set, but features.rare-labels.action is %s. Set "
            + "action = merge, or remove merge-into.", action.name().toLowerCase(Locale.ROOT));
      }
      if (features.hasPath("rare-labels") && min == 1) {
        problems.add("Key features.rare-labels is set, but features.min-class-rows is 1, so no label is rare. Set "
            + "features.min-class-rows, e.g. 5, or remove features.rare-labels.");
      }
      return new Settings(unseen, min, action, into);
    }

    private static Config section(Config c, String key) {
      return c.hasPath(key) && c.getValue(key).valueType() == ConfigValueType.OBJECT ? c.getConfig(key)
          : ConfigFactory.empty();
    }
  }

  /**
   * The outcome. {@code kept}: the rows that stay, with {@link #MERGED_FROM}; {@code rejected}: the rows to
   * quarantine with {@link Splitter#REASON}, {@link Splitter#MESSAGE} and {@code split}; {@code quarantined}:
   * split to reason to rows; {@code merged}: split to original label to rows relabelled.
   */
  public record Result(Dataset<Row> kept, Dataset<Row> rejected, Map<String, Map<String, Long>> quarantined,
      Map<String, Map<String, Long>> merged) {}

  /** Applies the settings to {@code assigned} (the splitter's accepted rows, with {@code split}). */
  public static Result apply(Dataset<Row> assigned, Settings s, String labelColumn) {
    Column label = col(labelColumn);
    Column split = col(Splitter.SPLIT);
    Map<String, Long> trainCounts = new TreeMap<>();
    for (Row r : assigned.filter(split.equalTo(SplitSettings.TRAIN).and(label.isNotNull()))
        .groupBy(label).count().collectAsList()) {
      trainCounts.put(r.getString(0), r.getLong(1));
    }
    Set<String> rare = new TreeSet<>();
    trainCounts.forEach((l, n) -> {
      if (n < s.minClassRows()) {
        rare.add(l);
      }
    });
    Set<String> quarantinedRare = new TreeSet<>();
    Set<String> mergedLabels = new TreeSet<>();
    if (!rare.isEmpty() && s.rare() == Rare.MERGE) {
      long merged = trainCounts.getOrDefault(s.mergeInto(), 0L)
          + rare.stream().filter(l -> !l.equals(s.mergeInto())).mapToLong(trainCounts::get).sum();
      if (merged < s.minClassRows()) {
        quarantinedRare.addAll(rare);
        if (trainCounts.containsKey(s.mergeInto())) {
          quarantinedRare.add(s.mergeInto());
        }
      } else {
        rare.stream().filter(l -> !l.equals(s.mergeInto())).forEach(mergedLabels::add);
      }
    } else {
      quarantinedRare.addAll(rare);
    }
    Set<String> trainLabels = new TreeSet<>(trainCounts.keySet());
    trainLabels.removeAll(quarantinedRare);
    trainLabels.removeAll(mergedLabels);
    if (!mergedLabels.isEmpty()) {
      trainLabels.add(s.mergeInto());
    }

    Column isRare = quarantinedRare.isEmpty() ? lit(false) : label.isin(quarantinedRare.toArray());
    Column isUnseen = s.unseen() == Unseen.QUARANTINE
        ? label.isNotNull().and(not(label.isin(trainLabels.toArray()))).and(split.notEqual(SplitSettings.TRAIN))
        : lit(false);
    Column reason = when(isRare, lit(RARE_LABEL)).when(isUnseen, lit(LABEL_NOT_IN_TRAIN));
    Column message = when(isRare, concat(lit("Cannot keep record "), col(Lineage.RECORD_ID), lit(" (split "),
        split, lit("): its label '"), label, lit("' has fewer than features.min-class-rows = " + s.minClassRows()
            + " train rows" + (s.rare() == Rare.MERGE ? ", even merged into '" + s.mergeInto() + "' with the other"
            + " rare labels" : "") + ", too few to learn from. Add rows of this label, lower "
            + "features.min-class-rows, or set features.rare-labels.action = merge.")))
        .when(isUnseen, concat(lit("Cannot keep record "), col(Lineage.RECORD_ID), lit(" in split "), split,
            lit(": its label '"), label, lit("' has no train row, so the model cannot learn it. Quarantined because "
                + "features.split.unseen-labels = quarantine; to keep it, place rows of this label in train (another "
                + "split policy or cut-off), or merge rare labels (features.rare-labels.action = merge).")));
    Dataset<Row> judged = assigned.withColumn(Splitter.REASON, reason).withColumn(Splitter.MESSAGE, message);
    Dataset<Row> rejected = judged.filter(col(Splitter.REASON).isNotNull());
    Column mergedFrom = mergedLabels.isEmpty() ? lit(null).cast(DataTypes.StringType)
        : when(label.isin(mergedLabels.toArray()), label).otherwise(lit(null).cast(DataTypes.StringType));
    Dataset<Row> kept = judged.filter(col(Splitter.REASON).isNull())
        .drop(Splitter.REASON, Splitter.MESSAGE)
        .withColumn(MERGED_FROM, mergedFrom);
    if (!mergedLabels.isEmpty()) {
      kept = kept.withColumn(labelColumn, when(col(MERGED_FROM).isNotNull(), lit(s.mergeInto())).otherwise(label));
    }

    Map<String, Map<String, Long>> quarantined = new TreeMap<>();
    if (!quarantinedRare.isEmpty() || s.unseen() == Unseen.QUARANTINE) {
      for (Row r : rejected.groupBy(split, col(Splitter.REASON)).count().collectAsList()) {
        quarantined.computeIfAbsent(r.getString(0), k -> new TreeMap<>()).put(r.getString(1), r.getLong(2));
      }
    }
    Map<String, Map<String, Long>> merged = new TreeMap<>();
    if (!mergedLabels.isEmpty()) {
      for (Row r : kept.filter(col(MERGED_FROM).isNotNull()).groupBy(split, col(MERGED_FROM)).count()
          .collectAsList()) {
        merged.computeIfAbsent(r.getString(0), k -> new TreeMap<>()).put(r.getString(1), r.getLong(2));
      }
    }
    if (!quarantinedRare.isEmpty() || !mergedLabels.isEmpty() || !quarantined.isEmpty()) {
      LOG.info("features: labels under {} train rows: quarantined {}, merged into '{}' {}; quarantined per split {}",
          s.minClassRows(), quarantinedRare, s.mergeInto(), mergedLabels, quarantined);
    }
    return new Result(kept, rejected, quarantined, merged);
  }
}
