package dev.hubprobe.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.flywaydb.core.Flyway;

/**
 * What the public status page costs on a big history, and what its viewers cost the runs: a history of
 * {@code bench.hubs} hubs probed every {@code bench.interval} seconds for {@code bench.days} days (1,000 x
 * 30 x 3 min: 14.4 million runs), written as the release before the rollup left it, so the packaged
 * service ({@code target/hubprobe.jar}) first migrates it (the rollup is filled from the runs). Then,
 * while the service probes all those hubs (fake ones, {@link FakeHubServer}) at that interval:
 * <ul>
 *   <li>{@code GET /} and {@code GET /status/fragment} timed one at a time (median, p95, max);</li>
 *   <li>{@code bench.clients} anonymous clients fetching both as fast as they are answered for
 *   {@code bench.load.seconds}, timed; meanwhile {@code /health} is read every second, and every run's
 *   history write is timed by the service itself (hubprobe_history_write_duration_seconds).</li>
 * </ul>
 * Targets (the exit status says whether they were met): p95 of both under 300 ms, and no history write
 * during the load slower than 1 s. Run with {@code ./mvnw -q -Pbench-status verify}; a smaller history
 * with e.g. {@code -Dbench.hubs=200 -Dbench.days=7}; {@code -Dbench.dir=DIR} keeps the generated history
 * in DIR (and reuses it, migrated already, on the next run; {@code -Dbench.fill.only=true} only writes it).
 */
public final class StatusPageBenchmark {
    private static final Pattern PORT = Pattern.compile("on http://127\\.0\\.0\\.1:(\\d+)/");
    private static final Pattern WRITES = Pattern.compile("^hubprobe_history_write_duration_seconds_(count|bucket\\{le=\"1\\.0\"\\})\\s+(\\S+)",
            Pattern.MULTILINE);

    public static void main(String[] args) throws Exception {
        int hubs = Integer.getInteger("bench.hubs", 1000);
        int days = Integer.getInteger("bench.days", 30);
        int interval = Integer.getInteger("bench.interval", 180);
        int clients = Integer.getInteger("bench.clients", 50);
        int loadSeconds = Integer.getInteger("bench.load.seconds", 60);
        String keep = System.getProperty("bench.dir", "");
        Path dir = keep.isEmpty() ? Files.createTempDirectory("hubprobe-status-bench") : Files.createDirectories(Path.of(keep));
        System.out.printf(Locale.ROOT, "hubprobe status page benchmark: %d hubs x %d days at a %d s interval, %d clients for %d s%n",
                hubs, days, interval, clients, loadSeconds);
        Path db = dir.resolve("data/h");
        if (!Files.exists(dir.resolve("data/h.mv.db"))) {
            long t0 = System.nanoTime();
            long rows = fill(db, hubs, days, interval);
            System.out.printf(Locale.ROOT, "history written:      %,d runs in %.0f s (%,d MB on disk)%n", rows, (System.nanoTime() - t0) / 1e9,
                    Files.size(dir.resolve("data/h.mv.db")) >> 20);
        }
        if (Boolean.getBoolean("bench.fill.only")) {
            return; // -Dbench.fill.only=true with bench.dir: write the history now, measure later
        }
        boolean ok = true;
        try (FakeHubServer fake = new FakeHubServer(() -> Duration.ZERO)) {
            Path probes = Files.createDirectories(dir.resolve("probes"));
            Files.writeString(probes.resolve("echo.yml"), "cells: [{code: '42', expect: {output_contains: '42'}}]\n");
            // the public page, as anonymous visitors see it; every hub on it
            StringBuilder cfg = new StringBuilder("probes_dir: probes\nhistory: {path: data/h}\ndefaults: {interval: " + interval + "s}\n"
                    + "server: {read_token: \"${env:BENCH_READ}\"}\nstatus_page: {public: true}\nhubs:\n");
            for (int i = 0; i < hubs; i++) {
                cfg.append("  - {name: hub-").append(i).append(", url: \"").append(fake.hubUrl(i))
                        .append("\", auth: {token: \"${env:BENCH_TOKEN}\"}, user: bot, probes: [{probe: echo}]}\n");
            }
            Files.writeString(dir.resolve("hubprobe.yml"), cfg);
            // through the shipped launcher, with the heap it advises for 1,000 hubs: the JVM options measured are the ones deployed
            ProcessBuilder pb = new ProcessBuilder(dev.hubprobe.testhub.Cli.launcher().toString(), "serve", "--config",
                    dir.resolve("hubprobe.yml").toString(), "--port", "0").redirectErrorStream(true);
            Path log = dir.resolve("service.log");
            pb.environment().putAll(dev.hubprobe.testhub.Cli.launcherEnv(Map.of("BENCH_TOKEN", "bench-token", "BENCH_READ",
                    "bench-read-token", "HUBPROBE_HEAP", "512m")));
            long started = System.nanoTime();
            Process service = pb.start();
            try {
                int port = port(service, log);
                System.out.printf(Locale.ROOT, "service serving:      %.0f s after start (migrations included)%n", (System.nanoTime() - started) / 1e9);
                HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
                URI page = URI.create("http://127.0.0.1:" + port + "/");
                URI fragment = URI.create("http://127.0.0.1:" + port + "/status/fragment");
                URI health = URI.create("http://127.0.0.1:" + port + "/health");
                URI metrics = URI.create("http://127.0.0.1:" + port + "/metrics");
                // the first board after a start reads its edges from a cold history: waited for, and said apart
                long first = System.nanoTime();
                HttpResponse<Void> firstAnswer = http.send(HttpRequest.newBuilder(page).timeout(Duration.ofMinutes(10)).build(),
                        HttpResponse.BodyHandlers.discarding());
                STATUSES.computeIfAbsent(firstAnswer.statusCode(), k -> new AtomicInteger()).incrementAndGet();
                if (firstAnswer.statusCode() >= 500) {
                    FIRST_5XX.compareAndSet(null, Instant.now() + " the first GET / answered " + firstAnswer.statusCode());
                }
                System.out.printf(Locale.ROOT, "first GET / after start: %.1f s (%d)%n", (System.nanoTime() - first) / 1e9,
                        firstAnswer.statusCode());
                for (int i = 0; i < 5; i++) {
                    quietly(http, page, null);
                    quietly(http, fragment, null);
                }
                // the first interval after a start is not like the others: every pair's first run computes its
                // regression baseline over the whole window (a month of its runs), so it is timed and shown apart
                int bytes = onePerQuarterSecond(http, page, fragment, "during the first interval", false);
                long steady = started + TimeUnit.SECONDS.toNanos(interval + 30);
                if (System.nanoTime() < steady) {
                    Thread.sleep((steady - System.nanoTime()) / 1_000_000);
                }
                ok &= onePerQuarterSecond(http, page, fragment, "after it", true) >= 0;
                int plain = get(http, page, false);
                System.out.printf(Locale.ROOT, "page size:            %,d bytes (%.0f per hub), %,d gzipped as sent to browsers%n", plain,
                        plain / (double) hubs, bytes);

                // the crowd: anonymous clients as fast as they are answered, the runs' writes timed meanwhile
                long[] before = writes(http, metrics);
                List<Long> loaded = Collections.synchronizedList(new ArrayList<>());
                AtomicInteger errors = new AtomicInteger();
                AtomicInteger unhealthy = new AtomicInteger();
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(loadSeconds);
                ExecutorService crowd = Executors.newFixedThreadPool(clients + 1);
                List<Future<?>> done = new ArrayList<>();
                for (int c = 0; c < clients; c++) {
                    int client = c;
                    done.add(crowd.submit(() -> {
                        for (int n = client; System.nanoTime() < until; n++) {
                            long s = System.nanoTime();
                            try {
                                get(http, n % 2 == 0 ? page : fragment);
                                loaded.add(System.nanoTime() - s);
                            } catch (Exception e) {
                                errors.incrementAndGet();
                            }
                        }
                        return null;
                    }));
                }
                int healthChecks = 0;
                long slowestHealth = 0;
                while (System.nanoTime() < until) {
                    long s = System.nanoTime();
                    try {
                        HttpResponse<Void> h = http.send(HttpRequest.newBuilder(health).timeout(Duration.ofSeconds(10)).build(),
                                HttpResponse.BodyHandlers.discarding());
                        if (h.statusCode() != 200) {
                            unhealthy.incrementAndGet();
                        }
                    } catch (java.net.http.HttpTimeoutException e) {
                        unhealthy.incrementAndGet();
                    }
                    healthChecks++;
                    slowestHealth = Math.max(slowestHealth, System.nanoTime() - s);
                    Thread.sleep(1000);
                }
                for (Future<?> f : done) {
                    f.get();
                }
                crowd.shutdown();
                Thread.sleep(11_000); // /metrics is rendered ahead every 10 s
                long[] after = writes(http, metrics);
                long written = after[0] - before[0];
                long slow = written - (after[1] - before[1]);
                ok &= report("GET / and /status/fragment, " + clients + " clients", loaded);
                System.out.printf(Locale.ROOT, "under load:           %,d answers in %d s, %d errors, /health not 200 (or not within 10 s)"
                        + " in %d of %d checks, slowest %.0f ms%n", loaded.size(), loadSeconds, errors.get(), unhealthy.get(), healthChecks,
                        slowestHealth / 1e6);
                System.out.printf(Locale.ROOT, "history writes:       %,d during the load, %d of them slower than 1 s%s%n", written, slow,
                        slow == 0 && written > 0 ? "" : "  <-- target: none (and some)");
                ok &= slow == 0 && written > 0 && errors.get() == 0 && unhealthy.get() == 0;

                // what a page links to, one hub at a time: badges, day strips, charts (each read its hub's runs or days).
                // Shown, not a target (the targets are the page and its fragment): a month's chart read cold
                // is the slowest, and each is kept a minute for every viewer; a 5xx still fails the run (below)
                Map<String, List<Long>> perHub = new java.util.LinkedHashMap<>();
                for (int i = 0; i < 60; i++) {
                    String hub = "hub-" + (i * 37 % hubs);
                    String kind = switch (i % 4) {
                        case 0 -> "badges";
                        case 1 -> "day strips";
                        case 2 -> "charts, 24 h";
                        default -> "charts, 30 days";
                    };
                    String path = switch (i % 4) {
                        case 0 -> "/badges/" + hub + ".svg";
                        case 1 -> "/status/days/" + hub + ".svg";
                        case 2 -> "/status/series/" + hub + "?range=24h";
                        default -> "/status/series/" + hub + "?range=30d";
                    };
                    quietly(http, URI.create("http://127.0.0.1:" + port + path), perHub.computeIfAbsent(kind, k -> new ArrayList<>()));
                }
                for (Map.Entry<String, List<Long>> e : perHub.entrySet()) {
                    ok &= show(e.getKey() + ", each hub cold (shown)", e.getValue());
                }
                if (UNANSWERED.get() > 0) {
                    System.out.printf(Locale.ROOT, "unanswered:           %d requests got no answer or an error answer  <-- target: none%n", UNANSWERED.get());
                    ok = false;
                }
            } finally {
                service.destroy();
                service.waitFor(60, TimeUnit.SECONDS);
            }
        }
        ok &= statuses(dir.resolve("service.log"));
        System.out.println(ok ? "targets met" : "TARGETS MISSED");
        System.exit(ok ? 0 : 1);
    }

    /**
     * The history as the release before the rollup wrote it (migrations up to V5), straight into the
     * tables: runs every {@code interval} seconds per hub, a failure now and then, one hub failing today.
     */
    private static long fill(Path path, int hubs, int days, int interval) throws Exception {
        // the service's own URL, but old pages reused at once (RETENTION_TIME=0) and a large cache: written as
        // the service would, the file of 14 million rows written in one go grows to tens of GB before it is compacted
        String url = "jdbc:h2:file:" + path.toAbsolutePath() + ";RETENTION_TIME=0;CACHE_SIZE=1048576;DB_CLOSE_ON_EXIT=FALSE";
        Flyway.configure().dataSource(url, "hubprobe", "").locations("classpath:db/migration").target("5").load().migrate();
        Instant now = Instant.now();
        Instant from = now.minus(Duration.ofDays(days));
        long steps = Duration.between(from, now).toSeconds() / interval;
        long failFrom = steps - Duration.ofHours(2).toSeconds() / interval;
        long rows = 0;
        // generated inside the database (H2's SYSTEM_RANGE), 200 intervals of every hub per statement: a
        // row at a time through JDBC takes the better part of an hour for 14 million rows on a busy machine.
        // The two indexes on the runs are dropped while the rows go in and built after (as V1 made them): each
        // row kept three B-trees and their undo log busy, and the whole fill ran over an hour on a loaded machine
        try (Connection c = java.sql.DriverManager.getConnection(url, "hubprobe", "")) {
            try (var st = c.createStatement()) {
                st.execute("DROP INDEX runs_hub_probe_started");
                st.execute("DROP INDEX runs_started");
            }
            rows = insertRuns(c, hubs, interval, from, steps, failFrom);
            insertPhases(c, now);
            long t0 = System.nanoTime();
            try (var st = c.createStatement()) {
                st.execute("CREATE INDEX runs_hub_probe_started ON runs (hub, probe, started_at DESC)");
                st.execute("CREATE INDEX runs_started ON runs (started_at)");
            }
            System.out.printf(Locale.ROOT, "  indexes built in %.0f s%n", (System.nanoTime() - t0) / 1e9);
            try (var st = c.createStatement()) {
                st.execute("SHUTDOWN");
            }
        }
        return rows;
    }

    private static long insertRuns(Connection c, int hubs, int interval, Instant from, long steps, long failFrom) throws Exception {
        long rows = 0;
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO runs (id, hub, probe, probe_user, started_at, duration_seconds, passed, failed_phase, reason, message, facts, notes)"
                        + " SELECT CONCAT(LPAD(CAST(st AS VARCHAR), 8, '0'), '-0000-4000-8000-', LPAD(CAST(hb AS VARCHAR), 12, '0')),"
                        + " CONCAT('hub-', hb), 'echo', 'bot', DATEADD(SECOND, st * ? + hb * ? / ?, CAST(? AS TIMESTAMP WITH TIME ZONE)),"
                        + " 4.0 + MOD(st, 7) / 10.0, NOT f, CASE WHEN f THEN 'spawn' END, CASE WHEN f THEN 'spawn_timeout' END,"
                        + " CASE WHEN f THEN 'the server did not start within 300 s' END, '{}', '[]'"
                        // a failure now and then on every hub, and hub-7 failing for the last two hours
                        + " FROM (SELECT s.X AS st, h.X AS hb, (MOD(s.X + h.X, 97) = 0 OR (h.X = 7 AND s.X >= ?)) AS f"
                        + " FROM SYSTEM_RANGE(?, ?) s CROSS JOIN SYSTEM_RANGE(0, ?) h) t")) {
            long t0 = System.nanoTime();
            int block = 200;
            for (long step = 0; step < steps; step += block) {
                ps.setLong(1, interval);
                ps.setLong(2, interval);
                ps.setLong(3, hubs);
                ps.setObject(4, java.time.OffsetDateTime.ofInstant(from, java.time.ZoneOffset.UTC));
                ps.setLong(5, failFrom);
                ps.setLong(6, step);
                ps.setLong(7, Math.min(steps, step + block) - 1);
                ps.setLong(8, hubs - 1);
                rows += ps.executeUpdate();
                if ((step / block) % Math.max(1, steps / block / 20) == 0) {
                    System.out.printf(Locale.ROOT, "  %,d runs written, %.0f s%n", rows, (System.nanoTime() - t0) / 1e9);
                }
            }
        }
        return rows;
    }

    /** The phases a passing echo run against the fake hub has, in its order. */
    private static final String[] PHASES = {"hub_api", "login", "spawn", "kernel_start", "kernel_connect", "execute", "kernel_shutdown",
        "stop"};

    /**
     * The phases of the passing runs of the newest day (3.8 million rows at 1,000 hubs): what the alert
     * decisions' baseline reads (the newest runs' phases, each phase's median over the window) find in a real
     * history. Without them every run of the service looked for its phases through all of its pair's
     * runs, an artefact of the benchmark and not a history any release wrote. Older runs carry none: a
     * whole month of them (115 million rows) would take longer to write than everything else here.
     */
    static void insertPhases(Connection c, Instant now) throws Exception {
        long t0 = System.nanoTime();
        StringBuilder names = new StringBuilder("CASE p.X");
        for (int i = 0; i < PHASES.length; i++) {
            names.append(" WHEN ").append(i).append(" THEN '").append(PHASES[i]).append('\'');
        }
        names.append(" END");
        long rows = 0;
        Instant dayAgo = now.minus(Duration.ofDays(1));
        // an hour of runs a statement, so no statement's undo log grows past what the heap holds
        for (Instant at = dayAgo; at.isBefore(now); at = at.plus(Duration.ofHours(1))) {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO run_phases (run_id, idx, phase, status, duration_seconds,"
                    + " spawn_detail) SELECT r.id, p.X, " + names + ", 'passed', 0.05 + MOD(p.X * 7 + LENGTH(r.id), 10) / 100.0, FALSE"
                    + " FROM runs r CROSS JOIN SYSTEM_RANGE(0, " + (PHASES.length - 1) + ") p WHERE r.passed AND r.started_at >= ?"
                    + " AND r.started_at < ? AND NOT EXISTS (SELECT 1 FROM run_phases x WHERE x.run_id = r.id)")) {
                ps.setObject(1, java.time.OffsetDateTime.ofInstant(at, java.time.ZoneOffset.UTC));
                ps.setObject(2, java.time.OffsetDateTime.ofInstant(at.plus(Duration.ofHours(1)), java.time.ZoneOffset.UTC));
                rows += ps.executeUpdate();
            }
        }
        System.out.printf(Locale.ROOT, "  %,d phases of the newest day's passing runs written in %.0f s%n", rows, (System.nanoTime() - t0) / 1e9);
    }

    /** Every status the service answered the benchmark's requests with, and the first 5xx. */
    private static final Map<Integer, AtomicInteger> STATUSES = new java.util.concurrent.ConcurrentSkipListMap<>();
    private static final java.util.concurrent.atomic.AtomicReference<String> FIRST_5XX = new java.util.concurrent.atomic.AtomicReference<>();
    /** Answers of / and the fragment looked into (every 25th), and those that said the status was unknown. */
    private static final AtomicInteger CHECKED = new AtomicInteger();
    private static final AtomicInteger UNKNOWN = new AtomicInteger();

    /**
     * Prints the statuses answered; any 5xx fails the benchmark loudly, with the first one and the service's
     * WARN/ERROR lines (a 503 is the page's own "busy", a 500 a fault: either means a viewer got no page).
     */
    private static boolean statuses(Path log) throws java.io.IOException {
        System.out.println("answers by status:    " + STATUSES);
        System.out.printf(Locale.ROOT, "status unknown:       %d of %d pages looked into%n", UNKNOWN.get(), (CHECKED.get() + 24) / 25);
        if (FIRST_5XX.get() == null && UNKNOWN.get() == 0) {
            return true;
        }
        System.out.println(FIRST_5XX.get() != null ? "FAILED: the service answered 5xx; the first: " + FIRST_5XX.get()
                : "FAILED: pages said the status is unknown (a board read failed)");
        System.out.println("the service's warnings and errors (" + log + "):");
        try (var lines = Files.lines(log)) {
            lines.filter(l -> l.contains("WARN") || l.contains("ERROR") || l.contains("Exception") || l.startsWith("\tat ") || l.startsWith("Caused"))
                    .limit(80).forEach(l -> System.out.println("  " + l));
        }
        return false;
    }

    /** Prints median, p95 and max; true when the p95 is under 300 ms. */
    /**
     * 40 of {@code /} and of the fragment, one at a time, four a second (spread over the board's refreshes, as
     * viewers are): their figures, targets when {@code target}; the largest page's size, or -1 when a target
     * was missed.
     */
    private static int onePerQuarterSecond(HttpClient http, URI page, URI fragment, String when, boolean target) throws Exception {
        List<Long> pages = new ArrayList<>();
        List<Long> fragments = new ArrayList<>();
        int bytes = 0;
        for (int i = 0; i < 40; i++) {
            bytes = Math.max(bytes, quietly(http, page, pages));
            quietly(http, fragment, fragments);
            Thread.sleep(250);
        }
        System.out.println("one client, " + when + (target ? "" : " (shown, not a target)") + ":");
        boolean ok = report("  GET /", pages) & report("  GET /status/fragment", fragments);
        return target && !ok ? -1 : bytes;
    }

    /** Prints a figure that has no latency target; false only when nothing was answered. */
    private static boolean show(String what, List<Long> nanos) {
        return print(what, nanos, false);
    }

    /** Prints a figure held to a p95 under 300 ms; false when it is not (or nothing was answered). */
    private static boolean report(String what, List<Long> nanos) {
        return print(what, nanos, true);
    }

    private static boolean print(String what, List<Long> nanos, boolean target) {
        List<Long> sorted = new ArrayList<>(nanos);
        if (sorted.isEmpty()) {
            System.out.printf(Locale.ROOT, "%-40s no answer  <-- target: answers%n", what + ":");
            return false;
        }
        sorted.sort(Long::compare);
        long p95 = sorted.get((int) Math.ceil(sorted.size() * 0.95) - 1);
        boolean ok = !target || p95 < TimeUnit.MILLISECONDS.toNanos(300);
        System.out.printf(Locale.ROOT, "%-40s median %4.0f ms, p95 %4.0f ms, max %5.0f ms (%,d requests)%s%n", what + ":",
                sorted.get(sorted.size() / 2) / 1e6, p95 / 1e6, sorted.get(sorted.size() - 1) / 1e6, sorted.size(),
                ok ? "" : "  <-- target: p95 under 300 ms");
        return ok;
    }

    /** The service's count of history writes, and of those that took at most 1 s. */
    private static long[] writes(HttpClient http, URI metrics) throws Exception {
        String text = http.send(HttpRequest.newBuilder(metrics).header("Authorization", "Bearer bench-read-token")
                .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString()).body();
        long[] out = new long[2];
        Matcher m = WRITES.matcher(text);
        while (m.find()) {
            out[m.group(1).equals("count") ? 0 : 1] = (long) Double.parseDouble(m.group(2));
        }
        return out;
    }

    /** One timed request (added to {@code times} when it was a 200); a failure is counted, printed once, and not thrown. */
    private static int quietly(HttpClient http, URI uri, List<Long> times) {
        long s = System.nanoTime();
        try {
            int n = get(http, uri);
            if (times != null) {
                times.add(System.nanoTime() - s);
            }
            return n;
        } catch (Exception e) {
            System.out.println("  " + uri.getPath() + ": " + e.getMessage());
            UNANSWERED.incrementAndGet();
            return 0;
        }
    }

    /** Requests of {@link #quietly} that got no answer or a refusal: any fails the run. */
    private static final AtomicInteger UNANSWERED = new AtomicInteger();

    /** As a browser asks: for HTML on the page, and taking gzip; the bytes as sent. */
    private static int get(HttpClient http, URI uri) throws Exception {
        return get(http, uri, true);
    }

    private static int get(HttpClient http, URI uri, boolean gzip) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).header("Accept", uri.getPath().equals("/") ? "text/html" : "*/*")
                .timeout(Duration.ofSeconds(60));
        if (gzip) {
            b.header("Accept-Encoding", "gzip, deflate, br");
        }
        HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        STATUSES.computeIfAbsent(r.statusCode(), k -> new AtomicInteger()).incrementAndGet();
        if (r.statusCode() == 200 && (uri.getPath().equals("/") || uri.getPath().equals("/status/fragment"))
                && CHECKED.getAndIncrement() % 25 == 0) {
            // a 200 that says "Status unknown: the history could not be read" is a failed board read, not a page
            byte[] body = r.body();
            if (r.headers().firstValue("Content-Encoding").orElse("").equals("gzip")) {
                try (var in = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(body))) {
                    body = in.readAllBytes();
                }
            }
            String text = new String(body, StandardCharsets.UTF_8);
            if (text.contains("Status unknown: the history could not be read") || text.contains("\"version\":\"unknown\"")) {
                UNKNOWN.incrementAndGet();
            }
        }
        if (r.statusCode() != 200) {
            if (r.statusCode() >= 500) {
                FIRST_5XX.compareAndSet(null, Instant.now() + " " + uri.getPath() + " answered " + r.statusCode() + ": "
                        + new String(r.body(), 0, Math.min(r.body().length, 300), StandardCharsets.UTF_8));
            }
            throw new IllegalStateException(uri + " answered " + r.statusCode());
        }
        return r.body().length;
    }

    private static int port(Process p, Path log) throws Exception {
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        java.io.Writer copy = Files.newBufferedWriter(log, StandardCharsets.UTF_8);
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(60); // migrating a big history takes a while
        while (System.nanoTime() < deadline) {
            String line = out.readLine();
            if (line == null) {
                copy.close();
                throw new IllegalStateException("the service exited before serving (its output: " + log + ")");
            }
            copy.write(line + "\n");
            copy.flush();
            Matcher m = PORT.matcher(line);
            if (m.find()) {
                Thread drain = new Thread(() -> {
                    // kept whole (the pipe never fills): what a 5xx was is in the service's log
                    try (copy) {
                        for (String l; (l = out.readLine()) != null; ) {
                            copy.write(l + "\n");
                            copy.flush();
                        }
                    } catch (java.io.IOException ignored) {
                        // the service ended
                    }
                }, "service-output");
                drain.setDaemon(true);
                drain.start();
                return Integer.parseInt(m.group(1));
            }
        }
        throw new IllegalStateException("not serving within 60 minutes");
    }
}
