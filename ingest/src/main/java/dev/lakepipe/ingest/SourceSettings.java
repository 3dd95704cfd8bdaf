package dev.lakepipe.ingest;

import java.io.Serializable;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One source under {@code ingest.sources.<name>}: its format, where it is, and how its own field names map
 * onto the dataset's canonical columns ({@code columns { <canonical> = "<source field>" }}). Canonical
 * columns a source does not map are null for its rows.
 *
 * <p>Serializable: the file readers run on executors and carry these settings.
 */
public record SourceSettings(
    String name,
    SourceFormat format,
    String path,
    String include,
    Map<String, String> columns,
    List<String> timestampFormats,
    String encoding,
    CsvOptions csv,
    JdbcOptions jdbc) implements Serializable {

  public SourceSettings {
    columns = Map.copyOf(columns);
    timestampFormats = List.copyOf(timestampFormats);
  }

  /** CSV dialect. Multi-line quoted fields are always allowed. */
  public record CsvOptions(char delimiter, char quote, char escape, boolean header) implements Serializable {}

  /**
   * JDBC read: a table or a query, credentials from the environment variables named here (never from the
   * conf file), and Spark's partitioned read when a partition column and bounds are given.
   */
  public record JdbcOptions(
      String url,
      Optional<String> table,
      Optional<String> query,
      Optional<String> userEnv,
      Optional<String> passwordEnv,
      Optional<String> driver,
      String keyColumn,
      Optional<String> partitionColumn,
      Optional<Long> lowerBound,
      Optional<Long> upperBound,
      int numPartitions,
      int fetchSize) implements Serializable {

    /** What Spark's {@code dbtable} option gets: the table, or the query as a derived table. */
    public String dbtable() {
      return table.orElseGet(() -> "(" + query.orElseThrow() + ") lakepipe_query");
    }

    /** How the source is named in lineage and errors: {@code jdbc:<table>} or {@code jdbc:query}. */
    public String location() {
      return "jdbc:" + table.orElse("query");
    }
  }
}
