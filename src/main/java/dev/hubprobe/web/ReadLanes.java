package dev.hubprobe.web;

import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * How many answers of each kind may read the history at once, beside the status page's board (which has
 * its own permits in {@link BoardCache}): however many clients ask, reads use a few of the pool's 32
 * connections and of the CPU, and the runs' writes always get theirs. Each kind has its own lane, so a
 * flood of one kind never starves another: a thousand badges or day strips asked at once do not keep
 * the board from being refreshed, and anyone paging through {@code /hubs/{hub}?page=N} or
 * {@code /api/v1/runs} waits in the history lane, not in front of the page or the writes. A request
 * that waits longer than {@link BoardCache#PERMIT_WAIT} for its lane is answered {@code 503} with
 * {@code Retry-After} ({@link Busy}).
 */
@Singleton
public final class ReadLanes {
    /** The kinds of answer that read the history. */
    public enum Lane {
        /** A hub's badge, day strip or latency chart (the status page's images and charts). */
        HUB(2),
        /** A hub's runs page, a run page, the API's runs and hubs: rows of the runs table. */
        HISTORY(2);

        final int permits;

        Lane(int permits) {
            this.permits = permits;
        }
    }

    /** Too many answers of one kind at once: the caller answers 503 with Retry-After. */
    public static final class Busy extends RuntimeException {
        Busy() {
            super("the service is busy answering pages; try again in a few seconds", null, false, false);
        }
    }

    private final Semaphore[] lanes = new Semaphore[Lane.values().length];
    private final Duration wait;

    public ReadLanes() {
        this(BoardCache.PERMIT_WAIT);
    }

    ReadLanes(Duration wait) {
        this.wait = wait;
        for (Lane l : Lane.values()) {
            lanes[l.ordinal()] = new Semaphore(l.permits, true);
        }
    }

    /** Runs {@code answer} holding one of the lane's permits; {@link Busy} when none frees up in time. */
    public <T> T limited(Lane lane, Supplier<T> answer) {
        Semaphore s = lanes[lane.ordinal()];
        try {
            if (!s.tryAcquire(wait.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new Busy();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Busy();
        }
        try {
            return answer.get();
        } finally {
            s.release();
        }
    }
}
