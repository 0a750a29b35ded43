package dev.hubprobe.probe;

import java.util.Locale;

/**
 * The phases of one probe run, in the order they happen; the names are metric label values. The
 * {@code SPAWN_*} phases break a spawn down when its spawner reports Kubernetes events; they overlap
 * {@link #SPAWN} and are reported beside the main phases, not among them.
 */
public enum Phase {
    HUB_API, LOGIN, SPAWN, KERNEL_START, KERNEL_CONNECT, EXECUTE, KERNEL_SHUTDOWN, STOP,
    SPAWN_QUEUE, SPAWN_SCHEDULING, SPAWN_SCALE_UP, SPAWN_IMAGE_PULL, SPAWN_SERVER_START;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
