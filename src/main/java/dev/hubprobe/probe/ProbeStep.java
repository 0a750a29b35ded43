package dev.hubprobe.probe;

/**
 * One phase of a run behind one signature, the way blackbox_exporter keeps one prober per protocol.
 * A step reads and writes the run's {@link ProbeContext}; it fails by throwing {@link ProbeFailure}
 * (or a Jupyter client exception, which the runner classifies for the step's phase).
 */
public interface ProbeStep {
    Phase phase();

    void run(ProbeContext ctx);

    /** Cleanup steps run on every path, but only when an earlier step left something to clean. */
    interface Cleanup extends ProbeStep {
        boolean needed(ProbeContext ctx);

        /**
         * Whether this step's failure fails a run that had passed. The probe's own cleanup cells say no:
         * their failure is the probe author's to fix, kept as a note and a phase result, never the hub's.
         */
        default boolean failsRun() {
            return true;
        }
    }
}
