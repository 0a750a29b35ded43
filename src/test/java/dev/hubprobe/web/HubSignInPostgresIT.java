package dev.hubprobe.web;

import dev.hubprobe.history.Database;
import dev.hubprobe.testhub.Postgres;

/** The same OAuth states and hub sessions (V16) on PostgreSQL, the database replicas share. */
class HubSignInPostgresIT extends HubSignInTest {
    @Override
    protected Database database() {
        return Postgres.freshDatabase();
    }
}
