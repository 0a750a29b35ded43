package dev.hubprobe.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hubprobe.testhub.RealHub;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What the UI journey costs beside the API-only probe, on the real test hub (not a timed test:
 * {@code ./mvnw -q -Pbench-ui verify}). Each kind of run goes {@code bench.runs} times after one warm-up;
 * printed per run: wall, each phase, the client's CPU (the JVM and every process under it: chromedriver,
 * Chromium's processes, sampled from /proc every 100 ms, so a process's last tick before it ends may be
 * missed) and the peak of their RSS summed (shared pages count once per process).
 */
public final class UiJourneyBenchmark {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final double TICK = 100.0; // USER_HZ on Linux

    private UiJourneyBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int runs = Integer.getInteger("bench.runs", 3);
        RealHub hub = RealHub.shared();
        for (boolean ui : new boolean[] {false, true}) {
            for (int i = 0; i <= runs; i++) {
                Sample s = run(hub, ui);
                if (i > 0) {
                    System.out.println(s);
                }
            }
        }
        hub.stop();
    }

    record Sample(boolean ui, double wall, double cpu, long peakRssKb, Map<String, Double> phases) {
        @Override
        public String toString() {
            StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%-10s wall %5.1f s  cpu %4.1f s  peak rss %5d MB ", ui ? "ui lab" : "api only",
                    wall, cpu, peakRssKb / 1024));
            phases.forEach((k, v) -> b.append(String.format(Locale.ROOT, " %s=%.2f", k, v)));
            return b.toString();
        }
    }

    private static Sample run(RealHub hub, boolean ui) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                System.getProperty("hubprobe.jar", "target/hubprobe.jar"), "check", "--hub-url", hub.url(), "--token-env", "HUB_TOKEN",
                "--user", RealHub.user("bench"), "--format", "json"));
        if (ui) {
            cmd.addAll(List.of("--ui", "lab"));
        }
        Path out = Files.createTempFile("hubprobe-bench-ui", ".json");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("HUB_TOKEN", hub.serviceToken());
        long t0 = System.nanoTime();
        Process p = pb.start();
        Map<Long, Long> ticks = new HashMap<>();
        long peak = 0;
        while (p.isAlive()) {
            long rss = 0;
            List<ProcessHandle> tree = new ArrayList<>(p.descendants().toList());
            tree.add(p.toHandle());
            for (ProcessHandle h : tree) {
                try {
                    String[] stat = Files.readString(Path.of("/proc", Long.toString(h.pid()), "stat")).replaceFirst("^.*\\) ", "").split(" ");
                    ticks.put(h.pid(), Long.parseLong(stat[11]) + Long.parseLong(stat[12]));
                    rss += Long.parseLong(stat[21]) * 4; // pages of 4 KiB
                } catch (IOException | RuntimeException gone) {
                    // ended between the listing and the read
                }
            }
            peak = Math.max(peak, rss);
            Thread.sleep(100);
        }
        double wall = (System.nanoTime() - t0) / 1e9;
        JsonNode json = JSON.readTree(Files.readString(out));
        Files.delete(out);
        if (!"passed".equals(json.path("status").asText())) {
            throw new IllegalStateException("the benchmark's run failed: " + json.path("reason").asText() + ": " + json.path("message").asText());
        }
        Map<String, Double> phases = new java.util.LinkedHashMap<>();
        json.path("phases").forEach(ph -> phases.put(ph.path("name").asText(), ph.path("duration_seconds").asDouble()));
        double cpu = ticks.values().stream().mapToLong(Long::longValue).sum() / TICK;
        return new Sample(ui, wall, cpu, peak, phases);
    }
}
