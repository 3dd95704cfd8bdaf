package dev.lakepipe.core;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.countDistinct;
import static org.apache.spark.sql.functions.greatest;
import static org.apache.spark.sql.functions.least;
import static org.apache.spark.sql.functions.min;

import java.util.Locale;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Connected components of an undirected graph given as an edge list, computed in Spark with the alternating
 * Large-Star / Small-Star algorithm (Kiveris, Lattanzi, Mirrokni, Rastogi, Vassilvitskii, "Connected Components
 * in MapReduce and Beyond", SoCC 2014). Each round rewires edges towards the smallest node id seen so far, and
 * the graph converges to one star per component whose centre is the component's smallest id; the paper proves
 * O(log² n) rounds, and a long chain (such as the sliding-window pairs of an oversized LSH bucket) converges
 * in about log n rounds rather than in its length, as plain min-label propagation would.
 *
 * <p>Cost per round: three shuffles over the current edge set (never more edges than the input plus the
 * number of nodes); nothing is collected to the driver except the emptiness check of the convergence test.
 * Each round's edges are persisted and the previous round's released. Deterministic: only min and distinct
 * are used, so the result does not depend on partitioning.
 */
public final class ConnectedComponents {

  private static final Logger LOG = LoggerFactory.getLogger(ConnectedComponents.class);

  /** Output columns. */
  public static final String NODE = "node";
  public static final String COMPONENT = "component";

  private static final String U = "u";
  private static final String V = "v";

  private ConnectedComponents() {}

  /**
   * Component of every node that has at least one edge: {@code node, component}, where component is the
   * smallest node id of its component (a node is in its own component, so the centre maps to itself).
   * Self loops are ignored. The result is persisted and materialised (unpersist it when done). Fails with a
   * clear error when the graph is not stars after {@code maxRounds}.
   */
  public static Dataset<Row> of(Dataset<Row> edges, String srcColumn, String dstColumn, int maxRounds) {
    LakepipeErrors.checkArgument(maxRounds >= 1, "Cannot find connected components: maxRounds must be at least 1, "
        + "got %s", maxRounds);
    // Edges are kept oriented: u is the larger endpoint, v the smaller.
    SparkSession spark = edges.sparkSession();
    Dataset<Row> previous = oriented(edges.select(col(srcColumn).as(U), col(dstColumn).as(V)))
        .persist(StorageLevel.MEMORY_AND_DISK());
    long edgesIn = previous.count();
    Dataset<Row> current = spark.createDataFrame(previous.javaRDD(), previous.schema());
    for (int round = 1; round <= maxRounds; round++) {
      Dataset<Row> next = smallStar(largeStar(current)).persist(StorageLevel.MEMORY_AND_DISK());
      long edgesNow = next.count();
      previous.unpersist();
      // A fresh plan over the persisted rows: each round refers to its input several times, so chaining the
      // logical plans would grow them exponentially with the rounds.
      current = spark.createDataFrame(next.javaRDD(), next.schema());
      previous = next;
      if (isStarForest(current)) {
        LOG.info("connected components: {} edges in, converged after {} rounds", edgesIn, round);
        Dataset<Row> leaves = current.select(col(U).as(NODE), col(V).as(COMPONENT));
        Dataset<Row> centres = current.select(col(V).as(NODE), col(V).as(COMPONENT)).distinct();
        Dataset<Row> labels = leaves.union(centres).persist(StorageLevel.MEMORY_AND_DISK());
        labels.count();
        previous.unpersist();
        return labels;
      }
      LOG.debug("connected components: round {} leaves {} edges", round, edgesNow);
    }
    long left = current.count();
    previous.unpersist();
    throw LakepipeErrors.jobFailed("find connected components", String.format(Locale.ROOT,
        "the similarity graph did not converge to stars in %d rounds (%d edges in, %d edges left). Raise the "
            + "round limit or lower max-bucket-size so oversized buckets yield fewer pairs", maxRounds,
        edgesIn, left), null);
  }

  private static Dataset<Row> oriented(Dataset<Row> uv) {
    return uv.filter(col(U).notEqual(col(V)))
        .select(greatest(col(U), col(V)).as(U), least(col(U), col(V)).as(V))
        .distinct();
  }

  /** Every node links its larger neighbours to the smallest of itself and its neighbours. */
  private static Dataset<Row> largeStar(Dataset<Row> e) {
    Dataset<Row> neighbours = e.select(col(U).as(NODE), col(V).as("nbr"))
        .union(e.select(col(V).as(NODE), col(U).as("nbr")));
    Dataset<Row> smallest = neighbours.groupBy(NODE).agg(min("nbr").as("m"))
        .select(col(NODE), least(col(NODE), col("m")).as("m"));
    return neighbours.join(smallest, NODE)
        .filter(col("nbr").gt(col(NODE)))
        .select(col("nbr").as(U), col("m").as(V))
        .distinct();
  }

  /** Every node links itself and its smaller neighbours to the smallest of them. */
  private static Dataset<Row> smallStar(Dataset<Row> e) {
    Dataset<Row> smallest = e.groupBy(U).agg(min(V).as("m"));
    Dataset<Row> joined = e.join(smallest, U);
    Column m = col("m");
    return oriented(joined.select(col(V).as(U), m.as(V))
        .union(joined.select(col(U).as(U), m.as(V))));
  }

  /** Stars: no node is both a leaf and a centre, and no leaf has two centres. */
  private static boolean isStarForest(Dataset<Row> e) {
    Dataset<Row> twoCentres = e.groupBy(U).agg(countDistinct(V).as("k")).filter(col("k").gt(1)).select(col(U));
    Dataset<Row> both = e.select(col(U)).distinct()
        .join(e.select(col(V).as(U)).distinct(), U);
    return twoCentres.union(both).isEmpty();
  }
}
