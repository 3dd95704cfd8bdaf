package dev.lakepipe.app;

import dev.lakepipe.core.config.LakepipeConfig;
import dev.lakepipe.ingest.IngestSettings;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(name = "validate-conf", mixinStandardHelpOptions = true,
    description = "Check the configuration without running Spark; lists every problem at once (exit 2).")
final class ValidateConfCommand implements Callable<Integer> {

  @CommandLine.Mixin
  LakepipeCli.CommonOptions common;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    LakepipeConfig config = common.loadForStages();
    PrintWriter out = spec.commandLine().getOut();
    IngestSettings ingest = IngestSettings.parse(config);
    out.println("Configuration OK (" + config.origin() + ", env " + config.env().id() + ")");
    out.println("  dataset " + config.dataset().name() + ": columns " + config.dataset().columns());
    ingest.sources().forEach(s -> out.println("  source " + s.name() + ": " + s.format().id() + " "
        + (s.path() != null ? s.path() : s.jdbc().location()) + ", maps " + s.columns()));
    out.println("  tables: " + config.tables().mode().name().toLowerCase(java.util.Locale.ROOT) + " mode, warehouse "
        + config.tables().warehouse());
    out.flush();
    return 0;
  }
}
