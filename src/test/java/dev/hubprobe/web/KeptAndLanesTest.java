package dev.hubprobe.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * A hub's strip or chart is read once per minute for every viewer, and each kind of history read waits in
 * its own lane: a flood of hub pages or API reads never takes the badges' (or the writes') turn.
 */
class KeptAndLanesTest {
    @Test
    void manyViewersOfOneHubsStripCostOneReadPerMinute() throws Exception {
        AtomicLong clock = new AtomicLong();
        Kept<String> kept = new Kept<>(Duration.ofSeconds(60), clock::get);
        AtomicInteger reads = new AtomicInteger();
        CountDownLatch slow = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(20);
        try {
            List<Future<String>> answers = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                answers.add(pool.submit(() -> kept.get("hub-1", () -> {
                    reads.incrementAndGet();
                    try {
                        slow.await(5, TimeUnit.SECONDS); // a slow read: the others arrive meanwhile
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return "strip " + reads.get();
                })));
            }
            Thread.sleep(300);
            slow.countDown();
            for (Future<String> f : answers) {
                assertEquals("strip 1", f.get(10, TimeUnit.SECONDS));
            }
            assertEquals(1, reads.get(), "twenty viewers at once, one read");
        } finally {
            pool.shutdownNow();
        }
        clock.addAndGet(Duration.ofSeconds(59).toNanos());
        assertEquals("strip 1", kept.get("hub-1", () -> "strip " + reads.incrementAndGet()), "within the minute: kept");
        assertEquals("other 2", kept.get("hub-2", () -> "other " + reads.incrementAndGet()), "each hub its own");
        clock.addAndGet(Duration.ofSeconds(2).toNanos());
        assertEquals("strip 3", kept.get("hub-1", () -> "strip " + reads.incrementAndGet()), "a minute later: read again");
        // a read that failed is not kept: the next viewer reads again
        assertThrows(IllegalStateException.class, () -> kept.get("hub-3", () -> {
            throw new IllegalStateException("history query failed");
        }));
        assertEquals("hub-3 ok", kept.get("hub-3", () -> "hub-3 ok"));
    }

    @Test
    void aFloodOfHistoryReadsWaitsInItsLaneAndNeverTakesTheBadgesTurn() throws Exception {
        ReadLanes lanes = new ReadLanes(Duration.ofMillis(300));
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch inside = new CountDownLatch(ReadLanes.Lane.HISTORY.permits);
        ExecutorService pool = Executors.newFixedThreadPool(ReadLanes.Lane.HISTORY.permits);
        try {
            for (int i = 0; i < ReadLanes.Lane.HISTORY.permits; i++) {
                pool.submit(() -> lanes.limited(ReadLanes.Lane.HISTORY, () -> {
                    inside.countDown();
                    try {
                        held.await(10, TimeUnit.SECONDS); // deep pages of /hubs/{hub} or /api/v1/runs, slow
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return null;
                }));
            }
            inside.await(5, TimeUnit.SECONDS);
            assertThrows(ReadLanes.Busy.class, () -> lanes.limited(ReadLanes.Lane.HISTORY, () -> "one more"),
                    "the history lane is full: 503 with Retry-After, not one more connection and one more scan");
            assertEquals("badge", lanes.limited(ReadLanes.Lane.HUB, () -> "badge"), "the badges' lane is free");
            held.countDown();
            assertEquals("page", lanes.limited(ReadLanes.Lane.HISTORY, () -> "page"), "once the lane frees up");
        } finally {
            held.countDown();
            pool.shutdownNow();
        }
    }
}
