package dev.lakepipe.core;

import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.execution.LogicalRDD$;
import org.apache.spark.storage.StorageLevel;

/**
 * The intermediate results a stage persists, released together when the stage ends (try-with-resources).
 *
 * <p>{@link #cut} also cuts the query plan: it persists and materialises a result, then returns a Dataset over
 * the persisted rows whose plan is a single leaf. A stage that joins, filters and counts the same results many
 * times otherwise re-analyses, re-optimises and re-plans the whole tree that made them at every action, and
 * the Spark driver spends most of a small run on that: measured on the sample's clean run, 97 s with cached
 * Datasets and 51 s with cut plans (docs/clean.md, Cost). Unlike {@code localCheckpoint}, the rows stay
 * recomputable from lineage if an executor holding them is lost: the leaf reads the cached blocks, whose RDD
 * keeps its lineage.
 *
 * <p>The leaf is a {@code LogicalRDD} over Spark's internal rows of the cached relation, made the way
 * {@code Dataset.checkpoint} makes its own (no conversion to and from external {@code Row}s), and it carries
 * the size statistics of the plan it replaces, so joins against it can still be planned as broadcasts.
 * Materialising takes one Spark job, which also computes the row count and any aggregates the caller asks for
 * ({@link #cutAndCount}), so a stage's conservation counts cost no job of their own.
 */
public final class Persisted implements AutoCloseable {

  /** A cut result: the rows behind a one-node plan, their count and the aggregates computed with it. */
  public record Cut(Dataset<Row> rows, long count, Row aggregates) {
    /** The {@code i}-th aggregate (0-based, in the order given to {@link Persisted#cutAndCount}). */
    public long aggregate(int i) {
      return aggregates.isNullAt(i) ? 0L : ((Number) aggregates.get(i)).longValue();
    }
  }

  private final List<Dataset<Row>> held = new ArrayList<>();

  /** Persists {@code df} (memory and disk), lazily; the plan is kept. */
  public Dataset<Row> keep(Dataset<Row> df) {
    Dataset<Row> p = df.persist(StorageLevel.MEMORY_AND_DISK());
    held.add(p);
    return p;
  }

  /** Takes over a result persisted elsewhere (e.g. by a library step), to release it with the rest. */
  public Dataset<Row> adopt(Dataset<Row> persisted) {
    held.add(persisted);
    return persisted;
  }

  /** Persists and materialises {@code df}, and returns the same rows behind a one-node plan. */
  public Dataset<Row> cut(Dataset<Row> df) {
    return cutAndCount(df).rows();
  }

  /**
   * Persists and materialises {@code df} with one Spark job that also counts its rows and computes
   * {@code aggregates} (e.g. {@code sum(when(cond, 1))}) over them, and returns the rows behind a one-node plan.
   */
  public Cut cutAndCount(Dataset<Row> df, Column... aggregates) {
    Dataset<Row> p = keep(df);
    Column[] all = new Column[aggregates.length + 1];
    all[0] = count(lit(1));
    System.arraycopy(aggregates, 0, all, 1, aggregates.length);
    Row values = p.agg(all[0], java.util.Arrays.copyOfRange(all, 1, all.length)).first();
    long rows = values.getLong(0);
    Object[] rest = new Object[aggregates.length];
    for (int i = 0; i < rest.length; i++) {
      rest[i] = values.get(i + 1);
    }
    // A fresh Dataset of the same plan, so its physical plan is planned now and reads the cache.
    SparkSession spark = p.sparkSession();
    Dataset<Row> cached = Dataset.ofRows(spark, p.queryExecution().analyzed());
    Dataset<Row> leaf = Dataset.ofRows(spark,
        LogicalRDD$.MODULE$.fromDataset(cached.queryExecution().toRdd(), cached, false));
    return new Cut(leaf, rows, org.apache.spark.sql.RowFactory.create(rest));
  }

  /** Releases everything persisted here. */
  @Override
  public void close() {
    held.forEach(Dataset::unpersist);
    held.clear();
  }
}
