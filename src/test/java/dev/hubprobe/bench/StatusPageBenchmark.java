package dev.hubprobe.bench;

import dev.hubprobe.config.Secret;
import dev.hubprobe.history.HistoryStore;
import dev.hubprobe.jupyter.hub.HubClientSettings;
import dev.hubprobe.probe.ProbeClock;
import dev.hubprobe.probe.ProbeDefinition;
import dev.hubprobe.probe.ProbeRunner;
import dev.hubprobe.probe.ProbeTarget;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the status page costs with many hubs: a history of {@code bench.hubs} fake hubs (the scheduler
 * benchmark's), {@code bench.runs} runs each, made by the real runner; then the packaged service
 * ({@code target/hubprobe.jar}) serves it and {@code GET /} is timed as a browser would fetch it.
 * Run it with {@code ./mvnw -q -Pbench-status verify} (-Dbench.hubs=1000 -Dbench.runs=5).
 *
 * <p>Prints: the time of {@code GET /} (median, p95, max over 20) and of {@code /status/fragment},
 * and the size of the page's HTML.
 */
public final class StatusPageBenchmark {
    private static final Pattern PORT = Pattern.compile("on http://127\\.0\\.0\\.1:(\\d+)/");

    public static void main(String[] args) throws Exception {
        int hubs = Integer.getInteger("bench.hubs", 1000);
        int runs = Integer.getInteger("bench.runs", 5);
        Path dir = Files.createTempDirectory("hubprobe-status-bench");
        System.out.printf(Locale.ROOT, "hubprobe status page benchmark: %d hubs, %d runs each in the history%n", hubs, runs);
        try (FakeHubServer fake = new FakeHubServer(() -> Duration.ZERO)) {
            ProbeDefinition probe = new ProbeDefinition("echo", null, null, null, null, null, null,
                    List.of(new ProbeDefinition.Cell("42", new ProbeDefinition.Expect("42", null, false))));
            long t0 = System.nanoTime();
            try (HistoryStore history = HistoryStore.open(dir.resolve("data/h"))) {
                ProbeRunner runner = new ProbeRunner(ProbeClock.SYSTEM, HubClientSettings.defaults("hubprobe-bench"));
                ExecutorService pool = Executors.newFixedThreadPool(16);
                for (int i = 0; i < hubs; i++) {
                    ProbeTarget target = new ProbeTarget("hub-" + i, fake.hubUrl(i), "bot", new ProbeTarget.Token(Secret.of("bench-token")));
                    for (int k = 0; k < runs; k++) {
                        pool.execute(() -> history.accept(runner.run(target, probe)));
                    }
                }
                pool.shutdown();
                pool.awaitTermination(30, TimeUnit.MINUTES);
            }
            System.out.printf(Locale.ROOT, "history filled in %.0f s%n", (System.nanoTime() - t0) / 1e9);
            Path probes = Files.createDirectories(dir.resolve("probes"));
            Files.writeString(probes.resolve("echo.yml"), "cells: [{code: '42', expect: {output_contains: '42'}}]\n");
            StringBuilder cfg = new StringBuilder("probes_dir: probes\nhistory: {path: data/h}\ndefaults: {interval: 1h}\nhubs:\n");
            for (int i = 0; i < hubs; i++) {
                cfg.append("  - {name: hub-").append(i).append(", url: \"").append(fake.hubUrl(i))
                        .append("\", auth: {token: \"${env:BENCH_TOKEN}\"}, user: bot, probes: [{probe: echo}]}\n");
            }
            Files.writeString(dir.resolve("hubprobe.yml"), cfg);
            // through the shipped launcher, with the heap it advises for 1,000 hubs: the JVM options measured are the ones deployed
            ProcessBuilder pb = new ProcessBuilder(dev.hubprobe.testhub.Cli.launcher().toString(), "serve", "--config",
                    dir.resolve("hubprobe.yml").toString(), "--port", "0").redirectErrorStream(true);
            pb.environment().putAll(dev.hubprobe.testhub.Cli.launcherEnv(Map.of("BENCH_TOKEN", "bench-token", "HUBPROBE_HEAP", "512m")));
            Process service = pb.start();
            try {
                int port = port(service);
                HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
                URI page = URI.create("http://127.0.0.1:" + port + "/");
                URI fragment = URI.create("http://127.0.0.1:" + port + "/status/fragment");
                for (int i = 0; i < 5; i++) {
                    get(http, page);
                }
                List<Long> times = new ArrayList<>();
                int bytes = 0;
                for (int i = 0; i < 20; i++) {
                    long s = System.nanoTime();
                    bytes = get(http, page);
                    times.add(System.nanoTime() - s);
                }
                List<Long> fragments = new ArrayList<>();
                for (int i = 0; i < 10; i++) {
                    long s = System.nanoTime();
                    get(http, fragment);
                    fragments.add(System.nanoTime() - s);
                }
                times.sort(Long::compare);
                fragments.sort(Long::compare);
                System.out.printf(Locale.ROOT, "GET /:                median %.0f ms, p95 %.0f ms, max %.0f ms%n", times.get(10) / 1e6,
                        times.get(18) / 1e6, times.get(19) / 1e6);
                System.out.printf(Locale.ROOT, "GET /status/fragment: median %.0f ms, max %.0f ms%n", fragments.get(5) / 1e6,
                        fragments.get(9) / 1e6);
                System.out.printf(Locale.ROOT, "page size:            %d bytes (%.0f per hub)%n", bytes, bytes / (double) hubs);
            } finally {
                service.destroy();
                service.waitFor(60, TimeUnit.SECONDS);
            }
        }
    }

    private static int get(HttpClient http, URI uri) throws Exception {
        HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(uri).header("Accept", uri.getPath().equals("/") ? "text/html" : "*/*").timeout(Duration.ofSeconds(60)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200) {
            throw new IllegalStateException(uri + " answered " + r.statusCode());
        }
        return r.body().length;
    }

    private static int port(Process p) throws Exception {
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            String line = out.readLine();
            if (line == null) {
                throw new IllegalStateException("the service exited before serving");
            }
            Matcher m = PORT.matcher(line);
            if (m.find()) {
                Thread drain = new Thread(() -> {
                    try {
                        while (out.readLine() != null) {
                            // keep the pipe from filling
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
        throw new IllegalStateException("no port in 120 s");
    }
}
