package dev.lakepipe.app;

import dev.lakepipe.core.LakepipeErrors;
import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.hive.thriftserver.HiveThriftServer2;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Spark's Thrift JDBC/ODBC server (HiveServer2's protocol, what DBeaver, beeline and BI tools speak) over one
 * SparkSession, started with {@code HiveThriftServer2.startWithContext}. Every JDBC connection gets its own new
 * session of the same application: temporary views and {@code SET}s are per connection, while databases and
 * tables live in the catalog all sessions share, which is why {@code serve-sql} registers Lakepipe's tables there
 * (in-memory catalog in path mode, the metastore in metastore mode) rather than as views. Queries run on the
 * application's executors; nothing is collected on the driver except what a client fetches.
 *
 * <p>The Hive side runs on a throw-away in-memory Derby database under the system temp folder (Spark's
 * execution-side Hive client); its log goes there too, never into the working directory. Only this class
 * touches the Thrift server's classes, so the CLI loads without them (a Spark without {@code hive-thriftserver}
 * fails {@code serve-sql} alone, with a message).
 */
final class ThriftSqlServer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ThriftSqlServer.class);
  private static final String SERVER_CLASS = "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2";

  private final HiveThriftServer2 server;
  private final AtomicBoolean stopped = new AtomicBoolean();

  private ThriftSqlServer(HiveThriftServer2 server) {
    this.server = server;
  }

  /** Whether this JVM's classpath has the Thrift server (Spark built with {@code -Phive-thriftserver}). */
  static boolean available() {
    try {
      Class.forName(SERVER_CLASS, false, ThriftSqlServer.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }

  /**
   * Starts the server on {@code bind}:{@code settings.port()} over {@code spark}'s catalog and returns once it
   * accepts connections (within {@code readyTimeout}). {@code password} is null for {@code auth = none}.
   */
  static ThriftSqlServer start(SparkSession spark, ServeSqlSettings settings, InetAddress bind, String password,
      Duration readyTimeout) {
    keepDerbyLogOutOfWorkingDirectory();
    // The server reads its HiveConf from the session's conf (SessionState.newHadoopConf copies every entry).
    spark.conf().set("hive.server2.transport.mode", "binary");
    spark.conf().set("hive.server2.thrift.bind.host", bind.getHostAddress());
    spark.conf().set("hive.server2.thrift.port", Integer.toString(settings.port()));
    if (password != null) {
      SqlPasswordAuthenticator.install(settings.user(), password);
      // Hive's CUSTOM provider reads the class name from a fresh HiveConf, which takes system properties.
      System.setProperty("hive.server2.custom.authentication.class", SqlPasswordAuthenticator.class.getName());
      spark.conf().set("hive.server2.custom.authentication.class", SqlPasswordAuthenticator.class.getName());
      spark.conf().set("hive.server2.authentication", "CUSTOM");
    } else {
      spark.conf().set("hive.server2.authentication", "NONE");
    }
    HiveThriftServer2 server;
    try {
      server = HiveThriftServer2.startWithContext(spark.sqlContext());
    } catch (RuntimeException e) {
      SqlPasswordAuthenticator.clear();
      throw LakepipeErrors.jobFailed("start the JDBC server on " + bind.getHostAddress() + ":" + settings.port(),
          LakepipeCli.rootMessage(e) + ". Check that the port is free (serve-sql.port) and see the log.", e);
    }
    ThriftSqlServer started = new ThriftSqlServer(server);
    started.awaitListening(bind, settings.port(), readyTimeout);
    return started;
  }

  /** Stops the server (idempotent); open JDBC connections are closed. The SparkSession is left to its owner. */
  @Override
  public void close() {
    if (stopped.compareAndSet(false, true)) {
      try {
        server.stop();
      } finally {
        SqlPasswordAuthenticator.clear();
        LOG.info("serve-sql: JDBC server stopped");
      }
    }
  }

  private void awaitListening(InetAddress bind, int port, Duration timeout) {
    InetAddress target = bind.isAnyLocalAddress() ? InetAddress.getLoopbackAddress() : bind;
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(target, port), 1000);
        return;
      } catch (IOException e) {
        if (System.nanoTime() > deadline) {
          close();
          throw LakepipeErrors.jobFailed("start the JDBC server on " + bind.getHostAddress() + ":" + port,
              "it did not accept connections within " + timeout.toSeconds() + " s (" + e.getMessage()
                  + "). See the log for the server's own error.", e);
        }
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
        close();
        throw LakepipeErrors.jobFailed("start the JDBC server", "interrupted while waiting for it to listen.", ie);
      }
    }
  }

  /** Derby (the Hive client's scratch metastore) writes derby.log into the working directory unless told. */
  private static void keepDerbyLogOutOfWorkingDirectory() {
    if (System.getProperty("derby.stream.error.file") != null) {
      return;
    }
    try {
      File log = Files.createTempFile("lakepipe-serve-sql-derby", ".log").toFile();
      log.deleteOnExit();
      System.setProperty("derby.stream.error.file", log.getAbsolutePath());
    } catch (IOException e) {
      LOG.warn("serve-sql: cannot create a temp file for Derby's log ({}); it may write derby.log here",
          e.getMessage());
    }
  }
}
