package dev.hubprobe.web;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The status page's board, computed once per refresh for all its viewers rather than once per viewer:
 * a thousand open tabs polling every few seconds cost the history what one does. A board is reused
 * while it is younger than {@code maxAge}, or than {@code minAge} once a run landed since (so a
 * recovery shows within a poll or two, and a busy service still computes at most one board per
 * {@code minAge}). The next board is computed aside while every viewer gets the one before it, at
 * once; only the very first board (or the first after a reload) is waited for.
 *
 * <p>Every page answer that reads the history ({@link #limited}) also takes one of a few permits:
 * however many clients ask at once, pages use at most that many of the pool's connections, and the
 * runs' writes always get one. A viewer that waits too long for a permit is told to come back.
 */
final class BoardCache {
    /** How long a viewer waits for a permit before the answer is 503 with Retry-After. */
    static final Duration PERMIT_WAIT = Duration.ofSeconds(10);
    /** A board older than this many {@code maxAge}s is not served as current (its refreshes failed). */
    static final int STALE = 3;
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(BoardCache.class);

    /**
     * What is served: the board, its rendered parts, and the page and fragment as the bytes sent (the
     * same for every viewer of the view, so no answer encodes, serialises or compresses a large page again).
     */
    record View(Board board, String version, String banner, String live, String page, Body pageBody, Body fragmentBody) {
        View(Board board, String version, String banner, String live, String page) {
            this(board, version, banner, live, page, Body.of(page), Body.of(""));
        }
    }

    /** An answer's bytes, plain and gzipped (what browsers ask for: a 1,000-hub page shrinks about twentyfold). */
    record Body(byte[] plain, byte[] gzip) {
        static Body of(String text) {
            byte[] plain = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(plain.length / 8 + 64);
            try (java.util.zip.GZIPOutputStream z = new java.util.zip.GZIPOutputStream(out)) {
                z.write(plain);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return new Body(plain, out.toByteArray());
        }
    }

    private final Duration maxAge;
    private final Duration minAge;
    private final LongSupplier runsRecorded;
    private final LongSupplier nanos;
    private final Semaphore permits;
    private final Slot[] slots = {new Slot(), new Slot()};
    /** Where boards are computed while viewers get the last one: a thread only while there is work (none left behind). */
    private final java.util.concurrent.ThreadPoolExecutor refreshes = new java.util.concurrent.ThreadPoolExecutor(0, 2, 30,
            TimeUnit.SECONDS, new java.util.concurrent.SynchronousQueue<>(), r -> {
                Thread t = new Thread(r, "hubprobe-board");
                t.setDaemon(true);
                return t;
            });

    /** One view's latest board (operator or public), and the computation of the next one when one is under way. */
    private static final class Slot {
        Object config;
        View view;
        long at;
        long runs;
        CompletableFuture<View> pending;
        /** The configuration {@link #pending} is computed under: a viewer under another one never joins it. */
        Object pendingConfig;
    }

    /**
     * @param runsRecorded how many runs this process has recorded so far (a board older than {@code minAge}
     *                     is computed again once it moved)
     * @param permits      how many page answers may read the history at once
     */
    BoardCache(Duration maxAge, Duration minAge, LongSupplier runsRecorded, int permits, LongSupplier nanos) {
        this.maxAge = maxAge;
        this.minAge = minAge;
        this.runsRecorded = runsRecorded;
        this.permits = new Semaphore(permits, true);
        this.nanos = nanos;
    }

    /**
     * The current view of the operator or the public board under {@code config} (a reload starts
     * afresh: a hub no longer public must not stay on the page).
     */
    View get(boolean operator, Object config, Supplier<View> compute) {
        Slot slot = slots[operator ? 1 : 0];
        CompletableFuture<View> mine = null;
        CompletableFuture<View> theirs;
        View previous = null;
        long runs = runsRecorded.getAsLong();
        synchronized (slot) {
            long now = nanos.getAsLong();
            boolean same = slot.view != null && slot.config == config;
            if (same) {
                long age = now - slot.at;
                if (age < maxAge.toNanos() && (slot.runs == runs || age < minAge.toNanos())) {
                    return slot.view;
                }
                if (age < STALE * maxAge.toNanos()) {
                    previous = slot.view;
                }
                // older than that, refreshes have been failing: the board is not served as current, this viewer
                // computes (or waits for) the next one and sees its failure
            }
            if (slot.pending == null || slot.pendingConfig != config) {
                // a computation under the configuration before a reload is not joined: its board may show a hub no longer public
                slot.pending = mine = new CompletableFuture<>();
                slot.pendingConfig = config;
            }
            theirs = slot.pending;
        }
        if (mine != null && previous != null) {
            // a viewer never waits for a board when there is one: the next is computed aside, and served once ready
            CompletableFuture<View> next = mine;
            java.time.Instant served = previous.board().now();
            try {
                refreshes.execute(() -> {
                    try {
                        compute(slot, config, runs, compute, next);
                    } catch (RuntimeException | Error e) {
                        // viewers keep the last board for a while (3 x maxAge); after that they compute it themselves and see the failure
                        LOG.warn("status page: the board could not be refreshed ({}); viewers get the one from {}",
                                e.toString(), served);
                    }
                });
            } catch (java.util.concurrent.RejectedExecutionException e) {
                synchronized (slot) {
                    if (slot.pending == next) {
                        slot.pending = null;
                    }
                }
            }
            return previous;
        }
        if (mine != null) {
            return compute(slot, config, runs, compute, mine);
        }
        if (previous != null) {
            return previous; // another viewer is computing the next board: this one gets the last, at once
        }
        return Kept.await(theirs);
    }

    private View compute(Slot slot, Object config, long runs, Supplier<View> compute, CompletableFuture<View> mine) {
        try {
            View v = limited(compute);
            synchronized (slot) {
                if (slot.pending == mine) { // not superseded by a computation under a newer configuration
                    slot.config = config;
                    slot.view = v;
                    slot.at = nanos.getAsLong();
                    slot.runs = runs; // counted before reading: a run that lands meanwhile makes this board old
                    slot.pending = null;
                }
            }
            mine.complete(v);
            return v;
        } catch (RuntimeException | Error e) {
            synchronized (slot) {
                if (slot.pending == mine) {
                    slot.pending = null;
                }
            }
            mine.completeExceptionally(e);
            throw e;
        }
    }

    /** When the last board of this view was read from the history, or null before the first. */
    java.time.Instant lastRead(boolean operator) {
        Slot slot = slots[operator ? 1 : 0];
        synchronized (slot) {
            return slot.view == null ? null : slot.view.board().now();
        }
    }

    /** Runs a page answer that reads the history under one of the permits. */
    <T> T limited(Supplier<T> answer) {
        try {
            if (!permits.tryAcquire(PERMIT_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new ReadLanes.Busy();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ReadLanes.Busy();
        }
        try {
            return answer.get();
        } finally {
            permits.release();
        }
    }
}
