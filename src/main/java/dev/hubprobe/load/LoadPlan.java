package dev.hubprobe.load;

import java.time.Duration;
import java.util.function.IntFunction;

/**
 * How a load test goes: {@code users} simulated users, each running the probe again and again, at
 * most {@code concurrency} runs at once, the users started evenly over {@code ramp}, no run started
 * after {@code duration} (the last ones finish).
 *
 * @param userName the name of user {@code i} (1-based)
 */
public record LoadPlan(int users, int concurrency, Duration ramp, Duration duration, IntFunction<String> userName) {
    public LoadPlan {
        if (users < 1) {
            throw new IllegalArgumentException("users must be 1 or more");
        }
        if (concurrency < 1) {
            throw new IllegalArgumentException("concurrency must be 1 or more");
        }
        if (ramp.isNegative() || duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException("ramp must be 0 or more and duration more than 0");
        }
    }

    /** When user {@code i} (1-based) starts, after the test's start. */
    public Duration startOf(int i) {
        return users == 1 ? Duration.ZERO : ramp.multipliedBy(i - 1).dividedBy(users - 1);
    }
}
