package dev.hubprobe.history;

import dev.hubprobe.config.Secret;
import dev.hubprobe.testhub.Postgres;
import org.junit.jupiter.api.BeforeEach;

/** The history's limits again on a real PostgreSQL: V6's wider columns, and the damaged row, there too. */
class HistoryStoreLimitsPostgresIT extends HistoryStoreLimitsTest {
    private String url;

    @BeforeEach
    void newDatabase() throws Exception {
        url = Postgres.shared().newDatabase();
    }

    @Override
    protected Database database() {
        return Database.postgres(url, Postgres.USER, Secret.of(Postgres.PASSWORD));
    }
}
