package dev.hubprobe.testhub;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;

/** Asserts that no thread matching a predicate outlives the code under test (given a moment to end). */
public final class Threads {
    private Threads() {
    }

    /**
     * Live threads whose name matches, other than OkHttp's shared task runner idling between tasks: its
     * coordinator keeps the name of the last task it ran while it waits for any client's next one.
     */
    public static List<String> live(Predicate<String> name) {
        return Thread.getAllStackTraces().entrySet().stream()
                .filter(e -> e.getKey().isAlive() && name.test(e.getKey().getName()) && !idleTaskRunner(e.getValue()))
                .map(e -> e.getKey().getName()).toList();
    }

    private static boolean idleTaskRunner(StackTraceElement[] stack) {
        return Arrays.stream(stack).anyMatch(f -> f.getClassName().startsWith("okhttp3.internal.concurrent.TaskRunner")
                && f.getMethodName().equals("awaitTaskToRun"));
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
