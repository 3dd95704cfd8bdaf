package dev.lakepipe.app;

import dev.lakepipe.core.LakepipeException;
import dev.lakepipe.core.RunContext;
import dev.lakepipe.core.config.LakepipeConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lakepipe}: runs the pipeline's stages as Spark applications. Exit 0 on success, 2 on usage or
 * configuration errors, 1 when a job fails; every failure prints one paragraph to stderr (what went wrong, where,
 * and the fix) and logs the stack trace, under the launcher to its log file ({@code logs/lakepipe.log}).
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
        ServeSqlCommand.class,
        MaintainCommand.class,
        CommandLine.HelpCommand.class
    },
    footer = {
        "%nExit codes: 0 success, 2 usage or configuration error, 1 job failure.",
        "Precedence of settings: --set > conf/<env>.conf > --conf file > built-in defaults.",
        "Docs: README.md and docs/configuration.md."
    })
public final class LakepipeCli implements Callable<Integer> {

  /** The launcher's log file ({@code conf/log4j2.properties} writes it); named in every failure message. */
  static final String LOG_FILE_PROPERTY = "lakepipe.log.file";
  private static final Logger LOG = LoggerFactory.getLogger(LakepipeCli.class);

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getOut());
    return CommandLine.ExitCode.USAGE;
  }

  public static void main(String[] args) {
    int code = execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true));
    // On Databricks the driver JVM is shared, and in YARN cluster mode the ApplicationMaster reports the final status
    // only when main returns (an exit first reads as "Shutdown hook called before final status was reported" and
    // a failed application): never exit there; fail by throwing instead.
    if (isDatabricks(args) || isYarnClusterDriver()) {
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
      // The console gets one paragraph (what, where, the fix); the stack trace goes to the log (LOG_FILE_PROPERTY).
      if (ex instanceof LakepipeException le) {
        LOG.error("lakepipe {} failed (exit {}): {}", cmd.getCommandName(), le.exitCode(), le.getMessage(), le);
        String message = le.getMessage();
        // A list of problems keeps its shape: the pointer to the log goes on a line of its own.
        cmd.getErr().println("lakepipe: " + message + (message.contains("\n") ? "\n" + logHint("").strip()
            : logHint("")));
        return le.exitCode();
      }
      LOG.error("lakepipe {} failed (exit 1)", cmd.getCommandName(), ex);
      cmd.getErr().println("lakepipe: Cannot finish " + cmd.getCommandName() + ": " + rootMessage(ex) + "."
          + logHint(" Fix what it names and run again with the same --run-id; if it names nothing you can fix, "
              + "report it with the log."));
      return 1;
    });
    return cli.execute(args);
  }

  /**
   * Where the stack trace is, for the console message: the launcher's log file (system property
   * {@value #LOG_FILE_PROPERTY}), else the driver's log (spark-submit, tests).
   */
  private static String logHint(String fix) {
    String file = System.getProperty(LOG_FILE_PROPERTY);
    return fix + " Details and the stack trace: " + (file == null ? "the driver's log" : file) + ".";
  }

  /** The ApplicationMaster copies the submitted conf into system properties before it calls main. */
  static boolean isYarnClusterDriver() {
    return System.getProperty("spark.master", "").startsWith("yarn")
        && "cluster".equals(System.getProperty("spark.submit.deployMode"));
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
    // Spark puts the failed task's stack trace into the message text ("Job aborted ... \tat ..."): keep the
    // lines before it, so the console stays one paragraph.
    String message = String.valueOf(t.getMessage()).lines()
        .takeWhile(l -> !l.matches("\\s+at .*") && !l.startsWith("Caused by") && !l.startsWith("Driver stacktrace"))
        .map(String::strip).filter(l -> !l.isEmpty())
        .collect(java.util.stream.Collectors.joining(" "));
    return t.getClass().getSimpleName() + ": " + message;
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

    /** The shared sections and what {@code check} checks (one command's own section), in one message. */
    LakepipeConfig load(LakepipeConfig.SectionCheck check) {
      return LakepipeConfig.load(conf, LakepipeConfig.Env.parse(env), overrides == null ? Map.of() : overrides,
          check);
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
