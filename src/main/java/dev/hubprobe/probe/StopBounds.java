package dev.hubprobe.probe;

import java.time.Duration;

/**
 * How long a stop (SIGTERM, Ctrl-C, a service shutdown) may take, from the probe's timeouts; every stop
 * path waits this long, and the README states these bounds. A run asked to stop ends the phase in
 * flight at once (its calls are cancelled), then its cleanup runs to the end, each step within its
 * own budget: {@code kernel_shutdown} and {@code stop} a {@code cleanup} each, and the delete of the
 * token minted for the run, after the stop, a {@code hub} of its own.
 */
public final class StopBounds {
    private StopBounds() {
    }

    /** The longest a run asked to stop still takes: 2 × {@code cleanup} + {@code hub} (4 min 30 s by default). */
    public static Duration run(ProbeDefinition.Timeouts t) {
        return t.cleanup().multipliedBy(2).plus(t.hub());
    }

    /**
     * {@code load}'s: its runs' cleanup, then the report (printed first, so a stop never loses it), then
     * the users it created deleted within one {@code hub} budget, with 10 s for the report:
     * 2 × {@code cleanup} + 2 × {@code hub} + 10 s (5 min 10 s by default).
     */
    public static Duration load(ProbeDefinition.Timeouts t) {
        return run(t).plus(t.hub()).plusSeconds(10);
    }
}
