package dev.hubprobe.probe;

import dev.hubprobe.environment.Environment;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Everything one run found out, immutable. Every consumer (report, history, metrics, alerting) reads
 * this one type; none calls back into the runner. Messages in it are already redacted.
 *
 * @param failedPhase null when the run passed
 * @param spawnPhases the spawn broken down from the spawner's Kubernetes events (empty without them)
 * @param scaleUpObserved whether the spawn's events showed a scale-up; null without events
 * @param facts       small observations worth keeping (hub version, kernel name), never secrets
 * @param environment the kernel's packages and image, when captured; null otherwise
 * @param transcript  the progress events and cell outputs the run saw
 */
public record RunResult(String runId, String hub, String probe, String user, Instant startedAt, Duration duration,
                        List<PhaseResult> phases, List<PhaseResult> spawnPhases, Boolean scaleUpObserved,
                        Phase failedPhase, Reason reason, String message,
                        Map<String, String> facts, List<String> notes, Environment environment, Transcript transcript) {

    public RunResult {
        transcript = transcript == null ? Transcript.EMPTY : transcript;
        phases = List.copyOf(phases);
        spawnPhases = List.copyOf(spawnPhases);
        facts = Map.copyOf(facts);
        notes = List.copyOf(notes);
    }

    /** A run that captured no environment. */
    public RunResult(String runId, String hub, String probe, String user, Instant startedAt, Duration duration,
                     List<PhaseResult> phases, List<PhaseResult> spawnPhases, Boolean scaleUpObserved,
                     Phase failedPhase, Reason reason, String message, Map<String, String> facts, List<String> notes) {
        this(runId, hub, probe, user, startedAt, duration, phases, spawnPhases, scaleUpObserved, failedPhase, reason, message,
                facts, notes, null, null);
    }

    /** A run without a transcript. */
    public RunResult(String runId, String hub, String probe, String user, Instant startedAt, Duration duration,
                     List<PhaseResult> phases, List<PhaseResult> spawnPhases, Boolean scaleUpObserved,
                     Phase failedPhase, Reason reason, String message, Map<String, String> facts, List<String> notes,
                     Environment environment) {
        this(runId, hub, probe, user, startedAt, duration, phases, spawnPhases, scaleUpObserved, failedPhase, reason, message,
                facts, notes, environment, null);
    }

    public RunResult withEnvironment(Environment newEnvironment) {
        return new RunResult(runId, hub, probe, user, startedAt, duration, phases, spawnPhases, scaleUpObserved, failedPhase,
                reason, message, facts, notes, newEnvironment, transcript);
    }

    public boolean passed() {
        return failedPhase == null;
    }
}
