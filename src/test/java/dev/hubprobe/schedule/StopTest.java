package dev.hubprobe.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
 * A stop aborts every run, also one that registers just after close() asked the running ones to
 * abort: a run of its own server (per-run named servers, Binder) takes no turn, so nothing else ends it.
 */
class StopTest {
    /** Its own named server every run: it never waits for a server turn (which would see the stop). */
    private static final ScheduledProbe OWN_SERVER = new ScheduledProbe(new ProbeTarget("staging", "http://127.0.0.1:9/", "bot",
            new ProbeTarget.Token(Secret.of("t"))), new ProbeDefinition("smoke", null, null, ProbeDefinition.AUTO_SERVER, null, null,
            null, List.of(new ProbeDefinition.Cell("1", null))), Duration.ofHours(1));

    @Test
    void aRunThatRegistersJustAfterTheStopAskedRunsToAbortIsAbortedToo() throws Exception {
        List<String> ended = new CopyOnWriteArrayList<>();
        ProbeScheduler s = new ProbeScheduler(2, (p, abort) -> {
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (!abort.requested() && System.nanoTime() < deadline) {
                java.util.concurrent.locks.LockSupport.parkNanos(10_000_000);
            }
            ended.add(abort.requested() ? "aborted" : "ran its whole budget");
            return new RunResult(UUID.randomUUID().toString(), "staging", "smoke", "bot", Instant.now(), Duration.ofMillis(5),
                    List.of(new PhaseResult(Phase.SPAWN, PhaseResult.Status.FAILED, Duration.ofMillis(5), Reason.ABORTED, "x")),
                    List.of(), null, Phase.SPAWN, Reason.ABORTED, "x", Map.of(), List.of());
        }, List.of(), new SimpleMeterRegistry());
        s.schedule(List.of(OWN_SERVER), null);
        // close() has set closing and aborted every run it found; this run's thread registers only now
        s.close(Duration.ofSeconds(1));
        long t0 = System.nanoTime();
        s.execute(OWN_SERVER);
        double took = (System.nanoTime() - t0) / 1e9;
        assertEquals(List.of("aborted"), ended);
        assertTrue(took < 2, "the run went on for " + took + " s after the stop");
    }
}
