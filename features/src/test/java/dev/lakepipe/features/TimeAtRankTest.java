package dev.lakepipe.features;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakepipe.core.testing.SparkTestBase;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/**
 * {@link Splitter#timeAtRank}: the exact event time at a 0-based rank in time order, found by histogram passes
 * instead of a driver-side top-K. Expected values are read off the hand-sorted lists below.
 */
class TimeAtRankTest extends SparkTestBase {

  private static final StructType SHAPE = new StructType().add("t", DataTypes.TimestampType);

  @Test
  void tiesExtremesAndNeighboursOneMicrosecondApart() {
    Instant y2020 = Instant.parse("2020-01-01T00:00:00Z");
    Instant first = Instant.parse("1700-01-01T00:00:00Z");
    Instant last = Instant.parse("9999-12-31T23:59:59.999999Z");
    // In time order: 1700, 2020 three times, 2020 + 1 us, year 9999 (6 rows; given shuffled).
    Dataset<Row> rows = times(List.of(y2020, last, y2020.plusNanos(1000), first, y2020, y2020));
    assertThat(Splitter.timeAtRank(rows, "t", 0, 6)).isEqualTo(first);
    assertThat(Splitter.timeAtRank(rows, "t", 1, 6)).isEqualTo(y2020);
    assertThat(Splitter.timeAtRank(rows, "t", 3, 6)).isEqualTo(y2020);
    assertThat(Splitter.timeAtRank(rows, "t", 4, 6)).isEqualTo(y2020.plusNanos(1000));
    assertThat(Splitter.timeAtRank(rows, "t", 5, 6)).isEqualTo(last);
    assertThat(Splitter.timeAtRank(rows, "t", 6, 6)).isNull();
  }

  @Test
  void everyRankOfThreeThousandTimesSevenSecondsApart() {
    // Row k (k = 0..2999) is t0 + 7k s, given in a shuffled order over 3 partitions: rank k is t0 + 7k s.
    Instant t0 = Instant.parse("2015-06-01T12:00:00Z");
    List<Instant> shuffled = new ArrayList<>();
    for (int k = 0; k < 3000; k++) {
      shuffled.add(t0.plusSeconds(7L * k));
    }
    Collections.shuffle(shuffled, new Random(5));
    Dataset<Row> rows = times(shuffled).repartition(3).cache();
    for (long k : new long[] {0, 1, 1023, 1024, 2399, 2400, 2700, 2999}) {
      assertThat(Splitter.timeAtRank(rows, "t", k, 3000)).as("rank %d", k).isEqualTo(t0.plusSeconds(7 * k));
    }
    rows.unpersist();
  }

  private static Dataset<Row> times(List<Instant> instants) {
    return spark.createDataFrame(instants.stream().map(i -> RowFactory.create(Timestamp.from(i))).toList(), SHAPE);
  }
}
