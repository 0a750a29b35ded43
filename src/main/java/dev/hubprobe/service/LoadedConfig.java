package dev.hubprobe.service;

import dev.hubprobe.config.Secret;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** A configuration that passed every check, with secrets read and probe files loaded. */
public record LoadedConfig(Path file, int port, Secret apiToken, Path historyPath, Duration retention,
                           int threads, Duration jitter, List<ScheduledProbe> probes) {
}
