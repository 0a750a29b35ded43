package dev.hubprobe.probe.steps;

import dev.hubprobe.json.Json;
import dev.hubprobe.jupyter.hub.ProgressEvent;
import dev.hubprobe.probe.Phase;
import dev.hubprobe.probe.PhaseResult;
import dev.hubprobe.probe.ProbeContext;
import dev.hubprobe.probe.ProbeFailure;
import dev.hubprobe.probe.ProbeStep;
import dev.hubprobe.probe.Reason;
import java.time.Duration;
import java.util.Map;

/**
 * Asks BinderHub for the repository and follows its event stream to {@code built}: at once when the
 * image is cached, else through waiting, fetching, building and pushing, each timed as a sub-phase.
 * The stream stays open for the launch that follows.
 */
public final class BuildStep implements ProbeStep {
    private static final Map<String, Phase> SUB_PHASES = Map.of("waiting", Phase.BUILD_WAITING, "fetching", Phase.BUILD_FETCHING,
            "building", Phase.BUILD_BUILDING, "pushing", Phase.BUILD_PUSHING);

    @Override
    public Phase phase() {
        return Phase.BUILD;
    }

    @Override
    public void run(ProbeContext ctx) {
        ctx.buildStream = ctx.binder.build(ctx.target.binder().repo());
        if (ctx.aborted) {
            // a stop came while the stream opened, after its cancel: the stream would wait out the build
            // (cleanup closes it)
            throw new ProbeFailure(Reason.ABORTED, "the prober was asked to stop");
        }
        Phase current = null;
        long since = 0;
        boolean built = false;
        while (!built) {
            ProgressEvent e = ctx.buildStream.next(ctx.phaseDeadline());
            if (e == null) {
                throw new ProbeFailure(Reason.BUILD_FAILED, "BinderHub ended the event stream before the image was built");
            }
            ctx.spawnEvents.add(e);
            String phase = BinderEvents.phase(e);
            if (phase.isEmpty()) {
                continue; // a log line of the sub-phase in progress (repo2docker's output): it ends nothing
            }
            Phase sub = SUB_PHASES.get(phase);
            if (sub != current && current != null) {
                ctx.buildPhases.add(new PhaseResult(current, PhaseResult.Status.PASSED, Duration.ofNanos(e.receivedNanos() - since), null, null));
            }
            if (sub != null && sub != current) {
                since = e.receivedNanos();
            }
            current = sub;
            if (BinderEvents.failed(phase)) {
                throw new ProbeFailure(Reason.BUILD_FAILED, e.message().isEmpty() ? "the build failed (no message)" : e.message());
            }
            switch (phase) {
                case "built" -> {
                    built = true;
                    ctx.facts.put("image", Json.cap(e.raw().path("imageName").asText(""), 1000));
                }
                case "launching", "ready" -> {
                    // no "built" first: nothing was built; the launch step reads on from here
                    ctx.pendingLaunch = e;
                    built = true;
                }
                default -> { }
            }
        }
        // BinderHub goes on to launch right after "built", whether or not anyone still listens
        ctx.launching = true;
        ctx.facts.put("build_needed", Boolean.toString(!ctx.buildPhases.isEmpty()));
    }
}
