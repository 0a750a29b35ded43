package dev.hubprobe.jupyter.hub;

import dev.hubprobe.jupyter.JupyterException;

/** The hub refused the credentials, the login form, or sent us back to the login page. */
public class LoginRejectedException extends JupyterException {
    private final boolean redirectLoop;

    public LoginRejectedException(String message, boolean redirectLoop) {
        super(message);
        this.redirectLoop = redirectLoop;
    }

    /** True when the hub kept sending a logged-in browser back to the login page. */
    public boolean redirectLoop() {
        return redirectLoop;
    }
}
