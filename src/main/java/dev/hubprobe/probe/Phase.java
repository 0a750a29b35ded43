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
    HUB_API, LOGIN, SPAWN, BINDER_HEALTH, BUILD, LAUNCH, KERNEL_START, KERNEL_CONNECT, EXECUTE,
    /** the UI journey in headless Chromium (probe key {@code ui:}): the app loads, a notebook's kernel, a cell */
    UI_LOAD, UI_KERNEL, UI_EXECUTE,
    CLEANUP, KERNEL_SHUTDOWN, STOP,
    /**
     * One of the probe's {@code apps:} (a jupyter-server-proxy app beside the kernel): a kind, not a label.
     * Its results carry the app's name, and {@link PhaseResult#label()} gives {@code app_<name>}.
     */
    APP,
    SPAWN_QUEUE, SPAWN_SCHEDULING, SPAWN_SCALE_UP, SPAWN_IMAGE_PULL, SPAWN_SERVER_START,
    BUILD_WAITING, BUILD_FETCHING, BUILD_BUILDING, BUILD_PUSHING;

    /** What an app phase's label starts with; no other phase's label does. */
    public static final String APP_PREFIX = "app_";

    /** The kind's label; an app phase's own label is {@link PhaseResult#label()}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The phase a label names, as {@link PhaseResult#label()} wrote it ({@code app_<name>} is {@link #APP}).
     *
     * @throws IllegalArgumentException for a label this version does not know
     */
    public static Phase ofLabel(String label) {
        return label.startsWith(APP_PREFIX) ? APP : valueOf(label.toUpperCase(Locale.ROOT));
    }
}
