package dev.hubprobe.cli;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Ctrl-C or SIGTERM during a one-shot command (a CI job cancelled, an operator's stop): asks the work
 * to stop, then holds the JVM open until the work says it is over, cleanup on the hub included, or the
 * grace runs out. Closing it says the work is over.
 */
final class StopSignal implements AutoCloseable {
    private final CountDownLatch over = new CountDownLatch(1);
    private final Thread hook;

    StopSignal(Runnable stop, Duration grace) {
        hook = new Thread(() -> {
            stop.run();
            try {
                over.await(grace.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "hubprobe-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    @Override
    public void close() {
        over.countDown();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is already running; it returns now that the work is over
        }
    }
}
