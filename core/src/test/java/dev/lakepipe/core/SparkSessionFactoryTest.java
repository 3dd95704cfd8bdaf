package dev.lakepipe.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.lakepipe.core.config.LakepipeConfig;
import dev.lakepipe.core.testing.SparkTestBase;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What {@link SparkSessionFactory#create} applies to a session that already exists, as a cluster's shared
 * session does on Databricks: only what the conf says (and Lakepipe's required settings), never the embedded
 * defaults. The shared test session stands in for the cluster's: it has 2 shuffle partitions and AQE's
 * advisory size at Spark's default.
 */
class SparkSessionFactoryTest extends SparkTestBase {

  private static final List<String> KEYS = List.of("spark.sql.shuffle.partitions",
      "spark.sql.adaptive.advisoryPartitionSizeInBytes", "spark.sql.session.timeZone",
      "spark.databricks.delta.snapshotPartitions");

  private static LakepipeConfig config(LakepipeConfig.Env env, String hocon) {
    return LakepipeConfig.from(ConfigFactory.parseString(hocon + "\ntables.mode = metastore\n"
            + "dataset { name = d, columns { id = id, text = [text], label = label } }")
        .withFallback(ConfigFactory.parseResources(LakepipeConfig.class, "/lakepipe-defaults.conf")).resolve(),
        "test conf", env);
  }

  @Test
  void aClusterSessionKeepsItsShuffleSettingsUnlessTheConfSetsThem() {
    List<scala.Option<String>> before = KEYS.stream().map(k -> spark.conf().getOption(k)).toList();
    try {
      spark.conf().set("spark.sql.shuffle.partitions", "2");
      spark.conf().unset("spark.sql.adaptive.advisoryPartitionSizeInBytes");
      spark.conf().unset("spark.databricks.delta.snapshotPartitions");

      // Databricks, nothing in the conf: the session's 2 partitions and Spark's default advisory size (64 MiB,
      // shown in bytes) stand; the built-in defaults set only the time zone.
      SparkSessionFactory.create(config(LakepipeConfig.Env.DATABRICKS, ""), "test");
      assertThat(spark.conf().get("spark.sql.shuffle.partitions")).isEqualTo("2");
      assertThat(spark.conf().get("spark.sql.adaptive.advisoryPartitionSizeInBytes")).isEqualTo("67108864b");
      assertThat(spark.conf().get("spark.sql.session.timeZone")).isEqualTo("UTC");
      assertThat(spark.conf().getOption("spark.databricks.delta.snapshotPartitions").isEmpty()).isTrue();

      // The conf says so: then it is applied.
      SparkSessionFactory.create(config(LakepipeConfig.Env.YARN,
          "spark.conf { \"spark.sql.shuffle.partitions\" = \"200\" }"), "test");
      assertThat(spark.conf().get("spark.sql.shuffle.partitions")).isEqualTo("200");

      // Embedded Spark (--env local) gets the embedded defaults where the conf is silent: AQE advisory size
      // 64m; its own shuffle setting (3) wins over the embedded 8.
      SparkSessionFactory.create(config(LakepipeConfig.Env.LOCAL,
          "spark.conf { \"spark.sql.shuffle.partitions\" = \"3\" }"), "test");
      assertThat(spark.conf().get("spark.sql.shuffle.partitions")).isEqualTo("3");
      assertThat(spark.conf().get("spark.sql.adaptive.advisoryPartitionSizeInBytes")).isEqualTo("64m");
      assertThat(spark.conf().get("spark.sql.adaptive.enabled")).isEqualTo("true");
      // Delta's snapshot state in as many tasks as the machine has cores (at most Delta's own 50).
      assertThat(spark.conf().get("spark.databricks.delta.snapshotPartitions"))
          .isEqualTo(Integer.toString(Math.min(50, Runtime.getRuntime().availableProcessors())));
    } finally {
      for (int i = 0; i < KEYS.size(); i++) {
        if (before.get(i).isEmpty()) {
          spark.conf().unset(KEYS.get(i));
        } else {
          spark.conf().set(KEYS.get(i), before.get(i).get());
        }
      }
    }
  }
}
