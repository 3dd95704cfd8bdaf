package dev.lakepipe.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lakepipe.clean.CleanJob;
import dev.lakepipe.clean.CleanReport;
import dev.lakepipe.core.RunContext;
import dev.lakepipe.core.SparkSessionFactory;
import dev.lakepipe.core.config.LakepipeConfig;
import dev.lakepipe.features.FeaturesJob;
import dev.lakepipe.features.FeaturesReport;
import dev.lakepipe.ingest.IngestJob;
import dev.lakepipe.ingest.IngestReport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;

/**
 * {@code bench/run}'s benchmark: Lakepipe's ingest + clean + features against the floor of bare Spark on the same
 * rows, in one JVM, one {@code local[2]} session, every figure a ratio of two things measured in the same run.
 *
 * <ul>
 *   <li><b>Workload</b>: {@link TextWorkload} (JSON Lines in the sample export's shape, seeded, 5 % exact and 3 %
 *       near duplicates injected), generated once under {@code target/bench-data/} and reused.
 *   <li><b>R2, pipeline over floor</b>: wall time of {@code IngestJob.run}, {@code CleanJob.run},
 *       {@code FeaturesJob.run} (the real jobs, with the workload's conf, a fresh warehouse per repetition)
 *       divided by the floor: a bare Spark job that reads the same files ({@code spark.read().json}) and writes them
 *       once as Delta, no partition columns (bronze has none), in the same session.
 *   <li><b>Delta over Parquet</b>: the same rows (read once, persisted, not timed) written as Delta and as Parquet.
 *   <li><b>Per stage</b>: rows in per second, share of the pipeline's time, and memory ({@link MemoryProbe}: peak
 *       heap used, peak heap live after GC, peak RSS; a {@code System.gc()} before each stage, outside its time).
 *   <li><b>Repetitions</b>: one warm-up of both sides on a small workload, not measured; then {@code reps}
 *       repetitions with the order alternating (pipeline first, floor first, ...); each ratio is the median of the
 *       per-repetition ratios with its range.
 *   <li><b>Growth</b> (full run): one pipeline run per scale (1x, 4x, 16x of the growth base), each stage's
 *       exponent b of time ∝ rows^b (least squares on log-log) and its peak-live ratio 16x / 1x.
 * </ul>
 *
 * <p>Usage: {@code PipelineBenchmark [--quick] [--rows N] [--reps N] [--warmup-rows N] [--growth-base N]
 * [--growth-scales 1,4,16] [--out file.json]}. Defaults: quick = 100,000 rows, 3 repetitions, a warm-up on 2,000
 * rows, no growth; full = 1,000,000 rows, 3 repetitions, growth at 100,000 × 1, 4, 16. Run from the repository root (the workload reads
 * {@code sample-data/} and includes {@code conf/application.conf}).
 */
public final class PipelineBenchmark {

  private static final long SEED = 42;
  private static final int ROWS_PER_FILE = 50_000;
  private static final String[] STAGES = {"ingest", "clean", "features"};

  /** One stage of one pipeline run. */
  record StageRun(String stage, double seconds, long rowsIn, MemoryProbe.Peaks peaks) {}

  /** One pipeline run: its stages in order. */
  record PipelineRun(long rows, List<StageRun> stages) {
    double total() {
      return stages.stream().mapToDouble(StageRun::seconds).sum();
    }
  }

  /** One floor run: bare read + Delta write, then Delta and Parquet writes of the persisted rows. */
  record FloorRun(double floor, double delta, double parquet) {}

  private PipelineBenchmark() {}

  public static void main(String[] args) throws IOException {
    boolean quick = Arrays.asList(args).contains("--quick");
    long rows = quick ? 100_000 : 1_000_000;
    int reps = 3;
    long warmupRows = 2_000;
    long growthBase = 100_000;
    int[] scales = quick ? new int[0] : new int[] {1, 4, 16};
    Path out = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--quick" -> { }
        case "--rows" -> rows = Long.parseLong(args[++i].replace("_", ""));
        case "--reps" -> reps = Integer.parseInt(args[++i]);
        case "--warmup-rows" -> warmupRows = Long.parseLong(args[++i].replace("_", ""));
        case "--growth-base" -> growthBase = Long.parseLong(args[++i].replace("_", ""));
        case "--growth-scales" -> {
          String list = args[++i];
          scales = list.isBlank() ? new int[0] : Arrays.stream(list.split(",")).mapToInt(Integer::parseInt).toArray();
        }
        case "--out" -> out = Path.of(args[++i]);
        default -> {
          System.err.println("PipelineBenchmark: unknown argument " + args[i] + ". Use --quick, --rows N, --reps N, "
              + "--warmup-rows N, --growth-base N, --growth-scales 1,4,16, --out file.json.");
          System.exit(2);
        }
      }
    }
    long started = System.nanoTime();
    Path work = Path.of("target/bench-data").toAbsolutePath();
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("mode", quick ? "quick" : "full");
    json.put("started_utc", Instant.now().toString());
    json.put("machine", machine());
    json.put("load_average_start", loadAverage());
    System.out.printf(Locale.ROOT, "lakepipe bench (%s): %s; load average at start %s%n", quick ? "quick" : "full",
        machine(), loadAverage());

    SparkSession spark = null;
    try (MemoryProbe probe = new MemoryProbe()) {
      // The session ./lakepipe run would start (conf/application.conf + conf/local.conf), on local[2].
      spark = SparkSessionFactory.create(LakepipeConfig.load(Path.of("conf/application.conf"),
          LakepipeConfig.Env.LOCAL, Map.of("spark.master", "local[2]", "tables.warehouse",
              work.resolve("warehouse-warmup").toString())), "bench");
      TextWorkload.Summary warm = workload(spark, work, warmupRows);
      TextWorkload.Summary main = workload(spark, work, rows);
      // Warm-up: both sides once on the small workload (class loading, JIT, Spark's first jobs).
      long w0 = System.nanoTime();
      pipeline(spark, warm, work.resolve("warehouse-warmup"), probe);
      floor(spark, warm, work.resolve("floor-warmup"));
      System.out.printf(Locale.ROOT, "warm-up (%,d rows, both sides, not measured): %.1f s%n", warmupRows,
          (System.nanoTime() - w0) / 1e9);

      List<PipelineRun> pipes = new ArrayList<>();
      List<FloorRun> floors = new ArrayList<>();
      List<String> loads = new ArrayList<>();
      for (int r = 0; r < reps; r++) {
        loads.add(loadAverage());
        Path wh = work.resolve("warehouse-" + r);
        Path fl = work.resolve("floor-" + r);
        if (r % 2 == 0) {
          pipes.add(pipeline(spark, main, wh, probe));
          floors.add(floor(spark, main, fl));
        } else {
          floors.add(floor(spark, main, fl));
          pipes.add(pipeline(spark, main, wh, probe));
        }
        TextWorkload.deleteTree(wh);
        TextWorkload.deleteTree(fl);
        PipelineRun p = pipes.get(r);
        FloorRun f = floors.get(r);
        System.out.printf(Locale.ROOT, "rep %d (%s first, load %s): pipeline %.1f s (%s), floor %.1f s, delta %.1f s,"
                + " parquet %.1f s%n", r + 1, r % 2 == 0 ? "pipeline" : "floor", loads.get(r), p.total(),
            stagesLine(p), f.floor(), f.delta(), f.parquet());
      }

      List<PipelineRun> growth = new ArrayList<>();
      for (int s : scales) {
        TextWorkload.Summary g = workload(spark, work, growthBase * s);
        Path wh = work.resolve("warehouse-growth-" + s);
        growth.add(pipeline(spark, g, wh, probe));
        TextWorkload.deleteTree(wh);
        System.out.printf(Locale.ROOT, "growth %dx (%,d rows): %.1f s (%s)%n", s, growthBase * s,
            growth.get(growth.size() - 1).total(), stagesLine(growth.get(growth.size() - 1)));
      }

      double took = (System.nanoTime() - started) / 1e9;
      String table = table(main, pipes, floors, growth, scales, took);
      System.out.print(table);
      json.put("workload", Map.of("rows", main.rows(), "originals", main.originals(),
          "exact_duplicates_injected", main.exactDuplicates(), "near_duplicates_injected", main.nearDuplicates(),
          "base_rows", main.baseRows(), "files", main.files(), "seed", main.seed()));
      json.put("repetitions", reps);
      json.put("load_average_per_rep", loads);
      json.put("r2", ratioJson(pipes, floors, (p, f) -> p.total() / f.floor()));
      json.put("delta_over_parquet", ratioJson(pipes, floors, (p, f) -> f.delta() / f.parquet()));
      json.put("pipeline_runs", pipes.stream().map(PipelineBenchmark::runJson).toList());
      json.put("floor_runs", floors);
      json.put("growth", growth.stream().map(PipelineBenchmark::runJson).toList());
      json.put("growth_scales", scales);
      json.put("load_average_end", loadAverage());
      json.put("wall_seconds", took);
      json.put("table", table);
      if (out != null) {
        Files.createDirectories(out.toAbsolutePath().getParent());
        new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(out.toFile(), json);
        System.out.println("written: " + out);
      }
    } finally {
      if (spark != null) {
        spark.stop();
      }
    }
  }

  private static TextWorkload.Summary workload(SparkSession spark, Path work, long rows) throws IOException {
    long t0 = System.nanoTime();
    TextWorkload.Summary s = TextWorkload.ensure(spark, work.resolve("text-" + rows), rows, SEED, ROWS_PER_FILE,
        0.05, 0.03);
    System.out.printf(Locale.ROOT, "workload %,d rows (%,d originals from %d base messages, %,d exact and %,d near "
            + "duplicates injected, %d files): %s (%.1f s)%n", s.rows(), s.originals(), s.baseRows(),
        s.exactDuplicates(), s.nearDuplicates(), s.files(), s.dir(), (System.nanoTime() - t0) / 1e9);
    return s;
  }

  private static LakepipeConfig config(Path conf, Path warehouse) {
    return LakepipeConfig.load(conf, LakepipeConfig.Env.LOCAL, Map.of("tables.warehouse", warehouse.toString()));
  }

  /** The three stages on a fresh warehouse, timed one by one. */
  static PipelineRun pipeline(SparkSession spark, TextWorkload.Summary w, Path warehouse, MemoryProbe probe)
      throws IOException {
    TextWorkload.deleteTree(warehouse);
    LakepipeConfig config = config(w.conf(), warehouse);
    RunContext run = RunContext.startNow();
    List<StageRun> stages = new ArrayList<>();
    probe.reset();
    long t0 = System.nanoTime();
    IngestReport ingest = IngestJob.run(spark, config, run);
    stages.add(new StageRun("ingest", (System.nanoTime() - t0) / 1e9, ingest.totalRead(), probe.peaks()));
    probe.reset();
    t0 = System.nanoTime();
    CleanReport clean = CleanJob.run(spark, config, run);
    stages.add(new StageRun("clean", (System.nanoTime() - t0) / 1e9, clean.in(), probe.peaks()));
    probe.reset();
    t0 = System.nanoTime();
    FeaturesReport features = FeaturesJob.run(spark, config, run);
    stages.add(new StageRun("features", (System.nanoTime() - t0) / 1e9, features.in(), probe.peaks()));
    System.err.printf(Locale.ROOT, "pipeline %,d rows: ingest read %d written %d quarantined %d; clean in %d kept %d "
            + "exact %d near %d quarantined %d; features in %d placed %d%n", w.rows(), ingest.totalRead(),
        ingest.totalWritten(), ingest.totalQuarantined(), clean.in(), clean.kept(), clean.exactDuplicates(),
        clean.nearDuplicates(), clean.quarantined(), features.in(), features.placed());
    return new PipelineRun(w.rows(), stages);
  }

  /** The floor: read the workload's files and write them once as Delta; then Delta and Parquet of the same rows. */
  static FloorRun floor(SparkSession spark, TextWorkload.Summary w, Path dir) throws IOException {
    TextWorkload.deleteTree(dir);
    String data = w.dir().resolve("data").toString();
    long t0 = System.nanoTime();
    spark.read().json(data).write().format("delta").save(dir.resolve("floor").toString());
    double floor = (System.nanoTime() - t0) / 1e9;
    Dataset<Row> rows = spark.read().json(data).persist(StorageLevel.MEMORY_AND_DISK());
    rows.count();
    double delta;
    double parquet;
    try {
      t0 = System.nanoTime();
      rows.write().format("delta").save(dir.resolve("delta").toString());
      delta = (System.nanoTime() - t0) / 1e9;
      t0 = System.nanoTime();
      rows.write().parquet(dir.resolve("parquet").toString());
      parquet = (System.nanoTime() - t0) / 1e9;
    } finally {
      rows.unpersist(true);
    }
    return new FloorRun(floor, delta, parquet);
  }

  private static String stagesLine(PipelineRun p) {
    StringBuilder b = new StringBuilder();
    for (StageRun s : p.stages()) {
      b.append(b.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%s %.1f", s.stage(), s.seconds()));
    }
    return b.toString();
  }

  private static String table(TextWorkload.Summary w, List<PipelineRun> pipes, List<FloorRun> floors,
      List<PipelineRun> growth, int[] scales, double took) {
    StringBuilder b = new StringBuilder();
    b.append(String.format(Locale.ROOT, "%nworkload: %,d rows, %d JSON Lines files (seed %d; injected %,d exact, %,d "
        + "near duplicates); %d repetitions after a warm-up, order alternating%n%n", w.rows(), w.files(), w.seed(),
        w.exactDuplicates(), w.nearDuplicates(), pipes.size()));
    b.append(String.format(Locale.ROOT, "%-34s %10s %-22s %8s %s%n", "figure", "median", "[min..max]", "target",
        "met"));
    double[] r2 = ratios(pipes, floors, (p, f) -> p.total() / f.floor());
    double[] dp = ratios(pipes, floors, (p, f) -> f.delta() / f.parquet());
    b.append(row("R2 pipeline / floor", r2, "<= 2.5", median(r2) <= 2.5));
    b.append(row("Delta write / Parquet write", dp, "<= 1.2", median(dp) <= 1.2));
    for (int i = 0; i < STAGES.length; i++) {
      int k = i;
      double[] share = pipes.stream().mapToDouble(p -> p.stages().get(k).seconds() / p.total()).toArray();
      b.append(row(STAGES[i] + " share of pipeline", share, "", true).replace(" yes", ""));
    }
    b.append(String.format(Locale.ROOT, "%n%-10s %12s %12s %12s %14s %14s %12s%n", "stage", "s (median)", "rows in",
        "rows/s", "heap peak MB", "live peak MB", "RSS peak MB"));
    for (int i = 0; i < STAGES.length; i++) {
      int k = i;
      double[] secs = pipes.stream().mapToDouble(p -> p.stages().get(k).seconds()).toArray();
      StageRun first = pipes.get(0).stages().get(k);
      b.append(String.format(Locale.ROOT, "%-10s %12.1f %,12d %,12.0f %14s %14s %12s%n", STAGES[i], median(secs),
          first.rowsIn(), first.rowsIn() / median(secs),
          mb(pipes.stream().mapToLong(p -> p.stages().get(k).peaks().heapUsed()).max().orElse(-1)),
          mb(pipes.stream().mapToLong(p -> p.stages().get(k).peaks().liveAfterGc()).max().orElse(-1)),
          mb(pipes.stream().mapToLong(p -> p.stages().get(k).peaks().rss()).max().orElse(-1))));
    }
    double[] fl = floors.stream().mapToDouble(FloorRun::floor).toArray();
    double[] tot = pipes.stream().mapToDouble(PipelineRun::total).toArray();
    b.append(String.format(Locale.ROOT, "%-10s %12.1f  (floor: bare read + Delta write; pipeline total %.1f s)%n",
        "floor", median(fl), median(tot)));
    if (!growth.isEmpty()) {
      b.append(String.format(Locale.ROOT, "%ngrowth (one run per scale): %-8s", "stage"));
      for (int s : scales) {
        b.append(String.format(Locale.ROOT, " %9s", s + "x s"));
      }
      b.append(String.format(Locale.ROOT, " %10s %8s %16s%n", "exponent", "target", "live 16x/1x"));
      double[] x = growth.stream().mapToDouble(p -> Math.log(p.rows())).toArray();
      for (int i = 0; i < STAGES.length; i++) {
        int k = i;
        b.append(String.format(Locale.ROOT, "                            %-8s", STAGES[i]));
        for (PipelineRun g : growth) {
          b.append(String.format(Locale.ROOT, " %9.1f", g.stages().get(k).seconds()));
        }
        double[] y = growth.stream().mapToDouble(p -> Math.log(p.stages().get(k).seconds())).toArray();
        long liveFirst = growth.get(0).stages().get(k).peaks().liveAfterGc();
        long liveLast = growth.get(growth.size() - 1).stages().get(k).peaks().liveAfterGc();
        String target = k == 1 ? "<= 1.3" : "<= 1.1";
        b.append(String.format(Locale.ROOT, " %10.2f %8s %16s%n", growth.size() > 1 ? slope(x, y) : Double.NaN,
            target, liveFirst > 0 && liveLast > 0 ? String.format(Locale.ROOT, "%.2f", (double) liveLast / liveFirst)
                : "n/a"));
      }
    }
    b.append(String.format(Locale.ROOT, "%nwall time of the whole run: %.0f s; load average at end %s%n", took,
        loadAverage()));
    return b.toString();
  }

  private static String row(String name, double[] v, String target, boolean met) {
    return String.format(Locale.ROOT, "%-34s %10.3f %-22s %8s %s%n", name, median(v),
        String.format(Locale.ROOT, "[%.3f..%.3f]", Arrays.stream(v).min().orElse(Double.NaN),
            Arrays.stream(v).max().orElse(Double.NaN)), target, target.isEmpty() ? "" : met ? "yes" : "no");
  }

  private static String mb(long bytes) {
    return bytes < 0 ? "n/a" : String.format(Locale.ROOT, "%,d", bytes / (1024 * 1024));
  }

  private interface Ratio {
    double of(PipelineRun p, FloorRun f);
  }

  private static double[] ratios(List<PipelineRun> pipes, List<FloorRun> floors, Ratio r) {
    double[] out = new double[pipes.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = r.of(pipes.get(i), floors.get(i));
    }
    return out;
  }

  private static Map<String, Object> ratioJson(List<PipelineRun> pipes, List<FloorRun> floors, Ratio r) {
    double[] v = ratios(pipes, floors, r);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("median", median(v));
    m.put("min", Arrays.stream(v).min().orElse(Double.NaN));
    m.put("max", Arrays.stream(v).max().orElse(Double.NaN));
    m.put("values", v);
    return m;
  }

  private static Map<String, Object> runJson(PipelineRun p) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("rows", p.rows());
    m.put("total_seconds", p.total());
    List<Map<String, Object>> stages = new ArrayList<>();
    for (StageRun s : p.stages()) {
      Map<String, Object> sm = new LinkedHashMap<>();
      sm.put("stage", s.stage());
      sm.put("seconds", s.seconds());
      sm.put("rows_in", s.rowsIn());
      sm.put("heap_peak_bytes", s.peaks().heapUsed());
      sm.put("live_after_gc_peak_bytes", s.peaks().liveAfterGc());
      sm.put("rss_peak_bytes", s.peaks().rss());
      stages.add(sm);
    }
    m.put("stages", stages);
    return m;
  }

  static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    int n = s.length;
    return n == 0 ? Double.NaN : n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  }

  /** Least-squares slope of y on x (on log-log data: the fitted exponent); also used by DedupeBenchmark. */
  public static double slope(double[] x, double[] y) {
    double mx = Arrays.stream(x).average().orElse(0);
    double my = Arrays.stream(y).average().orElse(0);
    double num = 0;
    double den = 0;
    for (int i = 0; i < x.length; i++) {
      num += (x[i] - mx) * (y[i] - my);
      den += (x[i] - mx) * (x[i] - mx);
    }
    return num / den;
  }

  static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException | RuntimeException e) {
      return "n/a";
    }
  }

  static String machine() {
    long mem = ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
        .getOperatingSystemMXBean()).getTotalMemorySize();
    return String.format(Locale.ROOT, "%d cores, %.0f GiB RAM, Java %s, max heap %d MB, %s UTC",
        Runtime.getRuntime().availableProcessors(), mem / (1024.0 * 1024 * 1024), System.getProperty("java.version"),
        Runtime.getRuntime().maxMemory() / (1024 * 1024),
        Instant.now().atOffset(ZoneOffset.UTC).toLocalDate());
  }
}
