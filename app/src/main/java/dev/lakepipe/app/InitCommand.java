package dev.lakepipe.app;

import dev.lakepipe.core.LakepipeErrors;
import dev.lakepipe.core.SparkSessionFactory;
import dev.lakepipe.ingest.SourceFormat;
import dev.lakepipe.ingest.init.ConfInit;
import dev.lakepipe.ingest.init.InitSource;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "init", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Write a starter conf for a CSV, JSON Lines or Parquet file or folder.",
        "Reads the first records as ingest reads them (embedded Spark), guesses each field's role (the label from "
            + "--label; id, event time, numeric, categorical and text columns from the values) and writes dataset, "
            + "tables, one ingest source and features.split, with each guess's evidence as a comment. The conf "
            + "passes validate-conf unedited; review the guesses, then run it. Rules: docs/ingest.md."})
final class InitCommand implements Callable<Integer> {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--input", required = true, paramLabel = "FILE|FOLDER",
      description = "The data: a .csv/.tsv, .jsonl/.ndjson/.json (each optionally .gz) or .parquet file, or a "
          + "folder of such files.")
  String input;

  @Option(names = "--label", required = true, paramLabel = "FIELD",
      description = "The input's field that holds each record's class, as the input names it.")
  String label;

  @Option(names = "--output", paramLabel = "FILE",
      description = "Where to write the conf (default: conf/<name>.conf). An existing file is kept unless --force.")
  Path output;

  @Option(names = "--sample-rows", paramLabel = "N", defaultValue = "1000",
      description = "Records to read for the guesses (default: ${DEFAULT-VALUE}).")
  int sampleRows;

  @Option(names = "--format", paramLabel = "FORMAT",
      description = "csv, jsonl or parquet (default: from the files' extensions).")
  String format;

  @Option(names = "--name", paramLabel = "NAME",
      description = "The dataset's and the source's name (default: the input's file name, e.g. flights for "
          + "flights.csv.gz).")
  String name;

  @Option(names = "--force", description = "Replace the output file if it exists.")
  boolean force;

  @Override
  public Integer call() {
    ConfInit.Request request = ConfInit.Request.of(input, label, Optional.ofNullable(name),
        Optional.ofNullable(output), sampleRows, parseFormat(), force ? ConfInit.Existing.REPLACE
            : ConfInit.Existing.REFUSE);
    // Option problems (an existing output, a bad name) are reported before Spark starts.
    request.check();
    boolean existed = SparkSession.getActiveSession().isDefined() || SparkSession.getDefaultSession().isDefined();
    SparkSession spark = SparkSessionFactory.local("init");
    ConfInit.Result result;
    try {
      result = ConfInit.run(spark, request);
    } finally {
      if (!existed) {
        spark.stop();
      }
    }
    PrintWriter out = spec.commandLine().getOut();
    String conf = request.output().toString();
    out.println("init: sampled " + result.sample().records() + " records of " + request.input() + " ("
        + result.source().format().id() + ", " + result.source().files().size()
        + (result.source().files().size() == 1 ? " file" : " files")
        + (result.source().format() == SourceFormat.CSV
            ? ", delimiter '" + (result.source().delimiter() == '\t' ? "\\t" : result.source().delimiter()) + "'"
            : "") + ")");
    if (result.sample().unreadable() > 0) {
      out.println(result.sample().unreadable() + " of them could not be read (ingest will quarantine such records); "
          + "the first: " + result.sample().firstError());
    }
    out.print(result.table());
    out.println("wrote " + conf + " (dataset " + request.name() + ", split policy "
        + (result.guess().eventTime().isPresent() ? "time" : "stratified") + ")");
    out.println("next:");
    out.println("  ./lakepipe validate-conf --conf " + conf);
    out.println("  ./lakepipe run --conf " + conf);
    out.flush();
    return 0;
  }

  private Optional<SourceFormat> parseFormat() {
    if (format == null) {
      return Optional.empty();
    }
    return InitSource.FORMATS.stream().filter(f -> f.id().equals(format)).findFirst()
        .map(Optional::of)
        .orElseThrow(() -> LakepipeErrors.usage("Cannot init: --format " + format + " is not a format init reads. "
            + "Use one of " + InitSource.FORMATS.stream().map(SourceFormat::id).collect(Collectors.joining(", "))
            + "."));
  }
}
