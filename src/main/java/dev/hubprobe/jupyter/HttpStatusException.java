package dev.hubprobe.jupyter;

/** The peer answered with an HTTP status the caller did not expect. */
public class HttpStatusException extends JupyterException {
    private final int status;
    private final String path;

    public HttpStatusException(String method, String path, int status, String upstreamMessage) {
        super(method + " " + path + " answered " + status
                + (upstreamMessage == null || upstreamMessage.isBlank() ? "" : ": " + upstreamMessage));
        this.status = status;
        this.path = path;
    }

    /** The request's encoded path: which call was refused (a kernel's channels socket, or its model). */
    public String path() {
        return path;
    }

    public int status() {
        return status;
    }

}
