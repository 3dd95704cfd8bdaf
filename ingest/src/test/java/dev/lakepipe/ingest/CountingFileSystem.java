package dev.lakepipe.ingest;

import java.io.IOException;
import java.net.URI;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSInputStream;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;

/**
 * The local file system under the scheme {@code counting:}, counting the bytes its input streams hand to their
 * readers and the streams open now, so a test sees how far a reader has read a file and whether it closed it.
 * Counts are JVM-wide (Spark's {@code local[2]} executors run in the test's JVM); {@link #reset} before use.
 */
public final class CountingFileSystem extends RawLocalFileSystem {

  static final String SCHEME = "counting";
  static final AtomicLong BYTES_READ = new AtomicLong();
  static final AtomicInteger OPEN_STREAMS = new AtomicInteger();

  /** Registers the scheme (uncached, so every open goes through this class) in {@code conf}. */
  static Configuration register(Configuration conf) {
    conf.set("fs." + SCHEME + ".impl", CountingFileSystem.class.getName());
    conf.setBoolean("fs." + SCHEME + ".impl.disable.cache", true);
    return conf;
  }

  static void unregister(Configuration conf) {
    conf.unset("fs." + SCHEME + ".impl");
    conf.unset("fs." + SCHEME + ".impl.disable.cache");
  }

  static void reset() {
    BYTES_READ.set(0);
    OPEN_STREAMS.set(0);
  }

  /** {@code counting:} followed by the absolute local path. */
  static String path(java.nio.file.Path local) {
    return SCHEME + "://" + local.toAbsolutePath();
  }

  @Override
  public URI getUri() {
    return URI.create(SCHEME + ":///");
  }

  @Override
  public String getScheme() {
    return SCHEME;
  }

  @Override
  public FSDataInputStream open(Path f, int bufferSize) throws IOException {
    return new FSDataInputStream(new Counting(super.open(f, bufferSize)));
  }

  private static final class Counting extends FSInputStream {
    private final FSDataInputStream in;
    private boolean closed;

    Counting(FSDataInputStream in) {
      this.in = in;
      OPEN_STREAMS.incrementAndGet();
    }

    @Override
    public int read() throws IOException {
      int b = in.read();
      if (b >= 0) {
        BYTES_READ.incrementAndGet();
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = in.read(b, off, len);
      if (n > 0) {
        BYTES_READ.addAndGet(n);
      }
      return n;
    }

    @Override
    public void seek(long pos) throws IOException {
      in.seek(pos);
    }

    @Override
    public long getPos() throws IOException {
      return in.getPos();
    }

    @Override
    public boolean seekToNewSource(long targetPos) {
      return false;
    }

    @Override
    public void close() throws IOException {
      if (!closed) {
        closed = true;
        OPEN_STREAMS.decrementAndGet();
      }
      in.close();
    }
  }
}
