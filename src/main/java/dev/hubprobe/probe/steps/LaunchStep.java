package dev.hubprobe.probe.steps;

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
        try {
            while (true) {
                ProgressEvent e = ctx.pendingLaunch != null ? ctx.pendingLaunch : ctx.buildStream.next(ctx.phaseDeadline());
                ctx.pendingLaunch = null;
                if (e == null) {
                    throw new ProbeFailure(Reason.LAUNCH_FAILED, "BinderHub ended the event stream before the server was ready");
                }
                ctx.spawnEvents.add(e);
                String phase = BinderEvents.phase(e);
                if (BinderEvents.failed(phase)) {
                    throw new ProbeFailure(Reason.LAUNCH_FAILED, e.message().isEmpty() ? "the launch failed (no message)" : e.message());
                }
                switch (phase) {
                    case "ready" -> {
                        ready(ctx, e);
                        return;
                    }
                    default -> { }
                }
            }
        } finally {
            ctx.buildStream.close();
            ctx.buildStream = null;
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
