package dev.hubprobe.testhub;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.List;
import java.util.function.Predicate;

/** Asserts that no thread matching a predicate outlives the code under test (given a moment to end). */
public final class Threads {
    private Threads() {
    }

    public static List<String> live(Predicate<String> name) {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive)
                .map(Thread::getName).filter(name).toList();
    }

    public static void assertNoneLeft(String what, Predicate<String> name) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        List<String> left = live(name);
        while (!left.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(100);
            left = live(name);
        }
        if (!left.isEmpty()) {
            fail(what + ": threads still running after 10 s: " + left);
        }
    }
}
