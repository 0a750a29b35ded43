package dev.hubprobe.history;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hubprobe.probe.Phase;
import dev.hubprobe.probe.PhaseResult;
import dev.hubprobe.probe.ProbeKey;
import dev.hubprobe.probe.RunResult;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The regression baseline's reads never hold more than a few of the pool's connections, however many
 * runs finish at once: on a history of 14 million runs, 64 run threads' baseline reads held all 32
 * and every write and page waited past the pool's 30 s ("Login timeout").
 */
class BaselineReadsTest {
    @TempDir
    Path dir;
    private final Instant now = Instant.now();

    private RunResult run(String hub, Instant at, boolean scaleUp) {
        return new RunResult(UUID.randomUUID().toString(), hub, "kernel-smoke", "bot", at, Duration.ofSeconds(30),
                List.of(new PhaseResult(Phase.SPAWN, PhaseResult.Status.PASSED, Duration.ofSeconds(10), null, null)),
                scaleUp ? List.of(new PhaseResult(Phase.SPAWN_SCALE_UP, PhaseResult.Status.PASSED, Duration.ofSeconds(5), null, null))
                        : List.of(), scaleUp, null, null, null, Map.of(), List.of());
    }

    @Test
    void thirtyTwoRunsJudgedAtOnceUseAtMostTheBaselinesConnections() throws Exception {
        AtomicInteger open = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        try (HistoryStore plain = HistoryStore.open(dir.resolve("db"))) {
            for (int i = 0; i < 20; i++) {
                plain.accept(run("hub-" + (i % 4), now.minus(Duration.ofMinutes(20 - i)), i % 5 == 0));
            }
        }
        Database counted = Database.h2(dir.resolve("db")).over(ds -> slowAndCounted(ds, open, most));
        try (HistoryStore h = HistoryStore.open(counted)) {
            most.set(0);
            ExecutorService runs = Executors.newFixedThreadPool(32);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int i = 0; i < 32; i++) {
                    ProbeKey key = new ProbeKey("hub-" + (i % 4), "kernel-smoke");
                    boolean medians = i % 2 == 0;
                    done.add(runs.submit(() -> medians ? h.phaseMedians(key, now.minus(Duration.ofDays(30)), now)
                            : h.recentPassingWithPhase(key, "spawn_scale_up", now.minus(Duration.ofDays(30)), 3)));
                }
                for (Future<?> f : done) {
                    f.get();
                }
            } finally {
                runs.shutdownNow();
            }
            assertTrue(most.get() <= HistoryStore.BASELINE_READS, "baseline reads held " + most.get() + " connections at once");
            assertTrue(most.get() > 1, "the reads did run side by side: " + most.get());
            // and a write meanwhile is not kept waiting behind them: it has its own connections
            h.accept(run("hub-9", now, false));
            assertEquals(1, h.runs("hub-9", "kernel-smoke", now.minusSeconds(1), 10).size());
        }
    }

    @Test
    void aPhaseIsLookedForOnlyWithinTheWindow() {
        try (HistoryStore h = HistoryStore.open(dir.resolve("db2"))) {
            h.accept(run("hub", now.minus(Duration.ofDays(40)), true));
            h.accept(run("hub", now.minus(Duration.ofDays(2)), true));
            h.accept(run("hub", now.minus(Duration.ofHours(1)), false));
            ProbeKey key = new ProbeKey("hub", "kernel-smoke");
            assertEquals(2, h.recentPassingWithPhase(key, "spawn_scale_up", now.minus(Duration.ofDays(60)), 5).runs());
            HistoryStore.Recent month = h.recentPassingWithPhase(key, "spawn_scale_up", now.minus(Duration.ofDays(30)), 5);
            assertEquals(1, month.runs(), "a sample older than the window has no baseline before it in the window");
        }
    }

    @Test
    void aRunsAlertDecisionDoesNotQueueBehindTheBaselineReadsItJudgesOnWhatItKeptOrOnNothing() throws Exception {
        try (HistoryStore plain = HistoryStore.open(dir.resolve("db3"))) {
            for (int i = 0; i < 30; i++) {
                plain.accept(run("hub-0", now.minus(Duration.ofMinutes(40 - i)), false));
            }
        }
        AtomicInteger open = new AtomicInteger();
        java.util.concurrent.atomic.AtomicLong delay = new java.util.concurrent.atomic.AtomicLong(0);
        Database db = Database.h2(dir.resolve("db3")).over(ds -> slowAndCounted(ds, open, new AtomicInteger(), delay));
        try (HistoryStore h = HistoryStore.open(db)) {
            ProbeKey key = new ProbeKey("hub-0", "kernel-smoke");
            dev.hubprobe.alerting.AlertPolicy p = new dev.hubprobe.alerting.AlertPolicy(2, 2, Duration.ofHours(4), "page", true,
                    Duration.ofDays(30), 10, 3, 2.0, Duration.ofSeconds(30), 1.5, List.of());
            dev.hubprobe.testhub.MovingClock clock = new dev.hubprobe.testhub.MovingClock(now);
            dev.hubprobe.alerting.Baselines first = new dev.hubprobe.alerting.Baselines(h, clock, Duration.ofMinutes(5));
            assertEquals(10.0, first.withoutWaiting(key, p).get("spawn").baseline(), 1e-9, "a free lane reads the baseline");
            dev.hubprobe.alerting.Baselines cold = new dev.hubprobe.alerting.Baselines(h, clock, Duration.ofMinutes(5));
            // both of the baseline's reads taken by reads that last 5 s (a month of runs on a busy machine)
            delay.set(5000);
            ExecutorService others = Executors.newFixedThreadPool(HistoryStore.BASELINE_READS);
            try {
                for (int i = 0; i < HistoryStore.BASELINE_READS; i++) {
                    others.submit(() -> h.phaseMedians(key, now.minus(Duration.ofDays(30)), now));
                }
                long deadline = System.nanoTime() + Duration.ofSeconds(4).toNanos();
                while (open.get() < HistoryStore.BASELINE_READS && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                assertEquals(HistoryStore.BASELINE_READS, open.get(), "the other reads hold the lane");
                delay.set(0);
                clock.set(now.plus(Duration.ofHours(2))); // the kept baseline is due to be read again
                long t0 = System.nanoTime();
                Map<String, dev.hubprobe.alerting.Baselines.Phase> none = cold.withoutWaiting(key, p);
                Map<String, dev.hubprobe.alerting.Baselines.Phase> kept = first.withoutWaiting(key, p);
                long waited = (System.nanoTime() - t0) / 1_000_000;
                assertTrue(none.isEmpty(), "no baseline read yet and none free: not judged this run, " + none);
                assertEquals(10.0, kept.get("spawn").baseline(), 1e-9, "the baseline kept from before is used while none is free");
                assertTrue(waited < 2 * HistoryStore.BASELINE_WAIT.toMillis() + 1000, "the decision waited " + waited + " ms");
                // a page or the API waits for its turn instead of going without
                assertEquals(10.0, cold.of(key, p).get("spawn").baseline(), 1e-9);
            } finally {
                others.shutdownNow();
            }
        }
    }

    private static DataSource slowAndCounted(DataSource ds, AtomicInteger open, AtomicInteger most) {
        return slowAndCounted(ds, open, most, new java.util.concurrent.atomic.AtomicLong(100));
    }

    /** Connections that take {@code delay} ms to hand out (a busy database), counted while open. */
    private static DataSource slowAndCounted(DataSource ds, AtomicInteger open, AtomicInteger most,
                                             java.util.concurrent.atomic.AtomicLong delay) {
        return (DataSource) Proxy.newProxyInstance(DataSource.class.getClassLoader(), new Class<?>[] {DataSource.class}, (p, m, args) -> {
            try {
                Object r = m.invoke(ds, args);
                if (!m.getName().equals("getConnection")) {
                    return r;
                }
                most.accumulateAndGet(open.incrementAndGet(), Math::max);
                Thread.sleep(delay.get());
                Connection c = (Connection) r;
                return Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class}, (cp, cm, cargs) -> {
                    if (cm.getName().equals("close")) {
                        open.decrementAndGet();
                    }
                    try {
                        return cm.invoke(c, cargs);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        });
    }
}
