package dev.hubprobe.probe.steps;

import dev.hubprobe.jupyter.DeadlineException;
import dev.hubprobe.jupyter.FollowPolicy;
import dev.hubprobe.jupyter.hub.ProgressEvent;
import dev.hubprobe.probe.Phase;
import dev.hubprobe.probe.ProbeContext;
import dev.hubprobe.probe.ProbeFailure;
import dev.hubprobe.probe.ProbeStep;
import dev.hubprobe.probe.Reason;
import okhttp3.HttpUrl;

/**
 * Reads BinderHub's event stream on from {@code built} to {@code ready}: the launched server's URL and
 * a token for it, which the kernel steps use. From then on the server is ours to shut down.
 */
public final class LaunchStep implements ProbeStep {
    @Override
    public Phase phase() {
        return Phase.LAUNCH;
    }

    @Override
    public void run(ProbeContext ctx) {
        ProbeFailure ended = readOn(ctx);
        if (ended != null) {
            throw ended;
        }
    }

    /**
     * Reads the launch's events until it ends, within the current phase's budget: null once its server
     * is handed over (then {@code ctx.launched}), else how it ended without one (BinderHub's failure, or
     * the stream closed first). The stream is closed at the end. A wait cut short (the launch's timeout,
     * a stop) throws {@link DeadlineException} and keeps the stream open, the launch still going: BinderHub
     * starts the server all the same, and the stop phase reads on to it, to shut it down.
     */
    static ProbeFailure readOn(ProbeContext ctx) {
        boolean over = true;
        try {
            ProgressEvent e = ctx.pendingLaunch != null ? ctx.pendingLaunch : ctx.buildStream.next(ctx.phaseDeadline());
            ctx.pendingLaunch = null;
            for (; e != null; e = ctx.buildStream.next(ctx.phaseDeadline())) {
                ctx.spawnEvents.add(e);
                String phase = BinderEvents.phase(e);
                if (BinderEvents.failed(phase)) {
                    return new ProbeFailure(Reason.LAUNCH_FAILED, e.message().isEmpty() ? "the launch failed (no message)" : e.message());
                }
                if (phase.equals("ready")) {
                    try {
                        ready(ctx, e);
                    } catch (ProbeFailure unusable) {
                        return unusable;
                    }
                    return null;
                }
            }
            return new ProbeFailure(Reason.LAUNCH_FAILED, "BinderHub ended the event stream before the server was ready");
        } catch (DeadlineException stillLaunching) {
            over = false;
            throw stillLaunching;
        } finally {
            if (over) {
                ctx.launching = false;
                ctx.buildStream.close();
                ctx.buildStream = null;
            }
        }
    }

    private static void ready(ProbeContext ctx, ProgressEvent e) {
        String url = e.raw().path("url").asText("");
        String token = e.raw().path("token").asText("");
        if (url.isEmpty() || token.isEmpty()) {
            throw new ProbeFailure(Reason.LAUNCH_FAILED, "BinderHub said ready without a server URL and a token");
        }
        ctx.redactor.add(token); // first: a refused URL's message must not carry it either
        HttpUrl server = FollowPolicy.SYSTEM.follow(ctx.binder.baseUrl(), url, "BinderHub's ready event");
        ctx.serverUrl = server.encodedPath().endsWith("/") ? server : server.newBuilder().encodedPath(server.encodedPath() + "/").build();
        ctx.serverHttp = FollowPolicy.SYSTEM.guarded(ctx.binder.serverClient(ctx.serverUrl, token), ctx.binder.baseUrl(), ctx.serverUrl);
        ctx.launched = true;
    }
}
