package dev.hubprobe.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hubprobe.probe.Phase;
import dev.hubprobe.probe.PhaseResult;
import dev.hubprobe.probe.Reason;
import dev.hubprobe.probe.RunResult;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** What a load test adds up to: nearest-rank percentiles, failures by reason, stopped runs apart. */
class LoadResultsTest {
    private static RunResult run(double spawnSeconds, Reason failed) {
        List<PhaseResult> phases = new ArrayList<>();
        phases.add(new PhaseResult(Phase.LOGIN, PhaseResult.Status.PASSED, Duration.ofMillis(100), null, null));
        phases.add(failed == null
                ? new PhaseResult(Phase.SPAWN, PhaseResult.Status.PASSED, Duration.ofMillis((long) (spawnSeconds * 1000)), null, null)
                : new PhaseResult(Phase.SPAWN, PhaseResult.Status.FAILED, Duration.ofMillis(500), failed, "no"));
        List<PhaseResult> spawnPhases = failed == null
                ? List.of(new PhaseResult(Phase.SPAWN_IMAGE_PULL, PhaseResult.Status.PASSED, Duration.ofMillis(300), null, null)) : List.of();
        return new RunResult(UUID.randomUUID().toString(), "h", "p", "u", Instant.parse("2026-11-23T09:00:00Z"),
                Duration.ofSeconds(20), phases, spawnPhases, null, failed == null ? null : Phase.SPAWN, failed,
                failed == null ? null : "no", Map.of(), List.of());
    }

    @Test
    void percentilesAreRunsTheHubReallyTookAndStoppedRunsAreNotCounted() {
        LoadResults r = new LoadResults(3);
        r.started(Instant.parse("2026-11-23T09:00:00Z"));
        for (int i = 1; i <= 100; i++) {
            r.add("u" + (i % 3), run(i, null)); // spawns of 1 s .. 100 s
        }
        r.add("u1", run(0, Reason.SPAWN_FAILED));
        r.add("u2", run(0, Reason.SPAWN_FAILED));
        r.add("u2", run(0, Reason.SPAWN_TIMEOUT));
        r.add("u0", run(0, Reason.ABORTED));
        r.ended(Instant.parse("2026-11-23T09:10:00Z"));

        LoadResults.Stats spawn = r.phases().get(Phase.SPAWN);
        assertEquals(100, spawn.count(), "failed spawns have no latency to rank");
        assertEquals(50.0, spawn.p50());
        assertEquals(90.0, spawn.p90());
        assertEquals(99.0, spawn.p99());
        assertEquals(100.0, spawn.max());
        assertEquals(103, r.phases().get(Phase.LOGIN).count());
        assertEquals(100, r.phases().get(Phase.SPAWN_IMAGE_PULL).count(), "the spawn breakdown is included");

        JsonNode json = r.toJson();
        assertEquals(103, json.path("runs").asInt());
        assertEquals(3, json.path("failed").asInt());
        assertEquals(1, json.path("aborted").asInt());
        assertEquals(2, json.path("failures").path("spawn_failed").asInt());
        assertEquals(1, json.path("failures").path("spawn_timeout").asInt());
        assertEquals(600.0, json.path("duration_seconds").asDouble());
        assertEquals(10.3, json.path("throughput_per_minute").asDouble());
        assertEquals(0.029, json.path("error_rate").asDouble());
        assertEquals(50.0, json.path("phases").path("spawn").path("p50").asDouble());
    }

    private static RunResult failedIn(Phase phase, Reason reason, String message) {
        return new RunResult(UUID.randomUUID().toString(), "h", "p", "u", Instant.parse("2026-11-23T09:00:00Z"), Duration.ofSeconds(5),
                List.of(new PhaseResult(phase, PhaseResult.Status.FAILED, Duration.ofMillis(500), reason, message)), List.of(), null, phase,
                reason, message, Map.of(), List.of());
    }

    @Test
    void failedRunsAreGroupedByReasonPhaseAndMessageTheCommonestFirst() {
        LoadResults r = new LoadResults(2);
        r.started(Instant.parse("2026-11-23T09:00:00Z"));
        String reset = "POST /user/{user}/api/kernels: SocketException: Connection reset";
        r.add("u0", failedIn(Phase.KERNEL_START, Reason.SERVER_UNREACHABLE, "GET /user/u0/api: no answer in time\u001b]52;c;x\u0007 (twice)"));
        // two users failing alike are one kind: the user's name is not part of it
        r.add("u0", failedIn(Phase.KERNEL_START, Reason.SERVER_UNREACHABLE, reset.replace("{user}", "u0")));
        r.add("u1", failedIn(Phase.KERNEL_START, Reason.SERVER_UNREACHABLE, reset.replace("{user}", "u1")));
        r.add("u1", failedIn(Phase.SPAWN, Reason.SPAWN_FAILED, "x".repeat(1000)));
        for (int i = 0; i < 20; i++) {
            r.add("u1", failedIn(Phase.UI_LOAD, Reason.UI_FAILED, "got " + i)); // twenty kinds: only the first ones are kept
        }
        r.add("u1", run(0, Reason.ABORTED));
        r.add("u0", run(0, Reason.ABORTED));
        r.ended(Instant.parse("2026-11-23T09:01:00Z"));

        List<LoadResults.Error> errors = r.errors();
        assertEquals(LoadResults.MAX_ERRORS, errors.size());
        assertEquals(new LoadResults.Error("server_unreachable", "kernel_start", reset, 2), errors.get(0));
        assertEquals("GET /user/{user}/api: no answer in time\uFFFD]52;c;x\uFFFD (twice)", errors.get(1).message(), "no terminal escapes");
        assertTrue(errors.get(2).message().length() <= 303, "cut as on the report: " + errors.get(2).message().length());
        assertTrue(errors.stream().noneMatch(e -> e.reason().equals("aborted")), "a stop's runs are not the hub's errors (two would rank)");

        JsonNode first = r.toJson().path("errors").path(0);
        assertEquals("server_unreachable", first.path("reason").asText());
        assertEquals("kernel_start", first.path("phase").asText());
        assertEquals(reset, first.path("message").asText());
        assertEquals(2, first.path("count").asInt());
        assertEquals(3, r.toJson().path("failures").path("server_unreachable").asInt(), "the counts by reason are as before");
        assertTrue(r.toText().contains("  2 x server_unreachable in kernel_start: " + reset), r.toText());
        // 24 failed runs: 2 + 1 + 1 + 7 in the ten kinds listed, the other 13 counted, so the figures add up
        assertEquals(24, r.failed());
        assertEquals(13, r.toJson().path("errors_omitted").asInt(), r.toJson()::toString);
        assertTrue(r.toText().contains("  13 x of other kinds (only the 10 commonest are listed)"), r.toText());
    }

    @Test
    void runsThatSkippedTheirUiForWantOfABrowserAreCountedInTheReport() {
        LoadResults r = new LoadResults(2);
        r.started(Instant.parse("2026-11-23T09:00:00Z"));
        RunResult ok = run(1, null);
        r.add("u0", ok);
        r.add("u1", new RunResult(ok.runId(), "h", "p", "u1", ok.startedAt(), ok.duration(), ok.phases(), ok.spawnPhases(), null,
                null, null, null, Map.of(dev.hubprobe.probe.ProbeRunner.UI_SKIPPED_FACT, "no_browser"), List.of()));
        r.ended(Instant.parse("2026-11-23T09:01:00Z"));
        assertEquals(1, r.toJson().path("ui_skipped").asInt());
        assertTrue(r.toText().contains("1 runs skipped their UI phases: no browser free in time (raise --browsers)"), r.toText());
    }

    @Test
    void usersStartEvenlyOverTheRamp() {
        LoadPlan plan = new LoadPlan(5, 2, Duration.ofSeconds(60), Duration.ofMinutes(5), i -> "u" + i);
        assertEquals(Duration.ZERO, plan.startOf(1));
        assertEquals(Duration.ofSeconds(15), plan.startOf(2));
        assertEquals(Duration.ofSeconds(60), plan.startOf(5));
    }
}
