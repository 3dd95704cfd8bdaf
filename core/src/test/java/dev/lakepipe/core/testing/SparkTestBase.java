package dev.lakepipe.core.testing;

import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;

/**
 * Base class for tests that run real Spark: gives every test class the shared {@code local[2]} session.
 * Tables go under a JUnit {@code @TempDir} of the test.
 */
public abstract class SparkTestBase {

  protected static SparkSession spark;

  @BeforeAll
  static void startSpark() {
    spark = SparkTestSession.get();
  }
}
