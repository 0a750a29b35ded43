package dev.hubprobe.probe.steps;

import dev.hubprobe.jupyter.hub.ProgressEvent;
import java.util.Locale;

/**
 * How BuildStep and LaunchStep read a BinderHub event's phase. BinderHub relays repo2docker's events,
 * and deployments differ in spelling: repo2docker says {@code failure} where BinderHub says
 * {@code failed}, and the case of a phase is nobody's promise, so phases are compared lower-cased.
 */
final class BinderEvents {
    private BinderEvents() {
    }

    /** The event's phase, lower-cased; empty for a log line that has none. */
    static String phase(ProgressEvent e) {
        return e.raw().path("phase").asText("").trim().toLowerCase(Locale.ROOT);
    }

    /** BinderHub's {@code failed} or repo2docker's {@code failure}: the build or launch is over. */
    static boolean failed(String phase) {
        return phase.equals("failed") || phase.equals("failure");
    }
}
