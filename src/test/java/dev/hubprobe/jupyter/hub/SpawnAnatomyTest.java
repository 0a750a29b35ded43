package dev.hubprobe.jupyter.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The spawn breakdown and failure causes, read from KubeSpawner-shaped events. */
class SpawnAnatomyTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long S = 1_000_000_000L;
    private final List<ProgressEvent> events = new ArrayList<>();

    /** An event that happened at cluster time {@code ts} and arrived (late, as KubeSpawner polls) at {@code arrived}. */
    private void event(String reason, String message, String ts, long arrived) {
        ObjectNode e = JSON.createObjectNode().put("progress", 50).put("message", message);
        ObjectNode raw = e.putObject("raw_event").put("reason", reason).put("message", message).put("type", "Normal");
        if (ts != null) {
            raw.put("eventTime", ts);
        }
        events.add(ProgressEvent.of(e, arrived));
    }

    @Test
    void stagesComeFromTheEventsOwnTimestamps() {
        events.add(ProgressEvent.of(JSON.createObjectNode().put("progress", 0).put("message", "Server requested"), 0));
        event("FailedScheduling", "0/3 nodes are available", "2026-11-22T10:00:01.000000Z", S + S / 2);
        event("TriggeredScaleUp", "pod triggered scale-up", "2026-11-22T10:00:01.100000Z", 2 * S);
        event("Scheduled", "Successfully assigned", "2026-11-22T10:01:31.100000Z", 91 * S + S / 2);
        event("Pulling", "Pulling image", "2026-11-22T10:01:31.200000Z", 92 * S);
        event("Pulled", "Successfully pulled", "2026-11-22T10:01:43.450000Z", 104 * S);
        SpawnAnatomy a = SpawnAnatomy.of(0, events, 110 * S, null).orElseThrow();
        assertEquals(Duration.ofMillis(1500), a.queue());
        assertEquals(Duration.ofMillis(90_100), a.scheduling());
        assertEquals(Duration.ofSeconds(90), a.scaleUp());
        assertEquals(Duration.ofMillis(12_250), a.imagePull());
        assertTrue(a.scaleUpObserved());
        assertFalse(a.imageCached());
        assertNull(a.cause());
    }

    @Test
    void arrivalTimesStandInForMissingTimestamps() {
        event("Scheduled", "Successfully assigned", null, S);
        event("Pulled", "Container image \"x\" already present on machine", null, 2 * S);
        SpawnAnatomy a = SpawnAnatomy.of(0, events, 5 * S, null).orElseThrow();
        assertEquals(Duration.ZERO, a.imagePull());
        assertTrue(a.imageCached());
        assertFalse(a.scaleUpObserved());
        assertEquals(Duration.ofSeconds(3), a.serverStart());
    }

    @Test
    void pullFailureIsTheCauseByReasonNotByWording() {
        event("Scheduled", "assigned", null, S);
        event("Pulling", "Pulling image", null, S);
        event("Failed", "Failed to pull image \"x\": pull access denied", null, 2 * S);
        event("BackOff", "Back-off restarting failed container", null, 3 * S);
        SpawnAnatomy a = SpawnAnatomy.of(0, events, null, "Spawn failed: pod did not start").orElseThrow();
        assertEquals(SpawnAnatomy.Cause.IMAGE_PULL_FAILED, a.cause());
        assertTrue(a.decisiveMessage().startsWith("Failed: Failed to pull image"), a.decisiveMessage());
    }

    @Test
    void crashLoopBackOffIsNotAPullFailure() {
        event("Scheduled", "assigned", null, S);
        event("BackOff", "Back-off restarting failed container notebook", null, 2 * S);
        SpawnAnatomy a = SpawnAnatomy.of(0, events, null, "Spawn failed").orElseThrow();
        assertNull(a.cause());
    }

    @Test
    void notTriggerScaleUpWithoutSchedulingIsUnschedulable() {
        event("FailedScheduling", "0/3 nodes are available", null, S);
        event("NotTriggerScaleUp", "pod didn't trigger scale-up", null, S);
        SpawnAnatomy a = SpawnAnatomy.of(0, events, null, "Spawn failed: pod did not start in 300 seconds!").orElseThrow();
        assertEquals(SpawnAnatomy.Cause.UNSCHEDULABLE, a.cause());
    }

    @Test
    void aSpawnerWithoutKubernetesEventsHasNoBreakdown() {
        events.add(ProgressEvent.of(JSON.createObjectNode().put("progress", 50).put("message", "Spawning server..."), S));
        assertTrue(SpawnAnatomy.of(0, events, 2 * S, null).isEmpty());
    }
}
