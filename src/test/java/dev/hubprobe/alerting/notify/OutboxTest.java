package dev.hubprobe.alerting.notify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hubprobe.alerting.Alert;
import dev.hubprobe.alerting.AlertEvent;
import dev.hubprobe.history.Database;
import dev.hubprobe.history.HistoryStore;
import dev.hubprobe.testhub.Await;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The notification outbox as replicas share it: in order per notifier, one claim at a time, a claim
 * whose replica died taken over when its lease runs out, and a delivery cut off by a replica's death
 * made by another. On H2 here, on a real PostgreSQL in {@link OutboxPostgresIT}.
 */
class OutboxTest {
    @TempDir
    Path dir;
    private HistoryStore history;
    private DataSource db;

    protected Database database() {
        return Database.h2(dir.resolve("db"));
    }

    @BeforeEach
    void open() {
        history = HistoryStore.open(database());
        db = history.dataSource();
    }

    @AfterEach
    void close() {
        history.close();
    }

    private Outbox replica(String name, Duration clockAhead) {
        return new Outbox(db, name, Clock.offset(Clock.systemUTC(), clockAhead));
    }

    private static AlertEvent event(AlertEvent.Type type, String hub) {
        Alert a = Alert.fresh("failure/" + hub + "/kernel-smoke", Alert.Kind.FAILURE, hub, "kernel-smoke", null)
                .fire(Instant.parse("2026-11-23T02:00:00.123456Z"), Map.of("summary", "probe failing on " + hub, "phase", "spawn"));
        if (type == AlertEvent.Type.RESOLVED) {
            a = a.resolve(Instant.parse("2026-11-23T02:10:00Z"));
        }
        return new AlertEvent(type, a, a.labels("page"));
    }

    @Test
    void anEventComesBackWholeAndALaneIsDeliveredInOrderOneClaimAtATime() throws Exception {
        Outbox a = replica("a", Duration.ZERO);
        Outbox b = replica("b", Duration.ZERO);
        AlertEvent firing = event(AlertEvent.Type.FIRING, "h1");
        AlertEvent resolved = event(AlertEvent.Type.RESOLVED, "h1");
        a.add("0:webhook", firing);
        a.add("0:webhook", resolved);
        a.add("1:slack", firing);
        Outbox.Entry first = a.claim("0:webhook", Duration.ofSeconds(30)).orElseThrow();
        assertEquals(firing, first.event());
        assertEquals(1, first.attempts());
        assertEquals(Optional.empty(), b.claim("0:webhook", Duration.ofSeconds(30)), "the resolve must not overtake its firing");
        assertEquals(firing, b.claim("1:slack", Duration.ofSeconds(30)).orElseThrow().event(), "another lane is not held up");
        a.done(first.id());
        assertEquals(resolved, b.claim("0:webhook", Duration.ofSeconds(30)).orElseThrow().event());
        assertEquals(2, a.pending("0:webhook") + a.pending("1:slack"));
    }

    @Test
    void aClaimWhoseReplicaDiedIsTakenOverWhenItsLeaseRunsOut() throws Exception {
        replica("dead", Duration.ZERO).add("0:webhook", event(AlertEvent.Type.FIRING, "h1"));
        Outbox.Entry lost = replica("dead", Duration.ZERO).claim("0:webhook", Duration.ofSeconds(30)).orElseThrow();
        assertEquals(Optional.empty(), replica("b", Duration.ofSeconds(29)).claim("0:webhook", Duration.ofSeconds(30)));
        Outbox.Entry taken = replica("b", Duration.ofSeconds(31)).claim("0:webhook", Duration.ofSeconds(30)).orElseThrow();
        assertEquals(lost.id(), taken.id());
        assertEquals(2, taken.attempts());
    }

    @Test
    void ofReplicasClaimingAtOnceExactlyOneGetsTheEvent() throws Exception {
        replica("a", Duration.ZERO).add("0:webhook", event(AlertEvent.Type.FIRING, "h1"));
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Optional<Outbox.Entry>>> claims = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                Outbox o = replica("r" + i, Duration.ZERO);
                claims.add(pool.submit(() -> {
                    go.await();
                    return o.claim("0:webhook", Duration.ofSeconds(30));
                }));
            }
            go.countDown();
            int won = 0;
            for (Future<Optional<Outbox.Entry>> f : claims) {
                won += f.get(30, TimeUnit.SECONDS).isPresent() ? 1 : 0;
            }
            assertEquals(1, won);
        } finally {
            pool.shutdownNow();
        }
    }

    private static Notifier notifier(String name, ThrowingConsumer deliver) {
        return new Notifier() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public void deliver(AlertEvent event) throws Exception {
                deliver.accept(event);
            }
        };
    }

    private interface ThrowingConsumer {
        void accept(AlertEvent e) throws Exception;
    }

    @Test
    void aDeliveryCutOffByAReplicasDeathIsMadeByAnotherReplica() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        // replica a hangs inside the receiver's call, as a replica does that is killed there
        Notifier hangs = notifier("webhook", e -> {
            entered.countDown();
            release.await();
        });
        List<AlertEvent> got = new CopyOnWriteArrayList<>();
        AlertEvent firing = event(AlertEvent.Type.FIRING, "h1");
        try (Dispatcher a = new Dispatcher(List.of(hangs), replica("a", Duration.ZERO), new SimpleMeterRegistry(), Duration.ofMillis(10), 1)) {
            a.dispatch(firing);
            assertTrue(entered.await(10, TimeUnit.SECONDS), "replica a took the event");
            // replica b, its clock past a's lease: what a did not acknowledge is b's to send
            try (Dispatcher b = new Dispatcher(List.of(notifier("webhook", got::add)), replica("b", Dispatcher.LEASE.plusSeconds(1)),
                    new SimpleMeterRegistry(), Duration.ofMillis(10), 1)) {
                Await.until("replica b delivered", 10, () -> got.size() == 1);
                assertEquals(firing, got.get(0));
                assertEquals(0, replica("b", Duration.ZERO).pending("0:webhook"), "acknowledged, so gone from the outbox");
            }
        } finally {
            release.countDown();
        }
        assertEquals(1, got.size(), "sent once by b");
    }

    @Test
    void anEventStillBeingRetriedAtShutdownIsSentAfterTheNextStart() throws Exception {
        // the receiver is down for the whole life of the first process, which retries until it stops
        AlertEvent firing = event(AlertEvent.Type.FIRING, "h2");
        List<AlertEvent> tried = new CopyOnWriteArrayList<>();
        try (Dispatcher first = new Dispatcher(List.of(notifier("webhook", e -> {
            tried.add(e);
            throw new Notifier.RetryableException("503 Service Unavailable");
        })), replica("first", Duration.ZERO), new SimpleMeterRegistry(), Duration.ofSeconds(1), 20)) {
            first.dispatch(firing);
            Await.until("the first attempt", 10, () -> !tried.isEmpty());
        }
        assertEquals(1, replica("x", Duration.ZERO).pending("0:webhook"), "still queued after the stop");
        List<AlertEvent> got = new CopyOnWriteArrayList<>();
        // the next start, once the first process's claim ran out: the receiver is back
        try (Dispatcher next = new Dispatcher(List.of(notifier("webhook", got::add)), replica("next", Duration.ofMinutes(5)),
                new SimpleMeterRegistry(), Duration.ofMillis(10), 1)) {
            Await.until("the queued event delivered after the restart", 10, () -> got.size() == 1);
        }
        assertEquals(firing, got.get(0));
        assertEquals(0, replica("x", Duration.ZERO).pending("0:webhook"));
    }
}
