package dev.hubprobe.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hubprobe.config.Secret;
import dev.hubprobe.history.HistoryStore;
import dev.hubprobe.probe.Phase;
import dev.hubprobe.probe.PhaseResult;
import dev.hubprobe.probe.ProbeDefinition;
import dev.hubprobe.probe.ProbeTarget;
import dev.hubprobe.probe.RunResult;
import dev.hubprobe.testhub.Postgres;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A clustered scheduler on the real throwaway PostgreSQL, with Quartz's real cluster store, taking
 * server turns: a replica restarted in place is not held up by the turn its dead start left, a run
 * whose server stays busy is skipped after an interval and counted, a stop ends a run's wait at once,
 * and a turn that cannot be given up does not lose its run's result.
 */
class ProbeSchedulerTurnsPostgresIT {
    private static final String KEY = "hub/robot/";
    private HistoryStore history;
    private DataSource db;
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final List<RunResult> recorded = new CopyOnWriteArrayList<>();
    private final AtomicInteger ran = new AtomicInteger();
    private ProbeScheduler scheduler;

    @BeforeEach
    void open() {
        history = HistoryStore.open(Postgres.freshDatabase());
        db = history.dataSource();
    }

    @AfterEach
    void close() {
        if (scheduler != null) {
            scheduler.close(Duration.ofSeconds(5));
        }
        history.close();
    }

    private static ScheduledProbe probe(Duration interval) {
        ProbeDefinition d = new ProbeDefinition("smoke", null, null, null, null, null, null, List.of(new ProbeDefinition.Cell("print(1)", null)));
        return new ScheduledProbe(new ProbeTarget("hub", "http://127.0.0.1:9/", "robot", new ProbeTarget.Token(Secret.of("t"))), d, interval);
    }

    private static RunResult passed(ScheduledProbe p) {
        return new RunResult(UUID.randomUUID().toString(), p.hub(), p.probe().name(), "robot", Instant.now(), Duration.ofMillis(5),
                List.of(new PhaseResult(Phase.HUB_API, PhaseResult.Status.PASSED, Duration.ofMillis(5), null, null)),
                List.of(), null, null, null, null, Map.of(), List.of());
    }

    /** A replica of this process, as `serve` starts one: a fresh id of its own. */
    private ProbeScheduler replica(String id, ProbeExecutor executor) {
        // the history's part: it records every run, also one of a pair not scheduled (these tests' run-now)
        dev.hubprobe.probe.RunSink history = new dev.hubprobe.probe.RunSink() {
            @Override
            public void accept(RunResult r) {
                recorded.add(r);
            }

            @Override
            public boolean keepsResultsOfRemovedPairs() {
                return true;
            }
        };
        scheduler = new ProbeScheduler(2, executor, List.of(history), registry, new ProbeScheduler.Cluster(db, id));
        scheduler.start();
        return scheduler;
    }

    private ProbeExecutor counting() {
        return (p, abort) -> {
            ran.incrementAndGet();
            return passed(p);
        };
    }

    private void sql(String sql, Object... args) throws Exception {
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            ps.executeUpdate();
        }
    }

    /** A replica's check-in as Quartz writes it, at {@code at} (ms). */
    private void checkedIn(String instance, long at) throws Exception {
        sql("INSERT INTO qrtz_scheduler_state (sched_name, instance_name, last_checkin_time, checkin_interval) VALUES (?, ?, ?, 5000)",
                ProbeScheduler.NAME, instance, at);
    }

    /** When Quartz last checked the replica in (ms), or 0 before its first check-in. */
    private long checkIn(String instance) throws Exception {
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT last_checkin_time FROM qrtz_scheduler_state WHERE sched_name = ? AND instance_name = ?")) {
            ps.setString(1, ProbeScheduler.NAME);
            ps.setString(2, instance);
            try (java.sql.ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getLong(1) : 0;
            }
        }
    }

    /** The turn a replica's run holds on the test's server, as ServerTurns writes it. */
    private void holds(String instance) throws Exception {
        sql("INSERT INTO server_turns (server_key, instance, holder, held_until) VALUES (?, ?, ?, ?)", KEY, instance,
                UUID.randomUUID().toString(), Timestamp.from(Instant.now().plus(Duration.ofMinutes(20))));
    }

    private double busy() {
        Counter c = registry.find("hubprobe.schedule.misfires").tags("hub", "hub", "probe", "smoke", "reason", "busy").counter();
        return c == null ? 0 : c.count();
    }

    /**
     * In a container java is PID 1 on every start. The start that died mid-run left its check-in row
     * and its server turn; the same replica started again must not wait ~21 minutes for that turn.
     */
    @Test
    void aReplicaRestartedInPlaceIsNotHeldUpByTheTurnItsDeadStartLeft() throws Exception {
        String dead = ProbeScheduler.Cluster.newInstanceId();
        checkedIn(dead, System.currentTimeMillis() - 1000); // killed a second ago, mid-run
        holds(dead);
        String again = ProbeScheduler.Cluster.newInstanceId(); // the same host, the same process id
        assertNotEquals(dead, again, "every start has an id of its own");
        String host = java.net.InetAddress.getLocalHost().getHostName();
        assertTrue(again.startsWith(host + "-"), again);
        ProbeScheduler restarted = replica(again, counting());
        RunResult r = restarted.runNow(probe(Duration.ofMinutes(5))).get(45, TimeUnit.SECONDS);
        assertEquals(1, ran.get());
        assertEquals(List.of(r), recorded);
    }

    @Test
    void aRunWhoseServerStaysBusyIsSkippedAfterAnIntervalAndCountedAsBusy() throws Exception {
        checkedIn("sibling", System.currentTimeMillis() + 3_600_000); // a live sibling, mid-run on the server
        holds("sibling");
        ProbeScheduler replica = replica(ProbeScheduler.Cluster.newInstanceId(), counting());
        long t0 = System.nanoTime();
        CompletableFuture<RunResult> run = replica.runNow(probe(Duration.ofSeconds(3)));
        ExecutionException e = assertThrows(ExecutionException.class, () -> run.get(30, TimeUnit.SECONDS));
        assertInstanceOf(ProbeScheduler.Skipped.class, e.getCause());
        double waited = (System.nanoTime() - t0) / 1e9;
        assertTrue(waited >= 2.9 && waited < 12, "waited one interval (3 s) for the turn: " + waited);
        assertEquals(1.0, busy(), "counted as misfires{reason=\"busy\"}");
        assertEquals(0, ran.get(), "the run did not happen");
        assertEquals(List.of(), recorded, "nothing recorded");
    }

    @Test
    void aStopEndsARunWaitingForItsTurnAtOnce() throws Exception {
        checkedIn("sibling", System.currentTimeMillis() + 3_600_000);
        holds("sibling");
        ProbeScheduler replica = replica(ProbeScheduler.Cluster.newInstanceId(), counting());
        CompletableFuture<RunResult> run = replica.runNow(probe(Duration.ofMinutes(10)));
        Thread.sleep(1500);
        long t0 = System.nanoTime();
        replica.close(Duration.ofSeconds(30));
        double took = (System.nanoTime() - t0) / 1e9;
        assertTrue(took < 5, "shutdown waited " + took + " s for a run that had not started");
        ExecutionException e = assertThrows(ExecutionException.class, () -> run.get(1, TimeUnit.SECONDS));
        assertInstanceOf(ProbeScheduler.Skipped.class, e.getCause());
        assertEquals(0, ran.get());
        assertEquals(List.of(), recorded);
        assertEquals(0.0, busy(), "a stop is not a busy server");
    }

    @Test
    void aTurnThatCannotBeGivenUpStillHasItsRunRecordedAndIsTakenBackByTheNextRun() throws Exception {
        ProbeScheduler replica = replica(ProbeScheduler.Cluster.newInstanceId(), (p, abort) -> {
            ran.incrementAndGet();
            try (Connection c = db.getConnection(); Statement s = c.createStatement()) {
                if (ran.get() == 1) {
                    s.execute("ALTER TABLE server_turns RENAME TO server_turns_away"); // the database refuses the release
                }
            } catch (java.sql.SQLException ex) {
                throw new IllegalStateException(ex);
            }
            return passed(p);
        });
        RunResult first = replica.runNow(probe(Duration.ofMinutes(5))).get(20, TimeUnit.SECONDS);
        assertEquals(List.of(first), recorded, "the run's result is recorded though its turn could not be given up");
        sql("ALTER TABLE server_turns_away RENAME TO server_turns");
        // its lease is still there; this replica's next run on the server takes it back at once
        RunResult second = replica.runNow(probe(Duration.ofMinutes(5))).get(10, TimeUnit.SECONDS);
        assertEquals(List.of(first, second), recorded);
    }

    /**
     * A sibling on another host whose last check-in looks a minute old by this replica's clock (its clock
     * is behind, or its check-in is late) is still listed by Quartz, so it is alive: its lease holds, and
     * two runs never share the server. Before, this replica's clock judged the sibling dead and took over.
     */
    @Test
    void aListedSiblingWhoseCheckInLooksOldByThisClockKeepsItsTurn() throws Exception {
        String self = ProbeScheduler.Cluster.newInstanceId();
        ProbeScheduler replica = replica(self, counting());
        // right after this replica's own check-in (every 5 s), so Quartz has not judged the sibling before the run is over
        long seen = checkIn(self);
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (checkIn(self) == seen && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        checkedIn("other-host-0a1b2c3d", System.currentTimeMillis() - 60_000);
        holds("other-host-0a1b2c3d");
        CompletableFuture<RunResult> run = replica.runNow(probe(Duration.ofSeconds(2)));
        ExecutionException e = assertThrows(ExecutionException.class, () -> run.get(30, TimeUnit.SECONDS));
        assertInstanceOf(ProbeScheduler.Skipped.class, e.getCause());
        assertEquals(0, ran.get(), "the sibling's live turn was taken over");
        assertEquals(1.0, busy());
    }

    /** A sibling Quartz no longer lists (its failure detection removed it) has no live turn: taken over at once. */
    @Test
    void aTurnOfAReplicaQuartzNoLongerListsIsTakenOver() throws Exception {
        holds("other-host-9f8e7d6c");
        ProbeScheduler replica = replica(ProbeScheduler.Cluster.newInstanceId(), counting());
        replica.runNow(probe(Duration.ofMinutes(5))).get(20, TimeUnit.SECONDS);
        assertEquals(1, ran.get());
    }
}
