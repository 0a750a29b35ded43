package dev.hubprobe.probe;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * At most so many Chromiums at once over all runs of one runner (ui.max_browsers, load --browsers). A run
 * waits for a slot before its UI phases, but not for ever: past its patience
 * ({@link ProbeDefinition#browserWait()}) its UI phases are skipped and the skip is counted, rather than
 * the run holding its server, kernel and token until a stop.
 */
public final class BrowserSlots {
    /** What a wait came to. */
    public enum Outcome { TAKEN, NONE_FREE, STOPPED }

    private final Semaphore permits;

    public BrowserSlots(int max) {
        this.permits = new Semaphore(max, true);
    }

    /**
     * Waits at most {@code patience} for a slot, polling {@code stop}; on {@link Outcome#TAKEN} the caller
     * owns one slot and gives it back with {@link #release()}.
     */
    public Outcome take(Duration patience, BooleanSupplier stop) {
        long end = System.nanoTime() + patience.toNanos();
        try {
            while (!stop.getAsBoolean()) {
                long left = end - System.nanoTime();
                if (permits.tryAcquire(Math.max(0, Math.min(left, TimeUnit.MILLISECONDS.toNanos(100))), TimeUnit.NANOSECONDS)) {
                    return Outcome.TAKEN;
                }
                if (System.nanoTime() >= end) {
                    return Outcome.NONE_FREE;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return Outcome.STOPPED;
    }

    public void release() {
        permits.release();
    }
}
