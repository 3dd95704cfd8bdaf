package dev.lakepipe.core;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.countDistinct;
import static org.apache.spark.sql.functions.greatest;
import static org.apache.spark.sql.functions.least;
import static org.apache.spark.sql.functions.min;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.unsafe.types.UTF8String;
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
 *
 * <p>Small graphs are solved on the driver: when the distinct edges number at most {@value #LOCAL_EDGE_LIMIT},
 * they are collected (one job, at most that many rows: a few MB with 64-character ids) and labelled by
 * union-find, which gives the same labels (Spark's ordering of the node type decides the smallest id) without
 * the rounds' jobs: 29 of clean's 132 Spark jobs on 11 rows. The bound is fixed, so the driver holds no more at
 * 100 million rows than at 100; a larger graph pays that one job (at most the bound's rows, then the edges are
 * computed again for the rounds) and takes the rounds above. Ids of types without a driver-side order that
 * matches Spark's (anything but strings and integers) always take the rounds.
 */
public final class ConnectedComponents {

  private static final Logger LOG = LoggerFactory.getLogger(ConnectedComponents.class);

  /** Output columns. */
  public static final String NODE = "node";
  public static final String COMPONENT = "component";

  /** Graphs with at most this many distinct edges are solved on the driver (see the class comment). */
  public static final int LOCAL_EDGE_LIMIT = 20_000;

  private static final String U = "u";
  private static final String V = "v";

  private ConnectedComponents() {}

  /**
   * Component of every node that has at least one edge: {@code node, component}, where component is the
   * smallest node id of its component (a node is in its own component, so the centre maps to itself).
   * Self loops are ignored. The result is persisted and materialised (unpersist it when done), or, for a graph
   * solved on the driver, a local relation. Fails with a clear error when the graph is not stars after
   * {@code maxRounds}.
   */
  public static Dataset<Row> of(Dataset<Row> edges, String srcColumn, String dstColumn, int maxRounds) {
    return of(edges, srcColumn, dstColumn, maxRounds, LOCAL_EDGE_LIMIT);
  }

  /** As {@link #of(Dataset, String, String, int)}, solving graphs of at most {@code localEdgeLimit} edges locally. */
  static Dataset<Row> of(Dataset<Row> edges, String srcColumn, String dstColumn, int maxRounds, int localEdgeLimit) {
    LakepipeErrors.checkArgument(maxRounds >= 1, "Cannot find connected components: maxRounds must be at least 1, "
        + "got %s", maxRounds);
    // Edges are kept oriented: u is the larger endpoint, v the smaller.
    SparkSession spark = edges.sparkSession();
    Dataset<Row> uv = oriented(edges.select(col(srcColumn).as(U), col(dstColumn).as(V)));
    Comparator<Object> order = sparkOrder(uv.schema().apply(U).dataType());
    if (localEdgeLimit > 0 && order != null) {
      List<Row> few = uv.limit(localEdgeLimit + 1).collectAsList();
      if (few.size() <= localEdgeLimit) {
        return onDriver(spark, few, uv.schema(), order);
      }
    }
    Dataset<Row> previous = uv.persist(StorageLevel.MEMORY_AND_DISK());
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

  /**
   * Union-find over the collected edges; every node's label is the smallest node of its set in Spark's order of
   * the type, as {@code min} would choose it. Nodes without an edge (only self loops) are not listed.
   */
  private static Dataset<Row> onDriver(SparkSession spark, List<Row> edges, StructType uv,
      Comparator<Object> order) {
    Map<Object, Integer> index = new HashMap<>();
    List<Object> nodes = new ArrayList<>();
    int[][] pairs = new int[edges.size()][];
    for (int i = 0; i < edges.size(); i++) {
      Row e = edges.get(i);
      pairs[i] = new int[] {indexOf(e.get(0), index, nodes), indexOf(e.get(1), index, nodes)};
    }
    int[] parent = new int[nodes.size()];
    for (int i = 0; i < parent.length; i++) {
      parent[i] = i;
    }
    for (int[] p : pairs) {
      int a = root(parent, p[0]);
      int b = root(parent, p[1]);
      if (a != b) {
        // The root is always the smallest node of its set.
        if (order.compare(nodes.get(a), nodes.get(b)) < 0) {
          parent[b] = a;
        } else {
          parent[a] = b;
        }
      }
    }
    List<Row> labels = new ArrayList<>(nodes.size());
    for (int i = 0; i < parent.length; i++) {
      labels.add(RowFactory.create(nodes.get(i), nodes.get(root(parent, i))));
    }
    LOG.info("connected components: {} edges in, solved on the driver", edges.size());
    StructField u = uv.apply(U);
    StructField v = uv.apply(V);
    return spark.createDataFrame(labels, new StructType()
        .add(NODE, u.dataType(), u.nullable() || v.nullable())
        .add(COMPONENT, v.dataType(), v.nullable()));
  }

  private static int indexOf(Object node, Map<Object, Integer> index, List<Object> nodes) {
    return index.computeIfAbsent(node, n -> {
      nodes.add(n);
      return nodes.size() - 1;
    });
  }

  private static int root(int[] parent, int i) {
    while (parent[i] != i) {
      parent[i] = parent[parent[i]];
      i = parent[i];
    }
    return i;
  }

  /** Spark's ordering of values of the type ({@code min}'s), or null where the driver path does not apply. */
  private static Comparator<Object> sparkOrder(DataType type) {
    if (type.equals(DataTypes.StringType)) {
      // UTF-8 bytes, unsigned: String.compareTo (UTF-16 units) differs beyond the Basic Multilingual Plane.
      return (a, b) -> UTF8String.fromString((String) a).compareTo(UTF8String.fromString((String) b));
    }
    if (type.equals(DataTypes.LongType) || type.equals(DataTypes.IntegerType) || type.equals(DataTypes.ShortType)
        || type.equals(DataTypes.ByteType)) {
      return (a, b) -> Long.compare(((Number) a).longValue(), ((Number) b).longValue());
    }
    return null;
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
