package dev.lakepipe.app;

import dev.lakepipe.core.LakepipeException;
import dev.lakepipe.core.RunContext;
import dev.lakepipe.core.config.LakepipeConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lakepipe}: runs the pipeline's stages as Spark applications. Exit 0 on success, 2 on usage or
 * configuration errors, 1 when a job fails; every failure prints what went wrong, where, and the fix.
 *
 * <p>The same main class runs under the local launcher ({@code ./lakepipe}, embedded Spark) and under
 * {@code spark-submit} (YARN, standalone, Databricks), where the submitted master and confs are used.
 */
@Command(
    name = "lakepipe",
    mixinStandardHelpOptions = true,
    versionProvider = LakepipeCli.Version.class,
    sortOptions = false,
    description = "Raw multi-source data in, trained and evaluated models out, as Spark jobs.%n",
    subcommands = {
        RunCommand.class,
        IngestCommand.class,
        CleanCommand.class,
        FeaturesCommand.class,
        TrainCommand.class,
        EvaluateCommand.class,
        ScoreCommand.class,
        InitCommand.class,
        ValidateConfCommand.class,
        SqlCommand.class,
        CommandLine.HelpCommand.class
    },
    footer = {
        "%nExit codes: 0 success, 2 usage or configuration error, 1 job failure.",
        "Precedence of settings: --set > conf/<env>.conf > --conf file > built-in defaults.",
        "Docs: README.md and docs/configuration.md."
    })
public final class LakepipeCli implements Callable<Integer> {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getOut());
    return CommandLine.ExitCode.USAGE;
  }

  public static void main(String[] args) {
    int code = execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true));
    // On Databricks the driver JVM is shared: never exit it; fail by throwing instead.
    if (isDatabricks(args)) {
      if (code != 0) {
        throw new IllegalStateException("lakepipe failed with exit code " + code + "; see the message above");
      }
      return;
    }
    System.exit(code);
  }

  /** Runs the CLI without exiting the JVM; tests call this. */
  public static int execute(String[] args, PrintWriter out, PrintWriter err) {
    CommandLine cli = new CommandLine(new LakepipeCli());
    cli.setOut(out);
    cli.setErr(err);
    cli.setExecutionExceptionHandler((ex, cmd, parsed) -> {
      if (ex instanceof LakepipeException le) {
        cmd.getErr().println("lakepipe: " + le.getMessage());
        return le.exitCode();
      }
      cmd.getErr().println("lakepipe: job failed: " + rootMessage(ex));
      ex.printStackTrace(cmd.getErr());
      return 1;
    });
    return cli.execute(args);
  }

  private static boolean isDatabricks(String[] args) {
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--env=databricks") || (args[i].equals("--env") && i + 1 < args.length
          && args[i + 1].equals("databricks"))) {
        return true;
      }
    }
    return System.getenv("DATABRICKS_RUNTIME_VERSION") != null;
  }

  static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      if (t instanceof LakepipeException) {
        break;
      }
      t = t.getCause();
    }
    return t.getClass().getSimpleName() + ": " + t.getMessage();
  }

  /** Options every command takes. */
  static final class CommonOptions {
    @Option(names = "--conf", paramLabel = "FILE", defaultValue = "conf/application.conf",
        description = "The main HOCON conf file (default: ${DEFAULT-VALUE}).")
    Path conf;

    @Option(names = "--env", paramLabel = "ENV", defaultValue = "local",
        description = "Where it runs: local, standalone, yarn or databricks; loads conf/<env>.conf next to "
            + "the conf file if present (default: ${DEFAULT-VALUE}).")
    String env;

    @Option(names = "--set", paramLabel = "KEY=VALUE",
        description = "Override one conf key; repeatable. Lists as [a,b].")
    Map<String, String> overrides = new LinkedHashMap<>();

    @Option(names = "--run-id", paramLabel = "ID",
        description = "The run's id, stamped on every row written. Re-use it to retry a failed run "
            + "without duplicates (default: the UTC start time).")
    String runId;

    /** The conf's shared sections, validated; enough for commands that run no stage (sql). */
    LakepipeConfig load() {
      return LakepipeConfig.load(conf, LakepipeConfig.Env.parse(env), overrides == null ? Map.of() : overrides);
    }

    /** The conf with every stage's settings validated too, all problems in one message. */
    LakepipeConfig loadForStages() {
      return LakepipeConfig.load(conf, LakepipeConfig.Env.parse(env), overrides == null ? Map.of() : overrides,
          Stages::check);
    }

    RunContext runContext() {
      return runId == null ? RunContext.startNow() : RunContext.of(runId);
    }
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = LakepipeCli.class.getPackage().getImplementationVersion();
      return new String[] {"lakepipe " + (v == null ? "(development build)" : v)};
    }
  }
}
