package dev.hubprobe.alerting;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * How one hub is alerted on. Defaults: fire after 2 failed runs in a row, resolve after 2 passes,
 * remind every 4 h; a phase has regressed when the median of its last 3 passing runs is over 2x the
 * median of the 30 days before (at least 10 of them) and over 30 s slower; it recovers under 1.5x. A
 * failed run is confirmed by a second run at once ({@code confirm}), {@code confirmAfter} (20 s) after it
 * ended: a hub that is back within that pause (a restart, a helm upgrade) was a blip, not an outage.
 */
public record AlertPolicy(int fireAfter, int resolveAfter, Duration reminder, String severity,
                          boolean regression, Duration window, int minSamples, int recent, double factor,
                          Duration minDelta, double resolveFactor, List<Window> maintenance, boolean confirm,
                          Duration confirmAfter) {
    /** {@code alerting.failure.confirm_after}'s default: longer than a hub pod's restart or a helm upgrade's. */
    public static final Duration CONFIRM_AFTER = Duration.ofSeconds(20);

    /** A policy whose confirming run waits {@link #CONFIRM_AFTER}. */
    public AlertPolicy(int fireAfter, int resolveAfter, Duration reminder, String severity, boolean regression, Duration window,
                       int minSamples, int recent, double factor, Duration minDelta, double resolveFactor, List<Window> maintenance,
                       boolean confirm) {
        this(fireAfter, resolveAfter, reminder, severity, regression, window, minSamples, recent, factor, minDelta, resolveFactor,
                maintenance, confirm, CONFIRM_AFTER);
    }

    /** A policy that confirms failures at once ({@code alerting.failure.confirm}, the default). */
    public AlertPolicy(int fireAfter, int resolveAfter, Duration reminder, String severity, boolean regression, Duration window,
                       int minSamples, int recent, double factor, Duration minDelta, double resolveFactor, List<Window> maintenance) {
        this(fireAfter, resolveAfter, reminder, severity, regression, window, minSamples, recent, factor, minDelta, resolveFactor,
                maintenance, true);
    }

    public static final AlertPolicy DEFAULTS = new AlertPolicy(2, 2, Duration.ofHours(4), "page", true,
            Duration.ofDays(30), 10, 3, 2.0, Duration.ofSeconds(30), 1.5, List.of());

    /** A maintenance window: nothing about the hub pages while it lasts. */
    public record Window(Instant start, Instant end, String reason) {
        public boolean covers(Instant t) {
            return !t.isBefore(start) && t.isBefore(end);
        }
    }

    /** The regression rule: over {@code factor} times the baseline, and over it by more than {@code minDelta}. */
    public static boolean regressed(double currentSeconds, double baselineSeconds, double factor, double minDeltaSeconds) {
        return currentSeconds > factor * baselineSeconds && currentSeconds - baselineSeconds > minDeltaSeconds;
    }

    public boolean regressed(double currentSeconds, double baselineSeconds) {
        return regressed(currentSeconds, baselineSeconds, factor, minDelta.toNanos() / 1e9);
    }

    public AlertPolicy withMaintenance(List<Window> windows) {
        return new AlertPolicy(fireAfter, resolveAfter, reminder, severity, regression, window, minSamples, recent, factor,
                minDelta, resolveFactor, List.copyOf(windows), confirm, confirmAfter);
    }

    public boolean inMaintenance(Instant t) {
        return maintenance.stream().anyMatch(w -> w.covers(t));
    }
}
