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
}
