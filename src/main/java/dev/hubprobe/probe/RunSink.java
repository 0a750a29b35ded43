package dev.hubprobe.probe;

/**
 * A consumer of run results: history, metrics, alerting. Sinks are called in order (history first:
 * the baselines read it). A sink must not throw for one bad result; the scheduler isolates sinks from
 * each other anyway.
 */
public interface RunSink {
    void accept(RunResult result);
}
