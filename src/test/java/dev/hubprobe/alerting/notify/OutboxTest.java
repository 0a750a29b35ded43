package dev.hubprobe.alerting.notify;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hubprobe.alerting.Alert;
import dev.hubprobe.alerting.AlertEvent;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import dev.hubprobe.config.Secret;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
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
    /** Backoff on the test's scale: tries again after 10 ms, then at most every 100 ms, for a minute. */
    private static final Dispatcher.Retry QUICK = new Dispatcher.Retry(Duration.ofMillis(10), Duration.ofMillis(100), Duration.ofMinutes(1));
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
        assertTrue(a.done(first));
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
        try (Dispatcher a = new Dispatcher(List.of(hangs), replica("a", Duration.ZERO), new SimpleMeterRegistry(), QUICK)) {
            a.dispatch(firing);
            assertTrue(entered.await(10, TimeUnit.SECONDS), "replica a took the event");
            // replica b, its clock past a's lease: what a did not acknowledge is b's to send
            try (Dispatcher b = new Dispatcher(List.of(notifier("webhook", got::add)), replica("b", Dispatcher.LEASE.plusSeconds(1)),
                    new SimpleMeterRegistry(), QUICK)) {
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
        })), replica("first", Duration.ZERO), new SimpleMeterRegistry(), new Dispatcher.Retry(Duration.ofSeconds(1), Duration.ofSeconds(30),
                Duration.ofHours(1)))) {
            first.dispatch(firing);
            Await.until("the first attempt", 10, () -> !tried.isEmpty());
        }
        assertEquals(1, replica("x", Duration.ZERO).pending("0:webhook"), "still queued after the stop");
        List<AlertEvent> got = new CopyOnWriteArrayList<>();
        // the next start, once the first process's claim ran out: the receiver is back
        try (Dispatcher next = new Dispatcher(List.of(notifier("webhook", got::add)), replica("next", Duration.ofMinutes(5)),
                new SimpleMeterRegistry(), QUICK)) {
            Await.until("the queued event delivered after the restart", 10, () -> got.size() == 1);
        }
        assertEquals(firing, got.get(0));
        assertEquals(0, replica("x", Duration.ZERO).pending("0:webhook"));
    }
    @Test
    void aReplicaWhoseClaimRanOutCanNeitherExtendNorFinishTheRowAnotherReplicaTookOver() throws Exception {
        replica("a", Duration.ZERO).add("0:webhook", event(AlertEvent.Type.FIRING, "h1"));
        Outbox a = replica("a", Duration.ZERO);
        Outbox.Entry mine = a.claim("0:webhook", Duration.ofSeconds(30)).orElseThrow();
        // b, past a's lease, takes the row over while a's attempt is still running
        Outbox b = replica("b", Duration.ofSeconds(31));
        Outbox.Entry theirs = b.claim("0:webhook", Duration.ofSeconds(30)).orElseThrow();
        assertEquals(mine.id(), theirs.id());
        assertFalse(a.extend(mine, Duration.ofSeconds(30)), "a no longer holds the row");
        assertFalse(a.done(mine), "a must not delete the row b is delivering");
        assertFalse(a.retryLater(mine, Instant.now()), "nor release it");
        assertEquals(1, a.pending("0:webhook"));
        assertTrue(b.extend(theirs, Duration.ofSeconds(30)));
        assertTrue(b.done(theirs));
        assertEquals(0, a.pending("0:webhook"));
    }

    @Test
    void aClaimIsKeptForAsLongAsOneAttemptTakesSoNoOtherReplicaSendsTheRowMeanwhile() throws Exception {
        Duration lease = Duration.ofMillis(900);
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        List<AlertEvent> slow = new CopyOnWriteArrayList<>();
        // a's receiver answers only after four leases: a is alive all along, so the row stays a's
        Notifier takesLong = notifier("webhook", e -> {
            entered.countDown();
            release.await();
            slow.add(e);
        });
        List<AlertEvent> other = new CopyOnWriteArrayList<>();
        AlertEvent firing = event(AlertEvent.Type.FIRING, "h1");
        try (Dispatcher a = new Dispatcher(List.of(takesLong), replica("a", Duration.ZERO), new SimpleMeterRegistry(), QUICK,
                Clock.systemUTC(), lease)) {
            a.dispatch(firing);
            assertTrue(entered.await(10, TimeUnit.SECONDS), "replica a took the event");
            try (Dispatcher b = new Dispatcher(List.of(notifier("webhook", other::add)), replica("b", Duration.ZERO),
                    new SimpleMeterRegistry(), QUICK, Clock.systemUTC(), lease)) {
                Thread.sleep(lease.multipliedBy(4).toMillis());
                assertEquals(List.of(), other, "replica b sent a row replica a was still delivering");
                release.countDown();
                Await.until("a's attempt acknowledged", 10, () -> replica("x", Duration.ZERO).pending("0:webhook") == 0);
            }
        } finally {
            release.countDown();
        }
        assertEquals(List.of(firing), slow);
        assertEquals(List.of(), other, "sent once, by a");
    }

    /**
     * A receiver that answers 503 for a while (PagerDuty or the egress down for two minutes in the issue;
     * four seconds on this test's scale, with the backoff knobs scaled down likewise) and then 200: the
     * page and its resolve both arrive, in order, and the resolve is never tried while the page waits.
     */
    @Test
    void aReceiverDownForAnOutageGetsThePageAndThenItsResolveInOrder() throws Exception {
        WireMockServer receiver = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        receiver.start();
        receiver.stubFor(post(urlEqualTo("/hook")).willReturn(aResponse().withStatus(503)));
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        Dispatcher.Retry scaled = new Dispatcher.Retry(Duration.ofMillis(100), Duration.ofSeconds(1), Duration.ofMinutes(1));
        try (Dispatcher d = new Dispatcher(List.of(new WebhookNotifier(Secret.of(receiver.baseUrl() + "/hook"))),
                replica("a", Duration.ZERO), registry, scaled)) {
            d.dispatch(event(AlertEvent.Type.FIRING, "h1"));
            d.dispatch(event(AlertEvent.Type.RESOLVED, "h1"));
            long outageEnds = System.nanoTime() + 4_000_000_000L;
            Await.until("the backlog shown", 10, () -> registry.scrape().contains("hubprobe_notifications_pending{notifier=\"webhook\"} 2.0"));
            Thread.sleep(Math.max(0, (outageEnds - System.nanoTime()) / 1_000_000 - 1000));
            double oldest = gauge(registry, "hubprobe_notification_oldest_pending_seconds{notifier=\"webhook\"}");
            assertTrue(oldest >= 2.0, "the oldest waits for some 3 s: " + registry.scrape());
            Thread.sleep(Math.max(0, (outageEnds - System.nanoTime()) / 1_000_000));
            receiver.stubFor(post(urlEqualTo("/hook")).willReturn(aResponse().withStatus(200)));
            Await.until("both delivered", 15, () -> delivered(receiver).size() == 2);
            Await.until("the backlog gone", 10, () -> registry.scrape().contains("hubprobe_notifications_pending{notifier=\"webhook\"} 0.0")
                    && gauge(registry, "hubprobe_notification_oldest_pending_seconds{notifier=\"webhook\"}") == 0);
        } finally {
            receiver.stop();
        }
        assertEquals(List.of("firing", "resolved"), delivered(receiver));
        List<String> tried = attempts(receiver, false);
        assertTrue(tried.size() > 6, "tried more than five times over the outage: " + tried);
        assertEquals("resolved", tried.get(tried.size() - 1), tried::toString);
        assertEquals(1, tried.stream().filter("resolved"::equals).count(), "the resolve was only tried after its page got through: " + tried);
        assertEquals(2.0, registry.get("hubprobe.notifications").tags("notifier", "webhook", "result", "success").counter().count());
        assertEquals(0.0, registry.get("hubprobe.notifications").tags("notifier", "webhook", "result", "failure").counter().count());
    }

    @Test
    void anEventIsGivenUpOnOnlyOnceOlderThanGiveUpAfter() throws Exception {
        List<Long> tries = new CopyOnWriteArrayList<>();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        long t0 = System.nanoTime();
        try (Dispatcher d = new Dispatcher(List.of(notifier("webhook", e -> {
            tries.add(System.nanoTime() - t0);
            throw new Notifier.RetryableException("503 Service Unavailable");
        })), replica("a", Duration.ZERO), registry, new Dispatcher.Retry(Duration.ofMillis(50), Duration.ofMillis(200), Duration.ofSeconds(3)))) {
            d.dispatch(event(AlertEvent.Type.FIRING, "h1"));
            Await.until("given up on", 15, () -> replica("x", Duration.ZERO).pending("0:webhook") == 0);
        }
        assertTrue(tries.size() > 10, "retried all along: " + tries.size());
        assertTrue(tries.get(tries.size() - 1) > 2_500_000_000L, "still tried close to give_up_after: " + tries);
        assertEquals(1.0, registry.get("hubprobe.notifications").tags("notifier", "webhook", "result", "failure").counter().count());
    }

    /**
     * A receiver down for hours while alerts fire: reminders of one alert coalesce into the one row it
     * already has waiting, the backlog cap holds back only reminders, and a FIRING or RESOLVED is
     * queued however long the backlog is (before, the 1000th row dropped the next page).
     */
    @Test
    void aFullBacklogNeverDropsAFiringOrAResolveAndRemindersOfOneAlertCoalesce() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Notifier down = new Notifier() {
            @Override
            public String name() {
                return "alertmanager";
            }

            @Override
            public void deliver(AlertEvent event) throws Exception {
                throw new Notifier.RetryableException("503 Service Unavailable");
            }

            @Override
            public boolean wantsResends() {
                return true;
            }
        };
        Outbox outbox = replica("a", Duration.ZERO);
        // the first failure waits an hour: nothing drains during the test, as during a long outage
        try (Dispatcher d = new Dispatcher(List.of(down), outbox, registry,
                new Dispatcher.Retry(Duration.ofHours(1), Duration.ofHours(1), Duration.ofHours(24)))) {
            d.dispatch(event(AlertEvent.Type.FIRING, "h0"));
            for (int i = 0; i < 30; i++) {
                d.dispatch(event(AlertEvent.Type.REMINDER, "h0"), true);
            }
            assertEquals(1, outbox.pending("0:alertmanager"), "a reminder of an alert with a row waiting is not queued again");
            for (int i = 1; i < 1000; i++) {
                d.dispatch(event(AlertEvent.Type.REMINDER, "h" + i), true);
            }
            assertEquals(1000, outbox.pending("0:alertmanager"));
            d.dispatch(event(AlertEvent.Type.REMINDER, "h1000"), true);
            assertEquals(1000, outbox.pending("0:alertmanager"), "past the cap a new reminder is held back");
            d.dispatch(event(AlertEvent.Type.FIRING, "h2000"));
            d.dispatch(event(AlertEvent.Type.RESOLVED, "h0"));
            assertEquals(1002, outbox.pending("0:alertmanager"), "the page and the resolve are queued past the cap");
        }
    }

    /**
     * A row no version of hubprobe here can read (written by another version, or damaged) is dropped,
     * counted and logged when its lane comes to it; the events behind it are delivered. Before, the claim
     * took the row and then failed to decode it, so it held its lane for every lease until give_up_after.
     */
    @Test
    void anUndecodableRowIsDroppedAndCountedAndTheLaneGoesOn() throws Exception {
        try (java.sql.Connection c = db.getConnection(); java.sql.PreparedStatement ps = c.prepareStatement(
                "INSERT INTO notifications (lane, event, created_at, attempts) VALUES ('0:webhook', ?, ?, 0)")) {
            ps.setString(1, "{\"type\":\"ESCALATED\",\"alert\":{\"key\":\"failure/h0/kernel-smoke\",\"kind\":\"FAILURE\"}}");
            ps.setTimestamp(2, java.sql.Timestamp.from(Instant.now()));
            ps.executeUpdate();
        }
        List<AlertEvent> got = new CopyOnWriteArrayList<>();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (Dispatcher d = new Dispatcher(List.of(notifier("webhook", got::add)), replica("a", Duration.ZERO), registry, QUICK)) {
            d.dispatch(event(AlertEvent.Type.FIRING, "h1"));
            Await.until("the page behind the unreadable row", 10, () -> got.size() == 1);
        }
        assertEquals(event(AlertEvent.Type.FIRING, "h1"), got.get(0));
        assertEquals(0, replica("x", Duration.ZERO).pending("0:webhook"));
        assertEquals(1.0, registry.get("hubprobe.notifications").tags("notifier", "webhook", "result", "undecodable").counter().count());
    }

    @Test
    void theBackoffDoublesUpToItsCap() {
        Dispatcher.Retry r = Dispatcher.Retry.DEFAULTS;
        assertEquals(Duration.ofSeconds(1), r.backoff(1));
        assertEquals(Duration.ofSeconds(2), r.backoff(2));
        assertEquals(Duration.ofSeconds(256), r.backoff(9));
        assertEquals(Duration.ofMinutes(5), r.backoff(10));
        assertEquals(Duration.ofMinutes(5), r.backoff(10_000));
        assertEquals(Duration.ofHours(24), r.giveUpAfter());
    }

    private static double gauge(PrometheusMeterRegistry registry, String series) {
        for (String line : registry.scrape().split("\n")) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1));
            }
        }
        throw new AssertionError("no " + series + " in " + registry.scrape());
    }

    /** The statuses of what the receiver took (answered 200), in the order it took them. */
    private static List<String> delivered(WireMockServer receiver) {
        return attempts(receiver, true);
    }

    private static List<String> attempts(WireMockServer receiver, boolean acceptedOnly) {
        List<ServeEvent> events = new ArrayList<>(receiver.getAllServeEvents());
        java.util.Collections.reverse(events); // WireMock lists the newest first; requests within one millisecond keep their order
        events.sort(java.util.Comparator.comparing(e -> e.getRequest().getLoggedDate()));
        List<String> out = new ArrayList<>();
        for (ServeEvent e : events) {
            if (!acceptedOnly || e.getResponse().getStatus() == 200) {
                String body = e.getRequest().getBodyAsString();
                out.add(body.contains("\"status\":\"resolved\"") ? "resolved" : body.contains("\"status\":\"firing\"") ? "firing" : body);
            }
        }
        return out;
    }
}
