package dev.lakepipe.clean;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;

import dev.lakepipe.bench.PipelineBenchmark;
import dev.lakepipe.bench.TextWorkload;
import dev.lakepipe.core.SparkSessionFactory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;

/**
 * Exact versus near-duplicate detection over the real message bodies of {@code sample-data/} at 1x, 4x and 16x
 * rows, in one local Spark session, side by side. Prints seconds, microseconds per row and pairs per row at
 * each size, the fitted exponent b of time ∝ rows^b for each method, and, at 1x, the recall and precision of
 * the near-duplicate pairs against brute-force all-pairs exact Jaccard.
 *
 * <p>1x is the 1,000 real bodies (600 JSON Lines records, 400 CSV rows). Copy c ≥ 1 of the corpus, used for
 * 4x and 16x, passes every body through a per-copy letter substitution (a seeded permutation of a–z, applied
 * alike to upper and lower case) and then makes three random word edits seeded by the copy and the body, so
 * bodies that are equal stay equal within a copy. The substitution keeps every
 * within-copy similarity structure of the real text (so duplicates per row stay what the real data has)
 * while copies do not become near duplicates of one another; plain copies with a few edits would give every
 * row 3 or 15 extra near duplicates and so make pairs per row grow with the scale by construction.
 *
 * <p>Not a test: build with {@code mvn -B -o -pl bench -am package -DskipTests}, then run from the repository
 * root {@code java @bench/target/bench-jvm.options -cp "bench/target/classes:$(cat bench/target/bench-classpath.txt)"
 * dev.lakepipe.clean.DedupeBenchmark} (see docs/benchmarks.md). Argument: scales (default {@code 1,4,16}).
 */
public final class DedupeBenchmark {

  private static final long SEED = 20020822L;
  private static final StructType SCHEMA = new StructType()
      .add("_record_id", DataTypes.StringType, false)
      .add("text", DataTypes.StringType, true);

  private DedupeBenchmark() {}

  public static void main(String[] args) {
    int[] scales = args.length > 0
        ? java.util.Arrays.stream(args[0].split(",")).mapToInt(Integer::parseInt).toArray()
        : new int[] {1, 4, 16};
    SparkSession.Builder b = SparkSession.builder().master("local[2]").appName("lakepipe dedupe benchmark");
    SparkSessionFactory.REQUIRED_CONF.forEach(b::config);
    SparkSession spark = b
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate();
    spark.sparkContext().setLogLevel("WARN");
    try {
      run(spark, scales);
    } finally {
      spark.stop();
    }
  }

  private static void run(SparkSession spark, int[] scales) {
    List<String> bodies = realBodies(spark);
    NearDuplicates.Settings s = new NearDuplicates.Settings(true, "text", 5, 16, 4, 0.8, 1000, 42L);
    System.out.printf(Locale.ROOT, "real bodies: %d; settings: %s%n", bodies.size(), s);

    // Warm-up: JIT, Spark's code generation and first-job costs, not measured.
    Dataset<Row> warm = rows(spark, bodies, 1);
    exactPairs(warm);
    release(NearDuplicates.find(warm, s));
    warm.unpersist();

    System.out.printf(Locale.ROOT, "%n%-6s %7s | %9s %9s %11s | %9s %9s %11s | %s%n", "scale", "rows",
        "exact s", "us/row", "pairs/row", "near s", "us/row", "cand/row", "verified/row, oversized buckets");
    double[] logRows = new double[scales.length];
    double[] logExact = new double[scales.length];
    double[] logNear = new double[scales.length];
    for (int i = 0; i < scales.length; i++) {
      Dataset<Row> in = rows(spark, bodies, scales[i]);
      long n = in.count();

      long t0 = System.nanoTime();
      long exactPairs = exactPairs(in);
      double exactSeconds = (System.nanoTime() - t0) / 1e9;

      long t1 = System.nanoTime();
      NearDuplicates.Result near = NearDuplicates.find(in, s);
      double nearSeconds = (System.nanoTime() - t1) / 1e9;
      NearDuplicates.Stats st = near.stats();

      System.out.printf(Locale.ROOT, "%-6s %7d | %9.2f %9.1f %11.4f | %9.2f %9.1f %11.4f | %.4f, %d%n",
          scales[i] + "x", n, exactSeconds, exactSeconds * 1e6 / n, (double) exactPairs / n,
          nearSeconds, nearSeconds * 1e6 / n, (double) st.candidatePairs() / n, (double) st.verifiedPairs() / n,
          st.oversizedBuckets());
      logRows[i] = Math.log(n);
      logExact[i] = Math.log(exactSeconds);
      logNear[i] = Math.log(nearSeconds);

      if (scales[i] == 1) {
        accuracy(in, near, s);
      }
      release(near);
      in.unpersist();
    }
    if (scales.length >= 2) {
      System.out.printf(Locale.ROOT, "%nfitted exponent b (time ∝ rows^b, least squares on log-log): exact %.3f "
          + "(target <= 1.1), near %.3f (target <= 1.3)%n", PipelineBenchmark.slope(logRows, logExact),
          PipelineBenchmark.slope(logRows, logNear));
    }
  }

  /** Exact grouping as clean runs it; returns the number of duplicate pairs its groups imply. */
  private static long exactPairs(Dataset<Row> in) {
    Row r = ExactDuplicates.groups(in, List.of("text"))
        .groupBy(ExactDuplicates.CLUSTER_ID).agg(count(lit(1)).as("m"))
        .agg(sum(col("m").multiply(col("m").minus(1)).divide(2)).cast("long"))
        .first();
    return r.isNullAt(0) ? 0 : r.getLong(0);
  }

  /** Recall and precision of the near-duplicate pairs against all-pairs exact Jaccard (1x only). */
  private static void accuracy(Dataset<Row> in, NearDuplicates.Result near, NearDuplicates.Settings s) {
    long t0 = System.nanoTime();
    List<Row> sh = in.select(col("_record_id"), NearDuplicates.shingles(col("text"), s).as("sh"))
        .collectAsList();
    List<String> ids = new ArrayList<>();
    List<int[]> sets = new ArrayList<>();
    for (Row r : sh) {
      List<Integer> l = r.getList(1);
      if (!l.isEmpty()) {
        ids.add(r.getString(0));
        sets.add(l.stream().mapToInt(Integer::intValue).toArray());
      }
    }
    Set<String> truth = new HashSet<>();
    for (int i = 0; i < sets.size(); i++) {
      for (int j = i + 1; j < sets.size(); j++) {
        int[] a = sets.get(i);
        int[] c = sets.get(j);
        if (Math.min(a.length, c.length) < s.threshold() * Math.max(a.length, c.length)) {
          continue;
        }
        if (jaccard(a, c) >= s.threshold()) {
          String x = ids.get(i);
          String y = ids.get(j);
          truth.add(x.compareTo(y) < 0 ? x + "~" + y : y + "~" + x);
        }
      }
    }
    Set<String> found = new HashSet<>();
    for (Row r : near.pairs().collectAsList()) {
      found.add(r.getString(0) + "~" + r.getString(1));
    }
    Map<String, String> cluster = new HashMap<>();
    for (Row r : near.components().collectAsList()) {
      cluster.put(r.getString(0), r.getString(1));
    }
    long hit = truth.stream().filter(found::contains).count();
    long sameCluster = truth.stream().filter(p -> {
      String[] ab = p.split("~");
      return cluster.containsKey(ab[0]) && cluster.get(ab[0]).equals(cluster.get(ab[1]));
    }).count();
    double recall = truth.isEmpty() ? 1.0 : (double) hit / truth.size();
    double precision = found.isEmpty() ? 1.0 : (double) hit / found.size();
    System.out.printf(Locale.ROOT, "   1x accuracy vs brute force (%d rows, %d pairs checked, %.1f s): %d true "
            + "pairs >= %.2f, %d found; recall %.4f (target >= 0.95), precision %.4f (target >= 0.99); "
            + "true pairs in one cluster: %.4f%n", sets.size(), (long) sets.size() * (sets.size() - 1) / 2,
        (System.nanoTime() - t0) / 1e9, truth.size(), s.threshold(), found.size(), recall, precision,
        truth.isEmpty() ? 1.0 : (double) sameCluster / truth.size());
  }

  private static double jaccard(int[] a, int[] b) {
    int i = 0;
    int j = 0;
    int inter = 0;
    while (i < a.length && j < b.length) {
      if (a[i] == b[j]) {
        inter++;
        i++;
        j++;
      } else if (a[i] < b[j]) {
        i++;
      } else {
        j++;
      }
    }
    int union = a.length + b.length - inter;
    return union == 0 ? 0.0 : (double) inter / union;
  }

  private static void release(NearDuplicates.Result r) {
    r.components().unpersist();
    r.pairs().unpersist();
  }

  /** The real bodies: export JSON Lines {@code body} (plain and gzip), then CRM CSV {@code content}. */
  private static List<String> realBodies(SparkSession spark) {
    List<String> out = new ArrayList<>();
    for (Row r : spark.read().json("sample-data/export/messages-1.jsonl", "sample-data/export/messages-2.jsonl.gz")
        .select("body").collectAsList()) {
      out.add(r.getString(0));
    }
    for (Row r : spark.read().option("header", "true").option("sep", ";").option("multiLine", "true")
        .option("quote", "\"").option("escape", "\"").option("encoding", "UTF-8")
        .csv("sample-data/crm/messages.csv").select("content").collectAsList()) {
      out.add(r.getString(0));
    }
    return out;
  }

  /** {@code scale} copies of the corpus (copy 0 unchanged), persisted, with new ids. */
  private static Dataset<Row> rows(SparkSession spark, List<String> bodies, int scale) {
    List<Row> rows = new ArrayList<>();
    for (int c = 0; c < scale; c++) {
      char[] cipher = TextWorkload.cipher(new Random(SEED + c));
      for (int i = 0; i < bodies.size(); i++) {
        String text = c == 0 ? bodies.get(i) : edit(TextWorkload.substitute(bodies.get(i), cipher),
            new Random(SEED * 31 + c * 1_000_003L + String.valueOf(bodies.get(i)).hashCode()));
        rows.add(RowFactory.create(String.format(Locale.ROOT, "c%02d-%05d", c, i), text));
      }
    }
    Dataset<Row> df = spark.createDataFrame(rows, SCHEMA).repartition(8).persist(StorageLevel.MEMORY_AND_DISK());
    df.count();
    return df;
  }

  /** Three random word edits: replace a word with another word of the same text. */
  private static String edit(String text, Random random) {
    if (text == null || text.isEmpty()) {
      return text;
    }
    String[] words = text.split(" ", -1);
    for (int e = 0; e < 3; e++) {
      words[random.nextInt(words.length)] = words[random.nextInt(words.length)];
    }
    return String.join(" ", words);
  }
}
