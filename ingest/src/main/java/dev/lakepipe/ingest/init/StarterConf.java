package dev.lakepipe.ingest.init;

import com.typesafe.config.ConfigUtil;
import dev.lakepipe.ingest.SourceFormat;
import dev.lakepipe.ingest.SourceSample;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Renders {@code lakepipe init}'s guess as a HOCON conf, with the sample's evidence as comments: {@code dataset}
 * (columns by role, {@code required}), {@code tables} (path mode, the dataset's own warehouse folder
 * {@code lakehouse/<name>}), one {@code ingest.sources.<name>} mapping every kept field, and
 * {@code features.split} ({@code time} when there is an event time, else {@code stratified}); when the event
 * time is the only column to learn from, {@code features.event-time.parts} too, so the features vector is not
 * empty. Roles with no column are left out rather than written empty; every other key keeps its default.
 * Pure: the same inputs give the same text.
 */
public final class StarterConf {

  private StarterConf() {}

  /**
   * The conf text.
   *
   * @param name the dataset's and the source's name
   * @param confPath where the conf is written, as the next commands in its header name it
   */
  public static String render(String name, InitSource source, SourceSample sample, ConfGuesser.Guess guess,
      String confPath) {
    StringBuilder sb = new StringBuilder();
    header(sb, name, source, sample, confPath);
    dataset(sb, name, guess);
    sb.append('\n');
    sb.append("tables {\n");
    sb.append("  mode = path\n");
    sb.append("  # The dataset's own folder, so its tables never mix with another dataset's.\n");
    sb.append("  warehouse = ").append(quote("lakehouse/" + name)).append('\n');
    sb.append("  warehouse = ${?LAKEPIPE_WAREHOUSE}\n");
    sb.append("}\n\n");
    source(sb, name, source, guess);
    sb.append('\n');
    split(sb, guess);
    return sb.toString();
  }

  private static void header(StringBuilder sb, String name, InitSource source, SourceSample sample,
      String confPath) {
    String files = source.files().size() == 1 ? "1 file" : source.files().size() + " files";
    String dialect = source.format() == SourceFormat.CSV
        ? ", delimiter " + ConfigUtil.quoteString(String.valueOf(source.delimiter())) : "";
    sb.append("# Starter conf for dataset ").append(quote(name)).append(", written by `lakepipe init` from the first ")
        .append(sample.records()).append(sample.records() == 1 ? " record" : " records").append(" of\n#   ")
        .append(source.path()).append(" (").append(source.format().id()).append(", ").append(files)
        .append(dialect).append(").\n");
    if (sample.unreadable() > 0) {
      sb.append("# ").append(sample.unreadable()).append(" of those records could not be read; ingest will "
          + "quarantine such records. The first: ").append(oneLine(sample.firstError())).append('\n');
    }
    sb.append("# Each role is a guess from that sample; the comment above each mapping gives the evidence.\n");
    sb.append("# Review them, then:\n");
    sb.append("#   ./lakepipe validate-conf --conf ").append(confPath).append('\n');
    sb.append("#   ./lakepipe run --conf ").append(confPath).append('\n');
    sb.append("# Every key: docs/configuration.md. How init guesses: docs/ingest.md (\"Starting a conf\").\n\n");
  }

  private static void dataset(StringBuilder sb, String name, ConfGuesser.Guess g) {
    sb.append("dataset {\n");
    sb.append("  name = ").append(quote(name)).append('\n');
    sb.append("  # Canonical columns by role; ingest.sources.").append(name)
        .append(".columns maps the source's fields onto them.\n");
    sb.append("  columns {\n");
    g.id().ifPresent(c -> sb.append("    id = ").append(quote(c.canonical())).append('\n'));
    List<ConfGuesser.ColumnGuess> text = g.text();
    if (!text.isEmpty()) {
      sb.append("    text = ").append(list(text)).append(text.size() > 1 ? "  # the first is the main text\n" : "\n");
    }
    sb.append("    label = ").append(quote(g.label().canonical())).append('\n');
    g.eventTime().ifPresent(c -> sb.append("    event-time = ").append(quote(c.canonical())).append('\n'));
    if (!g.numeric().isEmpty()) {
      sb.append("    numeric = ").append(list(g.numeric())).append('\n');
    }
    if (!g.categorical().isEmpty()) {
      sb.append("    categorical = ").append(list(g.categorical())).append('\n');
    }
    sb.append("  }\n");
    sb.append("  # Rows missing one of these are quarantined (MISSING_REQUIRED).\n");
    sb.append("  required = [").append(g.required().stream().map(StarterConf::quote)
        .collect(Collectors.joining(", "))).append("]\n");
    sb.append("}\n");
  }

  private static void source(StringBuilder sb, String name, InitSource source, ConfGuesser.Guess g) {
    sb.append("ingest.sources {\n");
    sb.append("  ").append(ConfigUtil.joinPath(name)).append(" {\n");
    sb.append("    format = ").append(source.format().id()).append('\n');
    sb.append("    path = ").append(quote(source.path())).append('\n');
    if (source.include() != null) {
      // Quoted: a bare include is HOCON's include directive.
      sb.append("    \"include\" = ").append(quote(source.include())).append('\n');
    }
    if (source.format() == SourceFormat.CSV && source.delimiter() != ',') {
      sb.append("    delimiter = ").append(quote(String.valueOf(source.delimiter()))).append('\n');
    }
    Optional<String> format = g.eventTimeFormat();
    format.ifPresent(f -> sb.append("    timestamp-formats = [").append(quote(f)).append("]\n"));
    sb.append("    columns {\n");
    for (ConfGuesser.ColumnGuess c : g.mapped()) {
      sb.append("      # ").append(c.role().description()).append(" (").append(c.reason()).append("): ")
          .append(c.evidence()).append('\n');
      sb.append("      ").append(ConfigUtil.joinPath(c.canonical())).append(" = ").append(quote(c.field().name()))
          .append('\n');
    }
    List<ConfGuesser.ColumnGuess> leftOut = g.leftOut();
    if (!leftOut.isEmpty()) {
      sb.append("      # Left out; map one by hand (and give it a role in dataset.columns) if it is a feature:\n");
      for (ConfGuesser.ColumnGuess c : leftOut) {
        sb.append("      # ").append(quote(c.field().name())).append(": ").append(c.reason()).append("; ")
            .append(c.evidence()).append('\n');
      }
    }
    sb.append("    }\n");
    sb.append("  }\n");
    sb.append("}\n");
  }

  private static void split(StringBuilder sb, ConfGuesser.Guess g) {
    if (!g.hasFeatures()) {
      sb.append("# The event time is the only column to learn from: its day of week and month are the features.\n");
      sb.append("features.event-time.parts = [\"day-of-week\", \"month\"]\n\n");
    }
    if (g.eventTime().isPresent()) {
      sb.append("# Split by event time: train on the oldest rows, validate and test on the newest.\n");
      sb.append("features.split {\n");
      sb.append("  policy = time\n");
      sb.append("  # A validation or test row whose label train never saw is quarantined, not a failed run.\n");
      sb.append("  unseen-labels = quarantine\n");
      sb.append("}\n");
    } else {
      sb.append("# No event time: split at random, each label's rows in the same shares.\n");
      sb.append("features.split {\n");
      sb.append("  policy = stratified\n");
      sb.append("}\n");
    }
  }

  private static String list(List<ConfGuesser.ColumnGuess> columns) {
    return "[" + columns.stream().map(c -> quote(c.canonical())).collect(Collectors.joining(", ")) + "]";
  }

  private static String quote(String s) {
    return ConfigUtil.quoteString(s);
  }

  private static String oneLine(String s) {
    return s == null ? "" : s.replaceAll("\\s+", " ").strip();
  }
}
