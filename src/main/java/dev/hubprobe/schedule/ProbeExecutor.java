package dev.hubprobe.schedule;

import dev.hubprobe.probe.ProbeRunner;
import dev.hubprobe.probe.RunResult;
import dev.hubprobe.schedule.ScheduledProbe;

/** Runs one scheduled probe now: the real {@link ProbeRunner}, or an in-process fake in benchmarks. */
@FunctionalInterface
public interface ProbeExecutor {
    RunResult run(ScheduledProbe probe, ProbeRunner.Abort abort);

    static ProbeExecutor of(ProbeRunner runner) {
        return (probe, abort) -> runner.run(probe.target(), probe.probe(), abort);
    }
}
