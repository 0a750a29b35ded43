package dev.hubprobe.probe.steps;

import dev.hubprobe.config.Durations;
import dev.hubprobe.jupyter.DeadlineException;
import dev.hubprobe.jupyter.JupyterException;
import dev.hubprobe.jupyter.hub.ProgressEvent;
import dev.hubprobe.jupyter.hub.ProgressStream;
import dev.hubprobe.probe.Phase;
import dev.hubprobe.probe.ProbeContext;
import dev.hubprobe.probe.ProbeFailure;
import dev.hubprobe.probe.ProbeStep;
import dev.hubprobe.probe.Reason;
import java.time.Duration;

/**
 * Ends a BinderHub run: the launched server shuts itself down through its own API ({@code POST
 * api/shutdown}), as the probe has no hub token for a Binder user. A build still streaming is left.
 * A launch the run stopped waiting for (its timeout, a stop) goes on at BinderHub, and the server it
 * starts can be stopped only with the token its {@code ready} event carries: so the stream is read on,
 * within this phase's budget, and that server shut down too, not left to BinderHub's culler.
 */
public final class ServerShutdownStep implements ProbeStep.Cleanup {
    /** Of the phase's budget, what reading on leaves for the shutdown call: a quarter, at most 10 s. */
    private static final Duration SHUTDOWN_RESERVE = Duration.ofSeconds(10);

    @Override
    public Phase phase() {
        return Phase.STOP;
    }

    @Override
    public boolean needed(ProbeContext ctx) {
        return ctx.launched || ctx.buildStream != null;
    }

    @Override
    public void run(ProbeContext ctx) {
        String lateLaunch = null;
        ProgressStream stream = ctx.buildStream;
        try {
            if (stream != null) {
                stream.clearInterrupt(); // the stop that woke the step before is why this phase reads on now
                if (ctx.launching || launchSaid(ctx)) {
                    LaunchStep.Unlaunched ended = LaunchStep.readOn(ctx, ctx.phaseDeadline() - reserve(ctx));
                    if (ended != null && ended.serverRunning()) {
                        throw new ProbeFailure(Reason.CLEANUP_FAILED, "BinderHub started the run's server after the run stopped waiting, and "
                                + "handed it over in a way the probe cannot use (" + ended.failure().getMessage()
                                + "): that server is left to BinderHub's culler");
                    }
                    lateLaunch = ended == null ? "its server was shut down" : "without a server (" + ended.failure().getMessage() + ")";
                }
            }
        } catch (DeadlineException e) {
            throw new ProbeFailure(Reason.CLEANUP_TIMEOUT, "BinderHub was still launching the run's server within the cleanup budget ("
                    + Durations.format(ctx.probe.timeouts().cleanup()) + ", less what the shutdown call keeps): that server is left to "
                    + "BinderHub's culler");
        } catch (JupyterException e) {
            throw new ProbeFailure(Reason.CLEANUP_FAILED, "BinderHub's event stream broke while the run read on to its late launch ("
                    + e.getMessage() + "): the server, if BinderHub starts one, is left to BinderHub's culler");
        } finally {
            if (ctx.buildStream != null) {
                ctx.buildStream.close();
                ctx.buildStream = null;
            }
            ctx.launching = false;
        }
        if (ctx.launched) {
            ctx.binder.shutdown(ctx.serverUrl, ctx.serverHttp);
            ctx.launched = false;
        }
        if (lateLaunch != null) {
            ctx.notes.add("the launch ended after the run stopped waiting for it, " + lateLaunch);
        }
    }

    private static long reserve(ProbeContext ctx) {
        Duration quarter = ctx.probe.timeouts().cleanup().dividedBy(4);
        return (quarter.compareTo(SHUTDOWN_RESERVE) < 0 ? quarter : SHUTDOWN_RESERVE).toNanos();
    }

    /**
     * Whether BinderHub had said it launches ({@code built}, {@code launching}, {@code ready}) in events
     * that came before the run stopped reading: a stop can wake the build step with them still unread,
     * and BinderHub launches from its {@code built} on whether anyone reads or not. Reads only what came.
     */
    private static boolean launchSaid(ProbeContext ctx) {
        // bounded by what a stream holds unread, and by the phase: a BinderHub that floods the stream with
        // log lines faster than they are read does not hold the stop here
        for (int read = 0; read < ProgressStream.MAX_QUEUED && ctx.deadline.remaining() > 0; read++) {
            ProgressEvent e;
            try {
                e = ctx.buildStream.next(ctx.deadline.now()); // no wait
            } catch (RuntimeException nothingMore) {
                return false; // none came, or the stream broke: nothing to follow
            }
            if (e == null) {
                return false;
            }
            ctx.spawnEvents.add(e);
            switch (BinderEvents.phase(e)) {
                case "built" -> {
                    return true;
                }
                case "launching", "ready" -> {
                    ctx.pendingLaunch = e;
                    return true;
                }
                default -> { }
            }
        }
        return false;
    }
}
