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
 * it is slow. With a thousand hubs the exposition is some 200,000 lines and takes most of a second to
 * render, longer than a scrape should; probe results change once a minute per hub, so a rendering
 * {@code refresh} old (twice that at worst, when rendering falls behind) loses nothing there. Background
 * rendering only happens while someone scrapes: a format not asked for in a while is dropped.
 */
final class ScrapeCache implements AutoCloseable {
    private record Rendered(String text, long atNanos, long tookNanos) {
        boolean slow() {
            return tookNanos > SLOW_NANOS;
        }
    }

    /** A rendering slower than this is worth doing ahead of the scrape. */
    private static final long SLOW_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final Function<String, String> render;
    private final long refreshNanos;
    private final Map<String, Rendered> cache = new ConcurrentHashMap<>();
    private final Map<String, Long> lastAsked = new ConcurrentHashMap<>();
    private final ScheduledExecutorService renderer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "hubprobe-metrics-render");
        t.setDaemon(true);
        return t;
    });

    ScrapeCache(Function<String, String> render, Duration refresh) {
        this.render = render;
        this.refreshNanos = refresh.toNanos();
        renderer.scheduleWithFixedDelay(this::refresh, refreshNanos, refreshNanos, TimeUnit.NANOSECONDS);
    }

    String get(String contentType) {
        long now = System.nanoTime();
        lastAsked.put(contentType, now);
        Rendered r = cache.get(contentType);
        if (r == null || !r.slow() || now - r.atNanos > 2 * refreshNanos) {
            r = renderNow(contentType);
        }
        return r.text;
    }

    private Rendered renderNow(String contentType) {
        long t0 = System.nanoTime();
        String text = render.apply(contentType);
        long t1 = System.nanoTime();
        Rendered r = new Rendered(text, t1, t1 - t0);
        cache.put(contentType, r);
        return r;
    }

    private void refresh() {
        long now = System.nanoTime();
        for (Map.Entry<String, Long> e : lastAsked.entrySet()) {
            if (now - e.getValue() > 6 * refreshNanos) {
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
