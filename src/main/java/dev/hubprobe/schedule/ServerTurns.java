package dev.hubprobe.schedule;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import javax.sql.DataSource;

/**
 * Runs that use one hub server take turns: the second would otherwise find the first's server and
 * stop it as a leftover. In one process a fair lock per server does it; with replicas a lease row in
 * the shared database ({@code server_turns}) does it across them too (a run-now on one replica, the
 * scheduled run of a sibling probe on another). A lease lasts until its run ends, and is void once
 * its run's whole time budget is over or its replica is no longer in Quartz's cluster (Quartz
 * removes a dead replica's check-in row when another recovers its jobs, so the recovered run goes on
 * at once).
 */
final class ServerTurns {
    /** How often a run waiting for another replica's turn looks again. */
    private static final long POLL_MS = 500;
    private static final String DUPLICATE = "23505";
    private final Map<String, Semaphore> local = new ConcurrentHashMap<>();
    private final DataSource shared;
    private final String instance;

    /** A turn held; closing it gives it up. */
    interface Turn extends AutoCloseable {
        @Override
        void close();
    }

    /** @param shared the replicas' database, or null for one process; {@code instance}: this replica's Quartz instance id */
    ServerTurns(DataSource shared, String instance) {
        this.shared = shared;
        this.instance = instance;
    }

    Turn take(String serverKey, Duration budget) throws InterruptedException {
        // a fair semaphore, not a lock: a turn may be given up by another thread than took it
        Semaphore lock = local.computeIfAbsent(serverKey, k -> new Semaphore(1, true));
        lock.acquire();
        if (shared == null) {
            return lock::release;
        }
        String holder = UUID.randomUUID().toString();
        try {
            while (!lease(serverKey, holder, budget)) {
                Thread.sleep(POLL_MS);
            }
        } catch (InterruptedException | RuntimeException e) {
            lock.release();
            throw e;
        }
        return () -> {
            try {
                run("DELETE FROM server_turns WHERE server_key = ? AND holder = ?", serverKey, holder);
            } finally {
                lock.release();
            }
        };
    }

    /** Takes the row if nobody holds it, or if its holder's time is over; exactly one of several racing wins. */
    private boolean lease(String serverKey, String holder, Duration budget) {
        Instant now = Instant.now();
        Timestamp until = Timestamp.from(now.plus(budget));
        try {
            run("INSERT INTO server_turns (server_key, instance, holder, held_until) VALUES (?, ?, ?, ?)", serverKey, instance, holder, until);
            return true;
        } catch (IllegalStateException e) {
            if (!(e.getCause() instanceof SQLException s) || !DUPLICATE.equals(s.getSQLState())) {
                throw e;
            }
        }
        return run("UPDATE server_turns SET instance = ?, holder = ?, held_until = ? WHERE server_key = ? AND (held_until < ?"
                + " OR instance NOT IN (SELECT instance_name FROM qrtz_scheduler_state WHERE sched_name = ?))",
                instance, holder, until, serverKey, Timestamp.from(now), ProbeScheduler.NAME) == 1;
    }

    private int run(String sql, Object... args) {
        try (Connection c = shared.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            return ps.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException("server turns: " + e.getMessage(), e);
        }
    }
}
