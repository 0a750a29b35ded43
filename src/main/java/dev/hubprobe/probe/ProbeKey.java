package dev.hubprobe.probe;

import java.util.Objects;

/** One (hub, probe) pair: the unit that is scheduled, stored, alerted on and shown. */
public record ProbeKey(String hub, String probe) {
    public ProbeKey {
        Objects.requireNonNull(hub, "hub");
        Objects.requireNonNull(probe, "probe");
    }

    public static ProbeKey of(RunResult r) {
        return new ProbeKey(r.hub(), r.probe());
    }

    /** {@code hub/probe}: the Quartz job name and the prefix of alert keys. */
    @Override
    public String toString() {
        return hub + "/" + probe;
    }
}
