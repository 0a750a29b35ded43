package dev.hubprobe.probe.steps;

import dev.hubprobe.config.Durations;
import dev.hubprobe.probe.ProbeClock;
import dev.hubprobe.probe.ProbeTarget;
import dev.hubprobe.tls.TlsInspector;
import dev.hubprobe.tls.TrustStores;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The TLS endpoints an operator listed beside a hub ({@code tls_endpoints}: its Kubernetes API, its
 * registry), inspected beside the run, all at once, each within {@code timeouts.tls}: never inside a
 * phase, so an endpoint that hangs neither spends the hub's budget nor shows in a phase's time, and
 * the run never fails for them. Their expiry and trust go into the run's facts
 * ({@code tls.endpoint.NAME.*}) for the metrics and the expiry alerts; what could not be inspected is
 * a note.
 */
public final class EndpointCertificates {
    /** Shared by every run: an inspection is a handshake or two, bounded (the whole of it) by its timeout. */
    private static final ThreadPoolExecutor POOL = pool();
    /**
     * Inspections one hub may have waiting or running at once: a hub listing many endpoints that hang
     * cannot take the whole pool, and every other hub's certificates are still checked.
     */
    static final int PER_HUB = 8;
    /** Inspections waiting for a pool thread, all hubs together; past it one is noted, not queued without end. */
    static final int QUEUE = 256;
    private static final java.util.concurrent.ConcurrentHashMap<String, java.util.concurrent.atomic.AtomicInteger> IN_FLIGHT =
            new java.util.concurrent.ConcurrentHashMap<>();

    private final List<Inspection> inspections;
    private final long deadlineNanos;
    private final Duration timeout;
    private final ProbeClock clock;

    /** @param result null when it was not started (the hub's share or the pool's queue was full): see {@code skipped} */
    private record Inspection(ProbeTarget.Endpoint endpoint, Future<TlsInspector.Result> result, String skipped) {
    }

    private EndpointCertificates(List<Inspection> inspections, long deadlineNanos, Duration timeout, ProbeClock clock) {
        this.inspections = inspections;
        this.deadlineNanos = deadlineNanos;
        this.timeout = timeout;
        this.clock = clock;
    }

    private static ThreadPoolExecutor pool() {
        ThreadPoolExecutor p = new ThreadPoolExecutor(32, 32, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(QUEUE), r -> {
            Thread t = new Thread(r, "hubprobe-tls-endpoint");
            t.setDaemon(true);
            return t;
        });
        p.allowCoreThreadTimeOut(true); // no thread stays when no hub lists endpoints
        return p;
    }

    /** Starts inspecting every endpoint the target lists, now; {@link #into} collects what they found. */
    public static EndpointCertificates start(ProbeTarget target, Duration timeout, ProbeClock clock) {
        long deadline = clock.nanoTime() + timeout.toNanos();
        List<Inspection> out = new ArrayList<>();
        java.util.concurrent.atomic.AtomicInteger hubs = IN_FLIGHT.computeIfAbsent(target.hub(),
                h -> new java.util.concurrent.atomic.AtomicInteger());
        for (ProbeTarget.Endpoint e : target.tls().endpoints()) {
            if (hubs.incrementAndGet() > PER_HUB) {
                hubs.decrementAndGet();
                out.add(new Inspection(e, null, "the hub already has " + PER_HUB + " TLS inspections in flight"));
                continue;
            }
            // done() runs however it ends (finished, failed, cancelled before it started), so the share is always given back
            java.util.concurrent.FutureTask<TlsInspector.Result> task = new java.util.concurrent.FutureTask<>(() -> {
                // the budget counts from the start, a wait for a pool thread included
                Duration left = Duration.ofNanos(Math.max(1_000_000, deadline - clock.nanoTime()));
                return new TlsInspector(TrustStores.with(target.tls().caFile()), left).inspect(e.host(), e.port(), clock.now());
            }) {
                @Override
                protected void done() {
                    hubs.decrementAndGet();
                }
            };
            try {
                POOL.execute(task);
                out.add(new Inspection(e, task, null));
            } catch (java.util.concurrent.RejectedExecutionException full) {
                task.cancel(false); // gives the share back
                out.add(new Inspection(e, null, "too many TLS inspections wait for a thread (all hubs)"));
            }
        }
        return new EndpointCertificates(out, deadline, timeout, clock);
    }

    /**
     * Waits for the inspections, at most until {@code timeouts.tls} after they started, and adds their
     * facts and notes. An inspection still running then is cancelled and noted.
     */
    public void into(Map<String, String> facts, List<String> notes) {
        for (Inspection i : inspections) {
            ProbeTarget.Endpoint e = i.endpoint();
            String name = "TLS endpoint " + e.name() + " (" + e.host() + ":" + e.port() + ")";
            if (i.result() == null) {
                notes.add(name + " was not inspected: " + i.skipped());
                continue;
            }
            try {
                // a little past the deadline: the inspection's own watchdog ends its handshake then
                long wait = Math.max(0, deadlineNanos - clock.nanoTime()) + TimeUnit.MILLISECONDS.toNanos(500);
                TlsInspector.Result t = i.result().get(wait, TimeUnit.NANOSECONDS);
                Instant now = clock.now();
                String prefix = "tls.endpoint." + e.name() + ".";
                Map<String, String> found = new LinkedHashMap<>();
                found.put(prefix + "not_after", t.notAfter().toString());
                found.put(prefix + "days_left", dev.hubprobe.json.Json.fixed3(t.daysLeft(now)));
                found.put(prefix + "subject", t.subject());
                found.put(prefix + "issuer", t.issuer());
                if (t.problem() != TlsInspector.Problem.NONE) {
                    found.put(prefix + "problem", t.detail());
                }
                facts.putAll(found);
                t.notes().forEach(n -> notes.add(name + ": " + n));
            } catch (TimeoutException ex) {
                i.result().cancel(true);
                notes.add(name + " did not finish its handshake within timeouts.tls (" + Durations.format(timeout) + ")");
            } catch (ExecutionException ex) {
                Throwable cause = ex.getCause();
                notes.add(name + " did not shake hands: " + (cause instanceof IOException && cause.getMessage() != null
                        ? cause.getMessage() : cause.getClass().getSimpleName()));
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                i.result().cancel(true);
                notes.add(name + " was not inspected: the run was interrupted");
            }
        }
    }
}
