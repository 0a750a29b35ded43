package dev.hubprobe.schedule;

import dev.hubprobe.probe.ProbeDefinition;
import dev.hubprobe.probe.ProbeKey;
import dev.hubprobe.probe.ProbeTarget;
import java.time.Duration;

/** One (hub, probe) pair the service runs on a schedule: one Quartz job each. */
public record ScheduledProbe(ProbeTarget target, ProbeDefinition probe, Duration interval) {
    public String hub() {
        return target.hub();
    }

    public ProbeKey key() {
        return new ProbeKey(target.hub(), probe.name());
    }

    /** The hub server this probe uses; probes with the same server key must take turns. */
    String serverKey() {
        return target.hub() + "/" + (target.user() == null ? "" : target.user()) + "/" + (probe.server() == null ? "" : probe.server());
    }
}
