package dev.hubprobe.probe;

import java.time.Duration;

/** How one phase went. {@code reason} and {@code message} are null unless it failed. */
public record PhaseResult(Phase phase, Status status, Duration duration, Reason reason, String message) {
    public enum Status {
        PASSED, FAILED, SKIPPED;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public static PhaseResult skipped(Phase phase) {
        return new PhaseResult(phase, Status.SKIPPED, Duration.ZERO, null, null);
    }
}
