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
}
