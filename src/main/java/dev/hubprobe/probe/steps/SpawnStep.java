package dev.hubprobe.probe.steps;

import dev.hubprobe.json.Json;
import dev.hubprobe.config.Durations;
import dev.hubprobe.jupyter.DeadlineException;
import dev.hubprobe.jupyter.FollowPolicy;
import dev.hubprobe.jupyter.HttpStatusException;
import dev.hubprobe.jupyter.UnreachableException;
import dev.hubprobe.jupyter.hub.ProgressEvent;
import dev.hubprobe.jupyter.hub.ProgressStream;
import dev.hubprobe.jupyter.hub.SpawnAnatomy;
import dev.hubprobe.jupyter.hub.SpawnFailedException;
import dev.hubprobe.jupyter.hub.SpawnThrottledException;
import dev.hubprobe.probe.Phase;
import dev.hubprobe.probe.ProbeContext;
import dev.hubprobe.probe.ProbeFailure;
import dev.hubprobe.probe.ProbeStep;
import dev.hubprobe.probe.Reason;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Requests the server and follows its progress stream to the end. The stream is opened while the
 * spawn request is still in flight (the hub holds it for up to 10 s), so a fast spawn's events are
 * seen too; until the spawn is pending the hub answers the stream with 404 or 400, and we try again.
 *
 * <p>Kubernetes events in the stream break the spawn down ({@link SpawnAnatomy}) and, when it fails,
 * say why better than the spawner's exception does: an image pull failure, an unschedulable pod.
 */
public final class SpawnStep implements ProbeStep {
    private static final long RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final int MAX_THROTTLE_RETRIES = 3;

    @Override
    public Phase phase() {
        return Phase.SPAWN;
    }

    @Override
    public void run(ProbeContext ctx) {
        long deadline = ctx.phaseDeadline();
        ctx.serverRequested = true;
        long requested = ctx.clock.nanoTime();
        ProgressEvent ready;
        try {
            ready = spawn(ctx, deadline);
        } catch (SpawnFailedException e) {
            throw explained(ctx, requested, Reason.SPAWN_FAILED, e.getMessage(), e.getMessage(), e);
        } catch (DeadlineException e) {
            String last = ctx.spawnEvents.isEmpty() ? "no progress event" :
                    "last progress: " + Json.abbreviate(ctx.spawnEvents.get(ctx.spawnEvents.size() - 1).message(), 200);
            throw explained(ctx, requested, Reason.SPAWN_TIMEOUT, "server not ready after "
                    + Durations.format(ctx.probe.timeouts().spawn()) + " (" + last + ")", null, e);
        }
        ctx.spawnAnatomy = SpawnAnatomy.of(requested, ctx.spawnEvents, ready.receivedNanos(), null).orElse(null);
        String path = ready.url() != null ? ready.url() : ctx.hub.server(ctx.user, ctx.serverName())
                .map(s -> s.path("url").asText(null)).orElse(null);
        if (path == null) {
            throw new ProbeFailure(Reason.HUB_ERROR, "the hub reported the server ready but gave no URL for it");
        }
        ctx.serverUrl = FollowPolicy.SYSTEM.follow(ctx.hub.baseUrl(), path,
                ready.url() != null ? "the spawn's ready event" : "the hub's server model");
        ctx.facts.put("spawn_events", Integer.toString(ctx.spawnEvents.total()));
        if (ctx.probe.expectScaleUp() && (ctx.spawnAnatomy == null || !ctx.spawnAnatomy.scaleUpObserved())) {
            throw new ProbeFailure(Reason.NO_SCALE_UP, ctx.spawnAnatomy == null
                    ? "a scale-up was expected, but the spawner reports no Kubernetes events to see one in"
                    : "a scale-up was expected, but the pod was scheduled without one (a warm node took it): "
                    + "the scale-up path was not measured");
        }
    }

    /** The failure as the events explain it, when they do; the spawn's own reason otherwise. */
    private static ProbeFailure explained(ProbeContext ctx, long requested, Reason fallback, String message,
                                          String finalMessage, Exception cause) {
        ctx.spawnAnatomy = SpawnAnatomy.of(requested, ctx.spawnEvents, null, finalMessage).orElse(null);
        SpawnAnatomy a = ctx.spawnAnatomy;
        if (a == null || a.cause() == null) {
            return new ProbeFailure(fallback, message, cause);
        }
        Reason reason = switch (a.cause()) {
            case IMAGE_PULL_FAILED -> Reason.IMAGE_PULL_FAILED;
            case UNSCHEDULABLE -> Reason.UNSCHEDULABLE;
            case START_TIMEOUT -> Reason.SPAWN_TIMEOUT;
        };
        return new ProbeFailure(reason, a.decisiveMessage() == null ? message : message + " [" + a.decisiveMessage() + "]", cause);
    }

    /** Requests the server, waiting out a throttled hub's Retry-After while the budget allows. */
    private static ProgressEvent spawn(ProbeContext ctx, long deadline) {
        for (int attempt = 0; ; attempt++) {
            CompletableFuture<Integer> request = ctx.hub.requestServer(ctx.user, ctx.serverName(),
                    ctx.probe.userOptions(), ctx.hubVersion);
            try {
                return follow(ctx, request, deadline);
            } catch (SpawnThrottledException e) {
                Duration wait = e.retryAfter().orElse(null);
                // retry only while the wait leaves at least half of what remains for the spawn itself
                if (wait == null || attempt >= MAX_THROTTLE_RETRIES || wait.toNanos() > (deadline - ctx.clock.nanoTime()) / 2) {
                    throw e;
                }
                ctx.notes.add("spawn throttled (429), retried after " + Durations.format(wait));
                sleep(wait.toNanos());
            }
        }
    }

    /**
     * Follows the progress stream to ready or failed. A stream that breaks off (a proxy reload, an idle
     * connection cut) is reopened: the spawn goes on without us watching. Only a hub that cannot be
     * reached for longer than the hub budget is unreachable. A reopened stream replays the spawn's
     * events from the start; those already seen are skipped.
     *
     * <p>Until the hub has taken the spawn request, a stream may still describe the <em>previous</em>
     * spawn of this server: the hub answers a server that is not pending with that spawn's failure. So
     * a failure that opens a stream opened before the request was answered is not believed; the stream
     * is opened again, and then shows the new spawn.
     */
    private static ProgressEvent follow(ProbeContext ctx, CompletableFuture<Integer> request, long deadline) {
        long brokenSince = -1;
        int reopened = 0;
        while (true) {
            abortedCheck(ctx);
            boolean answered = request.isDone();
            int replay = 0; // index into the events seen; -1 once this stream has gone past them
            boolean first = true;
            try (ProgressStream stream = ctx.hub.progress(ctx.user, ctx.serverName())) {
                // A stop cancels the calls in flight; a stream opened just after it is not one of them,
                // and would wait on a stalled spawn until its deadline. Aborted is set before the
                // cancel, so a stream either sees it here or is in flight when the cancel comes.
                abortedCheck(ctx);
                for (ProgressEvent e = stream.next(deadline); e != null; e = stream.next(deadline)) {
                    brokenSince = -1;
                    if (replay >= 0 && ctx.spawnEvents.seenAt(replay, e)) {
                        replay++;
                        first = false;
                        continue;
                    }
                    if (e.failed() && first && !answered) {
                        break; // perhaps the previous spawn's failure: look again
                    }
                    first = false;
                    replay = -1;
                    ctx.spawnEvents.add(e);
                    if (e.failed()) {
                        throw new SpawnFailedException(e.message().isEmpty() ? "Spawn failed (no message)" : e.message());
                    }
                    if (e.ready()) {
                        return e;
                    }
                }
            } catch (HttpStatusException e) {
                // 404: the hub has no spawner for this server yet; 400: nothing pending yet, or the
                // spawn request itself was refused. Either way the spawn request's answer says which.
                if (e.status() != 400 && e.status() != 404) {
                    throw e;
                }
            } catch (UnreachableException e) {
                if (ctx.aborted) {
                    throw e; // the stream was cut by a stop, not by the network: do not reopen it
                }
                long now = ctx.clock.nanoTime();
                if (brokenSince < 0) {
                    brokenSince = now;
                } else if (now - brokenSince > ctx.probe.timeouts().hub().toNanos()) {
                    throw e;
                }
                if (reopened++ == 0) {
                    ctx.notes.add("the progress stream broke off (" + Json.abbreviate(e.getMessage(), 120) + "); reopened it");
                }
            }
            // a failed request is final once a stream opened after it had its say (a spawn that failed
            // fast is told as the spawn's failure, with its message, not as the request's 500)
            if (answered && request.isCompletedExceptionally()) {
                throw unwrap(request);
            }
            if (ctx.clock.nanoTime() > deadline) {
                throw new DeadlineException("spawn deadline passed");
            }
            abortedCheck(ctx);
            sleep(RETRY_NANOS);
        }
    }

    private static void abortedCheck(ProbeContext ctx) {
        if (ctx.aborted) {
            throw new ProbeFailure(Reason.ABORTED, "the prober was asked to stop during the spawn");
        }
    }

    private static void sleep(long nanos) {
        try {
            TimeUnit.NANOSECONDS.sleep(nanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ProbeFailure(Reason.ABORTED, "interrupted during the spawn");
        }
    }

    private static RuntimeException unwrap(CompletableFuture<Integer> request) {
        try {
            request.get();
            return new IllegalStateException("spawn request completed");
        } catch (ExecutionException | CompletionException e) {
            return e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new ProbeFailure(Reason.ABORTED, "interrupted during the spawn");
        }
    }
}
