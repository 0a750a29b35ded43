package dev.hubprobe.web;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * One answer per key (a hub's day strip, a hub's chart over a range) read once per {@code ttl} for every
 * viewer: a page of 1,000 hubs opened by many people asks for 1,000 strips each, and each strip read the
 * hub's days every time. Concurrent askers of one key wait for the one read under way (at most
 * {@link BoardCache#PERMIT_WAIT} x 3, then {@link ReadLanes.Busy}); a read that failed is not kept.
 * Keys come from the configuration (a hub name the caller checked, a range from a fixed set), so the
 * map is as big as the page; entries past their time are dropped as new ones come.
 */
final class Kept<V> {
    private record Entry<V>(CompletableFuture<V> value, long at) {
    }

    private final Duration ttl;
    private final LongSupplier nanos;
    private final ConcurrentHashMap<String, Entry<V>> entries = new ConcurrentHashMap<>();

    Kept(Duration ttl, LongSupplier nanos) {
        this.ttl = ttl;
        this.nanos = nanos;
    }

    V get(String key, Supplier<V> read) {
        while (true) {
            long now = nanos.getAsLong();
            Entry<V> e = entries.get(key);
            boolean usable = e != null && (!e.value().isDone()
                    || (!e.value().isCompletedExceptionally() && now - e.at() < ttl.toNanos()));
            if (usable) {
                return await(e.value());
            }
            Entry<V> mine = new Entry<>(new CompletableFuture<>(), now);
            boolean won = e == null ? entries.putIfAbsent(key, mine) == null : entries.replace(key, e, mine);
            if (!won) {
                continue; // another asker started the read: wait for theirs
            }
            if (entries.size() > 64) {
                long cutoff = now - ttl.toNanos();
                entries.values().removeIf(x -> x.value().isDone() && x.at() < cutoff);
            }
            try {
                V v = read.get();
                mine.value().complete(v);
                return v;
            } catch (RuntimeException | Error x) {
                entries.remove(key, mine);
                mine.value().completeExceptionally(x);
                throw x;
            }
        }
    }

    /** Another viewer's computation, waited for as long as a permit is (three times over), else busy: shared with BoardCache. */
    static <V> V await(CompletableFuture<V> f) {
        try {
            return f.get(BoardCache.PERMIT_WAIT.toMillis() * 3, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } catch (TimeoutException e) {
            throw new ReadLanes.Busy();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ReadLanes.Busy();
        }
    }
}
