package dev.hubprobe.load;

import dev.hubprobe.probe.ProbeDefinition;
import dev.hubprobe.probe.ProbeRunner;
import dev.hubprobe.probe.ProbeTarget;
import dev.hubprobe.probe.RunResult;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Simulated users on one hub, as hubtraf does it but with hubprobe's runner: each user runs the probe
 * again and again on its own thread, at most {@code concurrency} runs at once, until the duration is
 * over; a run started is never cut short by the clock. {@link #stop} (Ctrl-C, SIGTERM) starts no more
 * runs and aborts the running ones, whose cleanup still runs to the end.
 */
public final class LoadTest {
    private final ProbeRunner runner;
    private final ProbeDefinition probe;
    private final Function<String, ProbeTarget> targetOf;
    private final LoadPlan plan;
    private final LoadResults results;
    private final Set<ProbeRunner.Abort> running = ConcurrentHashMap.newKeySet();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Semaphore slots;
    private volatile boolean stopping;

    /** @param targetOf where and as whom user {@code name} runs */
    public LoadTest(ProbeRunner runner, ProbeDefinition probe, Function<String, ProbeTarget> targetOf, LoadPlan plan) {
        this.runner = runner;
        this.probe = probe;
        this.targetOf = targetOf;
        this.plan = plan;
        this.results = new LoadResults(plan.users());
        this.slots = new Semaphore(plan.concurrency(), true);
    }

    public LoadResults results() {
        return results;
    }

    /** Runs in progress now. */
    public int running() {
        return running.size();
    }

    /** Runs the whole test; returns when every user's last run (cleanup included) is over. */
    public LoadResults run() throws InterruptedException {
        long t0 = System.nanoTime();
        long end = t0 + plan.duration().toNanos();
        results.started(Instant.now());
        List<Thread> users = new ArrayList<>();
        for (int i = 1; i <= plan.users(); i++) {
            String name = plan.userName().apply(i);
            long start = t0 + plan.startOf(i).toNanos();
            Thread t = new Thread(() -> user(name, start, end), "hubprobe-load-" + i);
            t.setDaemon(true);
            users.add(t);
            t.start();
        }
        for (Thread t : users) {
            t.join();
        }
        results.ended(Instant.now());
        return results;
    }

    private void user(String name, long start, long end) {
        try {
            if (stopped.await(Math.max(0, start - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                return;
            }
            while (!stopping && System.nanoTime() < end) {
                // waits for a slot until the end, not in short polls: hundreds of users waiting in
                // 100 ms polls cost more CPU than their runs; stop() wakes them with spare permits
                if (!slots.tryAcquire(end - System.nanoTime(), TimeUnit.NANOSECONDS)) {
                    return;
                }
                try {
                    if (stopping || System.nanoTime() >= end) {
                        return;
                    }
                    ProbeRunner.Abort abort = new ProbeRunner.Abort();
                    running.add(abort);
                    if (stopping) {
                        abort.request(); // a stop that came between the check and the registration
                    }
                    try {
                        RunResult r = runner.run(targetOf.apply(name), probe, abort);
                        results.add(name, r);
                    } finally {
                        running.remove(abort);
                    }
                } finally {
                    slots.release();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Starts no more runs; the running ones are aborted and clean up. {@link #run} returns once they have. */
    public void stop() {
        stopping = true;
        stopped.countDown();
        running.forEach(ProbeRunner.Abort::request);
        slots.release(plan.users()); // every waiting user takes one, sees the stop and leaves
    }
}
