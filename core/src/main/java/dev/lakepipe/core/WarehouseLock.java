package dev.lakepipe.core;

import dev.lakepipe.core.config.TableSettings;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.StringReader;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Properties;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run at a time per path-mode warehouse: {@code <warehouse>/_lakepipe.lock}, held for a whole CLI invocation
 * (one Spark application, every stage it runs), naming its owner (run id, pid, host, start time). A second run
 * waits up to {@code tables.lock-timeout} (default 0s) and then fails with exit 1, naming the owner and the fix.
 * Delta's optimistic concurrency would let two runs commit interleaved versions of the same tables (silver
 * recomputed from a bronze the other run is still merging into); the lock rules that out.
 *
 * <p>On a local disk ({@code file:}) the file is held with an operating-system lock ({@link FileChannel#tryLock}),
 * which the OS releases when the process dies, however it dies: a run killed with {@code kill -9} leaves the file
 * with its owner's lines in it, and the next run takes it over with a log line naming the run that left it. A
 * released lock is an empty file. On other file systems (HDFS, object stores) the file is created only if absent
 * ({@code create(path, overwrite = false)}, atomic on HDFS) and deleted on release; a lock left by a process on
 * the same host whose pid is gone is taken over, any other must be removed by hand (the message says which file).
 * In metastore mode there is no warehouse folder to lock and {@link #acquire} returns a lock that holds nothing:
 * Delta's own conflict detection is all there is.
 */
public final class WarehouseLock implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(WarehouseLock.class);
  public static final String FILE_NAME = "_lakepipe.lock";
  private static final long POLL_MILLIS = 500;
  /** Local locks this JVM holds, by file, and their owners. */
  private static final java.util.Map<String, Owner> HELD_HERE = new java.util.concurrent.ConcurrentHashMap<>();

  /** The lock's holder, as written in the file. */
  public record Owner(String runId, long pid, String host, Instant since) {

    static Owner of(RunContext run) {
      return new Owner(run.runId(), ProcessHandle.current().pid(), localHost(),
          Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
    }

    String text() {
      return "run_id=" + runId + "\npid=" + pid + "\nhost=" + host + "\nstarted_at=" + since + "\n";
    }

    /** The owner written in {@code text}, or null when it is empty or unreadable (a released local lock). */
    static Owner parse(String text) {
      Properties p = new Properties();
      try {
        p.load(new StringReader(text));
        return new Owner(p.getProperty("run_id"), Long.parseLong(p.getProperty("pid")), p.getProperty("host"),
            Instant.parse(p.getProperty("started_at")));
      } catch (IOException | RuntimeException e) {
        return null;
      }
    }

    @Override
    public String toString() {
      return "run_id " + runId + ", pid " + pid + " on host " + host;
    }
  }

  private final String location;
  private final FileChannel channel;
  private final FileLock osLock;
  private final FileSystem fs;
  private final Path file;

  private WarehouseLock(String location, FileChannel channel, FileLock osLock, FileSystem fs, Path file) {
    this.location = location;
    this.channel = channel;
    this.osLock = osLock;
    this.fs = fs;
    this.file = file;
  }

  /**
   * Takes the lock of {@code settings}' warehouse for {@code run}, waiting up to {@code settings.lockTimeout()};
   * {@code what} names the command in the error ("ingest", "run"). A no-op lock in metastore mode.
   *
   * @throws LakepipeException (exit 1) when another run still holds it after the timeout
   */
  public static WarehouseLock acquire(SparkSession spark, TableSettings settings, RunContext run, String what) {
    if (settings.mode() == TableSettings.Mode.METASTORE) {
      return new WarehouseLock(null, null, null, null, null);
    }
    return acquire(new Path(settings.warehouse()), spark.sparkContext().hadoopConfiguration(), run,
        settings.lockTimeout(), what);
  }

  /** Takes the lock of the warehouse at {@code warehouse}; see {@link #acquire(SparkSession, TableSettings, RunContext, String)}. */
  public static WarehouseLock acquire(Path warehouse, Configuration conf, RunContext run, Duration timeout,
      String what) {
    try {
      FileSystem fs = warehouse.getFileSystem(conf);
      Path root = fs.makeQualified(warehouse);
      Path file = new Path(root, FILE_NAME);
      long deadline = System.nanoTime() + timeout.toNanos();
      Owner me = Owner.of(run);
      boolean local = "file".equals(root.toUri().getScheme());
      boolean waited = false;
      while (true) {
        Attempt attempt = local ? tryLocal(root, file, me) : tryShared(fs, root, file, me);
        if (attempt.lock() != null) {
          if (waited) {
            LOG.info("lock: {} is ours after waiting (run {})", file, run.runId());
          }
          return attempt.lock();
        }
        Owner holder = attempt.holder();
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw LakepipeErrors.warehouseLocked(what, root.toString(), file.toString(), holder);
        }
        if (!waited) {
          LOG.info("lock: {} is held by {}; waiting up to {} s (tables.lock-timeout)", file, holder,
              timeout.toSeconds());
          waited = true;
        }
        Thread.sleep(Math.max(1, Math.min(POLL_MILLIS, left / 1_000_000)));
      }
    } catch (IOException e) {
      throw LakepipeErrors.jobFailed("lock the warehouse " + warehouse, e.getMessage()
          + ". Check that tables.warehouse is writable", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw LakepipeErrors.jobFailed("lock the warehouse " + warehouse, "interrupted while waiting", e);
    }
  }

  /** One try: the lock, or who holds it (null when unreadable). */
  private record Attempt(WarehouseLock lock, Owner holder) {}

  /**
   * One try at a local lock. POSIX drops every lock a process holds on a file when the process closes any
   * descriptor of that file, so the file is read only through the channel that locks it, and a lock this JVM
   * holds (another run in the same JVM) is answered from {@link #HELD_HERE} without opening the file at all.
   */
  private static synchronized Attempt tryLocal(Path root, Path file, Owner me) throws IOException {
    Owner here = HELD_HERE.get(file.toString());
    if (here != null) {
      return new Attempt(null, here);
    }
    Files.createDirectories(java.nio.file.Path.of(root.toUri()));
    FileChannel ch = FileChannel.open(java.nio.file.Path.of(file.toUri()), StandardOpenOption.CREATE,
        StandardOpenOption.READ, StandardOpenOption.WRITE);
    FileLock os = ch.tryLock();
    Owner previous = Owner.parse(read(ch));
    if (os == null) {
      ch.close(); // this JVM holds no lock on the file, so closing releases nothing
      return new Attempt(null, previous);
    }
    if (previous != null) {
      LOG.warn("lock: taking over {} from {} (started {}): that process ended without releasing it", file,
          previous, previous.since());
    }
    ch.truncate(0);
    ch.write(ByteBuffer.wrap(me.text().getBytes(StandardCharsets.UTF_8)), 0);
    ch.force(true);
    HELD_HERE.put(file.toString(), me);
    LOG.info("lock: {} held by run {} (pid {})", file, me.runId(), me.pid());
    return new Attempt(new WarehouseLock(file.toString(), ch, os, null, null), null);
  }

  private static String read(FileChannel ch) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate((int) Math.min(ch.size(), 64 * 1024));
    while (buf.hasRemaining() && ch.read(buf, buf.position()) > 0) {
      // positional reads until the buffer is full or the file ends
    }
    return new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8);
  }

  private static Attempt tryShared(FileSystem fs, Path root, Path file, Owner me) throws IOException {
    fs.mkdirs(root);
    try (OutputStream out = fs.create(file, false)) {
      out.write(me.text().getBytes(StandardCharsets.UTF_8));
    } catch (org.apache.hadoop.fs.FileAlreadyExistsException e) {
      Owner holder = Owner.parse(readShared(fs, file));
      if (holder != null && holder.host().equals(me.host()) && ProcessHandle.of(holder.pid()).isEmpty()) {
        LOG.warn("lock: taking over {} from {} (started {}): that process is gone", file, holder, holder.since());
        fs.delete(file, false);
        return tryShared(fs, root, file, me);
      }
      return new Attempt(null, holder);
    }
    LOG.info("lock: {} held by run {} (pid {})", file, me.runId(), me.pid());
    return new Attempt(new WarehouseLock(file.toString(), null, null, fs, file), null);
  }

  private static String readShared(FileSystem fs, Path file) {
    try (InputStream in = fs.open(file)) {
      ByteArrayOutputStream buf = new ByteArrayOutputStream();
      in.transferTo(buf);
      return buf.toString(StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }

  /** The lock file this lock holds, or null in metastore mode. */
  public String location() {
    return location;
  }

  /** Releases the lock: empties the local file (the OS lock goes with it) or deletes the shared one. */
  @Override
  public void close() {
    try {
      if (channel != null) {
        synchronized (WarehouseLock.class) {
          channel.truncate(0);
          channel.force(true);
          osLock.release();
          channel.close();
          HELD_HERE.remove(location);
        }
      } else if (fs != null) {
        fs.delete(file, false);
      }
    } catch (IOException e) {
      // Never hide the run's own outcome behind this; the next run takes a local lock over in any case.
      LOG.warn("lock: cannot release {}: {}", location, e.toString());
    }
  }

  private static String localHost() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      String env = System.getenv("HOSTNAME");
      return env == null ? "localhost" : env;
    }
  }
}
