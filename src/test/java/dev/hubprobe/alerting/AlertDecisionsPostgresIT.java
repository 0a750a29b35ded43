package dev.hubprobe.alerting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.hubprobe.alerting.notify.Dispatcher;
import dev.hubprobe.alerting.notify.Notifier;
import dev.hubprobe.alerting.notify.Outbox;
import dev.hubprobe.config.Secret;
import dev.hubprobe.history.Database;
import dev.hubprobe.history.HistoryStore;
import dev.hubprobe.probe.Phase;
import dev.hubprobe.probe.PhaseResult;
import dev.hubprobe.probe.Reason;
import dev.hubprobe.probe.RunResult;
import dev.hubprobe.testhub.Postgres;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Many alert decisions at once (a mass abort at shutdown, every hub failing together) on the real
 * PostgreSQL of the replicas, through a small pool: each decision holds one connection, so none waits
 * for a second that another holds, and none is lost.
 */
class AlertDecisionsPostgresIT {
    private static final int HUBS = 20;

    private static RunResult failed(String hub) {
        return new RunResult(UUID.randomUUID().toString(), hub, "kernel-smoke", "bot", Instant.now(), Duration.ofSeconds(2),
                List.of(new PhaseResult(Phase.SPAWN, PhaseResult.Status.FAILED, Duration.ofSeconds(1), Reason.SPAWN_FAILED, "boom")),
                List.of(), null, Phase.SPAWN, Reason.SPAWN_FAILED, "boom", Map.of(), List.of());
    }

    @Test
    void twentySimultaneousDecisionsOnAPoolOfFourAreAllMade() throws Exception {
        String url = Postgres.shared().newDatabase();
        List<AlertEvent> heard = new CopyOnWriteArrayList<>();
        Notifier recorder = new Notifier() {
            @Override
            public String name() {
                return "recorder";
            }

            @Override
            public void deliver(AlertEvent event) {
                heard.add(event);
            }
        };
        HikariConfig small = new HikariConfig();
        small.setJdbcUrl(url);
        small.setUsername(Postgres.USER);
        small.setPassword(Postgres.PASSWORD);
        small.setMaximumPoolSize(4);
        small.setConnectionTimeout(3_000); // a decision that waits longer for a connection is lost
        small.setPoolName("alert-decisions-test");
        try (HistoryStore history = HistoryStore.open(Database.postgres(url, Postgres.USER, Secret.of(Postgres.PASSWORD)));
             HikariDataSource pool = new HikariDataSource(small)) {
            AlertStore store = new AlertStore(pool, true);
            List<Throwable> lost = new CopyOnWriteArrayList<>();
            try (AlertEngine engine = new AlertEngine(store, new Dispatcher(List.of(recorder),
                    new Outbox(store.decisionConnections(), "test", Clock.systemUTC()), new SimpleMeterRegistry(), new Dispatcher.Retry(Duration.ofMillis(20), Duration.ofMillis(200), Duration.ofMinutes(1))),
                    history, hub -> AlertPolicy.DEFAULTS, new SimpleMeterRegistry(), Clock.systemUTC(), null, Duration.ofHours(1))) {
                for (int round = 0; round < 2; round++) { // fire_after 2: the second round pages every hub
                    CyclicBarrier together = new CyclicBarrier(HUBS);
                    List<Thread> threads = new ArrayList<>();
                    for (int i = 0; i < HUBS; i++) {
                        String hub = "hub-" + i;
                        Thread t = new Thread(() -> {
                            try {
                                together.await(30, TimeUnit.SECONDS);
                                engine.accept(failed(hub));
                            } catch (Exception | Error e) {
                                lost.add(e);
                            }
                        }, "decision-" + i);
                        threads.add(t);
                        t.start();
                    }
                    for (Thread t : threads) {
                        t.join(120_000);
                    }
                }
                assertTrue(lost.isEmpty(), () -> lost.size() + " decisions lost, the first: " + lost.get(0));
                assertEquals(HUBS, engine.firing().size(), engine.firing()::toString);
                long deadline = System.nanoTime() + 20_000_000_000L;
                while (heard.size() < HUBS && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
            }
            Set<String> paged = ConcurrentHashMap.newKeySet();
            heard.stream().filter(e -> e.type() == AlertEvent.Type.FIRING).forEach(e -> paged.add(e.alert().hub()));
            assertEquals(HUBS, paged.size(), "hubs paged: " + paged);
        }
    }
}
