package dev.lakepipe.app;

import java.util.List;
import picocli.CommandLine.Command;

@Command(name = "ingest", mixinStandardHelpOptions = true,
    description = {"Read the sources under ingest.sources into bronze.records.",
        "Bad records go to ops.quarantine, one row per input file to ops.ingest_log; files already ingested "
            + "are skipped."})
final class IngestCommand extends StageCommand {
  @Override
  List<Stages.Stage> stages() {
    return List.of(Stages.Stage.INGEST);
  }
}
