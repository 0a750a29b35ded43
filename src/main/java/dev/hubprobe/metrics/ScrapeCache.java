package dev.hubprobe.metrics;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Renders the Prometheus exposition on each scrape while that is quick, and in the background once
 * it is large and slow. With a thousand hubs the exposition is some 90,000 lines, 10 MB, and a rendering takes
 * 100 to 200 ms on the C1-only service, longer than a scrape should wait, and makes that much garbage.
 * Probe results change once a minute per hub, so a rendering up to {@code refresh} old loses nothing
 * there; never older: its age counts from when it began (it reads the meters as it starts), and a
 * scrape that would get an older one renders afresh. The background renders every half
 * {@code refresh}, so a scrape finds a young enough one unless rendering takes longer than that.
 * Background rendering only happens while someone
 * scrapes: a format not asked for in ten minutes is dropped (longer than any scrape interval, so a
 * Prometheus scraping once a minute, its default, never waits for a render).
 */
final class ScrapeCache implements AutoCloseable {
    /** @param atNanos when the rendering began: what it says is as of then */
    private record Rendered(byte[] text, long atNanos, long tookNanos) {
        /**
         * Worth rendering ahead. By size as well as time: a small exposition is rendered fresh for every
         * scrape, however long a cold JVM took over it once, so what it says is always current.
         */
        boolean slow() {
            return tookNanos > SLOW_NANOS && text.length > LARGE_BYTES;
        }
    }

    /** A rendering slower than this is worth doing ahead of the scrape... */
    private static final long SLOW_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    /** ...when it is this large too (some 100 hubs; a thousand make 10 MB). */
    private static final int LARGE_BYTES = 1 << 20;
    /** A format nobody asked for in this long is no longer rendered ahead. */
    private static final long FORGET_NANOS = TimeUnit.MINUTES.toNanos(10);

    private final Function<String, byte[]> render;
    private final long refreshNanos;
    private final Map<String, Rendered> cache = new ConcurrentHashMap<>();
    private final Map<String, Long> lastAsked = new ConcurrentHashMap<>();
    private final ScheduledExecutorService renderer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "hubprobe-metrics-render");
        t.setDaemon(true);
        return t;
    });

    ScrapeCache(Function<String, byte[]> render, Duration refresh) {
        this.render = render;
        this.refreshNanos = refresh.toNanos();
        // fixed delay, so a slow rendering is never queued behind another; every half refresh, so what a
        // scrape finds (at most half a refresh plus one rendering old) is mostly still young enough
        renderer.scheduleWithFixedDelay(this::refresh, refreshNanos / 2, refreshNanos / 2, TimeUnit.NANOSECONDS);
    }

    byte[] get(String contentType) {
        long now = System.nanoTime();
        lastAsked.put(contentType, now);
        Rendered r = cache.get(contentType);
        if (r == null || !r.slow() || now - r.atNanos > refreshNanos) {
            r = renderNow(contentType);
        }
        return r.text;
    }

    private Rendered renderNow(String contentType) {
        long t0 = System.nanoTime();
        byte[] text = render.apply(contentType);
        long t1 = System.nanoTime();
        Rendered r = new Rendered(text, t0, t1 - t0);
        // a scrape's own rendering may finish after the background's newer one: keep the newer
        cache.merge(contentType, r, (old, fresh) -> fresh.atNanos - old.atNanos >= 0 ? fresh : old);
        return r;
    }

    private void refresh() {
        long now = System.nanoTime();
        for (Map.Entry<String, Long> e : lastAsked.entrySet()) {
            if (now - e.getValue() > FORGET_NANOS) {
                lastAsked.remove(e.getKey());
                cache.remove(e.getKey());
            } else if (cache.containsKey(e.getKey()) && cache.get(e.getKey()).slow()) {
                renderNow(e.getKey());
            }
        }
    }

    @Override
    public void close() {
        renderer.shutdownNow();
    }
}
