package dev.lakepipe.app;

import dev.lakepipe.core.LakepipeErrors;
import dev.lakepipe.core.TableCatalog;
import dev.lakepipe.core.TableRef;
import dev.lakepipe.core.config.LakepipeConfig;
import dev.lakepipe.core.config.TableSettings;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.apache.hadoop.util.ShutdownHookManager;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code lakepipe serve-sql}: serves every existing Lakepipe table over JDBC (the Spark Thrift Server) until the
 * process is stopped (Ctrl-C, SIGTERM). In path mode each table is registered in the session catalog under its
 * SQL name as an external Delta table over its warehouse folder, so every JDBC connection (a new session) sees
 * {@code bronze.records}, {@code ops.quarantine}, {@code results.metrics}, ...; in metastore mode the tables are
 * already in the metastore. Reads only: it takes no warehouse lock, and a query reads a table's newest Delta
 * version. Tables that do not exist when it starts appear after a restart.
 *
 * <p>Bind address, port and login come from {@link ServeSqlSettings} (loopback and no password by default).
 */
@Command(name = "serve-sql", mixinStandardHelpOptions = true,
    description = {"Serve every table over JDBC (Spark Thrift Server, HiveServer2 protocol) to DBeaver, beeline "
        + "and other SQL tools, until Ctrl-C.",
        "Tables keep their names: bronze.records, silver.records, gold.dataset, ops.*, results.*. Listens on "
            + "serve-sql.host:serve-sql.port (default 127.0.0.1:10000; another host needs "
            + "serve-sql.allow-non-loopback = true); serve-sql.auth = password checks serve-sql.user and the "
            + "password in the environment variable serve-sql.password-env names. Prints the JDBC URL. "
            + "Connection steps and sample queries: docs/analysts.md."})
final class ServeSqlCommand implements Callable<Integer> {

  /** How long the server may take to accept connections once Spark is up. */
  private static final Duration READY_TIMEOUT = Duration.ofMinutes(2);
  /** Runs before Spark's own shutdown hooks (priority 40 in Hadoop's manager), so the server stops first. */
  private static final int SHUTDOWN_PRIORITY = 50;

  @CommandLine.Mixin
  LakepipeCli.CommonOptions common;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @CommandLine.Option(names = "--dry-run",
      description = "Load and validate the conf as a real start does (serve-sql.*, the bind address, the password "
          + "variable), print what would be served and exit 0 without starting Spark or opening a port.")
  boolean dryRun;

  @Override
  public Integer call() {
    LakepipeConfig config = common.load(ServeSqlSettings::parse);
    ServeSqlSettings settings = ServeSqlSettings.parse(config);
    InetAddress bind = settings.bindAddress(config.origin());
    String password = settings.auth() == ServeSqlSettings.Auth.PASSWORD ? settings.password(System::getenv) : null;
    PrintWriter out = spec.commandLine().getOut();
    String url = url(settings, bind);
    if (dryRun) {
      printPlan(out, config, settings, url);
      return 0;
    }
    if (!ThriftSqlServer.available()) {
      throw LakepipeErrors.config("Cannot start serve-sql: this Spark has no Thrift server "
          + "(org.apache.spark.sql.hive.thriftserver.HiveThriftServer2 is not on the classpath). Run it with "
          + "./lakepipe serve-sql, whose classpath has it, or on a Spark distribution built with the Hive Thrift "
          + "server (-Phive-thriftserver).");
    }
    checkPortFree(settings, bind, config.origin());
    Stages.withSession(config, "serve-sql", spark -> serve(spark, config, settings, bind, password, url, out));
    return 0;
  }

  private static void serve(SparkSession spark, LakepipeConfig config, ServeSqlSettings settings, InetAddress bind,
      String password, String url, PrintWriter out) {
    TableCatalog catalog = new TableCatalog(spark, config.tables());
    catalog.registerAll();
    List<String> tables = catalog.tables().stream().filter(catalog::exists).map(TableRef::name).toList();
    if (tables.isEmpty()) {
      throw LakepipeErrors.config("Cannot start serve-sql: no Lakepipe table exists yet in "
          + where(config.tables()) + " (tables.* in " + config.origin() + "). Run ./lakepipe run (or ingest) "
          + "first, or point the conf at a warehouse that has tables (--set tables.warehouse=PATH).");
    }
    CountDownLatch stopped = new CountDownLatch(1);
    try (ThriftSqlServer server = ThriftSqlServer.start(spark, settings, bind, password, READY_TIMEOUT)) {
      // Ctrl-C and SIGTERM: stop the server before Spark's hooks stop the SparkContext under it.
      Runnable onShutdown = () -> {
        server.close();
        out.println("lakepipe serve-sql: stopped; port " + settings.port() + " is free.");
        out.flush();
        stopped.countDown();
      };
      ShutdownHookManager.get().addShutdownHook(onShutdown, SHUTDOWN_PRIORITY);
      out.println("lakepipe serve-sql: serving " + tables.size() + " tables of " + where(config.tables())
          + " over JDBC:");
      out.println("  " + String.join(", ", tables));
      out.println("JDBC URL: " + url);
      out.println("driver:   org.apache.hive.jdbc.HiveDriver (Hive JDBC 2.3.9; in DBeaver: Apache Spark)");
      out.println("login:    " + login(settings));
      out.println("Ctrl-C stops it. Tables created after this start appear after a restart.");
      out.flush();
      try {
        stopped.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        if (!ShutdownHookManager.get().isShutdownInProgress()) {
          ShutdownHookManager.get().removeShutdownHook(onShutdown);
        }
      }
    }
  }

  /** The URL to give clients; for a wildcard bind (0.0.0.0), this machine's name instead of the wildcard. */
  private static String url(ServeSqlSettings settings, InetAddress bind) {
    if (!bind.isAnyLocalAddress()) {
      return settings.jdbcUrl();
    }
    String name;
    try {
      name = InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      name = "<this machine's name>";
    }
    return "jdbc:hive2://" + name + ":" + settings.port() + "/default";
  }

  private static String login(ServeSqlSettings settings) {
    return settings.auth() == ServeSqlSettings.Auth.NONE
        ? "no password (serve-sql.auth = none): any user name is accepted"
        : "user " + settings.user() + ", the password in environment variable " + settings.passwordEnv()
            + " (serve-sql.auth = password)";
  }

  private static String where(TableSettings tables) {
    return tables.mode() == TableSettings.Mode.METASTORE ? "the metastore" : tables.warehouse();
  }

  /** A clear message now rather than the Thrift server's own failure (or exit) once Spark is up. */
  private static void checkPortFree(ServeSqlSettings settings, InetAddress bind, String origin) {
    try (ServerSocket probe = new ServerSocket()) {
      probe.bind(new InetSocketAddress(bind, settings.port()));
    } catch (IOException e) {
      throw LakepipeErrors.config("Cannot start serve-sql: port " + settings.port() + " on " + settings.host()
          + " is not free (" + e.getMessage() + "); another serve-sql or HiveServer2 may hold it. Stop that server, "
          + "or pick another port: serve-sql.port in " + origin + ", or --set serve-sql.port=10001.");
    }
  }

  private static void printPlan(PrintWriter out, LakepipeConfig config, ServeSqlSettings settings, String url) {
    TableSettings tables = config.tables();
    out.println("lakepipe serve-sql --dry-run: the configuration is valid; nothing was started (no Spark session, "
        + "no port opened).");
    out.println("conf:    " + config.origin());
    out.println("env:     " + config.env().id());
    out.println("tables:  " + (tables.mode() == TableSettings.Mode.METASTORE
        ? "metastore mode: every table that exists in the metastore, by name"
        : "path mode: every Delta table that exists at " + tables.warehouse() + "/<database>/<table>, "
            + "registered under its name"));
    out.println("serves:  " + url + " (bind " + settings.host() + ", port " + settings.port() + ")");
    out.println("login:   " + login(settings));
    out.flush();
  }
}
