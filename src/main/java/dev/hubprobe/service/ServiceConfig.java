package dev.hubprobe.service;

import java.time.Duration;
import java.util.List;

/**
 * {@code config/hubprobe.yml} as operators write it, before secrets and probe files are resolved
 * (see {@link ServiceConfigLoader}). Keys are snake_case in the file; unknown keys are errors.
 */
public record ServiceConfig(Server server, History history, Scheduler scheduler, Defaults defaults,
                            String probesDir, List<Hub> hubs) {

    /** @param apiToken bearer token for "run now" and reload; {@code ${env:..}} or {@code ${file:..}} */
    public record Server(Integer port, String apiToken) {
    }

    /** @param path H2 database file (without {@code .mv.db}), relative to the config file */
    public record History(String path, Duration retention) {
    }

    public record Scheduler(Integer threads, Duration jitter) {
    }

    public record Defaults(Duration interval, Timeouts timeouts) {
    }

    /** Overrides of a probe file's timeouts, for a deployment that is slower or faster than usual. */
    public record Timeouts(Duration hub, Duration spawn, Duration kernel, Duration execute, Duration cleanup) {
    }

    /** @param name the {@code hub} label: lower-case letters, digits and '-' */
    public record Hub(String name, String url, Auth auth, String user, Duration interval, List<ProbeRef> probes) {
    }

    /** Either {@code token}, or {@code username} and {@code password}; secrets as {@code ${env:..}}/{@code ${file:..}}. */
    public record Auth(String token, String username, String password) {
    }

    /** @param probe a probe file's name in the probes folder, without {@code .yml} */
    public record ProbeRef(String probe, Duration interval, Timeouts timeouts) {
    }
}
