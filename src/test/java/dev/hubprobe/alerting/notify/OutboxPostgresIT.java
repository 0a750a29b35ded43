package dev.hubprobe.alerting.notify;

import dev.hubprobe.history.Database;
import dev.hubprobe.testhub.Postgres;

/** The outbox tests again on a real PostgreSQL: the claims' race is the database's to decide. */
class OutboxPostgresIT extends OutboxTest {
    @Override
    protected Database database() {
        return Postgres.freshDatabase();
    }
}
