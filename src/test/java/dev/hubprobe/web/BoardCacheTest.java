package dev.hubprobe.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The board is computed once per refresh for every viewer, and page answers never take more than their share of connections. */
class BoardCacheTest {
    private final AtomicLong clock = new AtomicLong();
    private final AtomicLong runs = new AtomicLong();
    private final AtomicInteger computed = new AtomicInteger();
    private final Object config = new Object();

    private BoardCache cache(int permits) {
        return new BoardCache(Duration.ofSeconds(5), Duration.ofSeconds(1), runs::get, permits, clock::get);
    }

    private BoardCache.View compute() {
        int n = computed.incrementAndGet();
        Board b = new Board(Instant.now(), Map.of(), List.of(), List.of(), List.of());
        return new BoardCache.View(b, "v" + n, "", "", "page " + n);
    }

    private void advance(Duration d) {
        clock.addAndGet(d.toNanos());
    }

    @Test
    void fiftyViewersWithinARefreshCostOneBoard() throws Exception {
        BoardCache cache = cache(4);
        ExecutorService pool = Executors.newFixedThreadPool(50);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<String>> pages = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            pages.add(pool.submit(() -> {
                go.await();
                return cache.get(false, config, () -> {
                    sleep(200); // a slow history: the others wait for this one rather than each computing their own
                    return compute();
                }).page();
            }));
        }
        go.countDown();
        for (Future<String> p : pages) {
            assertEquals("page 1", p.get(10, TimeUnit.SECONDS));
        }
        pool.shutdown();
        assertEquals(1, computed.get(), "one board for fifty viewers");

        advance(Duration.ofSeconds(4));
        assertEquals("page 1", cache.get(false, config, this::compute).page(), "still fresh");
        advance(Duration.ofSeconds(1));
        assertEquals("page 1", cache.get(false, config, this::compute).page(), "older than the refresh: the last at once, the next aside");
        assertEquals("page 2", next(cache, false, config));
        assertEquals(2, computed.get());
        assertEquals("page 3", cache.get(true, config, this::compute).page(), "the operator view is a board of its own");
        assertEquals("page 2", cache.get(false, config, this::compute).page());
        assertEquals("page 4", cache.get(false, new Object(), this::compute).page(), "a reloaded configuration starts afresh");
    }

    /** The page served once the board computed aside is ready. */
    private String next(BoardCache cache, boolean operator, Object cfg) throws InterruptedException {
        String first = null;
        for (int i = 0; i < 200; i++) {
            String p = cache.get(operator, cfg, this::compute).page();
            if (first == null) {
                first = p;
            } else if (!p.equals(first)) {
                return p;
            }
            Thread.sleep(20);
        }
        return first;
    }

    @Test
    void aRunThatLandsShowsWithinASecondNotAtTheNextRefresh() throws Exception {
        BoardCache cache = cache(4);
        assertEquals("page 1", cache.get(false, config, this::compute).page());
        runs.incrementAndGet();
        advance(Duration.ofMillis(500));
        assertEquals("page 1", cache.get(false, config, this::compute).page(), "at most one board a second however often runs land");
        advance(Duration.ofMillis(500));
        assertEquals("page 1", cache.get(false, config, this::compute).page());
        assertEquals("page 2", next(cache, false, config), "a second after the run: the next board");
    }

    @Test
    void whileTheNextBoardIsComputedEveryViewerGetsTheLastAtOnce() throws Exception {
        BoardCache cache = cache(4);
        cache.get(false, config, this::compute);
        advance(Duration.ofSeconds(6));
        CountDownLatch computing = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        long t0 = System.nanoTime();
        assertEquals("page 1", cache.get(false, config, () -> {
            computing.countDown();
            await(release); // a slow history
            return compute();
        }).page());
        assertTrue(computing.await(10, TimeUnit.SECONDS), "the next board is being computed");
        for (int i = 0; i < 10; i++) {
            assertEquals("page 1", cache.get(false, config, this::compute).page());
        }
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(2), "no viewer held up by the one computing");
        assertEquals(1, computed.get(), "and none computing another meanwhile");
        release.countDown();
        assertEquals("page 2", next(cache, false, config));
        assertEquals(2, computed.get());
    }

    @Test
    void atMostThePermittedPageAnswersReadTheHistoryAtOnce() throws Exception {
        BoardCache cache = cache(3);
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(20);
        List<Future<?>> done = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            done.add(pool.submit(() -> cache.limited(() -> {
                most.accumulateAndGet(inside.incrementAndGet(), Math::max);
                sleep(20);
                inside.decrementAndGet();
                return null;
            })));
        }
        for (Future<?> f : done) {
            f.get(30, TimeUnit.SECONDS);
        }
        pool.shutdown();
        assertEquals(3, most.get());
        // a computation that fails does not leave the next viewer waiting on it
        try {
            cache.get(false, config, () -> {
                throw new IllegalStateException("history query failed");
            });
        } catch (IllegalStateException expected) {
            // the viewer sees the failure
        }
        BoardCache.View v = cache.get(false, config, this::compute);
        assertSame(v, cache.get(false, config, this::compute));
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void await(CountDownLatch l) {
        try {
            l.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void aBoardWhoseRefreshesKeepFailingIsNotServedAsCurrent() throws Exception {
        BoardCache cache = cache(4);
        assertEquals("page 1", cache.get(false, config, this::compute).page());
        java.util.function.Supplier<BoardCache.View> broken = () -> {
            throw new IllegalStateException("history query failed: connection refused");
        };
        advance(Duration.ofSeconds(6));
        assertEquals("page 1", cache.get(false, config, broken).page(), "a refresh that fails once: the last board, for a while");
        Thread.sleep(200); // the refresh aside fails
        advance(Duration.ofSeconds(10)); // 16 s old: more than 3 x the 5 s refresh
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> cache.get(false, config, broken), "the viewer computes afresh and sees it fail, not the old board");
        assertTrue(e.getMessage().contains("connection refused"));
        assertEquals(1, computed.get());
        assertTrue(cache.lastRead(false) != null, "when the history was last read, for the page to say since when it is unknown");
        assertEquals("page 2", cache.get(false, config, this::compute).page(), "once the history answers again, a board at once");
    }

    @Test
    void aViewerAfterAReloadDoesNotJoinAComputationStartedUnderTheOldConfig() throws Exception {
        BoardCache cache = cache(4);
        Object before = new Object();
        Object after = new Object();
        CountDownLatch computing = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        Future<String> old = pool.submit(() -> cache.get(false, before, () -> {
            computing.countDown();
            await(release); // slow: the reload lands meanwhile
            Board b = new Board(Instant.now(), Map.of(), List.of(), List.of(), List.of());
            return new BoardCache.View(b, "old", "", "", "page with the hub removed since");
        }).page());
        assertTrue(computing.await(10, TimeUnit.SECONDS));
        Future<String> fresh = pool.submit(() -> cache.get(false, after, this::compute).page());
        try {
            assertEquals("page 1", fresh.get(5, TimeUnit.SECONDS), "computed under the new configuration, not the old one's board");
        } finally {
            release.countDown();
        }
        assertEquals("page with the hub removed since", old.get(10, TimeUnit.SECONDS));
        assertEquals("page 1", cache.get(false, after, this::compute).page(), "the old computation does not replace the new board");
        pool.shutdown();
    }
}
