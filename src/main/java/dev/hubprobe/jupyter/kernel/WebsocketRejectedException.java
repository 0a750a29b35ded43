package dev.hubprobe.jupyter.kernel;

import dev.hubprobe.jupyter.JupyterException;

/**
 * The kernel websocket's upgrade was refused with a 4xx although the same session's REST calls to the
 * server worked: what a browser meets behind an ingress that refuses its upgrades.
 */
public class WebsocketRejectedException extends JupyterException {
    private final int status;

    public WebsocketRejectedException(String message, int status, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    public int status() {
        return status;
    }
}
