package dev.hubprobe.jupyter;

/** The peer answered with an HTTP status the caller did not expect. */
public class HttpStatusException extends JupyterException {
    private final int status;

    public HttpStatusException(String method, String path, int status, String upstreamMessage) {
        super(method + " " + path + " answered " + status
                + (upstreamMessage == null || upstreamMessage.isBlank() ? "" : ": " + upstreamMessage));
        this.status = status;
    }

    public int status() {
        return status;
    }

}
