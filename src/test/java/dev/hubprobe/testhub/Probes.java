package dev.hubprobe.testhub;

import dev.hubprobe.config.Secret;
import dev.hubprobe.config.StrictYaml;
import dev.hubprobe.jupyter.hub.HubClientSettings;
import dev.hubprobe.probe.ProbeClock;
import dev.hubprobe.probe.ProbeDefinition;
import dev.hubprobe.probe.ProbeRunner;
import dev.hubprobe.probe.ProbeTarget;
import dev.hubprobe.probe.RunResult;

/** Runs probes in-process against the real test hub, with the service token acting for a user. */
public final class Probes {
    private static final ProbeRunner RUNNER = new ProbeRunner(ProbeClock.SYSTEM, HubClientSettings.defaults("hubprobe-it"));

    private Probes() {
    }

    /** A probe from YAML text (the same strict reader as probe files). */
    public static ProbeDefinition probe(String yaml) throws Exception {
        return StrictYaml.read("test-probe.yml", yaml, ProbeDefinition.class).withName("it");
    }

    public static RunResult run(RealHub hub, String user, ProbeDefinition probe) {
        return RUNNER.run(new ProbeTarget("test", hub.url(), user,
                new ProbeTarget.Token(Secret.of(hub.serviceToken()))), probe);
    }

    public static RunResult run(String url, String user, String token, ProbeDefinition probe) {
        return RUNNER.run(new ProbeTarget("test", url, user, new ProbeTarget.Token(Secret.of(token))), probe);
    }
}
