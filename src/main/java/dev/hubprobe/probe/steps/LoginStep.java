package dev.hubprobe.probe.steps;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hubprobe.jupyter.HttpStatusException;
import dev.hubprobe.jupyter.hub.HubClient;
import dev.hubprobe.probe.AutoServer;
import dev.hubprobe.probe.Phase;
import dev.hubprobe.probe.ProbeContext;
import dev.hubprobe.probe.ProbeFailure;
import dev.hubprobe.probe.ProbeStep;
import dev.hubprobe.probe.ProbeTarget;
import dev.hubprobe.probe.Reason;
import java.util.List;
import java.util.Map;

/**
 * Becomes the probe user: through the login form, or with a token. A token of a service or admin may
 * act for another user: then the user is created if missing and a short-lived token is minted for it
 * with only the scope to use that user's servers, so the user's server sees that user, as it would a
 * person, and never the prober's own, wider token. A server left running by a crashed earlier run is
 * stopped here, before the spawn is timed.
 */
public final class LoginStep implements ProbeStep {
    @Override
    public Phase phase() {
        return Phase.LOGIN;
    }

    @Override
    public void run(ProbeContext ctx) {
        HubClient hub = ctx.hub;
        HubClient.Identity me;
        if (ctx.target.credentials() instanceof ProbeTarget.Password p) {
            hub.formLogin(p.username(), p.secret().reveal());
            me = hub.whoami();
        } else {
            hub.useToken(ctx.target.credentials().secret().reveal());
            try {
                me = hub.whoami();
            } catch (HttpStatusException e) {
                if (e.status() == 401 || e.status() == 403) {
                    throw new ProbeFailure(Reason.AUTH_ERROR, "the hub refused the API token (" + e.status() + ")", e);
                }
                throw e;
            }
        }
        ctx.user = ctx.target.user() != null ? ctx.target.user() : me.name();
        ctx.facts.put("identity_kind", me.kind());
        JsonNode model = null;
        if (!ctx.formLogin() && !(me.kind().equals("user") && me.name().equals(ctx.user))) {
            model = actFor(ctx, me);
        }
        stopLeftovers(ctx, model == null ? ctx.hub.serverModels(ctx.user) : HubClient.serverModels(ctx.user, model));
    }

    /** The narrowest scope that lets the minted token use the probe user's server and its kernels. */
    static List<String> mintedScopes(String user) {
        return List.of("access:servers!user=" + user);
    }

    /** Mints the run's token for the probe user; returns the user's model as read first, or null for a user it created. */
    private static JsonNode actFor(ProbeContext ctx, HubClient.Identity me) {
        JsonNode model = ctx.hub.user(ctx.user).orElse(null);
        if (model == null) {
            try {
                ctx.hub.createUser(ctx.user);
                ctx.notes.add("created hub user " + ctx.user);
            } catch (HttpStatusException e) {
                if (e.status() != 409) { // 409: another run created it meanwhile
                    throw new ProbeFailure(Reason.AUTH_ERROR, "user " + ctx.user + " does not exist and the token of " + me.kind()
                            + " " + me.name() + " may not create it (" + e.status() + "): create the user, or grant admin:users", e);
                }
            }
        }
        try {
            ctx.mintedToken = ctx.hub.createToken(ctx.user, "hubprobe run " + ctx.runId,
                    ctx.probe.budget(), mintedScopes(ctx.user));
            ctx.redactor.add(ctx.mintedToken.value());
        } catch (HttpStatusException e) {
            if (e.status() != 403 && e.status() != 400) {
                throw e;
            }
            // Never fall back to sending our own token: the user's server runs code the user controls.
            throw new ProbeFailure(Reason.AUTH_ERROR, "the hub refused to mint a token for " + ctx.user + " (" + e.status()
                    + (e.status() == 403 ? "): the token of " + me.kind() + " " + me.name() + " lacks the scope tokens!user=" + ctx.user
                    : "): the user lacks " + String.join(", ", mintedScopes(ctx.user))) + "; see the README's minimal role", e);
        }
        return model;
    }

    /**
     * Stops what crashed earlier runs left: the probe's own server, or with per-run names the
     * {@code hubprobe-*} servers whose runs are provably over (another live run's server is left alone).
     * Stopping takes the cleanup budget, not the login one.
     */
    private static void stopLeftovers(ProbeContext ctx, Map<String, JsonNode> servers) {
        boolean auto = ctx.probe.autoServerName();
        List<String> leftovers = servers.entrySet().stream()
                .filter(e -> auto ? AutoServer.abandoned(e.getKey(), e.getValue(), ctx.clock.now(), ctx.probe.budget())
                        : e.getKey().equals(ctx.serverName()))
                .map(Map.Entry::getKey).toList();
        for (String name : leftovers) {
            ctx.startPhase(ctx.probe.timeouts().cleanup());
            if (!ctx.hub.stopAndWait(ctx.user, name, auto, ctx.phaseDeadline())) {
                throw new ProbeFailure(Reason.CLEANUP_FAILED, "server '" + name + "' left by an earlier run would not stop");
            }
            ctx.notes.add("stopped server '" + name + "' left running by an earlier run");
        }
    }
}
