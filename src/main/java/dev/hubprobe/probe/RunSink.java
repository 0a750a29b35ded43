package dev.hubprobe.probe;

/**
 * A consumer of run results: history, metrics, alerting. Sinks are called in order (history first:
 * the baselines read it). A sink must not throw for one bad result; the scheduler isolates sinks from
 * each other anyway.
 */
public interface RunSink {
    void accept(RunResult result);

    /**
     * Whether this sink still gets the result of a run whose (hub, probe) a reload removed while it ran:
     * only the history does (a record of what happened); alerts and metrics would bring the pair back.
     */
    default boolean keepsResultsOfRemovedPairs() {
        return false;
    }
}
