package dev.hubprobe.probe;

import java.util.Locale;

/**
 * The phases of one probe run, in the order they happen; the names are metric label values. A hub
 * run goes hub_api, login, spawn; a BinderHub run binder_health, build, launch; both then start a
 * kernel, execute and clean up ({@code cleanup} runs the probe's cleanup cells, when it has any). The {@code SPAWN_*} and {@code BUILD_*} phases break a spawn or a
 * build down when its events allow; they overlap {@link #SPAWN} or {@link #BUILD} and are reported
 * beside the main phases, not among them.
 */
public enum Phase {
    HUB_API, LOGIN, SPAWN, BINDER_HEALTH, BUILD, LAUNCH, KERNEL_START, KERNEL_CONNECT, EXECUTE, CLEANUP, KERNEL_SHUTDOWN, STOP,
    SPAWN_QUEUE, SPAWN_SCHEDULING, SPAWN_SCALE_UP, SPAWN_IMAGE_PULL, SPAWN_SERVER_START,
    BUILD_WAITING, BUILD_FETCHING, BUILD_BUILDING, BUILD_PUSHING;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
