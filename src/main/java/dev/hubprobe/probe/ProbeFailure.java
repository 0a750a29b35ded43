package dev.hubprobe.probe;

/** Thrown by a step to end the run with a reason and the upstream message. */
public class ProbeFailure extends RuntimeException {
    private final Reason reason;

    public ProbeFailure(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public ProbeFailure(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
