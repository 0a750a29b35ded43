package dev.hubprobe.service;

import dev.hubprobe.probe.ProbeDefinition;
import dev.hubprobe.probe.ProbeTarget;
import java.time.Duration;

/** One (hub, probe) pair the service runs on a schedule: one Quartz job each. */
public record ScheduledProbe(ProbeTarget target, ProbeDefinition probe, Duration interval) {
    public String hub() {
        return target.hub();
    }

    public String key() {
        return target.hub() + "/" + probe.name();
    }

    /** The hub server this probe uses; probes with the same key must not run at once. */
    public String serverKey() {
        return target.hub() + "/" + (target.user() == null ? "" : target.user()) + "/" + (probe.server() == null ? "" : probe.server());
    }
}
