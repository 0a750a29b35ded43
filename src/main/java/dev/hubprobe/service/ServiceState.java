package dev.hubprobe.service;

import dev.hubprobe.alerting.AlertEngine;
import dev.hubprobe.config.ConfigException;
import dev.hubprobe.history.HistoryStore;
import dev.hubprobe.metrics.ProbeMetrics;
import dev.hubprobe.probe.ProbeKey;
import dev.hubprobe.probe.RunResult;
import dev.hubprobe.schedule.ScheduledProbe;
import dev.hubprobe.schedule.ProbeScheduler;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running service as the HTTP API sees it: the current configuration, the scheduler, history and
 * metrics. A reload that fails validation keeps the running configuration.
 */
public final class ServiceState {
    private static final Logger LOG = LoggerFactory.getLogger(ServiceState.class);

    private final Path configFile;
    private final ProbeScheduler scheduler;
    private final HistoryStore history;
    private final ProbeMetrics metrics;
    private final AlertEngine alerts;
    private volatile LoadedConfig config;
    /** The address the HTTP server listens on, for the warnings about unguarded reads. */
    private volatile String bind = "127.0.0.1";

    public ServiceState(LoadedConfig config, ProbeScheduler scheduler, HistoryStore history, ProbeMetrics metrics,
                        AlertEngine alerts) {
        this.alerts = alerts;
        this.configFile = config.file();
        this.config = config;
        this.scheduler = scheduler;
        this.history = history;
        this.metrics = metrics;
    }

    /** Says where the HTTP server listens, and warns about what the running configuration leaves open there. */
    public void listensOn(String host) {
        this.bind = host;
        AccessWarnings.log(null, config, host);
    }

    public LoadedConfig config() {
        return config;
    }

    public ProbeScheduler scheduler() {
        return scheduler;
    }

    public HistoryStore history() {
        return history;
    }

    public ProbeMetrics metrics() {
        return metrics;
    }

    public AlertEngine alerts() {
        return alerts;
    }

    /**
     * Applies a configuration: the schedule, metrics series for every pair, and an end to what a removed
     * pair left: its series leave /metrics (so its staleness alert cannot fire for ever) and its open
     * alerts are resolved (so they are not re-sent for ever).
     */
    public ProbeScheduler.Changes apply(LoadedConfig c) {
        ProbeScheduler.Changes changes = scheduler.schedule(c.probes(), c.jitter());
        Set<ProbeKey> kept = c.probes().stream().map(ScheduledProbe::key).collect(Collectors.toSet());
        Set<String> hubs = kept.stream().map(ProbeKey::hub).collect(Collectors.toSet());
        for (ProbeKey gone : changes.removed()) {
            if (!kept.contains(gone)) {
                metrics.unregister(gone);
            }
            if (!hubs.contains(gone.hub())) {
                metrics.unregisterHub(gone.hub());
            }
        }
        java.util.Map<String, Set<String>> endpoints = new java.util.HashMap<>();
        for (ScheduledProbe p : c.probes()) {
            Set<String> names = endpoints.computeIfAbsent(p.hub(), h -> new java.util.HashSet<>());
            if (p.target().tls() != null) {
                p.target().tls().endpoints().forEach(e -> names.add(e.name()));
            }
        }
        alerts.retainOnly(kept, endpoints);
        alerts.tlsThresholds(c.tls());
        c.probes().forEach(p -> metrics.register(p.key(), p.interval()));
        config = c;
        return changes;
    }

    /**
     * Reads the configuration file again. Server settings (port, history path, threads) need a restart
     * and are left as they are; the hubs and probes are replaced.
     *
     * @return the error that kept the old configuration, or empty when the new one is running
     */
    public synchronized Optional<String> reload() {
        try {
            LoadedConfig c = ServiceConfigLoader.load(configFile);
            LoadedConfig before = config;
            ProbeScheduler.Changes changes = apply(c);
            metrics.configReloaded(true, System.currentTimeMillis() / 1000.0);
            LOG.info("configuration reloaded from {}: {} probes, {} added or changed, {} removed or changed", configFile,
                    c.probes().size(), changes.added().size(), changes.removed().size());
            AccessWarnings.log(before, c, bind);
            return Optional.empty();
        } catch (ConfigException | RuntimeException e) {
            metrics.configReloaded(false, 0);
            LOG.error("configuration reload refused, keeping the running one: {}", e.getMessage());
            return Optional.of(e.getMessage());
        }
    }

    /**
     * Runs a configured probe now, in the background; the result goes to history, metrics and alerts.
     *
     * @throws java.util.concurrent.RejectedExecutionException when every run slot is taken
     */
    public Optional<CompletableFuture<RunResult>> runNow(ProbeKey key) {
        return scheduler.job(key).map(scheduler::runNow);
    }
}
