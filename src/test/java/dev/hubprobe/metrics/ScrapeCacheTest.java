package dev.hubprobe.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A scrape of a large, slow exposition is served from a rendering made ahead; a small or quick one is made fresh each time. */
class ScrapeCacheTest {

    @Test
    void aSlowRenderingIsMadeAheadSoScrapesDoNotWaitForIt() throws Exception {
        AtomicInteger renders = new AtomicInteger();
        try (ScrapeCache cache = new ScrapeCache(type -> {
            int n = renders.incrementAndGet();
            sleep(80); // over the 50 ms a scrape should wait
            return large("rendering " + n);
        }, Duration.ofMillis(300))) {
            assertArrayEquals(large("rendering 1"), cache.get("text/plain"), "the first scrape waits, once");
            long t0 = System.nanoTime();
            for (int i = 0; i < 5; i++) {
                cache.get("text/plain");
            }
            assertTrue(System.nanoTime() - t0 < 40_000_000L, "five more scrapes were served without rendering");
            Thread.sleep(1000);
            assertTrue(renders.get() >= 3, "rendered again in the background while scraped: " + renders.get());
            String served = new String(cache.get("text/plain"), StandardCharsets.UTF_8).trim();
            assertTrue(Integer.parseInt(served.substring("rendering ".length())) >= 3, "the scrape gets the newer rendering: " + served);
        }
    }

    /**
     * What a scrape gets says how things were at most {@code refresh} ago (10 s in the service, as the README
     * says): measured from when its rendering began, since a rendering reads the meters as it starts.
     */
    @Test
    void aScrapeNeverGetsARenderingOlderThanRefresh() throws Exception {
        long refresh = 300_000_000L;
        try (ScrapeCache cache = new ScrapeCache(type -> {
            long began = System.nanoTime();
            sleep(80);
            return large(Long.toString(began));
        }, Duration.ofNanos(refresh))) {
            long oldest = 0;
            long end = System.nanoTime() + 3_000_000_000L;
            while (System.nanoTime() < end) {
                // the age when the scrape was asked for: time this thread spends descheduled after the answer
                // (a loaded CI machine) is not the cache's doing, and the cache's own clock reads no earlier
                long asked = System.nanoTime();
                String served = new String(cache.get("text/plain"), StandardCharsets.UTF_8).trim();
                oldest = Math.max(oldest, asked - Long.parseLong(served));
                Thread.sleep(7);
            }
            assertTrue(oldest <= refresh, "a scrape got a rendering " + oldest / 1_000_000 + " ms old");
        }
    }

    /** A slow but small exposition (a cold JVM's first scrapes) is made fresh each time: it must say what is current. */
    @Test
    void aSmallExpositionIsMadeFreshForEveryScrapeHoweverSlow() {
        AtomicInteger renders = new AtomicInteger();
        try (ScrapeCache cache = new ScrapeCache(type -> {
            sleep(80);
            return ("r" + renders.incrementAndGet()).getBytes(StandardCharsets.UTF_8);
        }, Duration.ofSeconds(10))) {
            cache.get("text/plain");
            assertEquals("r2", new String(cache.get("text/plain"), StandardCharsets.UTF_8));
        }
    }

    @Test
    void aQuickRenderingIsMadeFreshForEveryScrape() {
        AtomicInteger renders = new AtomicInteger();
        try (ScrapeCache cache = new ScrapeCache(type -> ("r" + renders.incrementAndGet()).getBytes(StandardCharsets.UTF_8),
                Duration.ofSeconds(10))) {
            cache.get("text/plain");
            cache.get("text/plain");
            assertEquals("r3", new String(cache.get("text/plain"), StandardCharsets.UTF_8));
        }
    }

    /** The text, padded with spaces past the 1 MB from which rendering ahead pays. */
    private static byte[] large(String text) {
        return (text + " ".repeat(1 << 20)).getBytes(StandardCharsets.UTF_8);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
