package dev.hubprobe.probe;

import java.time.Duration;

/**
 * How one phase went. {@code reason} and {@code message} are null unless it failed.
 *
 * @param app the app's name for an {@link Phase#APP} phase (one of the probe's {@code apps:}), null for any other
 */
public record PhaseResult(Phase phase, Status status, Duration duration, Reason reason, String message, String app) {
    public enum Status {
        PASSED, FAILED, SKIPPED;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public PhaseResult {
        if ((phase == Phase.APP) != (app != null)) {
            throw new IllegalArgumentException("an app phase, and only one, names its app: " + phase + " " + app);
        }
    }

    public PhaseResult(Phase phase, Status status, Duration duration, Reason reason, String message) {
        this(phase, status, duration, reason, message, null);
    }

    /**
     * The phase's label, as metrics, the history, the API, the pages, alerts and reports name it:
     * {@code app_<name>} for an app, the phase's own label otherwise. Bounded: app names are validated
     * and a probe has at most {@link ProbeDefinition#MAX_APPS} of them.
     */
    public String label() {
        return app == null ? phase.label() : Phase.APP_PREFIX + app;
    }

    /** A result read back under its {@link #label()} (the history's rows). */
    public static PhaseResult ofLabel(String label, Status status, Duration duration, Reason reason, String message) {
        Phase phase = Phase.ofLabel(label);
        return new PhaseResult(phase, status, duration, reason, message,
                phase == Phase.APP ? label.substring(Phase.APP_PREFIX.length()) : null);
    }

    public static PhaseResult skipped(Phase phase) {
        return new PhaseResult(phase, Status.SKIPPED, Duration.ZERO, null, null);
    }

    public static PhaseResult skipped(ProbeStep step) {
        return new PhaseResult(step.phase(), Status.SKIPPED, Duration.ZERO, null, null, step.app());
    }
}
