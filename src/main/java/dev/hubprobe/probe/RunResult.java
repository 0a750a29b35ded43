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
 * @param measurements what the cells reported by {@code hubprobe-measure:} lines, in base units, in order
 */
public record RunResult(String runId, String hub, String probe, String user, Instant startedAt, Duration duration,
                        List<PhaseResult> phases, List<PhaseResult> spawnPhases, Boolean scaleUpObserved,
                        Phase failedPhase, Reason reason, String message,
                        Map<String, String> facts, List<String> notes, Environment environment, Transcript transcript,
                        List<Measurement> measurements) {

    public RunResult {
        measurements = measurements == null ? List.of() : List.copyOf(measurements);
        transcript = transcript == null ? Transcript.EMPTY : transcript;
        phases = List.copyOf(phases);
        spawnPhases = List.copyOf(spawnPhases);
        facts = Map.copyOf(facts);
        notes = List.copyOf(notes);
    }

    /** A run that measured nothing. */
    public RunResult(String runId, String hub, String probe, String user, Instant startedAt, Duration duration,
                     List<PhaseResult> phases, List<PhaseResult> spawnPhases, Boolean scaleUpObserved,
                     Phase failedPhase, Reason reason, String message,
                     Map<String, String> facts, List<String> notes, Environment environment, Transcript transcript) {
        this(runId, hub, probe, user, startedAt, duration, phases, spawnPhases, scaleUpObserved, failedPhase, reason, message,
                facts, notes, environment, transcript, null);
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
                reason, message, facts, notes, newEnvironment, transcript, measurements);
    }

    /** The measurement of this name, when the run reported one. */
    public java.util.Optional<Measurement> measurement(String name) {
        return measurements.stream().filter(m -> m.name().equals(name)).findFirst();
    }

    public boolean passed() {
        return failedPhase == null;
    }

    /**
     * Cut short by a stop of the prober (reason {@code aborted}): the hub did nothing wrong, so the run
     * counts for nothing (no failure, no pass, no uptime, no regression sample); it is kept in the
     * history, shown as {@code aborted}.
     */
    public boolean aborted() {
        return failedPhase != null && reason == Reason.ABORTED;
    }

    /** What the history, the API and the pages call the run: passed, failed or aborted. */
    public String status() {
        return passed() ? "passed" : aborted() ? "aborted" : "failed";
    }

    /**
     * The fact that marks a confirming run: the probe run again at once after a failure (so a real
     * outage pages within one interval). Kept with the other facts, so it needs no column of its own.
     */
    public static final String CONFIRMING_FACT = "run.confirming";

    /** Whether this run is the confirming run after a failure. */
    public boolean confirming() {
        return "true".equals(facts.get(CONFIRMING_FACT));
    }

    /** The same result, marked as a confirming run. */
    public RunResult asConfirming() {
        Map<String, String> f = new java.util.LinkedHashMap<>(facts);
        f.put(CONFIRMING_FACT, "true");
        return new RunResult(runId, hub, probe, user, startedAt, duration, phases, spawnPhases, scaleUpObserved, failedPhase,
                reason, message, f, notes, environment, transcript, measurements);
    }
}
