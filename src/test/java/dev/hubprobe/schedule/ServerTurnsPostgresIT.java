package dev.hubprobe.schedule;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hubprobe.history.HistoryStore;
import dev.hubprobe.testhub.Postgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Runs of two replicas that use one hub server take turns through the shared database; a turn held
 * by a replica that left the cluster, or held past its run's budget, is taken over at once.
 */
class ServerTurnsPostgresIT {
    private HistoryStore history;
    private DataSource db;

    @BeforeEach
    void open() {
        history = HistoryStore.open(Postgres.freshDatabase());
        db = history.dataSource();
    }

    @AfterEach
    void close() {
        history.close();
    }

    /** A replica checked in to Quartz's cluster, as Quartz records it. */
    private void checkedIn(String instance) throws Exception {
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement("INSERT INTO qrtz_scheduler_state"
                + " (sched_name, instance_name, last_checkin_time, checkin_interval) VALUES (?, ?, ?, 5000)")) {
            ps.setString(1, ProbeScheduler.NAME);
            ps.setString(2, instance);
            ps.setLong(3, System.currentTimeMillis());
            ps.executeUpdate();
        }
    }

    private static CompletableFuture<ServerTurns.Turn> takeLater(ServerTurns turns, String key, Duration budget) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return turns.take(key, budget);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    @Test
    void aSecondReplicaWaitsForTheFirstsRunOnTheSameServer() throws Exception {
        checkedIn("a");
        checkedIn("b");
        ServerTurns a = new ServerTurns(db, "a");
        ServerTurns b = new ServerTurns(db, "b");
        ServerTurns.Turn first = a.take("hub/robot/", Duration.ofMinutes(10));
        CompletableFuture<ServerTurns.Turn> second = takeLater(b, "hub/robot/", Duration.ofMinutes(10));
        assertTimesOut(second, "b ran while a held the server");
        try (ServerTurns.Turn other = b.take("hub/robot/other", Duration.ofMinutes(10))) {
            assertTrue(other != null, "another server of the same user is not held up");
        }
        first.close();
        second.get(5, TimeUnit.SECONDS).close();
    }

    @Test
    void aTurnOfAReplicaThatLeftTheClusterOrRanOutOfTimeIsTakenAtOnce() throws Exception {
        checkedIn("b");
        // "dead" held a turn and is no longer checked in (Quartz removed it when b recovered its jobs)
        new ServerTurns(db, "dead").take("hub/robot/", Duration.ofMinutes(10));
        takeLater(new ServerTurns(db, "b"), "hub/robot/", Duration.ofMinutes(10)).get(5, TimeUnit.SECONDS).close();
        // a live replica's turn past its run's whole budget
        checkedIn("c");
        new ServerTurns(db, "c").take("hub/robot/x", Duration.ofMillis(200));
        CompletableFuture<ServerTurns.Turn> late = takeLater(new ServerTurns(db, "b"), "hub/robot/x", Duration.ofMinutes(10));
        late.get(5, TimeUnit.SECONDS).close();
    }

    private static void assertTimesOut(CompletableFuture<?> f, String message) throws InterruptedException, ExecutionException {
        try {
            f.get(2, TimeUnit.SECONDS);
            throw new AssertionError(message);
        } catch (TimeoutException expected) {
            assertFalse(f.isDone());
        }
    }
}
