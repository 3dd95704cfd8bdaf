package dev.lakepipe.clean;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.countDistinct;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.greatest;
import static org.apache.spark.sql.functions.lag;
import static org.apache.spark.sql.functions.least;
import static org.apache.spark.sql.functions.length;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.posexplode;
import static org.apache.spark.sql.functions.udf;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import dev.lakepipe.core.ConnectedComponents;
import dev.lakepipe.core.Lineage;
import dev.lakepipe.core.config.ConfigProblems;
import dev.lakepipe.core.config.DatasetSchema;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.api.java.UDF2;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Near duplicates: rows whose texts have a character-shingle Jaccard similarity of at least the threshold,
 * clustered transitively (A~B and B~C put A, B and C in one cluster even when A and C are not similar).
 *
 * <p>How: every text becomes a set of hashed character k-shingles ({@link #shingles}); a MinHash signature of
 * {@code bands * rowsPerBand} values summarises the set; the signature is cut into bands and every band is hashed
 * to a bucket key (banded LSH: AND within a band, OR across bands). Rows sharing a bucket in at least one band
 * are candidate pairs (deduplicated across bands); each candidate is verified with the exact Jaccard of the two
 * shingle sets, so precision is exact and LSH only costs recall. A pair with similarity s becomes a candidate
 * with probability {@code 1 - (1 - s^r)^b} (the S-curve); with the defaults b = 16, r = 4 that is 0.9998 at
 * s = 0.8, 0.97 at s = 0.7, 0.64 at s = 0.5 and 0.12 at s = 0.3 (the curve's midpoint is
 * {@code (1/b)^(1/r)} = 0.5). Raise r to cut false candidates (work) for a higher threshold; raise b to win
 * back recall near the threshold. Verified pairs form a graph whose connected components
 * ({@link ConnectedComponents}) are the clusters; the cluster id is the smallest {@code _record_id} in it.
 *
 * <p>Skew guard: a bucket with more than {@code maxBucketSize} members (a mass mailing, a boiler-plate
 * signature shared by thousands) would yield O(m²) pairs. Such a bucket is not expanded into all pairs: its
 * members are sorted by (all band keys, {@code _record_id}) and each member is paired only with its next
 * {@value #OVERSIZED_NEIGHBOURS} members in that order (a sliding window), so the bucket yields at most
 * {@value #OVERSIZED_NEIGHBOURS}·m candidates. Recall cost: pairs of an oversized bucket that lie further apart
 * in that order are not candidates through that bucket (they may still be through another band). When the
 * bucket's members are all similar to one another, as with copies of one mailing, the verified neighbour pairs
 * chain them into the same single cluster, so only the pair list, not the clustering, loses pairs; when the
 * bucket mixes dissimilar texts, a cluster can break into pieces where a run of
 * {@value #OVERSIZED_NEIGHBOURS} consecutive neighbours are all below the threshold. Oversized buckets and their
 * rows are counted in {@link Stats}.
 *
 * <p>Cost: one pass to shingle and sign every row (CPU-bound, about {@code bands * rowsPerBand} hash evaluations
 * per shingle, once per row: the shingle set is kept as a sorted array packed 4 bytes per shingle, so it is
 * stored and shuffled without per-element overhead and verified by one merge); one shuffle of {@code bands}
 * keys per row to find bucket sizes (persisted, one row per bucket of two or more members, so the pair search
 * and the skew count read them instead of re-aggregating the keys); a self-join per bucket of at most
 * {@code maxBucketSize} members, so candidates grow linearly with rows for a fixed bucket cap; two joins to
 * verify candidates; a few shuffles per connected-components round over the verified pairs only. Nothing that
 * grows with rows is collected to the driver. Deterministic across runs and partition counts: hashing depends
 * on the seed only, oversized buckets are ordered by a total order, and clusters use minimum ids.
 */
public final class NearDuplicates {

  private static final Logger LOG = LoggerFactory.getLogger(NearDuplicates.class);

  /** Members of an oversized bucket are paired with this many following members in sorted order. */
  static final int OVERSIZED_NEIGHBOURS = 16;

  /** Bound on connected-components rounds; typical graphs converge in fewer than ten. */
  static final int MAX_COMPONENT_ROUNDS = 60;

  private static final StructType SKETCH = new StructType()
      .add("sh", DataTypes.BinaryType, false)
      .add("keys", DataTypes.createArrayType(DataTypes.LongType, false), false);

  static final String CLUSTER_ID = "cluster_id";
  static final String ID_A = "id_a";
  static final String ID_B = "id_b";
  static final String JACCARD = "jaccard";

  private static final Set<String> KEYS = Set.of("enabled", "column", "shingle-size", "bands", "rows-per-band",
      "jaccard-threshold", "max-bucket-size", "seed");

  private NearDuplicates() {}

  /**
   * Near-duplicate settings from {@code clean.near-duplicates}. The default bands/rows-per-band pair (16 x 4)
   * is tuned for the default threshold 0.8: see the S-curve in the class Javadoc.
   */
  public record Settings(boolean enabled, String column, int shingleSize, int bands, int rowsPerBand,
      double threshold, int maxBucketSize, long seed) implements Serializable {

    /**
     * Reads the clean.near-duplicates section (pass ConfigFactory.empty() when absent; defaults then apply:
     * enabled = true when the dataset has text (false without), column = schema.textColumn(), shingle-size 5,
     * bands 16, rows-per-band 4, threshold 0.8, max-bucket-size 1000, seed 42). Keys: enabled, column, shingle-size, bands, rows-per-band,
     * jaccard-threshold, max-bucket-size, seed. Unknown keys and bad values are added to problems with key
     * and fix.
     */
    public static Settings parse(Config section, String prefix, DatasetSchema schema, ConfigProblems problems) {
      problems.rejectUnknownKeys(section, prefix, KEYS);
      boolean hasText = schema == null || schema.hasText();
      boolean enabled = problems.bool(section, prefix, "enabled", hasText);
      if (enabled && !hasText) {
        problems.add("Key %s is true, but the dataset declares no text column (dataset.columns.text). "
            + "Near duplicates are searched in text: declare one, or remove the key.", join(prefix, "enabled"));
        enabled = false;
      }
      String column = problems.optString(section, prefix, "column")
          .orElse(schema == null ? null : schema.textColumn());
      if (schema != null && column != null && !schema.textColumns().contains(column)) {
        problems.add("Key %s names '%s', which is not a text column in dataset.columns.text (%s). "
            + "Name one of those.", join(prefix, "column"), column, String.join(", ", schema.textColumns()));
      }
      int shingleSize = problems.intValue(section, prefix, "shingle-size", 1, 5);
      int bands = problems.intValue(section, prefix, "bands", 1, 16);
      int rowsPerBand = problems.intValue(section, prefix, "rows-per-band", 1, 4);
      if ((long) bands * rowsPerBand > 1024) {
        problems.add("Keys %s x %s give %d hash functions; at most 1024 are allowed. Lower one of them.",
            join(prefix, "bands"), join(prefix, "rows-per-band"), (long) bands * rowsPerBand);
      }
      double threshold = fraction(section, prefix, "jaccard-threshold", 0.8, problems);
      int maxBucketSize = problems.intValue(section, prefix, "max-bucket-size", 2, 1000);
      long seed = longValue(section, prefix, "seed", 42L, problems);
      return new Settings(enabled, column, shingleSize, bands, rowsPerBand, threshold, maxBucketSize, seed);
    }

    private static double fraction(Config c, String prefix, String key, double fallback, ConfigProblems problems) {
      if (!c.hasPath(key)) {
        return fallback;
      }
      try {
        double v = c.getDouble(key);
        if (!(v > 0.0 && v <= 1.0)) {
          problems.add("Key %s must be above 0 and at most 1, got %s. Use a Jaccard similarity such as 0.8.",
              join(prefix, key), v);
          return fallback;
        }
        return v;
      } catch (ConfigException.WrongType e) {
        problems.add("Key %s must be a number, got '%s'. Use a Jaccard similarity such as 0.8.",
            join(prefix, key), c.getValue(key).unwrapped());
        return fallback;
      }
    }

    private static long longValue(Config c, String prefix, String key, long fallback, ConfigProblems problems) {
      if (!c.hasPath(key)) {
        return fallback;
      }
      try {
        return c.getLong(key);
      } catch (ConfigException.WrongType e) {
        problems.add("Key %s must be a whole number, got '%s'.", join(prefix, key), c.getValue(key).unwrapped());
        return fallback;
      }
    }

    private static String join(String prefix, String key) {
      return prefix == null || prefix.isEmpty() ? key : prefix + "." + key;
    }
  }

  /**
   * Counts of one run: rows in, distinct candidate pairs, verified pairs, buckets over the size cap and the
   * distinct rows in them.
   */
  public record Stats(long rows, long candidatePairs, long verifiedPairs, long oversizedBuckets,
      long rowsInOversizedBuckets) {}

  /**
   * components: {@code _record_id, cluster_id} for rows in a connected component of size >= 2 of the verified
   * similarity graph, cluster_id = smallest _record_id in the component (deterministic). pairs:
   * {@code id_a, id_b, jaccard} with id_a < id_b, every verified pair (exact Jaccard of shingle sets >=
   * threshold). Both are persisted (memory and disk); unpersist them when done.
   */
  public record Result(Dataset<Row> components, Dataset<Row> pairs, Stats stats) {}

  /**
   * Finds near-duplicate pairs and clusters among {@code rows}, which need {@code _record_id} (unique) and
   * {@code s.column()}. Null or empty text never matches. Runs several Spark jobs (counts for the stats and the
   * connected-components rounds); the returned frames are materialised.
   */
  static Result find(Dataset<Row> rows, Settings s) {
    long rowCount = rows.count();
    // One evaluation per row of the shingles and their band keys (the sketch is marked non-deterministic so the
    // optimiser cannot copy it into the filter and each field: measured, it was evaluated twice per row).
    Dataset<Row> docs = rows
        .select(col(Lineage.RECORD_ID).as("id"), sketch(col(s.column()), s).as("d"))
        .select(col("id"), col("d.sh").as("sh"), col("d.keys").as("keys"))
        .filter(col("keys").isNotNull())
        .persist(StorageLevel.MEMORY_AND_DISK());

    // Bucket membership: one row per (row, band), with the bucket's size.
    Dataset<Row> members = docs.select(col("id"), col("keys"), posexplode(col("keys")).as(new String[] {"band",
        "bucket"}));
    // Persisted: the small pairs (twice), the oversized window and the skew count all join it; unpersisted, each
    // re-aggregated every (row, band) membership (measured: 4 shuffles of the memberships per run, not reused).
    // One row per bucket of two or more members.
    Dataset<Row> sizes = members.groupBy("band", "bucket").agg(count(lit(1)).as("m")).filter(col("m").gt(1))
        .persist(StorageLevel.MEMORY_AND_DISK());
    Dataset<Row> shared = members.join(sizes, new String[] {"band", "bucket"});

    Dataset<Row> normal = shared.filter(col("m").leq(s.maxBucketSize()));
    Dataset<Row> smallPairs = normal.select(col("band"), col("bucket"), col("id").as(ID_A))
        .join(normal.select(col("band"), col("bucket"), col("id").as(ID_B)), new String[] {"band", "bucket"})
        .filter(col(ID_A).lt(col(ID_B)))
        .select(ID_A, ID_B);

    // Oversized buckets: sliding window over a total order instead of all pairs.
    Dataset<Row> oversized = shared.filter(col("m").gt(s.maxBucketSize()));
    WindowSpec order = Window.partitionBy("band", "bucket").orderBy(col("keys"), col("id"));
    List<Column> previous = new ArrayList<>();
    for (int d = 1; d <= OVERSIZED_NEIGHBOURS; d++) {
      previous.add(lag(col("id"), d).over(order));
    }
    Dataset<Row> windowPairs = oversized
        .select(col("id"), array(previous.toArray(Column[]::new)).as("previous"))
        .select(col("id"), explode(col("previous")).as("prev"))
        .filter(col("prev").isNotNull())
        .select(least(col("id"), col("prev")).as(ID_A), greatest(col("id"), col("prev")).as(ID_B));

    Dataset<Row> candidates = smallPairs.union(windowPairs).distinct().persist(StorageLevel.MEMORY_AND_DISK());
    long candidateCount = candidates.count();
    Row skew = oversized.agg(countDistinct(col("band"), col("bucket")), countDistinct(col("id"))).first();
    sizes.unpersist();

    // Verify: exact Jaccard; the size ratio bounds Jaccard from above and skips hopeless pairs cheaply (sizes in
    // bytes, 4 per shingle: the same ratio).
    Dataset<Row> a = docs.select(col("id").as(ID_A), col("sh").as("sh_a"));
    Dataset<Row> b = docs.select(col("id").as(ID_B), col("sh").as("sh_b"));
    Column sizeA = length(col("sh_a"));
    Column sizeB = length(col("sh_b"));
    Dataset<Row> pairs = candidates.join(a, ID_A).join(b, ID_B)
        .filter(least(sizeA, sizeB).cast("double").geq(greatest(sizeA, sizeB).cast("double").multiply(s.threshold())))
        .select(col(ID_A), col(ID_B), jaccard(col("sh_a"), col("sh_b")).as(JACCARD))
        .filter(col(JACCARD).geq(s.threshold()))
        .persist(StorageLevel.MEMORY_AND_DISK());
    long verified = pairs.count();
    candidates.unpersist();
    docs.unpersist();

    Dataset<Row> components = ConnectedComponents.of(pairs, ID_A, ID_B, MAX_COMPONENT_ROUNDS)
        .select(col(ConnectedComponents.NODE).as(Lineage.RECORD_ID),
            col(ConnectedComponents.COMPONENT).as(CLUSTER_ID));
    long clustered = components.count();

    Stats stats = new Stats(rowCount, candidateCount, verified, skew.getLong(0), skew.getLong(1));
    LOG.info("near duplicates: {} rows, {} candidate pairs, {} verified, {} rows in clusters, "
        + "{} oversized buckets ({} rows)", rowCount, candidateCount, verified, clustered,
        stats.oversizedBuckets(), stats.rowsInOversizedBuckets());
    return new Result(components, pairs, stats);
  }

  /**
   * Sorted distinct array&lt;int&gt; of hashed character shingles (k = shingleSize) of the text, lowercased;
   * works for Chinese and other languages without spaces; texts shorter than k give one shingle of the whole
   * text; null and empty text give an empty array.
   */
  static Column shingles(Column text, Settings s) {
    int k = s.shingleSize();
    UDF1<String, int[]> f = t -> MinHash.shingles(t, k);
    return udf(f, DataTypes.createArrayType(DataTypes.IntegerType, false)).apply(text);
  }

  /** Exact Jaccard of two {@link MinHash#pack packed} shingle sets (binary columns); 0 when both are empty. */
  static Column jaccard(Column packedA, Column packedB) {
    UDF2<byte[], byte[], Double> f = MinHash::jaccard;
    return udf(f, DataTypes.DoubleType).asNonNullable().apply(packedA, packedB);
  }

  /** Exact Jaccard of the shingle sets of two texts (null and empty text have none); 0 when both have none. */
  static Column textJaccard(Column textA, Column textB, Settings s) {
    int k = s.shingleSize();
    UDF2<String, String, Double> f = (x, y) -> MinHash.jaccard(MinHash.pack(MinHash.shingles(x, k)),
        MinHash.pack(MinHash.shingles(y, k)));
    return udf(f, DataTypes.DoubleType).asNonNullable().apply(textA, textB);
  }

  /**
   * {@code struct<sh: binary, keys: array<long>>}: the text's {@link MinHash#pack packed} shingle set and its band
   * keys, computed in one pass; null for null or empty text.
   */
  private static Column sketch(Column text, Settings s) {
    long[] salts = MinHash.salts(s.seed(), s.bands() * s.rowsPerBand());
    int k = s.shingleSize();
    int bands = s.bands();
    int rows = s.rowsPerBand();
    UDF1<String, Row> f = t -> {
      int[] sh = MinHash.shingles(t, k);
      if (sh.length == 0) {
        return null;
      }
      long[] keys = MinHash.bandKeys(MinHash.signature(sh, salts), bands, rows);
      return RowFactory.create(MinHash.pack(sh), keys);
    };
    return udf(f, SKETCH).asNondeterministic().apply(text);
  }

}
