package dev.lakepipe.app.cluster;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ApplicationReport;
import org.apache.hadoop.yarn.api.records.YarnApplicationState;
import org.apache.hadoop.yarn.client.api.YarnClient;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.MiniYARNCluster;

/**
 * A YARN cluster with HDFS inside the test JVM, for submitting the job jar with {@code --master yarn}: Hadoop's
 * {@link MiniDFSCluster} (one name node, one data node) and {@link MiniYARNCluster} (one resource manager, two
 * node managers). The node managers launch every container (application master, executors, a cluster-mode
 * driver) as a separate JVM through bash, as a real node manager does. Their configuration is written as
 * {@code core-site.xml}, {@code hdfs-site.xml} and {@code yarn-site.xml} to {@link #hadoopConfDir()}, the
 * {@code HADOOP_CONF_DIR} of {@code spark-submit}.
 *
 * <p>Sized for a shared 2-core, 24 GiB machine: each node manager offers 4 GiB and 4 vcores with memory checks
 * off (YARN counts, the JVMs' own -Xmx bound what they take), enough for an application master and two
 * executors of 640 MiB, or a cluster-mode driver and two executors. {@link #close()} stops both clusters and the
 * client; containers still running are killed by their node manager when it stops.
 */
public final class MiniYarn implements AutoCloseable {

  private static final int NODE_MANAGERS = 2;

  private final Path confDir;
  private final MiniDFSCluster dfs;
  private final MiniYARNCluster yarn;
  private final YarnClient client;

  private MiniYarn(Path confDir, MiniDFSCluster dfs, MiniYARNCluster yarn, YarnClient client) {
    this.confDir = confDir;
    this.dfs = dfs;
    this.yarn = yarn;
    this.client = client;
  }

  /**
   * Starts HDFS, then YARN on it, under {@code workDir}, and waits (up to {@code deadline}) until both node
   * managers have registered. On failure whatever already started is stopped.
   */
  public static MiniYarn start(Path workDir, Duration deadline) throws Exception {
    Path confDir = Files.createDirectories(workDir.resolve("hadoop-conf"));
    MiniDFSCluster dfs = null;
    MiniYARNCluster yarn = null;
    YarnClient client = null;
    try {
      Configuration dfsConf = new Configuration();
      dfsConf.setInt("dfs.replication", 1);
      dfs = new MiniDFSCluster.Builder(dfsConf, workDir.resolve("dfs").toFile()).numDataNodes(1).build();
      dfs.waitActive();
      String defaultFs = dfs.getURI().toString();

      YarnConfiguration yarnConf = new YarnConfiguration();
      yarnConf.set("fs.defaultFS", defaultFs);
      yarnConf.setInt(YarnConfiguration.RM_SCHEDULER_MINIMUM_ALLOCATION_MB, 128);
      yarnConf.setInt(YarnConfiguration.RM_SCHEDULER_MAXIMUM_ALLOCATION_MB, 2048);
      yarnConf.setInt(YarnConfiguration.NM_PMEM_MB, 4096);
      yarnConf.setInt(YarnConfiguration.YARN_MINICLUSTER_NM_PMEM_MB, 4096);
      yarnConf.setInt(YarnConfiguration.NM_VCORES, 4);
      yarnConf.setBoolean(YarnConfiguration.NM_PMEM_CHECK_ENABLED, false);
      yarnConf.setBoolean(YarnConfiguration.NM_VMEM_CHECK_ENABLED, false);
      // A busy shared disk must not mark the node managers' folders bad (they would refuse containers).
      yarnConf.setFloat(YarnConfiguration.NM_MAX_PER_DISK_UTILIZATION_PERCENTAGE, 99.5f);
      // The capacity scheduler (YARN's default) with one queue, as capacity-scheduler.xml would say; application
      // masters may take half the cluster (the default, 10 %, would hold a second one back).
      yarnConf.set("yarn.scheduler.capacity.root.queues", "default");
      yarnConf.setInt("yarn.scheduler.capacity.root.default.capacity", 100);
      yarnConf.setFloat("yarn.scheduler.capacity.maximum-am-resource-percent", 0.5f);
      // Keep container logs (executor stderr is how the test tells the executors apart) after the application.
      yarnConf.setBoolean(YarnConfiguration.LOG_AGGREGATION_ENABLED, false);
      // Containers start "$JAVA_HOME/bin/java"; a node manager passes its own JAVA_HOME, which a test JVM may lack.
      yarnConf.set(YarnConfiguration.NM_ADMIN_USER_ENV, "JAVA_HOME=" + System.getProperty("java.home"));
      yarn = new MiniYARNCluster("lakepipe-yarn-" + ProcessHandle.current().pid(), NODE_MANAGERS, 1, 1);
      yarn.init(yarnConf);
      yarn.start();
      long end = System.nanoTime() + deadline.toNanos();
      // start() may return before the resource manager has written its real port into the configuration.
      while (yarn.getConfig().get(YarnConfiguration.RM_ADDRESS).endsWith(":0")) {
        if (System.nanoTime() > end) {
          throw new IllegalStateException("MiniYARNCluster: the resource manager did not bind within " + deadline);
        }
        Thread.sleep(100);
      }
      if (!yarn.waitForNodeManagersToConnect(Math.max(1, (end - System.nanoTime()) / 1_000_000))) {
        throw new IllegalStateException("MiniYARNCluster: " + NODE_MANAGERS + " node managers did not register within "
            + deadline);
      }

      Configuration core = new Configuration(false);
      core.set("fs.defaultFS", defaultFs);
      write(core, confDir.resolve("core-site.xml"));
      Configuration hdfs = new Configuration(false);
      hdfs.setInt("dfs.replication", 1);
      write(hdfs, confDir.resolve("hdfs-site.xml"));
      write(yarn.getConfig(), confDir.resolve("yarn-site.xml"));

      client = YarnClient.createYarnClient();
      client.init(new YarnConfiguration(yarn.getConfig()));
      client.start();
      return new MiniYarn(confDir, dfs, yarn, client);
    } catch (Exception | Error e) {
      stopAll(client, yarn, dfs);
      throw e;
    }
  }

  /** The folder holding core-site.xml, hdfs-site.xml and yarn-site.xml: spark-submit's HADOOP_CONF_DIR. */
  public Path hadoopConfDir() {
    return confDir;
  }

  /** HDFS's URI, {@code hdfs://127.0.0.1:<port>}. */
  public String defaultFs() {
    return dfs.getURI().toString();
  }

  /** A client of HDFS. */
  public FileSystem fileSystem() throws IOException {
    return dfs.getFileSystem();
  }

  /** The applications whose tags (spark.yarn.tags) include {@code tag}, running or finished. */
  public List<ApplicationReport> applicationsTagged(String tag) throws Exception {
    return client.getApplications().stream().filter(a -> a.getApplicationTags().contains(tag)).toList();
  }

  /** Kills the applications tagged {@code tag} that have not finished (a submission that ran out of time). */
  public void killTagged(String tag) throws Exception {
    for (ApplicationReport a : applicationsTagged(tag)) {
      if (!Set.of(YarnApplicationState.FINISHED, YarnApplicationState.FAILED, YarnApplicationState.KILLED)
          .contains(a.getYarnApplicationState())) {
        client.killApplication(a.getApplicationId());
      }
    }
  }

  /** The resource manager's report of one application. */
  public ApplicationReport report(ApplicationId id) throws Exception {
    return client.getApplicationReport(id);
  }

  /**
   * The container folders the node managers kept for an application ({@code <log dir>/<application>/<container>},
   * each with the container's {@code stdout} and {@code stderr}), across all node managers.
   */
  public List<Path> containerLogDirs(ApplicationId id) throws IOException {
    List<Path> out = new ArrayList<>();
    for (int i = 0; i < NODE_MANAGERS; i++) {
      for (String dir : yarn.getNodeManager(i).getConfig().getTrimmedStrings(YarnConfiguration.NM_LOG_DIRS)) {
        Path app = Path.of(dir.startsWith("file:") ? java.net.URI.create(dir).getPath() : dir).resolve(id.toString());
        if (Files.isDirectory(app)) {
          try (Stream<Path> containers = Files.list(app)) {
            containers.filter(Files::isDirectory).forEach(out::add);
          }
        }
      }
    }
    return out;
  }

  @Override
  public void close() {
    stopAll(client, yarn, dfs);
  }

  private static void write(Configuration conf, Path file) throws IOException {
    try (OutputStream out = Files.newOutputStream(file)) {
      conf.writeXml(out);
    }
  }

  private static void stopAll(YarnClient client, MiniYARNCluster yarn, MiniDFSCluster dfs) {
    RuntimeException first = null;
    for (Runnable stop : List.<Runnable>of(
        () -> { if (client != null) client.stop(); },
        () -> { if (yarn != null) yarn.stop(); },
        () -> { if (dfs != null) dfs.shutdown(); })) {
      try {
        stop.run();
      } catch (RuntimeException e) {
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }
}
