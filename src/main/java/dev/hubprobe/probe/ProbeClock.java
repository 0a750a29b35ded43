package dev.hubprobe.probe;

import java.time.Instant;

/** Wall time for timestamps and a monotonic clock for durations, injectable so timing is testable. */
public interface ProbeClock {
    Instant now();

    long nanoTime();

    ProbeClock SYSTEM = new ProbeClock() {
        @Override
        public Instant now() {
            return Instant.now();
        }

        @Override
        public long nanoTime() {
            return System.nanoTime();
        }
    };
}
