package dev.hubprobe.jupyter;

/** The peer answered with an HTTP status the caller did not expect. */
public class HttpStatusException extends JupyterException {
    private final int status;
    private final String upstreamMessage;

    public HttpStatusException(String method, String path, int status, String upstreamMessage) {
        super(method + " " + path + " answered " + status
                + (upstreamMessage == null || upstreamMessage.isBlank() ? "" : ": " + upstreamMessage));
        this.status = status;
        this.upstreamMessage = upstreamMessage;
    }

    public int status() {
        return status;
    }

    /** The `message` of JupyterHub's / Jupyter Server's JSON error body, when there was one. */
    public String upstreamMessage() {
        return upstreamMessage;
    }
}
