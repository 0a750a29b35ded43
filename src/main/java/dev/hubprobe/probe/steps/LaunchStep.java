package dev.hubprobe.probe.steps;

import dev.hubprobe.jupyter.DeadlineException;
import dev.hubprobe.jupyter.FollowPolicy;
import dev.hubprobe.jupyter.hub.ProgressEvent;
import dev.hubprobe.probe.Failures;
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
    /**
     * How a launch ended without a server handed over: why, and whether BinderHub is running one all
     * the same (it said ready, with no token, or at a URL the probe refuses), which the probe cannot stop.
     */
    record Unlaunched(ProbeFailure failure, boolean serverRunning) {
    }

    @Override
    public Phase phase() {
        return Phase.LAUNCH;
    }

    @Override
    public void run(ProbeContext ctx) {
        Unlaunched ended = readOn(ctx, ctx.phaseDeadline());
        if (ended != null) {
            if (ended.serverRunning()) {
                ctx.notes.add("BinderHub started a server for the run that the probe cannot stop: it is left to BinderHub's culler");
            }
            throw ended.failure();
        }
    }

    /**
     * Reads the launch's events until it ends, waiting until {@code deadline} at most: null once its
     * server is handed over (then {@code ctx.launched}), else how it ended without one. The stream is
     * closed at the end. A wait cut short (the deadline, a stop) throws {@link DeadlineException} and
     * keeps the stream open, the launch still going: BinderHub starts the server all the same, and the
     * stop phase reads on to it, to shut it down.
     */
    static Unlaunched readOn(ProbeContext ctx, long deadline) {
        boolean over = true;
        try {
            ProgressEvent e = ctx.pendingLaunch; // already in the run's events: read before this
            ctx.pendingLaunch = null;
            boolean recorded = e != null;
            while (true) {
                if (e == null) {
                    try {
                        e = ctx.buildStream.next(deadline);
                    } catch (DeadlineException stillLaunching) {
                        over = false;
                        throw stillLaunching;
                    }
                }
                if (e == null) {
                    return new Unlaunched(new ProbeFailure(Reason.LAUNCH_FAILED, "BinderHub ended the event stream before the server was ready"),
                            false);
                }
                if (!recorded) {
                    ctx.spawnEvents.add(e);
                }
                recorded = false;
                String phase = BinderEvents.phase(e);
                if (BinderEvents.failed(phase)) {
                    return new Unlaunched(new ProbeFailure(Reason.LAUNCH_FAILED,
                            e.message().isEmpty() ? "the launch failed (no message)" : e.message()), false);
                }
                if (phase.equals("ready")) {
                    try {
                        ready(ctx, e);
                        return null;
                    } catch (RuntimeException unusable) {
                        // no token, or a URL the follow policy refuses: as before this step's own failure
                        return new Unlaunched(Failures.classify(Phase.LAUNCH, unusable), true);
                    }
                }
                e = null;
            }
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
