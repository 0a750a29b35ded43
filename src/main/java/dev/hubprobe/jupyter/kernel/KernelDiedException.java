package dev.hubprobe.jupyter.kernel;

import dev.hubprobe.jupyter.JupyterException;

/** The kernel is gone: status restarting/dead, its model 404s, or its channels socket closed. */
public class KernelDiedException extends JupyterException {
    public KernelDiedException(String message) {
        super(message);
    }
}
