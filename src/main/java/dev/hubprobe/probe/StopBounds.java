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
     * As {@link #run(ProbeDefinition.Timeouts)}, and one more {@code cleanup} for a probe with cleanup
     * cells: they run before the kernel's shutdown, within a budget of their own.
     */
    public static Duration run(ProbeDefinition p) {
        Duration d = run(p.timeouts());
        return p.cleanup().isEmpty() ? d : d.plus(p.timeouts().cleanup());
    }

    /**
     * {@code load}'s: its runs' cleanup, then the report (printed first, so a stop never loses it), then
     * the users it created deleted within one {@code hub} budget, with 10 s for the report:
     * 2 × {@code cleanup} + 2 × {@code hub} + 10 s (5 min 10 s by default).
     */
    public static Duration load(ProbeDefinition.Timeouts t) {
        return run(t).plus(t.hub()).plusSeconds(10);
    }

    /** What the Dockerfile and the README tell people to give a stop: {@code docker stop -t 300}, {@code terminationGracePeriodSeconds: 300}. */
    public static final Duration CONTAINER_STOP = Duration.ofSeconds(300);

    /**
     * A warning for the start's log when a stop may take longer than {@link #CONTAINER_STOP}: the container
     * would be killed mid-cleanup (a server and a token left on the hub) unless its stop timeout is raised.
     *
     * @param what whose grace it is, for the message (e.g. "serve's stop")
     * @return null when the grace fits
     */
    public static String overContainerStop(Duration grace, String what) {
        if (grace.compareTo(CONTAINER_STOP) <= 0) {
            return null;
        }
        long s = (grace.toMillis() + 999) / 1000;
        return what + " may take up to " + s + " s (from timeouts.cleanup and timeouts.hub), over the " + CONTAINER_STOP.toSeconds()
                + " s the README and the Dockerfile suggest: raise the container's stop timeout to at least " + s
                + " s (docker stop -t " + s + ", or terminationGracePeriodSeconds: " + s + " in Kubernetes), or a stop kills"
                + " hubprobe before its runs have cleaned up on their hubs";
    }
}
