package dev.hubprobe.alerting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hubprobe.alerting.notify.Dispatcher;
import dev.hubprobe.alerting.notify.Notifier;
import dev.hubprobe.alerting.notify.Outbox;
import dev.hubprobe.history.HistoryStore;
import dev.hubprobe.probe.Phase;
import dev.hubprobe.probe.PhaseResult;
import dev.hubprobe.probe.Reason;
import dev.hubprobe.probe.RunResult;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A periodic re-send of a firing alert never reaches a receiver after the alert's resolve: Alertmanager
 * would fire it again. The re-send is made to stall just before it queues its reminder while the hub
 * recovers; the receiver must still hear the resolve last.
 */
class ReminderOrderTest {
    @TempDir
    Path dir;

    private static RunResult run(boolean passed) {
        return new RunResult(UUID.randomUUID().toString(), "staging", "kernel-smoke", "bot", Instant.now(), Duration.ofSeconds(2),
                List.of(passed ? new PhaseResult(Phase.SPAWN, PhaseResult.Status.PASSED, Duration.ofSeconds(1), null, null)
                        : new PhaseResult(Phase.SPAWN, PhaseResult.Status.FAILED, Duration.ofSeconds(1), Reason.SPAWN_FAILED, "boom")),
                List.of(), null, passed ? null : Phase.SPAWN, passed ? null : Reason.SPAWN_FAILED, passed ? null : "boom", Map.of(), List.of());
    }

    @Test
    void aReminderNeverOvertakesTheResolve() throws Exception {
        List<AlertEvent> heard = new CopyOnWriteArrayList<>();
        Notifier alertmanager = new Notifier() {
            @Override
            public String name() {
                return "alertmanager";
            }

            @Override
            public void deliver(AlertEvent event) {
                heard.add(event);
            }

            @Override
            public boolean wantsResends() {
                return true;
            }
        };
        CountDownLatch stalled = new CountDownLatch(1);
        CountDownLatch resolved = new CountDownLatch(1);
        AtomicBoolean armed = new AtomicBoolean();
        try (HistoryStore history = HistoryStore.open(dir.resolve("db"))) {
            DataSource pool = history.dataSource();
            // the outbox's database: the re-send's first use of it (to queue its reminder) waits for the resolve, 3 s at most
            DataSource stalling = (DataSource) java.lang.reflect.Proxy.newProxyInstance(DataSource.class.getClassLoader(),
                    new Class<?>[] {DataSource.class}, (proxy, m, args) -> {
                        if (m.getName().equals("getConnection") && Thread.currentThread().getName().equals("resend-under-test")
                                && armed.compareAndSet(true, false)) {
                            stalled.countDown();
                            resolved.await(3, TimeUnit.SECONDS);
                        }
                        try {
                            return m.invoke(pool, args);
                        } catch (java.lang.reflect.InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
            AlertPolicy policy = new AlertPolicy(1, 1, Duration.ofHours(4), "page", false, Duration.ofDays(30), 10, 3, 2.0,
                    Duration.ofSeconds(30), 1.5, List.of());
            try (AlertEngine engine = new AlertEngine(new AlertStore(pool), new Dispatcher(List.of(alertmanager),
                    new Outbox(stalling, "test", Clock.systemUTC()), new SimpleMeterRegistry(), new Dispatcher.Retry(Duration.ofMillis(20), Duration.ofMillis(200), Duration.ofMinutes(1))), history,
                    hub -> policy, new SimpleMeterRegistry(), Clock.systemUTC(), null, Duration.ofHours(1))) {
                engine.accept(run(false));
                assertEquals(1, engine.firing().size());
                armed.set(true);
                Method resend = AlertEngine.class.getDeclaredMethod("resendFiring");
                resend.setAccessible(true);
                Thread resender = new Thread(() -> {
                    try {
                        resend.invoke(engine);
                    } catch (ReflectiveOperationException e) {
                        throw new IllegalStateException(e);
                    }
                }, "resend-under-test");
                resender.start();
                assertTrue(stalled.await(10, TimeUnit.SECONDS), "the re-send did not queue anything");
                Thread recovery = new Thread(() -> {
                    engine.accept(run(true)); // the hub is back: resolve_after 1
                    resolved.countDown();
                });
                recovery.start();
                resender.join(10_000);
                recovery.join(10_000);
                assertTrue(engine.firing().isEmpty());
                long deadline = System.nanoTime() + 10_000_000_000L;
                while (heard.stream().noneMatch(e -> e.type() == AlertEvent.Type.RESOLVED) && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                Thread.sleep(300);
            }
        }
        List<AlertEvent.Type> types = heard.stream().map(AlertEvent::type).toList();
        assertEquals(AlertEvent.Type.RESOLVED, types.get(types.size() - 1), "Alertmanager heard " + types);
    }
}
