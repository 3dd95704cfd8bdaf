package dev.lakepipe.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The warehouse lock on a local disk, without Spark: a held lock refuses a second run with the owner and the fix,
 * a released one is an empty file anyone may take, a lock left behind by a dead process is taken over, and a
 * run given a timeout waits for the holder. Two runs in one JVM meet the same refusal as two processes do (the
 * app's LauncherIT checks two processes).
 */
class WarehouseLockTest {

  @TempDir
  Path dir;

  private WarehouseLock acquire(String runId, Duration timeout) {
    return WarehouseLock.acquire(new org.apache.hadoop.fs.Path(dir.resolve("lake").toString()), new Configuration(),
        RunContext.of(runId), timeout, "lakepipe ingest");
  }

  @Test
  void aHeldLockRefusesASecondRunNamingTheOwnerAndTheFix() throws Exception {
    Path file = dir.resolve("lake/_lakepipe.lock");
    try (WarehouseLock first = acquire("first", Duration.ZERO)) {
      assertThat(first.location()).isEqualTo("file:" + file);
      assertThat(Files.readString(file)).contains("run_id=first\n", "pid=" + ProcessHandle.current().pid() + "\n");
      String host = InetAddress.getLocalHost().getHostName();
      assertThatThrownBy(() -> acquire("second", Duration.ZERO))
          .isInstanceOf(LakepipeException.class)
          .satisfies(e -> assertThat(((LakepipeException) e).exitCode()).isEqualTo(1))
          .hasMessageStartingWith("Cannot run lakepipe ingest: another run (run_id first, pid "
              + ProcessHandle.current().pid() + " on host " + host + ") holds the warehouse file:" + dir.resolve("lake")
              + " since ")
          .hasMessageEndingWith("or remove file:" + file + " if that process is gone.");
    }
    assertThat(Files.readString(file)).as("released: an empty file").isEmpty();
    try (WarehouseLock again = acquire("second", Duration.ZERO)) {
      assertThat(Files.readString(file)).contains("run_id=second\n");
    }
  }

  @Test
  void aLockLeftByADeadProcessIsTakenOver() throws Exception {
    Path file = Files.createDirectories(dir.resolve("lake")).resolve("_lakepipe.lock");
    // What a run killed with kill -9 leaves: its lines, and no OS lock (the OS dropped it with the process).
    Files.writeString(file, "run_id=killed\npid=2147483000\nhost=elsewhere\nstarted_at=2026-11-29T10:00:00Z\n");
    try (WarehouseLock lock = acquire("next", Duration.ZERO)) {
      assertThat(Files.readString(file)).contains("run_id=next\n").doesNotContain("killed");
    }
  }

  @Test
  void aRunWithATimeoutWaitsForTheHolder() throws Exception {
    WarehouseLock first = acquire("first", Duration.ZERO);
    AtomicReference<Object> outcome = new AtomicReference<>();
    Thread second = new Thread(() -> {
      try (WarehouseLock lock = acquire("second", Duration.ofMinutes(2))) {
        outcome.set(Files.readString(dir.resolve("lake/_lakepipe.lock")));
      } catch (Exception e) {
        outcome.set(e);
      }
    });
    second.start();
    // The second run polls, sleeping in WarehouseLock.acquire between tries, while the first holds the lock.
    while (second.isAlive() && !sleepingInAcquire(second)) {
      Thread.onSpinWait();
    }
    assertThat(outcome.get()).as("still waiting").isNull();
    first.close();
    second.join(Duration.ofMinutes(2).toMillis());
    assertThat(outcome.get()).asString().contains("run_id=second\n");
  }

  private static boolean sleepingInAcquire(Thread t) {
    StackTraceElement[] stack = t.getStackTrace();
    return java.util.Arrays.stream(stack).anyMatch(f -> f.getMethodName().equals("sleep"))
        && java.util.Arrays.stream(stack).anyMatch(f -> f.getClassName().equals(WarehouseLock.class.getName())
            && f.getMethodName().equals("acquire"));
  }
}
