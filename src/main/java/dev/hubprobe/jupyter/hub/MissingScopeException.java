package dev.hubprobe.jupyter.hub;

import dev.hubprobe.jupyter.JupyterException;

/**
 * The hub answered, but the token's role lacks a scope the probe needs, so the answer cannot be
 * trusted: without {@code read:servers} a user model simply has no servers, and "nothing to clean
 * up" would be a lie.
 */
public class MissingScopeException extends JupyterException {
    public MissingScopeException(String message) {
        super(message);
    }
}
