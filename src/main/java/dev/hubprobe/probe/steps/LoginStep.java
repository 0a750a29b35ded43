package dev.hubprobe.probe.steps;

import dev.hubprobe.jupyter.HttpStatusException;
import dev.hubprobe.jupyter.hub.HubClient;
import dev.hubprobe.probe.Phase;
import dev.hubprobe.probe.ProbeContext;
import dev.hubprobe.probe.ProbeDefinition;
import dev.hubprobe.probe.ProbeFailure;
import dev.hubprobe.probe.ProbeStep;
import dev.hubprobe.probe.ProbeTarget;
import dev.hubprobe.probe.Reason;
import java.util.List;

/**
 * Becomes the probe user: through the login form, or with a token. A token of a service or admin may
 * act for another user: then the user is created if missing and a short-lived token is minted for it,
 * so the user's server sees that user, as it would a person. A server left running by a crashed
 * earlier run is stopped here, before the spawn is timed.
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
        if (!ctx.formLogin() && !(me.kind().equals("user") && me.name().equals(ctx.user))) {
            actFor(ctx, me);
        }
        stopLeftover(ctx);
    }

    private static void actFor(ProbeContext ctx, HubClient.Identity me) {
        if (ctx.hub.user(ctx.user).isEmpty()) {
            try {
                ctx.hub.createUser(ctx.user);
                ctx.notes.add("created hub user " + ctx.user);
            } catch (HttpStatusException e) {
                throw new ProbeFailure(Reason.AUTH_ERROR, "user " + ctx.user + " does not exist and the token of "
                        + me.kind() + " " + me.name() + " may not create it (" + e.status() + ")", e);
            }
        }
        try {
            ctx.mintedToken = ctx.hub.createToken(ctx.user, "hubprobe run " + ctx.runId,
                    ctx.probe.timeouts().total(), List.of());
            ctx.redactor.add(ctx.mintedToken.value());
        } catch (HttpStatusException e) {
            if (e.status() != 403) {
                throw e;
            }
            ctx.notes.add("the token may not mint tokens for " + ctx.user + "; using it directly");
        }
    }

    /**
     * Stops what a crashed earlier run left: the probe's server, or with per-run names every
     * {@code hubprobe-*} server of the user (the robot account owns no others).
     */
    private static void stopLeftover(ProbeContext ctx) {
        boolean auto = ctx.probe.autoServerName();
        List<String> leftovers = ctx.hub.serverNames(ctx.user).stream()
                .filter(n -> auto ? n.startsWith(ProbeDefinition.AUTO_SERVER_PREFIX) : n.equals(ctx.serverName()))
                .toList();
        for (String name : leftovers) {
            if (!ctx.hub.stopAndWait(ctx.user, name, auto, ctx.deadline(ctx.probe.timeouts().cleanup()))) {
                throw new ProbeFailure(Reason.CLEANUP_FAILED, "server '" + name + "' left by an earlier run would not stop");
            }
            ctx.notes.add("stopped server '" + name + "' left running by an earlier run");
        }
    }
}
