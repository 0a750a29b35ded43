package dev.hubprobe.jupyter.hub;

import dev.hubprobe.jupyter.JupyterException;

/** The progress stream ended with {@code failed: true}; the message is the hub's "Spawn failed: ..." text. */
public class SpawnFailedException extends JupyterException {
    public SpawnFailedException(String message) {
        super(message);
    }
}
