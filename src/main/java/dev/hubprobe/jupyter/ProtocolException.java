package dev.hubprobe.jupyter;

/** The peer answered, but not in the shape the protocol promises (malformed JSON, missing fields). */
public class ProtocolException extends JupyterException {
    public ProtocolException(String message) {
        super(message);
    }

    public ProtocolException(String message, Throwable cause) {
        super(message, cause);
    }
}
