package dev.hubprobe.alerting;

import dev.hubprobe.config.Secret;
import dev.hubprobe.history.Database;
import dev.hubprobe.testhub.Postgres;

/** Every alerting test again, on a real PostgreSQL, with the store in its shared (replicas) mode. */
class AlertEnginePostgresIT extends AlertEngineTest {
    @Override
    protected Database database() {
        try {
            return Database.postgres(Postgres.shared().newDatabase(), Postgres.USER, Secret.of(Postgres.PASSWORD));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
