package dev.hubprobe.probe.steps;

import dev.hubprobe.jupyter.DeadlineException;
import dev.hubprobe.jupyter.HttpStatusException;
import dev.hubprobe.jupyter.JupyterHttp;
import dev.hubprobe.jupyter.hub.ProgressEvent;
import dev.hubprobe.jupyter.hub.ProgressStream;
import dev.hubprobe.jupyter.hub.SpawnFailedException;
import dev.hubprobe.probe.Phase;
import dev.hubprobe.probe.ProbeContext;
import dev.hubprobe.probe.ProbeFailure;
import dev.hubprobe.probe.ProbeStep;
import dev.hubprobe.probe.Reason;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Requests the server and follows its progress stream to the end. The stream is opened while the
 * spawn request is still in flight (the hub holds it for up to 10 s), so a fast spawn's events are
 * seen too; until the spawn is pending the hub answers the stream with 404 or 400, and we try again.
 */
public final class SpawnStep implements ProbeStep {
    private static final long RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    @Override
    public Phase phase() {
        return Phase.SPAWN;
    }

    @Override
    public void run(ProbeContext ctx) {
        long deadline = ctx.deadline(ctx.probe.timeouts().spawn());
        ctx.serverRequested = true;
        CompletableFuture<Integer> request = ctx.hub.requestServer(ctx.user, ctx.serverName(),
                ctx.probe.userOptions(), ctx.hubVersion);
        ProgressEvent ready;
        try {
            ready = follow(ctx, request, deadline);
        } catch (DeadlineException e) {
            String last = ctx.spawnEvents.isEmpty() ? "no progress event" :
                    "last progress: " + JupyterHttp.abbreviate(ctx.spawnEvents.get(ctx.spawnEvents.size() - 1).message(), 200);
            throw new ProbeFailure(Reason.SPAWN_TIMEOUT, "server not ready after "
                    + dev.hubprobe.config.Durations.format(ctx.probe.timeouts().spawn()) + " (" + last + ")", e);
        }
        String path = ready.url() != null ? ready.url() : ctx.hub.server(ctx.user, ctx.serverName())
                .map(s -> s.path("url").asText(null)).orElse(null);
        if (path == null) {
            throw new ProbeFailure(Reason.HUB_ERROR, "the hub reported the server ready but gave no URL for it");
        }
        ctx.serverUrl = ctx.hub.baseUrl().resolve(path);
        ctx.facts.put("spawn_events", Integer.toString(ctx.spawnEvents.size()));
    }

    private static ProgressEvent follow(ProbeContext ctx, CompletableFuture<Integer> request, long deadline) {
        while (true) {
            try (ProgressStream stream = ctx.hub.progress(ctx.user, ctx.serverName())) {
                for (ProgressEvent e = stream.next(deadline); e != null; e = stream.next(deadline)) {
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
            }
            if (request.isCompletedExceptionally()) {
                throw unwrap(request);
            }
            if (ctx.clock.nanoTime() > deadline) {
                throw new DeadlineException("spawn deadline passed");
            }
            try {
                TimeUnit.NANOSECONDS.sleep(RETRY_NANOS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ProbeFailure(Reason.ABORTED, "interrupted during the spawn");
            }
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
