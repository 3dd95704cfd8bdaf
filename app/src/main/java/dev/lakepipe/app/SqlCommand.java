package dev.lakepipe.app;

import dev.lakepipe.core.LakepipeErrors;
import dev.lakepipe.core.TableCatalog;
import dev.lakepipe.core.config.LakepipeConfig;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "sql", mixinStandardHelpOptions = true,
    description = {"Run Spark SQL over the project's tables and print the result.",
        "Every table is registered by name: bronze.records, silver.records, gold.dataset, ops.quarantine, ..."})
final class SqlCommand implements Callable<Integer> {

  @CommandLine.Mixin
  LakepipeCli.CommonOptions common;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "QUERY", description = "The SQL query, quoted.")
  String query;

  @Option(names = "--limit", defaultValue = "100", description = "Most rows to print (default: ${DEFAULT-VALUE}).")
  int limit;

  @Option(names = "--format", defaultValue = "table",
      description = "table (aligned, full values) or tsv (tab-separated with a header, for scripts).")
  String format;

  @Override
  public Integer call() {
    if (!format.equals("table") && !format.equals("tsv")) {
      throw LakepipeErrors.usage("Cannot use --format " + format + ": use table or tsv.");
    }
    LakepipeConfig config = common.load();
    Stages.withSession(config, "sql", spark -> print(spark, config));
    return 0;
  }

  private void print(SparkSession spark, LakepipeConfig config) {
    new TableCatalog(spark, config.tables()).registerAll();
    Dataset<Row> result;
    try {
      result = spark.sql(query);
    } catch (Exception e) {
      // AnalysisException (unknown table or column, bad syntax) is checked in Java's eyes.
      if (!(e instanceof org.apache.spark.sql.AnalysisException)) {
        throw e instanceof RuntimeException re ? re : new IllegalStateException(e);
      }
      throw LakepipeErrors.usage("Cannot run the query: " + e.getMessage().lines().findFirst().orElse("")
          + ". Tables that exist are listed by: ./lakepipe sql \"SHOW TABLES IN bronze\".");
    }
    PrintWriter out = spec.commandLine().getOut();
    if (format.equals("tsv")) {
      out.println(String.join("\t", result.columns()));
      for (Row r : result.limit(limit).collectAsList()) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < r.length(); i++) {
          if (i > 0) {
            sb.append('\t');
          }
          sb.append(r.isNullAt(i) ? "NULL" : String.valueOf(r.get(i)));
        }
        out.println(sb);
      }
    } else {
      out.print(result.showString(limit, 0, false));
    }
    out.flush();
  }
}
