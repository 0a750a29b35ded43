package dev.hubprobe.probe.steps;

import dev.hubprobe.jupyter.binder.BinderClient;
import dev.hubprobe.probe.Phase;
import dev.hubprobe.probe.ProbeContext;
import dev.hubprobe.probe.ProbeFailure;
import dev.hubprobe.probe.ProbeStep;
import dev.hubprobe.probe.Reason;
import java.util.stream.Collectors;

/**
 * BinderHub's {@code /health}: its own checks (the hub, the registry, Kubernetes). With a cluster's
 * certificates expired its Kubernetes client raises and it answers a bare 500 (incident 3): that is
 * unhealthy too. Checks BinderHub marks as not to fail on (the pod quota) are only noted.
 */
public final class BinderHealthStep implements ProbeStep {
    @Override
    public Phase phase() {
        return Phase.BINDER_HEALTH;
    }

    @Override
    public void run(ProbeContext ctx) {
        if (ctx.binder.baseUrl().isHttps()) {
            Certificates.check(ctx, ctx.binder.baseUrl());
        }
        BinderClient.Health h = ctx.binder.health();
        h.checks().stream().filter(c -> c.ignored() && !c.ok())
                .forEach(c -> ctx.notes.add("BinderHub check '" + c.service() + "' is not ok (BinderHub does not fail on it)"));
        if (h.healthy()) {
            return;
        }
        if (h.excerpt() != null) {
            throw new ProbeFailure(Reason.BINDER_UNHEALTHY, "GET /health answered " + h.status() + ": " + h.excerpt());
        }
        String failing = h.failing().stream().map(BinderClient.Check::service).collect(Collectors.joining(", "));
        throw new ProbeFailure(Reason.BINDER_UNHEALTHY, "GET /health answered " + h.status() + (failing.isEmpty()
                ? " with \"ok\": false" : ", failing: " + failing));
    }
}
