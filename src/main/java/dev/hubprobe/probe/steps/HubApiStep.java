package dev.hubprobe.probe.steps;

import dev.hubprobe.probe.Phase;
import dev.hubprobe.probe.ProbeContext;
import dev.hubprobe.probe.ProbeStep;

/** {@code GET /hub/api/}: is the hub there at all (incident 2 is told apart from a login failure here). */
public final class HubApiStep implements ProbeStep {
    @Override
    public Phase phase() {
        return Phase.HUB_API;
    }

    @Override
    public void run(ProbeContext ctx) {
        ctx.hubVersion = ctx.hub.version();
        ctx.facts.put("hub_version", ctx.hubVersion);
    }
}
