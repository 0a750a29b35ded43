package dev.hubprobe.jupyter;

/**
 * Base of everything the Jupyter clients throw. The clients only say what happened on the wire;
 * deciding which probe phase and reason that means is the probe runner's business.
 */
public class JupyterException extends RuntimeException {
    public JupyterException(String message) {
        super(message);
    }

    public JupyterException(String message, Throwable cause) {
        super(message, cause);
    }
}
