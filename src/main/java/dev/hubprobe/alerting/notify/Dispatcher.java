package dev.hubprobe.alerting.notify;

import dev.hubprobe.alerting.AlertEvent;
import dev.hubprobe.config.Durations;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands events to every notifier through the {@link Outbox}, one thread per notifier, in order, so a
 * slow or broken receiver never blocks probing or the other notifiers, and an event outlives the
 * replica that queued it.
 * <p>
 * A receiver that fails (429, 5xx, no answer) is tried again with capped backoff ({@link Retry}) until
 * it takes the event or the event is older than {@code alerting.give_up_after}: an outage of
 * PagerDuty or of the egress loses no page. The wait is in the database (the row's next attempt),
 * so any replica, or the next start, makes the next attempt; the lane's later events wait behind it.
 * A receiver's final refusal (another 4xx) is not retried: the same event would be refused again,
 * and it would hold every later page of the lane behind it.
 * <p>
 * Counts {@code hubprobe_notifications_total{notifier,result}} (result: success, failure, or undecodable for a
 * queued row this version cannot read, dropped) and shows the backlog:
 * {@code hubprobe_notifications_pending{notifier}} and {@code hubprobe_notification_oldest_pending_seconds{notifier}}.
 */
public final class Dispatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Dispatcher.class);
    /** How long a claim holds without news; a claim is extended every third of it while its attempt runs. */
    static final Duration LEASE = Duration.ofSeconds(30);
    /** How often an idle lane looks for work other replicas left (a local dispatch wakes it at once). */
    private static final long IDLE_POLL_MS = 2000;
    /** A lane this backed up gets no new reminders (FIRING and RESOLVED are always queued). */
    private static final int MAX_PENDING = 1000;
    private final Outbox outbox;
    private final Retry retry;
    private final Clock clock;
    private final Duration lease;
    private final List<Lane> lanes = new ArrayList<>();
    /** Keeps the claims of attempts in flight (a receiver may take longer than one lease to answer). */
    private final ScheduledExecutorService leases = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "hubprobe-notify-leases");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean closed;
    private volatile long drainUntil;

    /**
     * How undeliverable events are retried.
     *
     * @param firstBackoff the wait after the first failed attempt; each further failure doubles it
     * @param maxBackoff   the longest wait between two attempts
     * @param giveUpAfter  an event queued longer ago than this is dropped (counted as a failure) instead of tried again
     */
    public record Retry(Duration firstBackoff, Duration maxBackoff, Duration giveUpAfter) {
        public static final Retry DEFAULTS = new Retry(Duration.ofSeconds(1), Duration.ofMinutes(5), Duration.ofHours(24));

        /** The wait after the {@code failures}-th failed attempt in a row. */
        public Duration backoff(int failures) {
            Duration d = firstBackoff;
            for (int i = 1; i < failures && d.compareTo(maxBackoff) < 0; i++) {
                d = d.multipliedBy(2);
            }
            return d.compareTo(maxBackoff) > 0 ? maxBackoff : d;
        }
    }

    private final class Lane implements Runnable {
        final String id;
        final Notifier notifier;
        final Counter ok;
        final Counter failed;
        /** Rows no version here can read (another version wrote them, or they are damaged): dropped so the lane goes on. */
        final Counter undecodable;
        final Semaphore wake = new Semaphore(0);
        final Thread thread;
        /** The lane's backlog in the shared database as last read (every replica sees the same). */
        volatile Outbox.Backlog backlog = new Outbox.Backlog(0, null);
        /** When this lane's own failed attempt may be tried again: it sleeps until then, not a whole poll. */
        volatile long retryAtNanos;

        Lane(int index, Notifier n, MeterRegistry registry) {
            // the index tells two notifiers of one kind apart; replicas share a config, so they agree on it
            this.id = index + ":" + n.name();
            this.notifier = n;
            this.ok = Counter.builder("hubprobe.notifications").tags("notifier", n.name(), "result", "success")
                    .description("alert notifications delivered or given up on").register(registry);
            this.failed = Counter.builder("hubprobe.notifications").tags("notifier", n.name(), "result", "failure")
                    .description("alert notifications delivered or given up on").register(registry);
            this.undecodable = Counter.builder("hubprobe.notifications").tags("notifier", n.name(), "result", "undecodable")
                    .description("alert notifications delivered or given up on").register(registry);
            this.thread = new Thread(this, "hubprobe-notify-" + n.name());
            thread.setDaemon(true);
        }

        @Override
        public void run() {
            while (!closed || System.nanoTime() < drainUntil) {
                Optional<Outbox.Entry> next;
                try {
                    backlog = outbox.backlog(id);
                    next = outbox.claim(id, lease);
                } catch (Outbox.Undecodable e) {
                    undecodable.increment();
                    LOG.error("notifier {}: {}", notifier.name(), e.getMessage());
                    continue; // the row is gone: on to the next at once
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
                    long untilRetry = TimeUnit.NANOSECONDS.toMillis(retryAtNanos - System.nanoTime());
                    long wait = untilRetry > 0 ? Math.min(untilRetry + 1, IDLE_POLL_MS) : IDLE_POLL_MS;
                    wake.tryAcquire(wait, TimeUnit.MILLISECONDS);
                    wake.drainPermits();
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        private void deliver(Outbox.Entry entry) {
            AlertEvent event = entry.event();
            Instant now = clock.instant();
            Duration age = Duration.between(entry.createdAt(), now);
            if (age.compareTo(retry.giveUpAfter()) > 0) {
                failed.increment();
                LOG.error("notifier {}: gave up on {} of {} after {} attempts over {} (alerting.give_up_after)", notifier.name(),
                        event.type(), event.alert().key(), entry.attempts() - 1, Durations.format(age.withNanos(0)));
                finish(entry);
                return;
            }
            // the lease may have run out since the claim (a slow database): send only a row still ours,
            // and keep it ours for as long as the receiver takes to answer, so no other replica sends it too
            if (!extend(entry)) {
                return;
            }
            ScheduledFuture<?> keep;
            try {
                keep = leases.scheduleAtFixedRate(() -> keepClaim(entry), lease.toMillis() / 3, lease.toMillis() / 3, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException stopping) {
                release(entry, clock.instant()); // closed meanwhile: left for a replica or the next start
                return;
            }
            Exception failure = null;
            try {
                notifier.deliver(event);
            } catch (Exception e) {
                failure = e;
            } finally {
                keep.cancel(false);
            }
            if (failure == null) {
                ok.increment();
                finish(entry);
                return;
            }
            if (closed && (failure instanceof InterruptedException || failure.getCause() instanceof InterruptedException)) {
                // shutting down mid-delivery: released at once, so a replica (or the next start) sends it
                release(entry, clock.instant());
                return;
            }
            if (failure instanceof Notifier.RetryableException) {
                Duration wait = retry.backoff(entry.attempts());
                LOG.warn("notifier {}: {} of {} not delivered (attempt {}): {}; trying again in {}", notifier.name(), event.type(),
                        event.alert().key(), entry.attempts(), failure.getMessage(), Durations.format(wait));
                retryAtNanos = System.nanoTime() + wait.toNanos();
                release(entry, clock.instant().plus(wait));
                return;
            }
            failed.increment();
            LOG.error("notifier {}: the receiver refused {} of {}; not retried: {}", notifier.name(), event.type(), event.alert().key(),
                    failure.getMessage());
            finish(entry);
        }

        private boolean extend(Outbox.Entry entry) {
            try {
                if (outbox.extend(entry, lease)) {
                    return true;
                }
                LOG.warn("notifier {}: the claim on {} of {} ran out and another replica holds it now", notifier.name(),
                        entry.event().type(), entry.event().alert().key());
            } catch (RuntimeException e) {
                LOG.warn("notifier {}: cannot keep the claim on {} of {}: {}", notifier.name(), entry.event().type(),
                        entry.event().alert().key(), e.getMessage());
            }
            return false;
        }

        /** While the attempt runs; a claim lost meanwhile shows when the attempt ends (done finds the row taken over). */
        private void keepClaim(Outbox.Entry entry) {
            try {
                outbox.extend(entry, lease);
            } catch (RuntimeException e) {
                LOG.warn("notifier {}: cannot keep the claim on {} of {}: {}", notifier.name(), entry.event().type(),
                        entry.event().alert().key(), e.getMessage());
            }
        }

        private void finish(Outbox.Entry entry) {
            try {
                if (!outbox.done(entry)) {
                    LOG.warn("notifier {}: {} of {} was taken over by another replica before it was marked done (it may be sent again)",
                            notifier.name(), entry.event().type(), entry.event().alert().key());
                }
            } catch (RuntimeException e) {
                LOG.warn("notifier {}: cannot mark {} of {} done (it may be sent again): {}", notifier.name(),
                        entry.event().type(), entry.event().alert().key(), e.getMessage());
            }
        }

        private void release(Outbox.Entry entry, Instant next) {
            try {
                outbox.retryLater(entry, next);
            } catch (RuntimeException e) {
                // the lease runs out on its own: the row is tried again then
                LOG.warn("notifier {}: cannot schedule {} of {} again: {}", notifier.name(), entry.event().type(),
                        entry.event().alert().key(), e.getMessage());
            }
        }
    }

    public Dispatcher(List<Notifier> notifiers, Outbox outbox, MeterRegistry registry, Retry retry) {
        this(notifiers, outbox, registry, retry, Clock.systemUTC());
    }

    /** @param clock the clock of the outbox's rows (their age, their next attempt) */
    public Dispatcher(List<Notifier> notifiers, Outbox outbox, MeterRegistry registry, Retry retry, Clock clock) {
        this(notifiers, outbox, registry, retry, clock, LEASE);
    }

    /** @param lease how long a claim holds without news (a test's scale; the service uses {@link #LEASE}) */
    Dispatcher(List<Notifier> notifiers, Outbox outbox, MeterRegistry registry, Retry retry, Clock clock, Duration lease) {
        this.lease = lease;
        this.outbox = outbox;
        this.retry = retry;
        this.clock = clock;
        for (int i = 0; i < notifiers.size(); i++) {
            lanes.add(new Lane(i, notifiers.get(i), registry));
        }
        // one series per kind of notifier (a bounded label): two of one kind are added up, the older backlog shown
        Map<String, List<Lane>> byName = new LinkedHashMap<>();
        lanes.forEach(l -> byName.computeIfAbsent(l.notifier.name(), k -> new ArrayList<>()).add(l));
        byName.forEach((name, of) -> {
            Gauge.builder("hubprobe.notifications.pending", of, ls -> ls.stream().mapToInt(l -> l.backlog.count()).sum())
                    .tag("notifier", name).description("alert notifications queued and not yet delivered (every replica's, in the shared history)")
                    .strongReference(true).register(registry);
            Gauge.builder("hubprobe.notification.oldest.pending", of, this::oldestSeconds).tag("notifier", name).baseUnit("seconds")
                    .description("age of the oldest alert notification not yet delivered; 0 when none waits").strongReference(true)
                    .register(registry);
        });
        lanes.forEach(l -> l.thread.start());
    }

    private double oldestSeconds(List<Lane> of) {
        Instant now = clock.instant();
        return of.stream().map(l -> l.backlog.oldest()).filter(java.util.Objects::nonNull)
                .mapToDouble(o -> Math.max(0, Duration.between(o, now).toMillis() / 1000.0)).max().orElse(0);
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
                // a FIRING or RESOLVED is always queued: dropping one loses a page or leaves an incident open.
                // Only reminders are held back: one waiting row of the alert tells the receiver as much, and
                // a lane backed up past the cap (a receiver down for hours) gets no new ones
                if (event.type() == AlertEvent.Type.REMINDER) {
                    if (outbox.waiting(lane.id, event.alert().key())) {
                        continue;
                    }
                    if (outbox.pending(lane.id) >= MAX_PENDING) {
                        LOG.warn("notifier {} is backed up ({} waiting); no reminder of {} queued", lane.notifier.name(), MAX_PENDING,
                                event.alert().key());
                        continue;
                    }
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
        leases.shutdownNow();
    }
}
