package dev.hubprobe.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hubprobe.testhub.Probes;
import dev.hubprobe.testhub.RealHub;
import dev.hubprobe.testhub.RealHubExtension;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The spawn broken down on the real hub, whose test spawner emits KubeSpawner-shaped events with
 * known delays: the measured stages match what was injected, for slow and for fast spawns.
 */
@ExtendWith(RealHubExtension.class)
class SpawnAnatomyIT {
    private final RealHub hub = RealHub.shared();

    private static ProbeDefinition k8s(String options) throws Exception {
        return Probes.probe("""
                user_options: {fault: k8s, %s}
                cells:
                  - code: print(6 * 7)
                    expect: {output_contains: "42"}
                """.formatted(options));
    }

    private static Duration stage(RunResult r, Phase phase) {
        return r.spawnPhases().stream().filter(p -> p.phase() == phase).findFirst()
                .map(PhaseResult::duration).orElseThrow(() -> new AssertionError(phase + " not measured: " + r.spawnPhases()));
    }

    /** Within 5% of the injected delay, or 100 ms, whichever is larger. */
    private static void assertNear(double expectedSeconds, Duration measured, String what) {
        double got = measured.toNanos() / 1e9;
        double tolerance = Math.max(0.05 * expectedSeconds, 0.1);
        assertTrue(Math.abs(got - expectedSeconds) <= tolerance,
                what + ": measured " + got + " s, injected " + expectedSeconds + " s (tolerance " + tolerance + ")");
    }

    private static Duration phase(RunResult r, Phase phase) {
        return r.phases().stream().filter(p -> p.phase() == phase).findFirst().orElseThrow().duration();
    }

    @Test
    void slowSpawnIsBrokenIntoScaleUpAndImagePull() throws Exception {
        RunResult r = Probes.run(hub, RealHub.user("ok"), k8s("scale_up: 7, pull: 4.5"));
        assertTrue(r.passed(), () -> r.failedPhase() + " " + r.reason() + " " + r.message());
        assertTrue(phase(r, Phase.SPAWN).toMillis() > 10_000, "a slow spawn, past slow_spawn_timeout");
        assertNear(7, stage(r, Phase.SPAWN_SCALE_UP), "scale-up");
        assertNear(4.5, stage(r, Phase.SPAWN_IMAGE_PULL), "image pull");
        assertEquals(Boolean.TRUE, r.scaleUpObserved());
        assertNotNull(stage(r, Phase.SPAWN_QUEUE));
        assertTrue(stage(r, Phase.SPAWN_SCHEDULING).compareTo(stage(r, Phase.SPAWN_SCALE_UP)) >= 0);
        assertNotNull(stage(r, Phase.SPAWN_SERVER_START));
    }

    @Test
    void fastSpawnStillYieldsItsEvents() throws Exception {
        // the hub answers the spawn request 201 here: the events come from the stream followed meanwhile
        // small delays: the real server start (several seconds on a loaded 2-core machine) must fit too
        RunResult r = Probes.run(hub, RealHub.user("ok"), k8s("scale_up: 1.2, pull: 0.8"));
        assertTrue(r.passed(), () -> r.failedPhase() + " " + r.reason() + " " + r.message());
        assertTrue(phase(r, Phase.SPAWN).toMillis() < 10_000, "a fast spawn, inside slow_spawn_timeout: " + phase(r, Phase.SPAWN));
        assertNear(1.2, stage(r, Phase.SPAWN_SCALE_UP), "scale-up");
        assertNear(0.8, stage(r, Phase.SPAWN_IMAGE_PULL), "image pull");
    }

    @Test
    void spawnerWithoutEventsReportsOnlyTheSpawn() throws Exception {
        RunResult r = Probes.run(hub, RealHub.user("ok"), Probes.probe("cells: [{code: '1'}]"));
        assertTrue(r.passed());
        assertTrue(r.spawnPhases().isEmpty());
        assertEquals(null, r.scaleUpObserved());
    }

    @Test
    void scaleUpProbeThatGotNoScaleUpSaysSo() throws Exception {
        String user = RealHub.user("ok");
        RunResult r = Probes.run(hub, user, Probes.probe("""
                user_options: {fault: k8s, scale_up: 0}
                expect_scale_up: true
                cells: [{code: '1'}]
                """));
        assertEquals(Phase.SPAWN, r.failedPhase());
        assertEquals(Reason.NO_SCALE_UP, r.reason());
        assertEquals(Boolean.FALSE, r.scaleUpObserved());
        assertTrue(r.message().contains("scale-up path was not measured"), r.message());
        assertTrue(hub.userModel(user).path("servers").isEmpty(), "server stopped");
    }

    @Test
    void perRunNamedServerIsUsedThenRemoved() throws Exception {
        String user = RealHub.user("ok");
        RunResult r = Probes.run(hub, user, Probes.probe("""
                server: auto
                user_options: {fault: k8s}
                cells: [{code: 'import os; print(os.environ["JUPYTERHUB_SERVER_NAME"])', expect: {output_matches: "^hubprobe-[0-9a-z]+-[0-9a-f]{8}$"}}]
                """));
        assertTrue(r.passed(), () -> r.failedPhase() + " " + r.reason() + " " + r.message());
        assertTrue(hub.userModel(user).path("servers").isEmpty(), "named server removed: " + hub.userModel(user));
        assertFalse(r.spawnPhases().isEmpty());
    }
}
