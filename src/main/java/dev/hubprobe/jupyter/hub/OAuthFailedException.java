package dev.hubprobe.jupyter.hub;

import dev.hubprobe.jupyter.JupyterException;

/**
 * The OAuth hop from the hub's session to the user's server's own cookie broke. The step says where:
 * {@code authorize} (the hub's authorize endpoint did not send the browser back), {@code callback} (the
 * server's {@code oauth_callback} refused the hub's answer), {@code cookie} (the server set no cookie,
 * or did not take back the one it set).
 */
public class OAuthFailedException extends JupyterException {
    private final String step;

    public OAuthFailedException(String step, String message) {
        super("the OAuth hop to the user's server failed at " + step + ": " + message);
        this.step = step;
    }

    public String step() {
        return step;
    }
}
