package dev.hubprobe.service;

import dev.hubprobe.alerting.AlertPolicy;
import dev.hubprobe.alerting.notify.Notifier;
import dev.hubprobe.config.Secret;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** A configuration that passed every check, with secrets read and probe files loaded. */
public record LoadedConfig(Path file, int port, Secret apiToken, Path historyPath, Duration retention,
                           int threads, Duration jitter, List<ScheduledProbe> probes,
                           List<Notifier> notifiers, String externalUrl, Duration resend,
                           Map<String, AlertPolicy> policies) {

    /** The alert policy of a hub (defaults for a hub no longer configured). */
    public AlertPolicy policy(String hub) {
        return policies.getOrDefault(hub, AlertPolicy.DEFAULTS);
    }
}
