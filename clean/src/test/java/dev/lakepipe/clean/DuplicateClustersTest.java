package dev.lakepipe.clean;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakepipe.core.testing.SparkTestBase;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

class DuplicateClustersTest extends SparkTestBase {

  /** id, text, label, event time (null allowed), source. */
  private Dataset<Row> rows(String values) {
    return spark.sql("SELECT _record_id, text, label, CAST(t AS TIMESTAMP) AS event_time, _source FROM VALUES "
        + values + " AS v(_record_id, text, label, t, _source)");
  }

  @Test
  void exactGroupsHoldOnlySharedKeysAndAreTheSameAtAnyPartitionCount() {
    Dataset<Row> in = rows("('a', 'same', 'spam', NULL, 's'), ('b', 'same', 'spam', NULL, 's'), "
        + "('c', 'other', 'ham', NULL, 's'), ('d', 'same', 'ham', NULL, 't'), ('e', NULL, 'ham', NULL, 't')");

    Map<String, String> groups = asMap(ExactDuplicates.groups(in, List.of("text")));
    Map<String, String> groups7 = asMap(ExactDuplicates.groups(in.repartition(7), List.of("text")));

    assertThat(groups.keySet()).containsExactly("a", "b", "d");
    assertThat(groups.values()).containsOnly(groups.get("a"));
    assertThat(groups7).isEqualTo(groups);
    // Two columns: 'same'+'spam' twice, 'same'+'ham' once.
    assertThat(asMap(ExactDuplicates.groups(in, List.of("text", "label"))).keySet()).containsExactly("a", "b");
  }

  /**
   * A key of several columns, as a table without text gets by default (label, a number, a category): a row
   * whose every key column is null (or blank, for strings) is in no group; a row with part of a key is grouped
   * on it (the missing part counts as empty).
   * <pre>
   *   t1  NULL  NULL  NULL    no key
   *   t2  NULL  NULL  "  "    no key (blank is missing)
   *   t3  NULL  NULL  ""      no key
   *   t4  a     1.0   k       \ one group
   *   t5  a     1.0   k       /
   *   t6  NULL  2.0   NULL    \ one group: part of a key each, equal
   *   t7  NULL  2.0   ""      /  (null and "" both count as empty)
   *   t8  NULL  3.0   NULL    alone
   * </pre>
   * Before the rule, t1, t2 (hash of "" and "  " differ: t2 alone) and t3 made the group {t1, t3}.
   */
  @Test
  void rowsWhoseEveryKeyColumnIsMissingAreInNoGroup() {
    Dataset<Row> in = spark.sql("SELECT _record_id, label, CAST(x AS DOUBLE) AS x, c FROM VALUES "
        + "('t1', NULL, NULL, NULL), ('t2', NULL, NULL, '  '), ('t3', NULL, NULL, ''), ('t4', 'a', 1.0, 'k'), "
        + "('t5', 'a', 1.0, 'k'), ('t6', NULL, 2.0, NULL), ('t7', NULL, 2.0, ''), ('t8', NULL, 3.0, NULL) "
        + "AS v(_record_id, label, x, c)");

    Map<String, String> groups = asMap(ExactDuplicates.groups(in, List.of("label", "x", "c")));

    assertThat(groups.keySet()).containsExactly("t4", "t5", "t6", "t7");
    assertThat(groups.get("t5")).isEqualTo(groups.get("t4"));
    assertThat(groups.get("t7")).isEqualTo(groups.get("t6")).isNotEqualTo(groups.get("t4"));
  }

  @Test
  void keeperIsEarliestEventTimeThenSmallestIdWithNullTimesLast() {
    Dataset<Row> in = rows("('a', 'x', 'spam', NULL, 's'), ('b', 'x', 'spam', '2002-08-22 10:00:00', 's'), "
        + "('c', 'x', 'spam', '2002-08-22 10:00:00', 's'), ('d', 'x', 'spam', '2002-08-23 00:00:00', 's'), "
        + "('e', 'y', 'ham', NULL, 's'), ('f', 'y', 'ham', NULL, 's')");
    Dataset<Row> membership = ExactDuplicates.groups(in, List.of("text"));

    List<String> keepers = DuplicateClusters.keepers(membership, in, "event_time")
        .select(DuplicateClusters.KEPT_ID).orderBy(DuplicateClusters.KEPT_ID).collectAsList().stream()
        .map(r -> r.getString(0)).toList();

    // x: b and c share the earliest time, b is the smaller id; y: no times, e is the smaller id.
    assertThat(keepers).containsExactly("b", "e");
  }

  @Test
  void labelDecisionsTakeTheMajorityOrFlagAConflictAtTheConfiguredShare() {
    Dataset<Row> in = rows("('a1', 'x', 'spam', NULL, 's'), ('a2', 'x', 'spam', NULL, 's'), "
        + "('a3', 'x', 'spam', NULL, 's'), ('a4', 'x', 'spam', NULL, 's'), ('a5', 'x', 'spam', NULL, 's'), "
        + "('a6', 'x', 'spam', NULL, 's'), ('a7', 'x', 'ham', NULL, 's'), "
        + "('b1', 'y', 'ham', NULL, 's'), ('b2', 'y', 'spam', NULL, 's'), "
        + "('c1', 'z', 'ham', NULL, 's'), ('c2', 'z', NULL, NULL, 's')");
    Dataset<Row> assignment = spark.sql("SELECT * FROM VALUES ('a1','a1'),('a2','a1'),('a3','a1'),('a4','a1'),"
        + "('a5','a1'),('a6','a1'),('a7','a1'),('b1','b1'),('b2','b1'),('c1','c1'),('c2','c1') "
        + "AS v(_record_id, kept_record_id)");

    Map<String, Row> d = DuplicateClusters.labelDecisions(assignment, in, "label", 0.85).collectAsList().stream()
        .collect(Collectors.toMap(r -> r.getString(0), r -> r, (x, y) -> x, TreeMap::new));

    // a: spam 6 of 7 = 0.857 >= 0.85 -> spam; b: 1 of 2 each, tie -> smaller label 'ham', 0.5 -> conflict;
    // c: the unlabelled member does not count: ham 1 of 1.
    assertThat(d.get("a1").<Long>getAs(DuplicateClusters.CLUSTER_SIZE)).isEqualTo(7L);
    assertThat(d.get("a1").<String>getAs(DuplicateClusters.CLUSTER_LABEL)).isEqualTo("spam");
    assertThat(d.get("a1").<Double>getAs(DuplicateClusters.AGREEMENT)).isEqualTo(6.0 / 7.0);
    assertThat(d.get("a1").<Boolean>getAs(DuplicateClusters.CONFLICT)).isFalse();
    assertThat(d.get("a1").<String>getAs(DuplicateClusters.LABEL_COUNTS)).isEqualTo("ham=1, spam=6");
    assertThat(d.get("b1").<String>getAs(DuplicateClusters.CLUSTER_LABEL)).isEqualTo("ham");
    assertThat(d.get("b1").<Double>getAs(DuplicateClusters.AGREEMENT)).isEqualTo(0.5);
    assertThat(d.get("b1").<Boolean>getAs(DuplicateClusters.CONFLICT)).isTrue();
    assertThat(d.get("c1").<Double>getAs(DuplicateClusters.AGREEMENT)).isEqualTo(1.0);
    assertThat(d.get("c1").<Boolean>getAs(DuplicateClusters.CONFLICT)).isFalse();
    assertThat(d.get("c1").<String>getAs(DuplicateClusters.LABEL_COUNTS)).isEqualTo("(none)=1, ham=1");
    // A stricter bar turns a into a conflict too.
    assertThat(DuplicateClusters.labelDecisions(assignment, in, "label", 0.9)
        .filter("label_conflict").count()).isEqualTo(2);
  }

  private static Map<String, String> asMap(Dataset<Row> membership) {
    return membership.collectAsList().stream()
        .collect(Collectors.toMap(r -> r.getString(0), r -> r.getString(1), (x, y) -> x, TreeMap::new));
  }
}
