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
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import javax.sql.DataSource;

/**
 * Runs that use one hub server take turns: the second would otherwise find the first's server and
 * stop it as a leftover. In one process a fair lock per server does it; with replicas a lease row in
 * the shared database ({@code server_turns}) does it across them too (a run-now on one replica, the
 * scheduled run of a sibling probe on another). A lease lasts until its run ends, and is void once
 * its run's whole time budget is over or its replica is gone from Quartz's cluster: no longer listed
 * (Quartz removes a dead replica's check-in row when another recovers its jobs), or, for an earlier
 * start on this same host, not checked in for its check-in interval plus 7.5 s (Quartz's own rule for
 * a replica that failed; only this host's own check-ins are compared with this host's clock). Every start of a
 * replica has an id of its own ({@link ProbeScheduler.Cluster#newInstanceId}), so a replica restarted
 * in place (in a container java is PID 1 every time) never passes for the run that died.
 *
 * <p>A run waits for its turn with backoff (from 250 ms, doubling to 8 s) and for at most its
 * patience; it stops waiting at once when it is asked to stop.
 */
final class ServerTurns {
    private static final long FIRST_WAIT_MS = 250;
    private static final long LONGEST_WAIT_MS = 8000;
    /** How often a wait looks whether it was asked to stop. */
    private static final long STOP_CHECK_MS = 100;
    /** Quartz's margin before it holds a replica that stopped checking in for failed (JobStoreSupport). */
    private static final long CHECKIN_MARGIN_MS = 7500;
    private static final String DUPLICATE = "23505";
    private final Map<String, Semaphore> local = new ConcurrentHashMap<>();
    private final DataSource shared;
    private final String instance;
    /** This host's start ids, as a LIKE pattern: the only leases judged by their check-in time. */
    private final String ownHost;

    /** A turn held; closing it gives it up. */
    interface Turn extends AutoCloseable {
        /** @throws IllegalStateException when the shared database would not take the release (the local turn is given up anyway) */
        @Override
        void close();
    }

    /** @param shared the replicas' database, or null for one process; {@code instance}: this replica's Quartz instance id */
    ServerTurns(DataSource shared, String instance) {
        this.shared = shared;
        this.instance = instance;
        this.ownHost = instance == null ? null : hostPattern(instance); // one process: no shared leases to judge
    }

    Turn take(String serverKey, Duration budget) throws InterruptedException {
        return take(serverKey, budget, Duration.ofDays(365), () -> false);
    }

    /**
     * Waits for the server's turn.
     *
     * @param budget   the run's whole time budget: past it, its lease is void
     * @param patience how long to wait at most
     * @param stop     true once the run is asked to stop: the wait ends at once
     * @return the turn, or null when the patience ran out or a stop came first
     */
    Turn take(String serverKey, Duration budget, Duration patience, BooleanSupplier stop) throws InterruptedException {
        long deadline = System.nanoTime() + patience.toNanos();
        // a fair semaphore, not a lock: a turn may be given up by another thread than took it
        Semaphore lock = local.computeIfAbsent(serverKey, k -> new Semaphore(1, true));
        while (!lock.tryAcquire(STOP_CHECK_MS, TimeUnit.MILLISECONDS)) {
            if (stop.getAsBoolean() || System.nanoTime() - deadline >= 0) {
                return null;
            }
        }
        if (shared == null) {
            return lock::release;
        }
        String holder = UUID.randomUUID().toString();
        try {
            long wait = FIRST_WAIT_MS;
            while (!lease(serverKey, holder, budget)) {
                // jittered, so siblings that wait for one server do not all look at once
                long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(wait / 2 + ThreadLocalRandom.current().nextLong(wait / 2 + 1));
                while (System.nanoTime() - until < 0) {
                    if (stop.getAsBoolean() || System.nanoTime() - deadline >= 0) {
                        lock.release();
                        return null;
                    }
                    Thread.sleep(Math.min(STOP_CHECK_MS, Math.max(1, TimeUnit.NANOSECONDS.toMillis(until - System.nanoTime()))));
                }
                wait = Math.min(LONGEST_WAIT_MS, wait * 2);
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

    /**
     * At start: gives up the leases of replicas that are gone (a start that died, this replica's own
     * previous start among them), so nobody waits for Quartz to notice them first.
     *
     * @return how many were given up
     */
    int releaseStale() {
        if (shared == null) {
            return 0;
        }
        return run("DELETE FROM server_turns WHERE instance = ? OR " + GONE, instance, ProbeScheduler.NAME, ownHost,
                ProbeScheduler.NAME, System.currentTimeMillis());
    }

    /** The replicas checked in, by Quartz's own rule for one that failed. */
    private static final String LIVE = "SELECT instance_name FROM qrtz_scheduler_state WHERE sched_name = ?"
            + " AND last_checkin_time + checkin_interval + " + CHECKIN_MARGIN_MS + " >= ?";

    /**
     * A lease's replica is gone when Quartz no longer lists it (its own failure detection removes a dead
     * replica's row when another recovers its jobs), or, for an earlier start on this host only, when it
     * stopped checking in: its check-ins were stamped by this host's clock, so comparing them with this
     * clock is sound. Another host's check-in time is never compared with this clock: skew or a late
     * check-in made a live lease look dead, and two runs shared one server. Parameters: the scheduler's
     * name, this host's id prefix (a LIKE pattern), the scheduler's name, now in ms.
     */
    private static final String GONE = "(instance NOT IN (SELECT instance_name FROM qrtz_scheduler_state WHERE sched_name = ?)"
            + " OR (instance LIKE ? ESCAPE '\\' AND instance NOT IN (" + LIVE + ")))";

    /** A LIKE pattern for this host's start ids ({@code host-suffix}, see newInstanceId); this id alone when it has no host part. */
    private static String hostPattern(String instance) {
        int dash = instance.lastIndexOf('-');
        String escaped = instance.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
        if (dash <= 0) {
            return escaped;
        }
        // exactly as many characters as the suffix: host "web" must not match the ids of host "web-2"
        return instance.substring(0, dash + 1).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                + "_".repeat(instance.length() - dash - 1);
    }

    /**
     * Takes the row if nobody holds it, if its holder's time is over or its replica is gone, or if
     * this replica holds it: this replica holds the server's local lock, so a row of its own is a turn
     * whose release failed. Exactly one of several racing wins.
     */
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
                + " OR instance = ? OR " + GONE + ")", instance, holder, until, serverKey, Timestamp.from(now), instance,
                ProbeScheduler.NAME, ownHost, ProbeScheduler.NAME, now.toEpochMilli()) == 1;
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
