package dev.hubprobe.testhub;

import java.util.concurrent.Callable;

/** Waiting in a test for what a service does on its own schedule: polls, and fails naming what never came. */
public final class Await {
    private Await() {
    }

    public static void until(String what, int seconds, Callable<Boolean> ok) throws Exception {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        while (!ok.call()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + seconds + " s waiting for " + what);
            }
            Thread.sleep(250);
        }
    }
}
