package dev.hubprobe.probe.steps;

import dev.hubprobe.json.Json;
import dev.hubprobe.jupyter.DeadlineException;
import dev.hubprobe.jupyter.hub.HubReleases;
import dev.hubprobe.jupyter.kernel.KernelClient;
import dev.hubprobe.probe.Phase;
import dev.hubprobe.probe.ProbeContext;
import dev.hubprobe.probe.ProbeStep;
import dev.hubprobe.jupyter.FollowPolicy;
import okhttp3.OkHttpClient;

/**
 * Reaches the user's server as the user (a browser session goes through the hub's OAuth hop first)
 * and starts a kernel of the probe's kernelspec, or of the server's default.
 */
public final class KernelStartStep implements ProbeStep {
    @Override
    public Phase phase() {
        return Phase.KERNEL_START;
    }

    @Override
    public void run(ProbeContext ctx) {
        OkHttpClient http;
        if (ctx.serverHttp != null) {
            http = ctx.serverHttp; // a Binder launch handed us the server's own token
        } else if (ctx.formLogin()) {
            ctx.hub.authorizeServer(ctx.serverUrl);
            http = ctx.hub.http();
        } else {
            // a service's or admin's token never reaches the user's server: login minted one for the user,
            // or failed; without a minted token the configured token is the user's own
            http = ctx.mintedToken != null ? ctx.hub.httpWithToken(ctx.mintedToken.value()) : ctx.hub.http();
        }
        if (ctx.serverHttp == null) {
            http = FollowPolicy.SYSTEM.guarded(http, ctx.hub.baseUrl(), ctx.serverUrl); // a Binder's client is guarded already
        }
        ctx.serverClient = http;
        ctx.kernels = new KernelClient(http, ctx.serverUrl, ctx.deadline);
        serverVersion(ctx);
        String name = ctx.probe.kernel() != null ? ctx.probe.kernel() : ctx.kernels.defaultKernelName();
        ctx.facts.put("kernel", name);
        ctx.kernelId = ctx.kernels.start(name).id();
    }

    /**
     * Records what the user's server is (its version, as {@code server_version}): which image a hub's
     * users run decides what works. Only a fact: a server that will not say is no failure, and a server
     * that is broken fails at the kernel's start just after.
     */
    private static void serverVersion(ProbeContext ctx) {
        try {
            ctx.kernels.serverVersion().ifPresent(v -> ctx.facts.put("server_version", HubReleases.bounded(v)));
        } catch (DeadlineException e) {
            throw e;
        } catch (RuntimeException e) {
            // a note is shown on every run's page: the error's gist, never the server's whole error body
            ctx.notes.add("the server did not say its version (GET api: " + Json.abbreviate(e.getMessage(), 120) + ")");
        }
    }
}
