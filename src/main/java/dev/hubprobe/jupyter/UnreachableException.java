package dev.hubprobe.jupyter;

/** The peer could not be reached at all: connection refused, DNS, TLS, or no answer in time. */
public class UnreachableException extends JupyterException {
    public UnreachableException(String message, Throwable cause) {
        super(message, cause);
    }
}
