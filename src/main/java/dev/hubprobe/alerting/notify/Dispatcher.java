package dev.hubprobe.alerting.notify;

import dev.failsafe.Failsafe;
import dev.failsafe.RetryPolicy;
import dev.hubprobe.alerting.AlertEvent;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands events to every notifier on its own thread, in order, retrying with backoff on 429/5xx
 * (Failsafe), so a slow or broken receiver never blocks probing or the other notifiers. Counts
 * {@code hubprobe_notifications_total{notifier,result}}.
 */
public final class Dispatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Dispatcher.class);
    private final List<Lane> lanes;

    private record Lane(Notifier notifier, ExecutorService executor, RetryPolicy<Object> retry, Counter ok, Counter failed) {
    }

    public Dispatcher(List<Notifier> notifiers, MeterRegistry registry, Duration firstBackoff, int maxRetries) {
        this.lanes = notifiers.stream().map(n -> {
            ExecutorService ex = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(1000), r -> {
                Thread t = new Thread(r, "hubprobe-notify-" + n.name());
                t.setDaemon(true);
                return t;
            });
            RetryPolicy<Object> retry = RetryPolicy.builder().handle(Notifier.RetryableException.class)
                    .withBackoff(firstBackoff, firstBackoff.multipliedBy(32)).withMaxRetries(maxRetries).build();
            Counter ok = Counter.builder("hubprobe.notifications").tags("notifier", n.name(), "result", "success")
                    .description("alert notifications delivered or given up on").register(registry);
            Counter failed = Counter.builder("hubprobe.notifications").tags("notifier", n.name(), "result", "failure")
                    .description("alert notifications delivered or given up on").register(registry);
            return new Lane(n, ex, retry, ok, failed);
        }).toList();
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
                lane.executor.execute(() -> deliver(lane, event));
            } catch (RejectedExecutionException e) {
                lane.failed.increment();
                LOG.error("notifier {} is backed up; dropped {} of {}", lane.notifier.name(), event.type(), event.alert().key());
            }
        }
    }

    private static void deliver(Lane lane, AlertEvent event) {
        try {
            Failsafe.with(lane.retry).run(() -> lane.notifier.deliver(event));
            lane.ok.increment();
        } catch (RuntimeException e) { // FailsafeException wraps what the last attempt threw
            lane.failed.increment();
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            LOG.error("notifier {} could not deliver {} of {}: {}", lane.notifier.name(), event.type(), event.alert().key(),
                    cause.getMessage());
        }
    }

    @Override
    public void close() {
        for (Lane lane : lanes) {
            lane.executor.shutdown();
        }
        for (Lane lane : lanes) {
            try {
                lane.executor.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            lane.executor.shutdownNow();
        }
    }
}
