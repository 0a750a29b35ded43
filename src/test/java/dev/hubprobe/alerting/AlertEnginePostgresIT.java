package dev.hubprobe.alerting;

import dev.hubprobe.history.Database;
import dev.hubprobe.testhub.Postgres;

/** Every alerting test again, on a real PostgreSQL, with the store in its shared (replicas) mode. */
class AlertEnginePostgresIT extends AlertEngineTest {
    @Override
    protected Database database() {
        return Postgres.freshDatabase();
    }
}
