package dev.hubprobe.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hubprobe.testhub.Cli;
import dev.hubprobe.testhub.RealHub;
import dev.hubprobe.testhub.Service;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What hubprobe costs, measured against the real test hub (not fakes: a real progress stream, real
 * kernels), through the shipped launcher {@code bin/hubprobe} and its JVM options:
 * <ol>
 *   <li>the service probing {@code bench.hubs} hubs (each its own user of the test hub) every
 *       {@code bench.interval}: after {@code bench.warmup}, CPU per run over {@code bench.minutes} from
 *       the process's own accounting, RSS now and at its peak, series per (hub, probe) on /metrics,
 *       and each run's spawn time beside the hub's own "took N seconds to start" log line. /metrics is
 *       scraped every {@code bench.scrape} from the start (30 s, the chart's ServiceMonitor interval), as
 *       a deployed service's Prometheus does, and its cost counts; {@code 0s} scrapes only for the
 *       readings, so the first, cold scrape falls inside minute 1 to 3 (the earlier rounds' figures);</li>
 *   <li>a one-shot {@code check}: CPU, peak RSS and wall time beyond the hub's own phases (getrusage of
 *       the child, through python3);</li>
 *   <li>{@code load} with {@code bench.load.users} users: CPU per run.</li>
 * </ol>
 * {@code ./mvnw -q -Pbench-footprint verify}. {@code HUBPROBE_JAR} picks another build to compare;
 * {@code -Dbench.stages=service,check,load} (the default) picks which parts run. The load average
 * is printed with each part: on shared cores, CPU time is much less disturbed than wall time.
 */
public final class FootprintBenchmark {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern TOOK = Pattern.compile("^\\[I (\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3}) JupyterHub [^\\]]*\\] User (\\S+) took ([0-9.]+) seconds to start");
    private static final Pattern SPAWN_REQUEST = Pattern.compile("^\\[I (\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3}) JupyterHub [^\\]]*\\] 201 POST /hub/api/users/([^/\\s]+)/server \\([^)]*\\) ([0-9.]+)ms");
    private static final Pattern PROGRESS = Pattern.compile("^\\s*(\\d+)s\\s+\\d+ running\\s+(\\d+) runs");
    private static final DateTimeFormatter LOG_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS");

    private FootprintBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int hubs = Integer.getInteger("bench.hubs", 6);
        Duration interval = duration("bench.interval", "20s");
        Duration warmup = Duration.ofSeconds(Long.getLong("bench.warmup", 120));
        Duration window = Duration.ofMinutes(Long.getLong("bench.minutes", 5));
        Duration scrape = duration("bench.scrape", "30s");
        int loadUsers = Integer.getInteger("bench.load.users", 50);
        List<String> stages = List.of(System.getProperty("bench.stages", "service,check,load").split(","));
        RealHub hub = RealHub.shared();
        Path dir = Files.createTempDirectory("hubprobe-footprint");
        System.out.printf(Locale.ROOT, "jar: %s%nJAVA_OPTS: %s%n", Cli.jar(), System.getenv().getOrDefault("JAVA_OPTS", "(bin/hubprobe's defaults)"));
        // the launcher runs the JDK this benchmark runs on (Cli.launcherEnv): run it on JDK 25 to measure the AOT cache
        System.out.printf(Locale.ROOT, "java: %s (%s); the launcher's archive: %s%n", System.getProperty("java.version"),
                System.getProperty("java.home"), Runtime.version().feature() >= 25 ? "AOT cache"
                        : "static CDS archive (the first check's classes and bin/hubprobe.classlist)");
        try {
            if (stages.contains("service")) {
                service(hub, dir, hubs, interval, warmup, window, scrape);
            }
            if (stages.contains("check")) {
                check(hub, dir);
            }
            if (loadUsers > 0 && stages.contains("load")) {
                load(hub, loadUsers);
            }
        } finally {
            hub.stop();
        }
    }

    private static void service(RealHub hub, Path dir, int hubs, Duration interval, Duration warmup, Duration window,
                                Duration scrape) throws Exception {
        Map<String, String> userOf = new LinkedHashMap<>();
        StringBuilder entries = new StringBuilder();
        for (int i = 1; i <= hubs; i++) {
            String user = RealHub.user("ok");
            userOf.put("h" + i, user);
            entries.append("  - {name: h").append(i).append(", url: ").append(hub.url()).append(", auth: {token: \"${env:HUB_TOKEN}\"}, user: ")
                    .append(user).append(", probes: [{probe: kernel-smoke}]}\n");
        }
        Path cfg = dir.resolve("hubprobe.yml");
        Files.writeString(cfg, "probes_dir: " + RealHub.basedir().resolve("probes") + "\nhistory: {path: " + dir.resolve("history")
                + "}\ndefaults: {interval: " + interval.toSeconds() + "s}\nhubs:\n" + entries);
        System.out.printf(Locale.ROOT, "%n== service: %d hubs every %d s, %d s warm-up, %d min measured, %s ==%n", hubs,
                interval.toSeconds(), warmup.toSeconds(), window.toMinutes(),
                scrape.isZero() ? "/metrics read only for the figures" : "/metrics scraped every " + scrape.toSeconds() + " s");
        System.out.printf(Locale.ROOT, "load average:             %s%n", loadAverage());
        ScheduledExecutorService prometheus = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "bench-scrape");
            t.setDaemon(true);
            return t;
        });
        try (Service s = Service.startWithLauncher(cfg, Map.of("HUB_TOKEN", hub.serviceToken()), dir.resolve("service.log"))) {
            if (!scrape.isZero()) {
                prometheus.scheduleAtFixedRate(() -> {
                    try {
                        s.get("/metrics");
                    } catch (Exception e) {
                        System.out.println("scrape failed: " + e);
                    }
                }, 0, scrape.toMillis(), TimeUnit.MILLISECONDS);
            }
            // minute 1 to 3 of the process: a service just (re)started, before C1 has compiled what a run
            // needs; the issue's target is that window too, not only the steady state
            long started = ProcessHandle.of(s.pid()).flatMap(h -> h.info().startInstant()).map(Instant::toEpochMilli)
                    .orElse(System.currentTimeMillis());
            sleepUntil(started + 60_000);
            double early0 = cpuSeconds(s.pid());
            double earlyRuns0 = runs(s.get("/metrics").body());
            sleepUntil(started + 180_000);
            double early1 = cpuSeconds(s.pid());
            double earlyRuns = runs(s.get("/metrics").body()) - earlyRuns0;
            System.out.printf(Locale.ROOT, "CPU per run, min 1 to 3:  %.1f ms (%.0f runs, %.2f s of process CPU; load average %s)%n",
                    (early1 - early0) * 1000 / Math.max(1, earlyRuns), earlyRuns, early1 - early0, loadAverage());
            sleepUntil(started + Math.max(180_000, warmup.toMillis()));
            long hubLog = hub.logSize();
            Instant from = Instant.now();
            double cpu0 = cpuSeconds(s.pid());
            double runs0 = runs(s.get("/metrics").body());
            long peakRss = 0;
            long end = System.nanoTime() + window.toNanos();
            while (System.nanoTime() < end) {
                Thread.sleep(2000);
                peakRss = Math.max(peakRss, status(s.pid(), "VmRSS"));
            }
            double cpu1 = cpuSeconds(s.pid());
            String metrics = s.get("/metrics").body();
            double runs1 = runs(metrics);
            double runs = runs1 - runs0;
            System.out.printf(Locale.ROOT, "runs in the window:       %.0f%n", runs);
            System.out.printf(Locale.ROOT, "CPU per run, warmed up:   %.1f ms (%.2f s of process CPU; load average %s)%n",
                    (cpu1 - cpu0) * 1000 / Math.max(1, runs), cpu1 - cpu0, loadAverage());
            System.out.printf(Locale.ROOT, "RSS:                      %d MB now, %d MB peak in the window, %d MB peak since start%n",
                    status(s.pid(), "VmRSS") >> 10, peakRss >> 10, status(s.pid(), "VmHWM") >> 10);
            System.out.printf(Locale.ROOT, "heap used:                %.0f MB%n", sum(metrics, "jvm_memory_used_bytes", "area=\"heap\"") / 1e6);
            Map<String, Integer> series = new TreeMap<>();
            for (String line : metrics.split("\n")) {
                if (!line.startsWith("#") && line.contains("probe=\"kernel-smoke\"")) {
                    Matcher m = Pattern.compile("hub=\"(h\\d+)\"").matcher(line);
                    if (m.find()) {
                        series.merge(m.group(1), 1, Integer::sum);
                    }
                }
            }
            int maxSeries = series.values().stream().mapToInt(Integer::intValue).max().orElse(0);
            System.out.printf(Locale.ROOT, "series per (hub, probe):  %d (max over pairs), %d lines in all%n", maxSeries,
                    metrics.split("\n").length);
            spawnVersusHub(s, hub, hubLog, from, userOf);
            stop(prometheus); // before the service stops: a scrape of a stopped service is no failure to print
        } finally {
            prometheus.shutdownNow();
        }
    }

    /**
     * Each run's spawn phase beside the hub's own account of it, matched by user and time: its log line
     * "User X took N seconds to start" (timed from the spawn's start to the server answering, before the
     * hub adds the proxy route), and its access log line for the spawn request, "201 POST
     * /hub/api/users/X/server ... N ms" (from the request's arrival to its answer, the route included:
     * the ready event hubprobe waits for follows it). Spawns on the test hub finish within the request.
     */
    private static void spawnVersusHub(Service s, RealHub hub, long hubLog, Instant from, Map<String, String> userOf) throws Exception {
        String log = hub.logSince(hubLog);
        Map<String, List<double[]>> took = hubTimes(log, TOOK, 1);
        Map<String, List<double[]>> request = hubTimes(log, SPAWN_REQUEST, 1000);
        List<Double> vsTook = new ArrayList<>();
        List<Double> vsRequest = new ArrayList<>();
        for (JsonNode r : s.json("/api/v1/runs?limit=1000")) {
            Instant started = Instant.parse(r.path("started_at").asText());
            if (started.isBefore(from) || !r.path("status").asText().equals("passed")) {
                continue;
            }
            double spawn = -1;
            double before = 0;
            for (JsonNode p : r.path("phases")) {
                if (p.path("name").asText().equals("spawn")) {
                    spawn = p.path("duration_seconds").asDouble();
                    break;
                }
                before += p.path("duration_seconds").asDouble();
            }
            if (spawn < 0) {
                continue;
            }
            double spawnEnd = started.toEpochMilli() / 1000.0 + before + spawn;
            String user = userOf.get(r.path("hub").asText());
            double measured = spawn;
            nearest(took.get(user), spawnEnd).ifPresent(t -> vsTook.add((measured - t) * 1000));
            nearest(request.get(user), spawnEnd).ifPresent(t -> vsRequest.add((measured - t) * 1000));
        }
        printDifference("spawn vs hub's \"took\":", vsTook, "the hub's \"User X took N seconds to start\" (before its proxy route)");
        printDifference("spawn vs spawn request:", vsRequest, "the hub's own time for the spawn request (201 POST .../server, route added)");
    }

    /** user -> [log time in epoch seconds, duration in seconds] for each line the pattern (time, user, duration) matches. */
    private static Map<String, List<double[]>> hubTimes(String log, Pattern pattern, double perSecond) {
        Map<String, List<double[]>> times = new HashMap<>();
        for (String line : log.split("\n")) {
            Matcher m = pattern.matcher(line);
            if (m.find()) {
                double at = LocalDateTime.parse(m.group(1), LOG_TIME).toInstant(ZoneOffset.UTC).toEpochMilli() / 1000.0;
                times.computeIfAbsent(m.group(2), k -> new ArrayList<>()).add(new double[] {at, Double.parseDouble(m.group(3)) / perSecond});
            }
        }
        return times;
    }

    /** The duration of the line logged nearest the spawn's end, within 5 s. */
    private static OptionalDouble nearest(List<double[]> lines, double end) {
        double[] best = null;
        for (double[] t : lines == null ? List.<double[]>of() : lines) {
            if (Math.abs(t[0] - end) < 5 && (best == null || Math.abs(t[0] - end) < Math.abs(best[0] - end))) {
                best = t;
            }
        }
        return best == null ? OptionalDouble.empty() : OptionalDouble.of(best[1]);
    }

    private static void printDifference(String label, List<Double> diffs, String what) {
        if (diffs.isEmpty()) {
            System.out.printf(Locale.ROOT, "%-26sno run matched a hub log line%n", label);
            return;
        }
        Collections.sort(diffs);
        List<Double> abs = diffs.stream().map(Math::abs).sorted().toList();
        System.out.printf(Locale.ROOT, "%-26s%d runs; hubprobe's spawn minus %s: median %.0f ms, min %.0f, max %.0f;"
                + " median |difference| %.0f ms%n", label, diffs.size(), what, diffs.get(diffs.size() / 2), diffs.get(0),
                diffs.get(diffs.size() - 1), abs.get(abs.size() / 2));
    }

    private static void check(RealHub hub, Path dir) throws Exception {
        Path jhubctl = RealHub.install(RealHub.basedir(), "jhub-client.lock").resolve("bin/jhubctl");
        // the same cell as the built-in kernel-smoke probe's; --validate compares its output with this one's
        Path notebook = dir.resolve("six-times-seven.ipynb");
        Files.writeString(notebook, """
                {"cells": [{"cell_type": "code", "execution_count": 1, "metadata": {}, "source": ["print(6*7)"],
                  "outputs": [{"name": "stdout", "output_type": "stream", "text": ["42\\n"]}]}],
                 "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
                 "nbformat": 4, "nbformat_minor": 5}
                """);
        System.out.printf(Locale.ROOT, "%n== one-shot check beside jhub-client (5 runs each, interleaved; load average %s) ==%n", loadAverage());
        List<Double> cpu = new ArrayList<>();
        List<Double> wall = new ArrayList<>();
        List<Double> beyond = new ArrayList<>();
        List<Long> rss = new ArrayList<>();
        List<Double> peerCpu = new ArrayList<>();
        List<Double> peerWall = new ArrayList<>();
        List<Long> peerRss = new ArrayList<>();
        // the launcher writes its class-data archive on the first check of a build: measured apart
        Rusage first = rusage(Map.of("HUB_TOKEN", hub.serviceToken()), "check", "--hub-url", hub.url(), "--token-env", "HUB_TOKEN",
                "--user", RealHub.user("ok"), "--format", "json");
        System.out.printf(Locale.ROOT, "  first check (writes the archive): CPU %.2f s, peak RSS %d MB%n", first.cpu, first.maxRssKb >> 10);
        for (int i = 0; i < 5; i++) {
            // jhub-client: a user of its own, made and deleted (--temporary-user), its server stopped after
            Rusage peer = run(List.of(jhubctl.toString(), "run", "--hub", hub.url(), "--notebook", notebook.toString(), "--username",
                    RealHub.user("ok"), "--temporary-user", "--stop-server", "--validate"), Map.of("JUPYTERHUB_API_TOKEN", hub.serviceToken()),
                    (line, pid) -> { });
            if (peer.exit != 0) {
                throw new IllegalStateException("jhub-client failed (exit " + peer.exit + "): " + String.join("\n", peer.stderr));
            }
            peerCpu.add(peer.cpu);
            peerWall.add(peer.wall);
            peerRss.add(peer.maxRssKb);
            Rusage r = rusage(Map.of("HUB_TOKEN", hub.serviceToken()), "check", "--hub-url", hub.url(), "--token-env", "HUB_TOKEN",
                    "--user", RealHub.user("ok"), "--format", "json");
            JsonNode json = JSON.readTree(r.stdout);
            if (!json.path("status").asText().equals("passed")) {
                throw new IllegalStateException("check failed: " + r.stdout);
            }
            // the hub's own time: its phases, and the environment capture (one more execute on the kernel)
            double phases = json.path("facts").path("environment_capture_seconds").asDouble(0);
            for (JsonNode p : json.path("phases")) {
                phases += p.path("duration_seconds").asDouble();
            }
            cpu.add(r.cpu);
            wall.add(r.wall);
            beyond.add(r.wall - phases);
            rss.add(r.maxRssKb);
            System.out.printf(Locale.ROOT, "  jhub-client %d: CPU %.2f s, wall %.2f s, peak RSS %d MB | check %d: CPU %.2f s, wall %.2f s, "
                    + "peak RSS %d MB, hub's phases and capture %.2f s%n", i + 1, peer.cpu, peer.wall, peer.maxRssKb >> 10, i + 1, r.cpu,
                    r.wall, r.maxRssKb >> 10, phases);
        }
        System.out.printf(Locale.ROOT, "%-26s%-34s%-34s%s%n", "median (min-max)", "hubprobe check", "jhub-client jhubctl run", "ratio");
        row("client CPU (user+sys), s", cpu, peerCpu);
        row("peak RSS, MB", rss.stream().map(k -> (k >> 10) * 1.0).toList(), peerRss.stream().map(k -> (k >> 10) * 1.0).toList());
        row("wall, s", wall, peerWall);
        Collections.sort(beyond);
        System.out.printf(Locale.ROOT, "check wall beyond phases: median %.2f s (min %.2f, max %.2f); load average %s%n", beyond.get(2),
                beyond.get(0), beyond.get(4), loadAverage());
    }

    /** One line of the side-by-side table: each one's median and range, and check's median over the peer's. */
    private static void row(String label, List<Double> ours, List<Double> peer) {
        List<Double> a = new ArrayList<>(ours);
        List<Double> b = new ArrayList<>(peer);
        Collections.sort(a);
        Collections.sort(b);
        double ma = a.get(a.size() / 2);
        double mb = b.get(b.size() / 2);
        System.out.printf(Locale.ROOT, "%-26s%-34s%-34s%.2f%n", label, String.format(Locale.ROOT, "%.2f (%.2f-%.2f)", ma, a.get(0),
                a.get(a.size() - 1)), String.format(Locale.ROOT, "%.2f (%.2f-%.2f)", mb, b.get(0), b.get(b.size() - 1)), ma / mb);
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static void sleepUntil(long epochMillis) throws InterruptedException {
        long left = epochMillis - System.currentTimeMillis();
        if (left > 0) {
            Thread.sleep(left);
        }
    }

    /**
     * 50 users, at most 10 runs at once, for 5 minutes. Its CPU per run is given twice: over the whole
     * process (JVM start, users created and deleted, the first minute's compiling), and in its steady
     * state, as the service's is, from its progress lines (runs done) and its own CPU accounting,
     * from the first line after 90 s to the last.
     */
    private static void load(RealHub hub, int users) throws Exception {
        System.out.printf(Locale.ROOT, "%n== load: %d users, at most 10 runs at once, 5 minutes ==%n", users);
        double[] first = null;
        double[] last = null;
        List<double[]> marks = new ArrayList<>(); // [elapsed s, runs done, process CPU s]
        Rusage r = rusage(Map.of("HUB_TOKEN", hub.serviceToken()), (line, pid) -> {
            Matcher m = PROGRESS.matcher(line);
            if (m.find()) {
                marks.add(new double[] {Double.parseDouble(m.group(1)), Double.parseDouble(m.group(2)), cpuSeconds(pid)});
            }
        }, "load", "--hub-url", hub.url(), "--token-env", "HUB_TOKEN", "--users", Integer.toString(users), "--concurrency", "10",
                "--ramp", "30s", "--duration", "5m", "--user-prefix", "ok-bench-" + RealHub.user("x").substring(2) + "-",
                "--format", "json", "--max-error-rate", "1");
        for (double[] mark : marks) {
            if (first == null && mark[0] >= 90) {
                first = mark;
            }
            last = mark;
        }
        JsonNode json = JSON.readTree(r.stdout);
        int runs = json.path("runs").asInt();
        System.out.printf(Locale.ROOT, "load runs:                %d (%d failed), spawn p50 %.1f s%n", runs, json.path("failed").asInt(),
                json.path("phases").path("spawn").path("p50").asDouble());
        System.out.printf(Locale.ROOT, "load CPU per run:         %.1f ms over the whole process (%.1f s: JVM start, %d users made and"
                + " deleted included), peak RSS %d MB%n", r.cpu * 1000 / Math.max(1, runs), r.cpu, users, r.maxRssKb >> 10);
        if (first != null && last != null && last[1] > first[1]) {
            System.out.printf(Locale.ROOT, "load CPU per run, steady: %.1f ms (%.0f runs from %.0f s to %.0f s)%n",
                    (last[2] - first[2]) * 1000 / (last[1] - first[1]), last[1] - first[1], first[0], last[0]);
        }
    }

    private record Rusage(double cpu, double wall, long maxRssKb, String stdout, int exit, List<String> stderr) {
    }

    /** Runs bin/hubprobe under python3, which reports the child's CPU and peak RSS from getrusage. */
    private static Rusage rusage(Map<String, String> env, String... args) throws IOException, InterruptedException {
        return rusage(env, (line, pid) -> { }, args);
    }

    /** As above, handing each line the command writes to stderr, as it comes, with the process id of its JVM. */
    private static Rusage rusage(Map<String, String> env, java.util.function.ObjLongConsumer<String> stderr, String... args)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Cli.launcher().toString()));
        cmd.addAll(List.of(args));
        return run(cmd, Cli.launcherEnv(env), stderr);
    }

    /** Runs a command under python3, which reports the child's CPU (user + sys, all its descendants) and peak RSS from getrusage. */
    private static Rusage run(List<String> command, Map<String, String> env, java.util.function.ObjLongConsumer<String> stderr)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("python3", "-c", """
                import resource, subprocess, sys, time
                t = time.monotonic()
                p = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE)
                wall = time.monotonic() - t
                r = resource.getrusage(resource.RUSAGE_CHILDREN)
                sys.stderr.write("%f %f %d\\n" % (r.ru_utime + r.ru_stime, wall, r.ru_maxrss))
                sys.stdout.write(p.stdout.decode())
                sys.exit(p.returncode)
                """));
        cmd.addAll(command);
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().putAll(env);
        Process p = pb.start();
        List<String> err = new ArrayList<>();
        Thread reader = new Thread(() -> {
            try (var lines = new java.io.BufferedReader(new java.io.InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8))) {
                for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                    err.add(line);
                    // bin/hubprobe execs java: the wrapper's one child is the JVM
                    long jvm = p.children().findFirst().map(ProcessHandle::pid).orElse(-1L);
                    stderr.accept(line, jvm);
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        reader.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int exit = p.waitFor();
        reader.join();
        String[] last = err.get(err.size() - 1).strip().split(" ");
        return new Rusage(Double.parseDouble(last[0]), Double.parseDouble(last[1]), Long.parseLong(last[2]), out, exit, err);
    }

    /** A system property written as 20s or 1m30s (0s allowed: Durations refuses zero, and bench.scrape=0s means no scraping). */
    private static Duration duration(String property, String otherwise) {
        return Duration.parse("PT" + System.getProperty(property, otherwise).toUpperCase(Locale.ROOT));
    }

    private static void stop(ScheduledExecutorService scraper) throws InterruptedException {
        scraper.shutdown();
        scraper.awaitTermination(30, TimeUnit.SECONDS);
    }

    private static double cpuSeconds(long pid) {
        return ProcessHandle.of(pid).flatMap(h -> h.info().totalCpuDuration()).map(d -> d.toNanos() / 1e9).orElse(0.0);
    }

    /** A field of /proc/PID/status in kB. */
    private static long status(long pid, String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return 0;
    }

    private static double runs(String metrics) {
        return sum(metrics, "hubprobe_runs_total", "");
    }

    private static double sum(String metrics, String name, String having) {
        double total = 0;
        for (String line : metrics.split("\n")) {
            if (line.startsWith(name + "{") && line.contains(having)) {
                total += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return total;
    }
}
