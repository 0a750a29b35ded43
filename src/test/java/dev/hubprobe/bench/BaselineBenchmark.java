package dev.hubprobe.bench;

import dev.hubprobe.history.HistoryStore;
import dev.hubprobe.probe.ProbeKey;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One pair's 30-day regression baseline, as a run's alert decision reads it, on a history where every
 * run has all its phases (the status page benchmark's history has phases for its newest day only): the
 * baseline's own samples (V17) beside the query it replaced (the pair's runs joined to their phases),
 * on the same rows. Prints wall time, CPU and bytes allocated per baseline. {@code bench.baseline.pairs}
 * pairs (default 5) of {@code bench.days} days at {@code bench.interval} seconds, 8 phases a run.
 */
public final class BaselineBenchmark {
    private static final String OLD = "SELECT p.phase, PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY p.duration_seconds), COUNT(*)"
            + " FROM runs r JOIN run_phases p ON p.run_id = r.id"
            + " WHERE r.hub = ? AND r.probe = ? AND r.passed AND r.started_at >= ? AND r.started_at < ? AND p.status = 'passed'"
            + " GROUP BY p.phase";
    private static final String[] PHASES = {"hub_api", "login", "spawn", "kernel_start", "kernel_connect", "execute", "kernel_shutdown",
        "stop"};

    public static void main(String[] args) throws Exception {
        int pairs = Integer.getInteger("bench.baseline.pairs", 5);
        int days = Integer.getInteger("bench.days", 30);
        int interval = Integer.getInteger("bench.interval", 180);
        Path dir = Files.createTempDirectory("hubprobe-baseline-bench");
        Instant now = Instant.now();
        Instant from = now.minus(Duration.ofDays(days));
        long steps = Duration.ofDays(days).toSeconds() / interval;
        System.out.printf(Locale.ROOT, "hubprobe baseline benchmark: %d pairs x %d days at a %d s interval (%,d runs, %,d phases each)%n",
                pairs, days, interval, steps, steps * PHASES.length);
        try (HistoryStore h = HistoryStore.open(dir.resolve("h"))) {
            long t0 = System.nanoTime();
            fill(h, pairs, from, steps, interval);
            // the samples of those runs, added as the history adds them for runs written without them
            if (h.fillMissingSamples(Instant.EPOCH) == 0) {
                throw new IllegalStateException("no baseline samples were added from the runs written");
            }
            System.out.printf(Locale.ROOT, "history written in %.0f s%n", (System.nanoTime() - t0) / 1e9);
            for (String which : List.of("samples (V17)", "runs joined to phases (before)", "samples (V17)", "runs joined to phases (before)")) {
                List<double[]> each = new ArrayList<>();
                for (int p = 0; p < pairs; p++) {
                    ProbeKey key = new ProbeKey("hub-" + p, "echo");
                    each.add(which.startsWith("samples") ? measure(() -> h.phaseMedians(key, from, now))
                            : measure(() -> old(h, key, from, now)));
                }
                each.sort(java.util.Comparator.comparingDouble(a -> a[0]));
                double[] med = each.get(each.size() / 2);
                System.out.printf(Locale.ROOT, "  %-32s median of %d pairs: %5.0f ms wall, %5.0f ms CPU, %6.1f MB allocated%n", which, pairs,
                        med[0], med[1], med[2]);
            }
        }
    }

    private static double[] measure(Runnable baseline) {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long id = Thread.currentThread().getId();
        long a0 = mx.getThreadAllocatedBytes(id);
        long c0 = mx.getCurrentThreadCpuTime();
        long t0 = System.nanoTime();
        baseline.run();
        return new double[] {(System.nanoTime() - t0) / 1e6, (mx.getCurrentThreadCpuTime() - c0) / 1e6, (mx.getThreadAllocatedBytes(id) - a0) / 1e6};
    }

    private static void old(HistoryStore h, ProbeKey key, Instant from, Instant until) {
        try (Connection c = h.dataSource().getConnection(); PreparedStatement ps = c.prepareStatement(OLD)) {
            ps.setString(1, key.hub());
            ps.setString(2, key.probe());
            ps.setTimestamp(3, Timestamp.from(from));
            ps.setTimestamp(4, Timestamp.from(until));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    rs.getDouble(2);
                }
            }
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The pairs' runs interleaved in time as a service writes them, each with its phases, a day a statement. */
    private static void fill(HistoryStore h, int pairs, Instant from, long steps, int interval) throws Exception {
        StringBuilder names = new StringBuilder("CASE p.X");
        for (int i = 0; i < PHASES.length; i++) {
            names.append(" WHEN ").append(i).append(" THEN '").append(PHASES[i]).append('\'');
        }
        names.append(" END");
        long perDay = Duration.ofDays(1).toSeconds() / interval;
        try (Connection c = h.dataSource().getConnection(); Statement st = c.createStatement()) {
            for (long day = 0; day * perDay < steps; day++) {
                long a = day * perDay;
                long b = Math.min(steps, a + perDay) - 1;
                String range = "SYSTEM_RANGE(" + a + ", " + b + ") s CROSS JOIN SYSTEM_RANGE(0, " + (pairs - 1) + ") hb";
                st.execute("INSERT INTO runs (id, hub, probe, probe_user, started_at, duration_seconds, passed, message, facts, notes)"
                        + " SELECT CONCAT(LPAD(CAST(s.X AS VARCHAR), 8, '0'), '-0000-4000-8000-', LPAD(CAST(hb.X AS VARCHAR), 12, '0')),"
                        + " CONCAT('hub-', hb.X), 'echo', 'bot', DATEADD(SECOND, s.X * " + interval + ", TIMESTAMP WITH TIME ZONE '"
                        + from + "'), 4.2, MOD(s.X, 97) <> 0, CASE WHEN MOD(s.X, 97) = 0 THEN 'the server did not start' END,"
                        + " '{\"hub_version\":\"5.3.0\",\"image\":\"quay.io/jupyter/base-notebook:2025-11-10\"}', '[]' FROM " + range);
                st.execute("INSERT INTO run_phases (run_id, idx, phase, status, duration_seconds, spawn_detail)"
                        + " SELECT r.id, p.X, " + names + ", 'passed', 0.05 + MOD(p.X * 7 + r.started_at_s, 10) / 100.0, FALSE"
                        + " FROM (SELECT id, EXTRACT(EPOCH FROM started_at) AS started_at_s FROM runs WHERE passed AND started_at >= "
                        + "DATEADD(SECOND, " + a * interval + ", TIMESTAMP WITH TIME ZONE '" + from + "') AND started_at <= DATEADD(SECOND, "
                        + b * interval + ", TIMESTAMP WITH TIME ZONE '" + from + "')) r CROSS JOIN SYSTEM_RANGE(0, " + (PHASES.length - 1) + ") p");
            }
        }
    }
}
