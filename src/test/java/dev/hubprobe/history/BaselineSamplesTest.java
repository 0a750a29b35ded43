package dev.hubprobe.history;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hubprobe.probe.ProbeKey;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The regression baseline reads its samples (V17), one index range of a pair, not the pair's runs: before,
 * a 30-day baseline read each of its 14,400 runs whole and each run's phases, and on a history of 1,000
 * hubs the garbage that left behind paused the service for up to 400 ms a second (-Pbench-status).
 */
class BaselineSamplesTest {
    @TempDir
    Path dir;

    private static final Instant T = Instant.parse("2026-11-01T00:00:00Z");

    @Test
    void aHistoryFromBeforeTheSamplesKeepsItsBaselineOnUpgrade() throws Exception {
        Path db = dir.resolve("old");
        String url = "jdbc:h2:file:" + db.toAbsolutePath() + ";DB_CLOSE_ON_EXIT=FALSE";
        // the release before: migrations up to V16, its runs and phases written as it wrote them
        Flyway.configure().dataSource(url, "hubprobe", "").locations("classpath:db/migration").target("16").load().migrate();
        try (Connection c = java.sql.DriverManager.getConnection(url, "hubprobe", ""); Statement st = c.createStatement()) {
            // 40 runs of hub-0 (every 13th failed), spawn taking 1..40 s; one phase of each failed run failed too
            st.execute("INSERT INTO runs (id, hub, probe, started_at, duration_seconds, passed, facts, notes)"
                    + " SELECT CONCAT('r-', X), 'hub-0', 'kernel-smoke', DATEADD(MINUTE, X, TIMESTAMP WITH TIME ZONE '2026-11-01 00:00:00Z'),"
                    + " X, MOD(X, 13) <> 0, '{}', '[]' FROM SYSTEM_RANGE(1, 40)");
            st.execute("INSERT INTO run_phases (run_id, idx, phase, status, duration_seconds, spawn_detail)"
                    + " SELECT CONCAT('r-', X), 0, 'spawn', 'passed', X, FALSE FROM SYSTEM_RANGE(1, 40)");
            st.execute("INSERT INTO run_phases (run_id, idx, phase, status, duration_seconds, spawn_detail)"
                    + " SELECT CONCAT('r-', X), 1, 'execute', CASE WHEN MOD(X, 13) = 0 THEN 'failed' ELSE 'passed' END, 0.5, FALSE"
                    + " FROM SYSTEM_RANGE(1, 40)");
            st.execute("SHUTDOWN");
        }
        try (HistoryStore h = HistoryStore.open(db)) {
            Map<String, HistoryStore.Median> m = h.phaseMedians(new ProbeKey("hub-0", "kernel-smoke"), T, T.plus(Duration.ofDays(1)));
            // the passing runs' spawns: 1..40 without 13, 26 and 39 (37 samples, the 19th is 20)
            assertEquals(37, m.get("spawn").samples());
            assertEquals(20.0, m.get("spawn").seconds(), 1e-9);
            assertEquals(37, m.get("execute").samples(), "failed runs' phases are not samples");
            HistoryStore.Recent newest = h.recentPassingWithPhase(new ProbeKey("hub-0", "kernel-smoke"), "spawn", T, 3);
            assertEquals(java.util.List.of(40.0, 38.0, 37.0), newest.phases().get("spawn"));
        }
    }

    @Test
    void theBaselineReadsOneRangeOfItsPairsSamplesAndNoRun() throws Exception {
        try (HistoryStore h = HistoryStore.open(dir.resolve("db")); Connection c = h.dataSource().getConnection()) {
            try (Statement st = c.createStatement()) {
                st.execute("INSERT INTO runs (id, hub, probe, started_at, duration_seconds, passed, facts, notes)"
                        + " SELECT CONCAT('r-', X), CONCAT('hub-', MOD(X, 4)), CONCAT('p', MOD(X / 4, 2)),"
                        + " DATEADD(SECOND, X * 22, TIMESTAMP WITH TIME ZONE '2026-11-01 00:00:00Z'), 1.0, TRUE, '{}', '[]' FROM SYSTEM_RANGE(1, 20000)");
                st.execute("INSERT INTO phase_samples (run_id, hub, probe, started_at, phase, duration_seconds)"
                        + " SELECT r.id, r.hub, r.probe, r.started_at, CASE WHEN MOD(p.X, 2) = 0 THEN 'spawn' ELSE 'execute' END, p.X"
                        + " FROM runs r CROSS JOIN SYSTEM_RANGE(1, 2) p");
                st.execute("ANALYZE");
            }
            Timestamp from = Timestamp.from(Instant.parse("2026-11-02T00:00:00Z"));
            Timestamp until = Timestamp.from(Instant.parse("2026-11-03T00:00:00Z"));
            String medians = HubQueriesPlanTest.plan(c, HistoryStore.MEDIANS, "hub-1", "p0", from, until);
            String range = indexed(medians);
            assertTrue(range.contains("HUB = ?1") && range.contains("PROBE = ?2") && range.contains("STARTED_AT >= ?3")
                    && range.contains("STARTED_AT < ?4"), "the medians: " + medians);
            assertFalse(medians.contains("RUNS"), "the medians read no run: " + medians);
            String newest = HubQueriesPlanTest.plan(c, HistoryStore.SAMPLES_WITH_PHASE, "hub-1", "p0", from, "spawn", 10);
            String newestRange = indexed(newest);
            assertTrue(newestRange.contains("HUB = ?1") && newestRange.contains("PROBE = ?2") && newestRange.contains("STARTED_AT >= ?3")
                    && newest.contains("index sorted"), "the newest samples of a phase: " + newest);
            String chart = HubQueriesPlanTest.plan(c, PageQueries.seriesPhases(Duration.ofHours(2), 1), "hub-1", from, "spawn");
            assertTrue(indexed(chart).contains("HUB = ?1") && indexed(chart).contains("STARTED_AT >= ?2"), "the month's chart: " + chart);
            assertFalse(chart.contains("RUN_PHASES"), "the month's chart reads no run's phases: " + chart);
        }
    }

    /** The conditions H2 reads phase_samples_by_pair on, from a plan: empty when it reads another index or none. */
    private static String indexed(String plan) {
        int at = plan.indexOf("PUBLIC.PHASE_SAMPLES_BY_PAIR:");
        return at < 0 ? "" : plan.substring(at, plan.indexOf("*/", at));
    }
}
