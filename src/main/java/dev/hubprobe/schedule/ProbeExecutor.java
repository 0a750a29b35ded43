package dev.hubprobe.schedule;

import dev.hubprobe.probe.ProbeRunner;
import dev.hubprobe.probe.RunResult;

/** Runs one scheduled probe now: the real {@link ProbeRunner}, or an in-process fake in benchmarks. */
@FunctionalInterface
public interface ProbeExecutor {
    RunResult run(ScheduledProbe probe, ProbeRunner.Abort abort);

    static ProbeExecutor of(ProbeRunner runner) {
        return (probe, abort) -> runner.run(probe.target(), probe.probe(), abort);
    }

    /** Each result passed through {@code then} before the sinks see it (the environment compared with the history). */
    default ProbeExecutor then(java.util.function.UnaryOperator<RunResult> then) {
        return (probe, abort) -> then.apply(run(probe, abort));
    }
}
