package dev.hubprobe.alerting.notify;

import dev.failsafe.Failsafe;
import dev.failsafe.RetryPolicy;
import dev.hubprobe.alerting.AlertEvent;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands events to every notifier through the {@link Outbox}, one thread per notifier, in order,
 * retrying with backoff on 429/5xx (Failsafe), so a slow or broken receiver never blocks probing or
 * the other notifiers, and an event outlives the replica that queued it. Counts
 * {@code hubprobe_notifications_total{notifier,result}}.
 */
public final class Dispatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Dispatcher.class);
    /** How long a claim holds without news: longer than one attempt (the notifiers' own timeouts are 10 s). */
    static final Duration LEASE = Duration.ofSeconds(30);
    /** How often an idle lane looks for work other replicas left (a local dispatch wakes it at once). */
    private static final long IDLE_POLL_MS = 2000;
    private static final int MAX_PENDING = 1000;
    private final Outbox outbox;
    private final List<Lane> lanes = new ArrayList<>();
    private volatile boolean closed;
    private volatile long drainUntil;

    private final class Lane implements Runnable {
        final String id;
        final Notifier notifier;
        final Duration firstBackoff;
        final int maxRetries;
        final Counter ok;
        final Counter failed;
        final Semaphore wake = new Semaphore(0);
        final Thread thread;

        Lane(int index, Notifier n, MeterRegistry registry, Duration firstBackoff, int maxRetries) {
            // the index tells two notifiers of one kind apart; replicas share a config, so they agree on it
            this.id = index + ":" + n.name();
            this.notifier = n;
            this.firstBackoff = firstBackoff;
            this.maxRetries = maxRetries;
            this.ok = Counter.builder("hubprobe.notifications").tags("notifier", n.name(), "result", "success")
                    .description("alert notifications delivered or given up on").register(registry);
            this.failed = Counter.builder("hubprobe.notifications").tags("notifier", n.name(), "result", "failure")
                    .description("alert notifications delivered or given up on").register(registry);
            this.thread = new Thread(this, "hubprobe-notify-" + n.name());
            thread.setDaemon(true);
        }

        @Override
        public void run() {
            while (!closed || System.nanoTime() < drainUntil) {
                Optional<Outbox.Entry> next;
                try {
                    next = outbox.claim(id, LEASE);
                } catch (Exception e) {
                    LOG.warn("notifier {}: cannot read the outbox: {}", notifier.name(), e.getMessage());
                    next = Optional.empty();
                }
                if (next.isPresent()) {
                    deliver(next.get());
                    continue;
                }
                if (closed) {
                    return;
                }
                try {
                    wake.tryAcquire(IDLE_POLL_MS, TimeUnit.MILLISECONDS);
                    wake.drainPermits();
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        private void deliver(Outbox.Entry entry) {
            AlertEvent event = entry.event();
            try {
                // each wait between attempts extends the claim, so no other replica sends it meanwhile
                RetryPolicy<Object> retry = RetryPolicy.builder().handle(Notifier.RetryableException.class)
                        .withBackoff(firstBackoff, firstBackoff.multipliedBy(32)).withMaxRetries(maxRetries)
                        .onRetryScheduled(e -> outbox.extend(entry.id(), e.getDelay().plus(LEASE))).build();
                Failsafe.with(retry).run(() -> notifier.deliver(event));
                ok.increment();
            } catch (RuntimeException e) { // FailsafeException wraps what the last attempt threw
                if (closed && e.getCause() instanceof InterruptedException) {
                    return; // shutting down mid-delivery: the row stays, its lease runs out, a replica (or the next start) sends it
                }
                failed.increment();
                Throwable cause = e.getCause() != null ? e.getCause() : e;
                LOG.error("notifier {} could not deliver {} of {}: {}", notifier.name(), event.type(), event.alert().key(),
                        cause.getMessage());
            }
            try {
                outbox.done(entry.id());
            } catch (RuntimeException e) {
                LOG.warn("notifier {}: delivered {} of {} but cannot mark it done (it may be sent again): {}", notifier.name(),
                        event.type(), event.alert().key(), e.getMessage());
            }
        }
    }

    public Dispatcher(List<Notifier> notifiers, Outbox outbox, MeterRegistry registry, Duration firstBackoff, int maxRetries) {
        this.outbox = outbox;
        for (int i = 0; i < notifiers.size(); i++) {
            lanes.add(new Lane(i, notifiers.get(i), registry, firstBackoff, maxRetries));
        }
        lanes.forEach(l -> l.thread.start());
    }

    public Outbox outbox() {
        return outbox;
    }

    public void dispatch(AlertEvent event) {
        dispatch(event, false);
    }

    /** @param resend a periodic re-send of a firing alert: only to receivers that need it */
    public void dispatch(AlertEvent event, boolean resend) {
        for (Lane lane : lanes) {
            if (resend && !lane.notifier.wantsResends()) {
                continue;
            }
            try {
                if (outbox.pending(lane.id) >= MAX_PENDING) {
                    lane.failed.increment();
                    LOG.error("notifier {} is backed up; dropped {} of {}", lane.notifier.name(), event.type(), event.alert().key());
                    continue;
                }
                outbox.add(lane.id, event);
                lane.wake.release();
            } catch (RuntimeException e) {
                lane.failed.increment();
                LOG.error("notifier {}: cannot queue {} of {}: {}", lane.notifier.name(), event.type(), event.alert().key(), e.getMessage());
            }
        }
    }

    /** Delivers what is queued for 5 s at most; what is left stays queued for the next start or another replica. */
    @Override
    public void close() {
        drainUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        closed = true;
        lanes.forEach(l -> l.wake.release());
        for (Lane lane : lanes) {
            try {
                lane.thread.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            lane.thread.interrupt();
        }
    }
}
