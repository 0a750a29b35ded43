package dev.hubprobe.probe.steps;

import dev.hubprobe.probe.Phase;
import dev.hubprobe.probe.ProbeContext;
import dev.hubprobe.probe.ProbeStep;

/**
 * Ends a BinderHub run: a build still streaming is left, and the launched server shuts itself down
 * through its own API ({@code POST api/shutdown}), as the probe has no hub token for a Binder user.
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
        if (ctx.buildStream != null) {
            ctx.buildStream.close();
            ctx.buildStream = null;
        }
        if (ctx.launched) {
            ctx.binder.shutdown(ctx.serverUrl, ctx.serverHttp);
            ctx.launched = false;
        }
    }
}
