package dev.hubprobe.jupyter.hub;

import dev.hubprobe.jupyter.HttpStatusException;
import java.time.Duration;
import java.util.Optional;

/** 429 from the spawn request: the hub's concurrent-spawn limit or active-server limit was hit. */
public class SpawnThrottledException extends HttpStatusException {
    private final Duration retryAfter;

    public SpawnThrottledException(String method, String path, String message, Duration retryAfter) {
        super(method, path, 429, message);
        this.retryAfter = retryAfter;
    }

    public Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }
}
