package dev.hubprobe.history;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.hubprobe.probe.ProbeKey;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An upgrade of a big H2 history killed in the middle of V17 (455 s on the 14.4-million-run history) or V18
 * (a pod restarted by an operator who took it for hung, an OOM kill, a node drained): H2 commits each DDL
 * statement as it goes, so what the migration had created or dropped before the kill stays while Flyway has
 * no row for the migration. The next start runs the migration again from its first statement, and it must
 * get through (before, "Table PHASE_SAMPLES already exists" / "Index RUNS_HUB_STARTED not found": the
 * service never started again without someone editing the database by hand).
 */
class InterruptedMigrationTest {
    @TempDir
    Path dir;

    private static final Instant T = Instant.parse("2026-11-01T00:00:00Z");

    /** A V16 history with 3 passing runs (spawn 1, 2, 3 s) of hub-0; then {@code done}, as far as a killed migration got. */
    private Path history(String name, int target, String... done) throws Exception {
        Path db = dir.resolve(name);
        String url = "jdbc:h2:file:" + db.toAbsolutePath() + ";DB_CLOSE_ON_EXIT=FALSE";
        Flyway.configure().dataSource(url, "hubprobe", "").locations("classpath:db/migration").target(String.valueOf(target)).load().migrate();
        try (Connection c = java.sql.DriverManager.getConnection(url, "hubprobe", ""); Statement st = c.createStatement()) {
            if (target == 16) {
                st.execute("INSERT INTO runs (id, hub, probe, started_at, duration_seconds, passed, facts, notes)"
                        + " SELECT CONCAT('r-', X), 'hub-0', 'kernel-smoke', DATEADD(MINUTE, X, TIMESTAMP WITH TIME ZONE '2026-11-01 00:00:00Z'),"
                        + " X, TRUE, '{}', '[]' FROM SYSTEM_RANGE(1, 3)");
                st.execute("INSERT INTO run_phases (run_id, idx, phase, status, duration_seconds, spawn_detail)"
                        + " SELECT CONCAT('r-', X), 0, 'spawn', 'passed', X, FALSE FROM SYSTEM_RANGE(1, 3)");
            }
            for (String sql : done) {
                st.execute(sql);
            }
            st.execute("SHUTDOWN");
        }
        return db;
    }

    private static void assertBaseline(Path db) {
        try (HistoryStore h = HistoryStore.open(db)) {
            HistoryStore.Median spawn = h.phaseMedians(new ProbeKey("hub-0", "kernel-smoke"), T, T.plus(Duration.ofDays(1))).get("spawn");
            assertEquals(3, spawn.samples(), "each run's sample once, none lost, none twice");
            assertEquals(2.0, spawn.seconds(), 1e-9);
        }
    }

    @Test
    void anUpgradeKilledInV17StartsAgain() throws Exception {
        // killed in the backfill: the table was created (committed), the INSERT rolled back
        assertBaseline(history("v17-table", 16, "CREATE TABLE phase_samples (run_id VARCHAR(36) NOT NULL, hub VARCHAR(63) NOT NULL,"
                + " probe VARCHAR(63) NOT NULL, started_at TIMESTAMP(6) WITH TIME ZONE NOT NULL, phase VARCHAR(32) NOT NULL,"
                + " duration_seconds DOUBLE PRECISION NOT NULL)"));
    }

    @Test
    void anUpgradeKilledInV17AfterItsBackfillStartsAgainWithoutCountingTwice() throws Exception {
        // killed building an index: the backfill was committed already
        assertBaseline(history("v17-filled", 16, "CREATE TABLE phase_samples (run_id VARCHAR(36) NOT NULL, hub VARCHAR(63) NOT NULL,"
                        + " probe VARCHAR(63) NOT NULL, started_at TIMESTAMP(6) WITH TIME ZONE NOT NULL, phase VARCHAR(32) NOT NULL,"
                        + " duration_seconds DOUBLE PRECISION NOT NULL)",
                "INSERT INTO phase_samples (run_id, hub, probe, started_at, phase, duration_seconds) SELECT r.id, r.hub, r.probe,"
                        + " r.started_at, p.phase, p.duration_seconds FROM runs r JOIN run_phases p ON p.run_id = r.id"
                        + " WHERE r.passed AND p.status = 'passed'",
                "CREATE INDEX phase_samples_by_pair ON phase_samples (hub, probe, started_at DESC, phase, duration_seconds)"));
    }

    @Test
    void anUpgradeKilledInV18StartsAgain() throws Exception {
        // killed rebuilding the index: the old one was dropped (committed), the new one not yet made
        Path db = history("v18", 16);
        Flyway.configure().dataSource("jdbc:h2:file:" + db.toAbsolutePath(), "hubprobe", "").locations("classpath:db/migration")
                .target("17").load().migrate();
        try (Connection c = java.sql.DriverManager.getConnection("jdbc:h2:file:" + db.toAbsolutePath(), "hubprobe", "");
             Statement st = c.createStatement()) {
            st.execute("DROP INDEX runs_hub_started");
            st.execute("SHUTDOWN");
        }
        assertBaseline(db);
        try (HistoryStore h = HistoryStore.open(db); Connection c = h.dataSource().getConnection();
             java.sql.ResultSet rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM INFORMATION_SCHEMA.INDEX_COLUMNS"
                     + " WHERE INDEX_NAME = 'RUNS_HUB_STARTED'")) {
            rs.next();
            assertEquals(5, rs.getInt(1), "the chart's index is there again, with passed and duration");
        }
    }
    /**
     * V17 failed with an error (the disk filling up in the backfill of a big history): on H2 Flyway records the
     * failed migration, and every later start refused with "Detected failed migration to version 17 ... run
     * repair", a command hubprobe does not have. V17 can run again, so a start forgets its failed row and does.
     */
    @Test
    void anUpgradeWhoseV17FailedStartsAgain() throws Exception {
        Path db = history("v17-failed", 16);
        Path failing = dir.resolve("failing");
        java.nio.file.Files.createDirectories(failing);
        java.nio.file.Files.writeString(failing.resolve("V17__phase_samples.sql"), "CREATE TABLE phase_samples (run_id VARCHAR(36) NOT NULL,"
                + " hub VARCHAR(63) NOT NULL, probe VARCHAR(63) NOT NULL, started_at TIMESTAMP(6) WITH TIME ZONE NOT NULL,"
                + " phase VARCHAR(32) NOT NULL, duration_seconds DOUBLE PRECISION NOT NULL);\n"
                + "INSERT INTO phase_samples SELECT * FROM no_room_left;\n");
        String url = "jdbc:h2:file:" + db.toAbsolutePath();
        org.junit.jupiter.api.Assertions.assertThrows(org.flywaydb.core.api.FlywayException.class, () -> Flyway.configure()
                .dataSource(url, "hubprobe", "").locations("filesystem:" + failing).ignoreMigrationPatterns("*:missing").load().migrate());
        assertEquals(1, java.util.Arrays.stream(Flyway.configure().dataSource(url, "hubprobe", "").locations("classpath:db/migration").load()
                .info().all()).filter(m -> m.getState().isFailed() && "17".equals(m.getVersion().getVersion())).count(),
                "Flyway recorded V17 as failed");
        assertBaseline(db);
    }
}
