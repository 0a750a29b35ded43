package dev.hubprobe.jupyter.hub;

import dev.hubprobe.jupyter.JupyterException;

/** The hub's login form refused the credentials, or sent the browser back to the login page. */
public class LoginRejectedException extends JupyterException {
    public LoginRejectedException(String message) {
        super(message);
    }
}
