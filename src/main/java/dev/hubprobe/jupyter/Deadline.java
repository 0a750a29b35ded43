package dev.hubprobe.jupyter;

import java.util.function.LongSupplier;

/**
 * When the calls of the current phase must be done, shared by a run's hub and kernel clients: the
 * runner sets it from the phase's budget, and every HTTP call made meanwhile is cut off at it, so a
 * phase can never outlive its configured timeout however many calls it makes.
 */
public final class Deadline {
    private static final long NONE = Long.MAX_VALUE;
    private final LongSupplier nanoTime;
    private volatile long at = NONE;

    public Deadline(LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
    }

    /** When calls must be done, on the clock's nano time; {@link Long#MAX_VALUE} when none is set. */
    public long at() {
        return at;
    }

    public void set(long atNanos) {
        at = atNanos;
    }

    /** Nanoseconds left; {@link Long#MAX_VALUE} when none is set. */
    public long remaining() {
        long a = at;
        return a == NONE ? NONE : a - nanoTime.getAsLong();
    }

    public long now() {
        return nanoTime.getAsLong();
    }
}
