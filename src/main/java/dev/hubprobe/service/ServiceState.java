package dev.hubprobe.service;

import dev.hubprobe.alerting.AlertEngine;
import dev.hubprobe.config.ConfigException;
import dev.hubprobe.history.HistoryStore;
import dev.hubprobe.metrics.ProbeMetrics;
import dev.hubprobe.probe.RunResult;
import dev.hubprobe.schedule.ProbeScheduler;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running service as the HTTP API sees it: the current configuration, the scheduler, history and
 * metrics. A reload that fails validation keeps the running configuration.
 */
public final class ServiceState implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ServiceState.class);

    private final Path configFile;
    private final ProbeScheduler scheduler;
    private final HistoryStore history;
    private final ProbeMetrics metrics;
    private final AlertEngine alerts;
    private final ExecutorService runNow = Executors.newFixedThreadPool(4, r -> {
        Thread t = new Thread(r, "hubprobe-run-now");
        t.setDaemon(true);
        return t;
    });
    private volatile LoadedConfig config;

    public ServiceState(LoadedConfig config, ProbeScheduler scheduler, HistoryStore history, ProbeMetrics metrics,
                        AlertEngine alerts) {
        this.alerts = alerts;
        this.configFile = config.file();
        this.config = config;
        this.scheduler = scheduler;
        this.history = history;
        this.metrics = metrics;
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

    /** Applies a configuration: metrics series for every pair, then the schedule. */
    public void apply(LoadedConfig c) {
        c.probes().forEach(p -> metrics.register(p.hub(), p.probe().name(), p.interval()));
        scheduler.schedule(c.probes(), c.jitter());
        config = c;
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
            apply(c);
            metrics.configReloaded(true, System.currentTimeMillis() / 1000.0);
            LOG.info("configuration reloaded from {}: {} probes", configFile, c.probes().size());
            return Optional.empty();
        } catch (ConfigException | RuntimeException e) {
            metrics.configReloaded(false, 0);
            LOG.error("configuration reload refused, keeping the running one: {}", e.getMessage());
            return Optional.of(e.getMessage());
        }
    }

    /** Runs a configured probe now, in the background; the result goes to history and metrics. */
    public Optional<java.util.concurrent.Future<RunResult>> runNow(String hub, String probe) {
        return scheduler.job(hub, probe).map(p -> runNow.submit(() -> scheduler.runNow(p)));
    }

    @Override
    public void close() {
        runNow.shutdownNow();
    }
}
