package dev.hubprobe.bench;

import dev.hubprobe.alerting.AlertEngine;
import dev.hubprobe.alerting.AlertPolicy;
import dev.hubprobe.alerting.AlertStore;
import dev.hubprobe.alerting.notify.Dispatcher;
import dev.hubprobe.alerting.notify.Outbox;
import dev.hubprobe.config.Secret;
import dev.hubprobe.history.HistoryStore;
import dev.hubprobe.jupyter.hub.HubClientSettings;
import dev.hubprobe.metrics.ProbeMetrics;
import dev.hubprobe.probe.ProbeClock;
import dev.hubprobe.probe.ProbeDefinition;
import dev.hubprobe.probe.ProbeRunner;
import dev.hubprobe.probe.ProbeTarget;
import dev.hubprobe.probe.RunResult;
import dev.hubprobe.probe.RunSink;
import dev.hubprobe.schedule.ProbeExecutor;
import dev.hubprobe.schedule.ProbeScheduler;
import dev.hubprobe.schedule.ScheduledProbe;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The service's scheduler, runner, history, metrics and alerting driving many fake hubs, one probe per
 * hub per interval, and what it costs. Spawns take 30 to 120 s, drawn uniformly (as on real hubs,
 * where a run holds its slot for the whole spawn), unless {@code bench.spawn=0}. Run it with (see
 * README): {@code ./mvnw -q -Pbench verify}
 * (-Dbench.hubs=1000 -Dbench.minutes=9 -Dbench.interval=180s -Dbench.spawn=30-120 -Dbench.threads=1500;
 * -Dbench.db=postgres -Dbench.replicas=2 for two clustered replicas on a throwaway PostgreSQL)
 *
 * <p>Prints: runs done / expected, schedule lateness p50/p99 and the share of runs on time (&lt; 1 s
 * late), peak heap, CPU seconds per run (the fake hubs run in this process too, so this is an upper
 * bound), and the time to render /metrics with every hub's series.
 */
public final class SchedulerBenchmark {
    public static void main(String[] args) throws Exception {
        int hubs = Integer.getInteger("bench.hubs", 1000);
        double minutes = Double.parseDouble(System.getProperty("bench.minutes", "9"));
        Duration interval = Duration.ofSeconds(Long.parseLong(System.getProperty("bench.interval", "180s").replace("s", "")));
        int threads = Integer.getInteger("bench.threads", 1500);
        String[] spawn = System.getProperty("bench.spawn", "30-120").split("-");
        long spawnMin = Long.parseLong(spawn[0]) * 1000;
        long spawnMax = Long.parseLong(spawn[spawn.length - 1]) * 1000;
        java.util.function.Supplier<Duration> spawnTime = () -> Duration.ofMillis(spawnMax == 0 ? 0
                : java.util.concurrent.ThreadLocalRandom.current().nextLong(spawnMin, spawnMax + 1));
        Duration length = Duration.ofMillis(Math.round(minutes * 60_000));
        System.out.printf(Locale.ROOT, "hubprobe scheduler benchmark: %d hubs, one probe each every %ds, spawns %d-%d s, alerting on,"
                        + " for %.1f min, %d run slots, max heap %d MB%n",
                hubs, interval.toSeconds(), spawnMin / 1000, spawnMax / 1000, minutes, threads, Runtime.getRuntime().maxMemory() >> 20);

        Path dir = Files.createTempDirectory("hubprobe-bench");
        // -Dbench.db=postgres -Dbench.replicas=2: the history and a clustered schedule in a throwaway PostgreSQL
        boolean postgres = "postgres".equals(System.getProperty("bench.db", "h2"));
        int replicas = postgres ? Integer.getInteger("bench.replicas", 2) : 1;
        dev.hubprobe.history.Database database = postgres
                ? dev.hubprobe.history.Database.postgres(dev.hubprobe.testhub.Postgres.shared().newDatabase(),
                        dev.hubprobe.testhub.Postgres.USER, Secret.of(dev.hubprobe.testhub.Postgres.PASSWORD))
                : dev.hubprobe.history.Database.h2(dir.resolve("history"));
        System.out.printf(Locale.ROOT, "history: %s, %d replica(s)%n", postgres ? "PostgreSQL" : "H2", replicas);
        try (FakeHubServer fake = new FakeHubServer(spawnTime); HistoryStore history = HistoryStore.open(database)) {
            ProbeMetrics metrics = new ProbeMetrics("bench");
            ProbeRunner runner = new ProbeRunner(ProbeClock.SYSTEM, HubClientSettings.defaults("hubprobe-bench"));
            ProbeDefinition probe = new ProbeDefinition("echo", null, null, null, null, null, null,
                    List.of(new ProbeDefinition.Cell("42", new ProbeDefinition.Expect("42", null, false))));
            List<ScheduledProbe> probes = new ArrayList<>();
            for (int i = 0; i < hubs; i++) {
                probes.add(new ScheduledProbe(new ProbeTarget("hub-" + i, fake.hubUrl(i), "bot",
                        new ProbeTarget.Token(Secret.of("bench-token"))), probe, interval));
            }
            AtomicLong passed = new AtomicLong();
            AtomicLong failed = new AtomicLong();
            long[] window = new long[2];
            java.util.Map<String, AtomicLong> reasons = new java.util.concurrent.ConcurrentHashMap<>();
            RunSink counter = r -> {
                long at = r.startedAt().toEpochMilli();
                if (at >= window[0] && at < window[1]) {
                    (r.passed() ? passed : failed).incrementAndGet();
                    if (!r.passed()) {
                        reasons.computeIfAbsent(r.failedPhase().label() + "/" + r.reason().label() + ": " + r.message(),
                                k -> new AtomicLong()).incrementAndGet();
                    }
                }
            };
            // alerting as the service runs it (no receivers: the point is the engine's cost on every run)
            AlertEngine alerts = new AlertEngine(new AlertStore(history.dataSource()), new Dispatcher(List.of(),
                    new dev.hubprobe.alerting.notify.Outbox(history.dataSource(), "bench", java.time.Clock.systemUTC()), metrics.registry(),
                    dev.hubprobe.alerting.notify.Dispatcher.Retry.DEFAULTS), history, hub -> AlertPolicy.DEFAULTS, metrics.registry(), java.time.Clock.systemUTC(),
                    null, Duration.ofMinutes(1));
            List<ProbeScheduler> schedulers = new ArrayList<>();
            for (int i = 0; i < replicas; i++) {
                schedulers.add(new ProbeScheduler(threads / replicas, ProbeExecutor.of(runner), List.of(history, metrics, alerts, counter),
                        metrics.registry(), postgres ? new ProbeScheduler.Cluster(history.dataSource(), "bench-" + i) : null));
            }
            long size0 = databaseSize(history, dir);
            probes.forEach(p -> metrics.register(p.key()));

            MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
            AtomicLong peakHeap = new AtomicLong();
            ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
            sampler.scheduleAtFixedRate(() -> peakHeap.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max),
                    0, 200, TimeUnit.MILLISECONDS);
            com.sun.management.OperatingSystemMXBean os =
                    (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

            long start = System.currentTimeMillis();
            window[0] = start;
            window[1] = start + length.toMillis();
            long cpu0 = os.getProcessCpuTime();
            for (ProbeScheduler scheduler : schedulers) {
                scheduler.schedule(probes, interval);
                scheduler.start();
            }
            long ticks = length.toSeconds() / 30;
            for (long t = 1; t <= ticks; t++) {
                Thread.sleep(30_000);
                System.out.printf(Locale.ROOT, "  %3ds: %d runs (%d failed), heap %d MB%n", t * 30, passed.get() + failed.get(),
                        failed.get(), memory.getHeapMemoryUsage().getUsed() >> 20);
            }
            Thread.sleep(Math.max(0, window[1] - System.currentTimeMillis()));
            // read before the pause: a clustered store's misfire scan goes on in standby and would count the drain
            double misfires = metrics.registry().find("hubprobe.schedule.misfires").counters().stream()
                    .mapToDouble(io.micrometer.core.instrument.Counter::count).sum();
            schedulers.forEach(ProbeScheduler::pause);
            // runs that started inside the window finish and are counted (a spawn takes up to 2 minutes)
            long drain = System.currentTimeMillis() + spawnMax + 30_000;
            while (schedulers.stream().mapToInt(ProbeScheduler::running).sum() > 0 && System.currentTimeMillis() < drain) {
                Thread.sleep(500);
            }
            long cpu2 = os.getProcessCpuTime();
            long size1 = databaseSize(history, dir);
            schedulers.forEach(sc -> sc.close(Duration.ofSeconds(30)));
            alerts.close();
            sampler.shutdownNow();

            long expected = 0;
            for (ScheduledProbe p : probes) {
                // the same start offset the scheduler gives each job, then one run per interval
                long offset = ProbeScheduler.startOffset(p.key().toString(), interval.toMillis());
                expected += offset < length.toMillis() ? 1 + (length.toMillis() - 1 - offset) / interval.toMillis() : 0;
            }
            long done = passed.get() + failed.get();
            Timer lateness = metrics.registry().get("hubprobe.schedule.lateness").timer();
            HistogramSnapshot snap = lateness.takeSnapshot();
            double p50 = percentile(snap, 0.5);
            double p99 = percentile(snap, 0.99);
            double onTime = Arrays.stream(snap.histogramCounts()).filter(b -> b.bucket(TimeUnit.SECONDS) == 1.0)
                    .mapToDouble(CountAtBucket::count).findFirst().orElse(Double.NaN) / Math.max(1, snap.count());

            // what a scrape costs to render, and what it costs as served (rendered ahead once rendering is slow)
            List<Long> renders = new ArrayList<>();
            int lines = 0;
            for (int i = 0; i < 22; i++) {
                long t0 = System.nanoTime();
                byte[] text = metrics.renderNow(ProbeMetrics.contentType(null));
                long took = System.nanoTime() - t0;
                lines = 0;
                for (byte b : text) {
                    lines += b == '\n' ? 1 : 0;
                }
                if (i >= 2) { // the first two warm the renderer's code up, as a running service's has been
                    renders.add(took);
                }
            }
            renders.sort(Long::compare);
            metrics.exposition(null);
            Thread.sleep(12_000); // one background refresh
            List<Long> scrapes = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                long t0 = System.nanoTime();
                metrics.exposition(null);
                scrapes.add(System.nanoTime() - t0);
                Thread.sleep(1000);
            }
            scrapes.sort(Long::compare);

            System.out.println();
            System.out.printf(Locale.ROOT, "runs done / expected:   %d / %d (%.2f%%), %d failed%n", done, expected, 100.0 * done / expected, failed.get());
            System.out.printf(Locale.ROOT, "schedule lateness:      p50 %.0f ms, p99 %.0f ms, on time (< 1 s): %.2f%% of %d%n",
                    p50 * 1000, p99 * 1000, 100 * onTime, snap.count());
            System.out.printf(Locale.ROOT, "peak heap used:         %d MB (max heap %d MB)%n", peakHeap.get() >> 20, Runtime.getRuntime().maxMemory() >> 20);
            System.out.printf(Locale.ROOT, "CPU per run:            %.2f ms (process CPU %.1f s over %d runs, fake hubs included)%n",
                    (cpu2 - cpu0) / 1e6 / Math.max(1, done), (cpu2 - cpu0) / 1e9, done);
            System.out.printf(Locale.ROOT, "skipped (misfires):     %.0f in the window%n", misfires);
            String jit = java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()
                    .contains("-XX:TieredStopAtLevel=1") ? "C1 only, as bin/hubprobe serve" : "C1 and C2";
            System.out.printf(Locale.ROOT, "/metrics render:        median %.0f ms, max %.0f ms (%d lines; JIT: %s)%n",
                    renders.get(renders.size() / 2) / 1e6, renders.get(renders.size() - 1) / 1e6, lines, jit);
            System.out.printf(Locale.ROOT, "/metrics scrape served: median %.2f ms, max %.2f ms (rendered ahead, at most 10 s old)%n",
                    scrapes.get(scrapes.size() / 2) / 1e6, scrapes.get(scrapes.size() - 1) / 1e6);
            System.out.printf(Locale.ROOT, "fake hub requests:      %d%n", fake.requests());
            System.out.printf(Locale.ROOT, "database growth:        %.1f MB over %d runs, %.0f MB per day at this rate (%.1f KB per run)%n",
                    (size1 - size0) / 1e6, done, (size1 - size0) / 1e6 * (86_400_000.0 / length.toMillis()),
                    (size1 - size0) / 1e3 / Math.max(1, done));
            reasons.forEach((why, n) -> System.out.printf(Locale.ROOT, "failed %dx: %s%n", n.get(), why));
        }
    }

    /** Bytes the history takes: PostgreSQL's own count, or the H2 file. */
    private static long databaseSize(HistoryStore history, Path dir) throws Exception {
        if (history.database().shared()) {
            try (java.sql.Connection c = history.dataSource().getConnection();
                 java.sql.ResultSet rs = c.createStatement().executeQuery("SELECT pg_database_size(current_database())")) {
                rs.next();
                return rs.getLong(1);
            }
        }
        Path file = dir.resolve("history.mv.db");
        return Files.exists(file) ? Files.size(file) : 0;
    }

    private static double percentile(HistogramSnapshot snap, double p) {
        for (ValueAtPercentile v : snap.percentileValues()) {
            if (v.percentile() == p) {
                return v.value(TimeUnit.SECONDS);
            }
        }
        return Double.NaN;
    }
}
