package dev.hubprobe.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hubprobe.config.Secret;
import dev.hubprobe.probe.Phase;
import dev.hubprobe.probe.PhaseResult;
import dev.hubprobe.probe.ProbeDefinition;
import dev.hubprobe.probe.ProbeTarget;
import dev.hubprobe.probe.Reason;
import dev.hubprobe.probe.RunResult;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * A failed scheduled run is confirmed at once by a second run, once, after a short pause: the
 * confirming run goes to the sinks marked as such. Never after a pass or a run cut short by a stop,
 * never when the hub turned it off, and not when a stop comes during the pause.
 */
class ConfirmRunTest {
    private static final ScheduledProbe PROBE = new ScheduledProbe(new ProbeTarget("staging", "http://127.0.0.1:9/", "bot",
            new ProbeTarget.Token(Secret.of("t"))), new ProbeDefinition("smoke", null, null, null, null, null, null,
            List.of(new ProbeDefinition.Cell("1", null))), Duration.ofHours(1));

    private static RunResult result(Reason reason) {
        boolean passed = reason == null;
        return new RunResult(UUID.randomUUID().toString(), "staging", "smoke", "bot", Instant.now(), Duration.ofMillis(5),
                List.of(passed ? new PhaseResult(Phase.HUB_API, PhaseResult.Status.PASSED, Duration.ofMillis(5), null, null)
                        : new PhaseResult(Phase.HUB_API, PhaseResult.Status.FAILED, Duration.ofMillis(5), reason, "x")),
                List.of(), null, passed ? null : Phase.HUB_API, reason, passed ? null : "x", Map.of(), List.of());
    }

    /** The results the sinks saw when the executor answers these, in order. */
    private static List<RunResult> sinksSee(boolean confirm, Reason... answers) {
        List<RunResult> seen = new CopyOnWriteArrayList<>();
        List<Reason> script = new java.util.ArrayList<>(java.util.Arrays.asList(answers));
        ProbeScheduler s = new ProbeScheduler(2, (p, abort) -> result(script.remove(0)), List.of(seen::add), new SimpleMeterRegistry());
        try {
            s.schedule(List.of(PROBE), null);
            s.confirmFailures(hub -> confirm, Duration.ofMillis(200));
            s.execute(PROBE);
        } finally {
            s.close(Duration.ofSeconds(5));
        }
        return seen;
    }

    @Test
    void aFailureIsConfirmedOnceAtOnce() {
        long t0 = System.nanoTime();
        List<RunResult> seen = sinksSee(true, Reason.HUB_UNREACHABLE, Reason.HUB_UNREACHABLE, Reason.HUB_UNREACHABLE);
        assertEquals(2, seen.size(), "one run and one confirming run: " + seen);
        assertFalse(seen.get(0).confirming());
        assertTrue(seen.get(1).confirming());
        assertTrue(System.nanoTime() - t0 >= 200_000_000L, "the confirming run waits its pause");
    }

    @Test
    void aBlipIsConfirmedAsOver() {
        List<RunResult> seen = sinksSee(true, Reason.HUB_UNREACHABLE, null);
        assertEquals(2, seen.size());
        assertTrue(seen.get(1).passed() && seen.get(1).confirming());
    }

    @Test
    void noConfirmingRunAfterAPassAnAbortOrWhenTurnedOff() {
        assertEquals(1, sinksSee(true, (Reason) null).size());
        assertEquals(1, sinksSee(true, Reason.ABORTED).size(), "a run cut short by a stop is never confirmed");
        assertEquals(1, sinksSee(false, Reason.HUB_UNREACHABLE).size(), "alerting.failure.confirm: false");
    }

    @Test
    void aStopDuringThePauseEndsIt() throws Exception {
        List<RunResult> seen = new CopyOnWriteArrayList<>();
        ProbeScheduler s = new ProbeScheduler(2, (p, abort) -> result(Reason.HUB_UNREACHABLE), List.of(seen::add), new SimpleMeterRegistry());
        s.schedule(List.of(PROBE), null);
        s.confirmFailures(hub -> true, Duration.ofSeconds(30));
        Thread run = new Thread(() -> s.execute(PROBE));
        run.start();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (seen.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        long t0 = System.nanoTime();
        s.close(Duration.ofSeconds(10));
        run.join(10_000);
        assertFalse(run.isAlive());
        assertTrue(System.nanoTime() - t0 < 5_000_000_000L, "the stop waited out the pause");
        assertEquals(1, seen.size(), "a confirming run after the stop: " + seen);
    }
}
