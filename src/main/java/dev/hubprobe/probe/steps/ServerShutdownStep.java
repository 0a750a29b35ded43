package dev.hubprobe.probe.steps;

import dev.hubprobe.config.Durations;
import dev.hubprobe.jupyter.DeadlineException;
import dev.hubprobe.jupyter.hub.ProgressStream;
import dev.hubprobe.probe.Phase;
import dev.hubprobe.probe.ProbeContext;
import dev.hubprobe.probe.ProbeFailure;
import dev.hubprobe.probe.ProbeStep;
import dev.hubprobe.probe.Reason;

/**
 * Ends a BinderHub run: the launched server shuts itself down through its own API ({@code POST
 * api/shutdown}), as the probe has no hub token for a Binder user. A build still streaming is left.
 * A launch the run stopped waiting for (its timeout, a stop) goes on at BinderHub, and the server it
 * starts can be stopped only with the token its {@code ready} event carries: so the stream is read on,
 * within this phase's budget, and that server shut down too, not left to BinderHub's culler.
 */
public final class ServerShutdownStep implements ProbeStep.Cleanup {
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
            if (stream != null && ctx.launching) {
                stream.clearInterrupt(); // the stop that woke the launch step is why this phase waits now
                ProbeFailure ended = LaunchStep.readOn(ctx);
                lateLaunch = ended == null ? "its server was shut down"
                        : "without a server (" + ended.getMessage() + ")";
            }
        } catch (DeadlineException e) {
            throw new ProbeFailure(Reason.CLEANUP_TIMEOUT, "BinderHub was still launching the run's server after the cleanup budget ("
                    + Durations.format(ctx.probe.timeouts().cleanup()) + "): that server is left to BinderHub's culler");
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
}
