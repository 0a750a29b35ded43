package dev.hubprobe.history;

import dev.hubprobe.config.Secret;
import dev.hubprobe.testhub.Postgres;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Every history test again, on a real PostgreSQL (a fresh database per test). */
class HistoryStorePostgresIT extends HistoryStoreTest {
    private String url;

    @BeforeEach
    void newDatabase() throws Exception {
        url = Postgres.shared().newDatabase();
    }

    @Override
    protected Database database() {
        return Database.postgres(url, Postgres.USER, Secret.of(Postgres.PASSWORD));
    }

    @Test
    void aWrongPasswordOrAnUnreachableDatabaseIsAClearErrorAtStartThatNeverShowsThePassword() throws Exception {
        IllegalArgumentException wrong = assertThrows(IllegalArgumentException.class,
                () -> Database.postgres(url, Postgres.USER, Secret.of("not-the-password")));
        assertTrue(wrong.getMessage().startsWith("cannot connect to " + url + " as " + Postgres.USER + ": "), wrong.getMessage());
        assertTrue(wrong.getMessage().contains("password authentication failed"), wrong.getMessage());
        assertFalse(wrong.getMessage().contains("not-the-password"));
        String nowhere = "jdbc:postgresql://127.0.0.1:" + dev.hubprobe.testhub.RealHub.freePort() + "/hubprobe";
        IllegalArgumentException away = assertThrows(IllegalArgumentException.class,
                () -> Database.postgres(nowhere, Postgres.USER, Secret.of(Postgres.PASSWORD)));
        assertTrue(away.getMessage().contains(nowhere) && away.getMessage().contains("refused"), away.getMessage());
    }
    /**
     * A replica started in a rolling upgrade (or after it) gives the runs that older replicas wrote today and
     * yesterday, without samples, their samples: their phases are in the baseline and the month's chart.
     */
    @Test
    void aReplicaThatStartsFillsTheSamplesOfRunsOlderReplicasWrote() {
        java.time.Instant t = java.time.Instant.now().minus(java.time.Duration.ofHours(2));
        dev.hubprobe.probe.ProbeKey key = new dev.hubprobe.probe.ProbeKey("a", "p");
        try (HistoryStore older = HistoryStore.open(database())) {
            for (int i = 0; i < 3; i++) {
                writtenByAnOlderReplica(older, new dev.hubprobe.probe.RunResult(java.util.UUID.randomUUID().toString(), "a", "p", "bot",
                        t.plusSeconds(60L * i), java.time.Duration.ofSeconds(5), java.util.List.of(new dev.hubprobe.probe.PhaseResult(
                        dev.hubprobe.probe.Phase.SPAWN, dev.hubprobe.probe.PhaseResult.Status.PASSED, java.time.Duration.ofSeconds(i + 1), null, null)),
                        java.util.List.of(), null, null, null, null, java.util.Map.of(), java.util.List.of()));
            }
            assertTrue(older.phaseMedians(key, t, t.plusSeconds(3600)).isEmpty());
            try (HistoryStore started = HistoryStore.open(database())) {
                HistoryStore.Median spawn = started.phaseMedians(key, t, t.plusSeconds(3600)).get("spawn");
                assertTrue(spawn != null && spawn.samples() == 3 && spawn.seconds() == 2.0, "the new replica's baseline: " + spawn);
            }
        }
    }
}
