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
 * @param failedApp   the app whose phase failed when {@code failedPhase} is {@link Phase#APP}, null otherwise:
 *                    with it a run read without its phases (the board's) still names {@code app_<name>}
 * @param screenshot  a PNG of the page when a UI phase failed (at most 512 KiB); null otherwise
 */
public record RunResult(String runId, String hub, String probe, String user, Instant startedAt, Duration duration,
                        List<PhaseResult> phases, List<PhaseResult> spawnPhases, Boolean scaleUpObserved,
                        Phase failedPhase, Reason reason, String message,
                        Map<String, String> facts, List<String> notes, Environment environment, Transcript transcript,
                        List<Measurement> measurements, String failedApp, byte[] screenshot) {

    public RunResult {
        measurements = measurements == null ? List.of() : List.copyOf(measurements);
        transcript = transcript == null ? Transcript.EMPTY : transcript;
        phases = List.copyOf(phases);
        spawnPhases = List.copyOf(spawnPhases);
        facts = Map.copyOf(facts);
        notes = List.copyOf(notes);
        if (failedPhase == Phase.APP && failedApp == null) {
            // built without the name (an older caller): the failed app's own result names it
            failedApp = phases.stream().filter(p -> p.phase() == Phase.APP && p.status() == PhaseResult.Status.FAILED)
                    .map(PhaseResult::app).findFirst().orElse(null);
        }
        failedApp = failedPhase == Phase.APP ? failedApp : null;
    }

    /** A run read back with what it measured and the app that failed, its screenshot kept apart. */
    public RunResult(String runId, String hub, String probe, String user, Instant startedAt, Duration duration,
                     List<PhaseResult> phases, List<PhaseResult> spawnPhases, Boolean scaleUpObserved,
                     Phase failedPhase, Reason reason, String message,
                     Map<String, String> facts, List<String> notes, Environment environment, Transcript transcript,
                     List<Measurement> measurements, String failedApp) {
        this(runId, hub, probe, user, startedAt, duration, phases, spawnPhases, scaleUpObserved, failedPhase, reason, message,
                facts, notes, environment, transcript, measurements, failedApp, (byte[]) null);
    }

    /** A run that measured nothing, with the page's screenshot from a failed UI phase. */
    public RunResult(String runId, String hub, String probe, String user, Instant startedAt, Duration duration,
                     List<PhaseResult> phases, List<PhaseResult> spawnPhases, Boolean scaleUpObserved,
                     Phase failedPhase, Reason reason, String message,
                     Map<String, String> facts, List<String> notes, Environment environment, Transcript transcript,
                     byte[] screenshot) {
        this(runId, hub, probe, user, startedAt, duration, phases, spawnPhases, scaleUpObserved, failedPhase, reason, message,
                facts, notes, environment, transcript, (List<Measurement>) null, (String) null, screenshot);
    }

    /** A run that measured nothing (its failed app, if any, named by its phases). */
    public RunResult(String runId, String hub, String probe, String user, Instant startedAt, Duration duration,
                     List<PhaseResult> phases, List<PhaseResult> spawnPhases, Boolean scaleUpObserved,
                     Phase failedPhase, Reason reason, String message,
                     Map<String, String> facts, List<String> notes, Environment environment, Transcript transcript,
                     List<Measurement> measurements) {
        this(runId, hub, probe, user, startedAt, duration, phases, spawnPhases, scaleUpObserved, failedPhase, reason, message,
                facts, notes, environment, transcript, measurements, (String) null, (byte[]) null);
    }

    /** A run that measured nothing, read back with the name of the app that failed. */
    public RunResult(String runId, String hub, String probe, String user, Instant startedAt, Duration duration,
                     List<PhaseResult> phases, List<PhaseResult> spawnPhases, Boolean scaleUpObserved,
                     Phase failedPhase, Reason reason, String message,
                     Map<String, String> facts, List<String> notes, Environment environment, Transcript transcript,
                     String failedApp) {
        this(runId, hub, probe, user, startedAt, duration, phases, spawnPhases, scaleUpObserved, failedPhase, reason, message,
                facts, notes, environment, transcript, (List<Measurement>) null, failedApp, (byte[]) null);
    }

    /** A run that measured nothing. */
    public RunResult(String runId, String hub, String probe, String user, Instant startedAt, Duration duration,
                     List<PhaseResult> phases, List<PhaseResult> spawnPhases, Boolean scaleUpObserved,
                     Phase failedPhase, Reason reason, String message,
                     Map<String, String> facts, List<String> notes, Environment environment, Transcript transcript) {
        this(runId, hub, probe, user, startedAt, duration, phases, spawnPhases, scaleUpObserved, failedPhase, reason, message,
                facts, notes, environment, transcript, (List<Measurement>) null, (String) null, (byte[]) null);
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
                reason, message, facts, notes, newEnvironment, transcript, measurements, failedApp, screenshot);
    }

    /** The measurement of this name, when the run reported one. */
    public java.util.Optional<Measurement> measurement(String name) {
        return measurements.stream().filter(m -> m.name().equals(name)).findFirst();
    }

    /**
     * The failed phase's label, as every reader shows it: {@code app_<name>} when an app failed (its
     * result in {@link #phases} names it), the phase's own label otherwise; null when the run passed.
     */
    public String failedPhaseLabel() {
        if (failedPhase == null) {
            return null;
        }
        return failedApp == null ? failedPhase.label() : Phase.APP_PREFIX + failedApp;
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
                reason, message, f, notes, environment, transcript, measurements, failedApp, screenshot);
    }
}
