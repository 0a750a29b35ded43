package dev.hubprobe.history;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The queries of one hub (its runs page, a run's previous and next, its chart) read a range of the
 * runs_hub_started index in order, as H2 plans them on a history with several hubs and probes: before V13
 * each sorted every run the hub had (14,000 at 3 minutes over 30 days, rows and transcripts read whole) for
 * each page of 50, and the chart of the last 24 hours read the hub's 30 days.
 */
class HubQueriesPlanTest {
    @TempDir
    Path dir;

    @Test
    void aHubsPagesReadItsRunsInIndexOrderNotASortOfAllOfThem() throws Exception {
        try (HistoryStore h = HistoryStore.open(dir.resolve("db")); Connection c = h.dataSource().getConnection()) {
            try (Statement st = c.createStatement()) {
                // 4 hubs x 2 probes, a run every 3 minutes for 10 days
                st.execute("INSERT INTO runs (id, hub, probe, started_at, duration_seconds, passed, facts, notes)"
                        + " SELECT CONCAT('00000000-0000-4000-8000-', LPAD(CAST(X AS VARCHAR), 12, '0')), CONCAT('hub-', MOD(X, 4)),"
                        + " CONCAT('p', MOD(X / 4, 2)), DATEADD(SECOND, X * 22, TIMESTAMP WITH TIME ZONE '2026-11-01 00:00:00Z'), 1.0,"
                        + " MOD(X, 13) <> 0, '{}', '[]' FROM SYSTEM_RANGE(1, 40000)");
                st.execute("ANALYZE");
            }
            Timestamp at = Timestamp.from(Instant.parse("2026-11-05T00:00:00Z"));
            // the hub page, first page and a deep one, all runs and only failures
            for (Boolean passed : java.util.Arrays.asList(null, Boolean.FALSE)) {
                String plan = plan(c, HistoryStore.runsQuery(true, false, false, passed), "hub-1", 51, 5000);
                assertTrue(plan.contains("RUNS_HUB_STARTED") && plan.contains("/* index sorted */"), "the hub page: " + plan);
            }
            String before = plan(c, PageQueries.BEFORE, "hub-1", at, at, "x");
            assertTrue(before.contains("RUNS_HUB_STARTED: HUB = ?1") && before.contains("STARTED_AT <= ?2")
                    && before.contains("index sorted"), "the previous run: " + before);
            String after = plan(c, PageQueries.AFTER, "hub-1", at, at, "x");
            assertTrue(after.contains("RUNS_HUB_STARTED: HUB = ?1") && after.contains("STARTED_AT >= ?2")
                    && after.contains("index sorted"), "the next run: " + after);
            String chart = plan(c, PageQueries.series(300), "hub-1", at);
            String range = chart.substring(Math.max(0, chart.indexOf("RUNS_HUB_STARTED:")));
            assertTrue(chart.contains("RUNS_HUB_STARTED:") && range.contains("HUB = ?1") && range.contains("STARTED_AT >= ?2")
                    && range.indexOf("*/") > range.indexOf("STARTED_AT >= ?2"), "the chart reads the hub's range of the index: " + chart);
        }
    }

    static String plan(Connection c, String sql, Object... args) throws Exception {
        try (PreparedStatement ps = c.prepareStatement("EXPLAIN " + sql)) {
            List<Object> a = List.of(args);
            for (int i = 0; i < a.size(); i++) {
                ps.setObject(i + 1, a.get(i));
            }
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getString(1).replace('\n', ' ').replaceAll("\\s+", " ");
            }
        }
    }
}
