package dev.hubprobe.probe;

import java.util.Locale;

/** The phases of one probe run, in the order they happen; the names are metric label values. */
public enum Phase {
    HUB_API, LOGIN, SPAWN, KERNEL_START, KERNEL_CONNECT, EXECUTE, KERNEL_SHUTDOWN, STOP;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
