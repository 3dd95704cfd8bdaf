package dev.lakepipe.bench;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

/**
 * Peak memory of this JVM over a window (one stage): heap used as sampled every 50 ms (includes garbage not yet
 * collected), heap live after each GC (sum of the heap pools after the collection, from the GC notifications:
 * what the stage keeps reachable), and the process's resident set (VmRSS of /proc/self/status, sampled).
 * In local mode the driver and the executors share this JVM, so heap figures cover both.
 */
final class MemoryProbe implements AutoCloseable {

  /** Peaks of one window, in bytes; -1 when unknown (no GC ran in the window, or no /proc). */
  record Peaks(long heapUsed, long liveAfterGc, long rss) {}

  private static final Set<String> HEAP_POOLS = heapPools();

  private final AtomicLong heapUsed = new AtomicLong();
  private final AtomicLong liveAfterGc = new AtomicLong(-1);
  private final AtomicLong rss = new AtomicLong(-1);
  private final List<Runnable> unregister = new ArrayList<>();
  private final Thread sampler;
  private volatile boolean running = true;

  MemoryProbe() {
    NotificationListener listener = (n, handback) -> {
      if (!GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(n.getType())) {
        return;
      }
      var info = GarbageCollectionNotificationInfo.from((CompositeData) n.getUserData());
      long live = 0;
      for (var e : info.getGcInfo().getMemoryUsageAfterGc().entrySet()) {
        if (HEAP_POOLS.contains(e.getKey())) {
          live += e.getValue().getUsed();
        }
      }
      long l = live;
      liveAfterGc.accumulateAndGet(l, Math::max);
    };
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      if (gc instanceof NotificationEmitter emitter) {
        emitter.addNotificationListener(listener, null, null);
        unregister.add(() -> {
          try {
            emitter.removeNotificationListener(listener);
          } catch (Exception ignored) {
            // already gone
          }
        });
      }
    }
    sampler = new Thread(() -> {
      var memory = ManagementFactory.getMemoryMXBean();
      while (running) {
        MemoryUsage heap = memory.getHeapMemoryUsage();
        heapUsed.accumulateAndGet(heap.getUsed(), Math::max);
        long r = rssBytes();
        rss.accumulateAndGet(r, Math::max);
        try {
          Thread.sleep(50);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "bench-memory-probe");
    sampler.setDaemon(true);
    sampler.start();
  }

  /** Starts a new window: collects garbage first, so the window's live peak is its own. */
  void reset() {
    System.gc();
    heapUsed.set(ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
    liveAfterGc.set(-1);
    rss.set(rssBytes());
  }

  /** The peaks since the last {@link #reset}. */
  Peaks peaks() {
    heapUsed.accumulateAndGet(ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed(), Math::max);
    return new Peaks(heapUsed.get(), liveAfterGc.get(), rss.get());
  }

  @Override
  public void close() {
    running = false;
    sampler.interrupt();
    unregister.forEach(Runnable::run);
  }

  static long rssBytes() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return -1;
  }

  private static Set<String> heapPools() {
    Set<String> out = new java.util.HashSet<>();
    for (var pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP) {
        out.add(pool.getName());
      }
    }
    return out;
  }
}
