package dev.hubprobe.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hubprobe.json.Json;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Per-run server names: a run only ever stops servers whose runs are provably over. */
class AutoServerTest {
    private final Instant start = Instant.parse("2026-11-22T10:00:00Z");
    private final Duration budget = Duration.ofMinutes(20);

    @Test
    void nameStampsTheEndOfTheRunsBudget() {
        String name = AutoServer.name(UUID.randomUUID().toString(), start, budget);
        assertTrue(name.matches("hubprobe-[0-9a-z]+-[0-9a-f]{8}"), name);
        assertTrue(name.length() <= 63, name);
        assertEquals(start.plus(budget), AutoServer.heldUntil(name).orElseThrow());
    }

    @Test
    void aLiveRunsServerIsNeverALeftover() {
        String name = AutoServer.name(UUID.randomUUID().toString(), start, budget);
        // another run (another probe, a CI check, another replica) looks at it during its budget
        assertFalse(AutoServer.abandoned(name, null, start.plusSeconds(5), budget));
        assertFalse(AutoServer.abandoned(name, null, start.plus(budget), budget));
        // and within the clock skew allowed past it
        assertFalse(AutoServer.abandoned(name, null, start.plus(budget).plusSeconds(30), budget));
        assertTrue(AutoServer.abandoned(name, null, start.plus(budget).plus(AutoServer.SKEW).plusSeconds(1), budget));
    }

    @Test
    void unstampedNamesOfOlderVersionsGoByTheHubsStartTime() {
        ObjectNode model = Json.object().put("started", start.toString());
        assertFalse(AutoServer.abandoned("hubprobe-0a1b2c3d", model, start.plusSeconds(60), budget));
        assertTrue(AutoServer.abandoned("hubprobe-0a1b2c3d", model, start.plus(budget).plus(Duration.ofMinutes(2)), budget));
        // not started yet (pending): could be anyone's live spawn
        assertFalse(AutoServer.abandoned("hubprobe-0a1b2c3d", Json.object().putNull("started"), start.plus(Duration.ofDays(1)), budget));
    }

    @Test
    void serversNotNamedByHubprobeAreNeverTouched() {
        ObjectNode model = Json.object().put("started", start.toString());
        for (String name : new String[] {"", "my-analysis", "hubprobe", "hubprobe-notes-2024", "hubprobe-zz-12345678x"}) {
            assertFalse(AutoServer.abandoned(name, model, start.plus(Duration.ofDays(30)), budget), name);
        }
    }
}
