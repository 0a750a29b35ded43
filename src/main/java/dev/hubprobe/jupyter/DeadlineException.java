package dev.hubprobe.jupyter;

/** A wait that has its own deadline (a spawn, a kernel reply) ran out of time. */
public class DeadlineException extends JupyterException {
    public DeadlineException(String message) {
        super(message);
    }
}
