package dev.hubprobe.probe.steps;

import dev.hubprobe.jupyter.hub.HubReleases;
import dev.hubprobe.json.Json;
import dev.hubprobe.probe.Phase;
import dev.hubprobe.probe.ProbeContext;
import dev.hubprobe.probe.ProbeStep;
import okhttp3.HttpUrl;

/**
 * {@code GET /hub/api/}: is the hub there at all (incident 2 is told apart from a login failure here).
 * An https hub's certificate is looked at first: when it expires, and whether it is still trusted
 * (incident 3 was expired certificates). The hub's version is a fact; one outside the releases the
 * compatibility matrix tests gets a note naming that range.
 */
public final class HubApiStep implements ProbeStep {
    @Override
    public Phase phase() {
        return Phase.HUB_API;
    }

    @Override
    public void run(ProbeContext ctx) {
        HttpUrl url = ctx.hub.baseUrl();
        if (url.isHttps()) {
            Certificates.check(ctx, url);
        }
        ctx.hubVersion = Json.cap(ctx.hub.version(), 100); // a version is short; anything longer is not one
        ctx.facts.put("hub_version", HubReleases.bounded(ctx.hubVersion));
        // probed all the same: most of the protocol has not changed in years, but say what is untested
        HubReleases.note(ctx.hubVersion).ifPresent(ctx.notes::add);
    }
}
