package dev.hubprobe.probe.steps;

import dev.hubprobe.config.Durations;
import dev.hubprobe.jupyter.hub.HubReleases;
import dev.hubprobe.probe.Phase;
import dev.hubprobe.probe.ProbeContext;
import dev.hubprobe.probe.ProbeFailure;
import dev.hubprobe.probe.ProbeStep;
import dev.hubprobe.probe.Reason;

/**
 * Stops the server the run asked for (which also cancels a spawn still pending) and waits until the
 * hub no longer lists it; then deletes the token minted for the run.
 */
public final class StopStep implements ProbeStep.Cleanup {
    @Override
    public Phase phase() {
        return Phase.STOP;
    }

    @Override
    public boolean needed(ProbeContext ctx) {
        return ctx.serverRequested || ctx.mintedToken != null;
    }

    @Override
    public void run(ProbeContext ctx) {
        try {
            if (ctx.serverRequested) {
                if (!ctx.hub.stopAndWait(ctx.user, ctx.serverName(), ctx.probe.autoServerName(),
                        ctx.phaseDeadline())) {
                    throw new ProbeFailure(Reason.CLEANUP_FAILED, "server still not stopped after "
                            + Durations.format(ctx.probe.timeouts().cleanup())
                            // only when the spawn was what still held the server: any other hung stop is the hub's own
                            + (HubReleases.cancelsPendingSpawns(ctx.hubVersion) || !"spawn".equals(ctx.hub.lastStopPending()) ? ""
                            : " (JupyterHub " + HubReleases.bounded(ctx.hubVersion) + " cannot cancel a pending spawn:"
                            + " it ends at the hub's own Spawner.start_timeout, and the next run stops what is left)"));
                }
                ctx.serverRequested = false;
            }
        } finally {
            if (ctx.mintedToken != null) {
                // a stop that used up its budget must not leave the run's token behind
                ctx.startPhase(ctx.probe.timeouts().hub());
                ctx.hub.deleteToken(ctx.user, ctx.mintedToken.id());
                ctx.mintedToken = null;
            }
        }
    }
}
