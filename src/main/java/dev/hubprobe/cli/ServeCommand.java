package dev.hubprobe.cli;

import dev.hubprobe.alerting.AlertEngine;
import dev.hubprobe.alerting.AlertStore;
import dev.hubprobe.alerting.notify.Dispatcher;
import dev.hubprobe.alerting.notify.Outbox;
import dev.hubprobe.config.ConfigException;
import dev.hubprobe.history.HistoryStore;
import dev.hubprobe.jupyter.hub.HubClientSettings;
import dev.hubprobe.metrics.ProbeMetrics;
import dev.hubprobe.probe.ProbeClock;
import dev.hubprobe.probe.ProbeRunner;
import dev.hubprobe.schedule.ProbeExecutor;
import dev.hubprobe.schedule.ProbeScheduler;
import dev.hubprobe.service.LoadedConfig;
import dev.hubprobe.service.ServiceConfigLoader;
import dev.hubprobe.service.ServiceState;
import io.micrometer.core.instrument.FunctionCounter;
import io.micronaut.context.ApplicationContext;
import io.micronaut.runtime.server.EmbeddedServer;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code hubprobe serve}: probes every configured hub on its schedule, keeps history in H2, serves
 * {@code /metrics} and the API. SIGHUP or {@code POST /-/reload} rereads the configuration.
 */
@Command(name = "serve", mixinStandardHelpOptions = true, description = "Run the probing service.")
public final class ServeCommand implements java.util.concurrent.Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(ServeCommand.class);

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "The service configuration (YAML).")
    Path config;

    @Option(names = "--port", paramLabel = "N", description = "HTTP port (default: server.port, else 8080; 0 picks a free one).")
    Integer port;

    @Option(names = "--bind", paramLabel = "ADDRESS", defaultValue = "127.0.0.1", description = "Address to listen on "
            + "(default: ${DEFAULT-VALUE}, this machine only; 0.0.0.0 for every interface, with server.read_token set).")
    String bind;

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        LoadedConfig loaded;
        try {
            loaded = ServiceConfigLoader.load(config);
        } catch (ConfigException e) {
            err.println("hubprobe: " + e.getMessage());
            return Main.USAGE;
        }
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("dev.hubprobe")).setLevel(ch.qos.logback.classic.Level.INFO);
        String longStop = dev.hubprobe.probe.StopBounds.overContainerStop(loaded.shutdownGrace(), "serve's stop");
        if (longStop != null) {
            LOG.warn("{}", longStop);
        }
        HistoryStore history;
        try {
            history = HistoryStore.open(loaded.openDatabase());
        } catch (IllegalArgumentException e) {
            err.println("hubprobe: " + config + ": history: " + e.getMessage());
            return Main.USAGE;
        }
        ProbeMetrics metrics = new ProbeMetrics(Main.version());
        FunctionCounter.builder("hubprobe.history.write.failures", history, HistoryStore::writeFailures)
                .description("runs that could not be recorded in the history (after retries)").register(metrics.registry());
        io.micrometer.core.instrument.Timer writes = io.micrometer.core.instrument.Timer.builder("hubprobe.history.write.duration")
                .description("time to record a run in the history, waiting for a connection and retries included")
                .serviceLevelObjectives(Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
                        Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10))
                .register(metrics.registry());
        history.onWrite(writes::record);
        // ui.max_browsers: fixed at start, as the run pool is
        ProbeRunner runner = new ProbeRunner(ProbeClock.SYSTEM, HubClientSettings.defaults("hubprobe/" + Main.version()))
                .withBrowsers(loaded.maxBrowsers());
        // the policies follow reloads; notifiers are fixed at start (a change to them needs a restart)
        AtomicReference<ServiceState> current = new AtomicReference<>();
        // a fresh id on every start: a replica restarted in place must not pass for the run that died
        String instance = ProbeScheduler.Cluster.newInstanceId();
        // notifications wait in the history database until delivered: a restart or another replica sends what is left
        AlertStore alertStore = new AlertStore(history.dataSource(), history.database().shared());
        // through the store's decision connections: an alert decision queues its notifications on the one
        // connection it holds (its lock's), never a second from the pool
        Outbox outbox = new Outbox(alertStore.decisionConnections(), instance, Clock.systemUTC());
        AlertEngine alerts = new AlertEngine(alertStore,
                new Dispatcher(loaded.notifiers(), outbox, metrics.registry(), loaded.delivery()), history,
                hub -> current.get() == null ? loaded.policy(hub) : current.get().config().policy(hub),
                metrics.registry(), Clock.systemUTC(), loaded.externalUrl(), loaded.resend());
        // history first: the regression baseline reads it, the current run included
        ProbeScheduler.Cluster cluster = history.database().shared()
                ? new ProbeScheduler.Cluster(history.dataSource(), instance) : null;
        ProbeScheduler scheduler = new ProbeScheduler(loaded.threads(),
                ProbeExecutor.of(runner).then(history.environments()::compare), List.of(history, metrics, alerts),
                metrics.registry(), cluster);
        // a failed run is confirmed by a second run (alerting.failure.confirm), alerting.failure.confirm_after later:
        // long enough for a hub restart or a helm upgrade to pass, so one of those is a blip, not a page
        java.util.function.Function<String, dev.hubprobe.alerting.AlertPolicy> policy =
                hub -> current.get() == null ? loaded.policy(hub) : current.get().config().policy(hub);
        scheduler.confirmFailures(hub -> policy.apply(hub).confirm(), hub -> policy.apply(hub).confirmAfter());
        if (cluster != null) {
            metrics.cluster(history.dataSource(), cluster.instanceId());
        }
        ServiceState state = new ServiceState(loaded, scheduler, history, metrics, alerts);
        current.set(state);
        state.apply(loaded);
        metrics.configReloaded(true, System.currentTimeMillis() / 1000.0);

        // not Micronaut.run: it adds a shutdown hook of its own, which races ours (probes must clean up
        // before the server goes) and can deadlock with it closing the same context
        // server.base_path: every route, asset and link under it (a JupyterHub service lives at /services/<name>/);
        // fixed for the process's life, as the port is
        String basePath = loaded.basePath();
        dev.hubprobe.web.Html.basePath(basePath);
        Map<String, Object> props = new java.util.HashMap<>(Map.of("micronaut.server.port", port != null ? port : loaded.port(),
                "micronaut.server.host", bind, "micronaut.application.name", "hubprobe",
                // the status page's own script and style, and uPlot from its webjar: nothing from a CDN
                "micronaut.router.static-resources.web.paths", "classpath:web",
                "micronaut.router.static-resources.web.mapping", "/static/web/**",
                "micronaut.router.static-resources.uplot.paths",
                "classpath:META-INF/resources/webjars/uplot/" + dev.hubprobe.web.WebController.UPLOT_VERSION + "/dist",
                "micronaut.router.static-resources.uplot.mapping", "/static/uplot/**"));
        if (!basePath.equals("/")) {
            props.put("micronaut.server.context-path", basePath.substring(0, basePath.length() - 1));
        }
        ApplicationContext http = ApplicationContext.builder()
                .banner(false)
                .singletons(state)
                .properties(props)
                .start();
        EmbeddedServer server = http.getBean(EmbeddedServer.class).start();
        // the background re-checks of operators signed in through the hub (idle without server.hub_oauth)
        http.getBean(dev.hubprobe.web.HubRecheck.class);
        int actual = server.getPort();
        state.listensOn(bind);

        ScheduledExecutorService housekeeping = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "hubprobe-retention");
            t.setDaemon(true);
            return t;
        });
        if (cluster != null) {
            // with replicas, the per-pair gauges follow the shared history, not only this replica's runs
            housekeeping.scheduleWithFixedDelay(() -> {
                try {
                    List<dev.hubprobe.probe.ProbeKey> keys = current.get().config().probes().stream()
                            .map(dev.hubprobe.schedule.ScheduledProbe::key).toList();
                    metrics.fromHistory(history.latest(keys, false), history.pages().lastPassing(keys));
                } catch (RuntimeException e) {
                    LOG.warn("cannot read the shared history for /metrics: {}", e.getMessage());
                }
            }, 0, 10, TimeUnit.SECONDS);
        }
        Duration retention = loaded.retention();
        housekeeping.scheduleAtFixedRate(() -> {
            try {
                int n = history.deleteBefore(Instant.now().minus(retention));
                if (cluster != null) {
                    // an older replica of a rolling upgrade writes runs without the baseline's samples; 3 hours
                    // overlap the hour since the last fill, whenever the rollout ends
                    history.fillMissingSamples(Instant.now().minus(dev.hubprobe.history.HistoryStore.FILL_SPAN));
                }
                // a configured notifier gives up on its own rows at give_up_after; what is left an hour later
                // belongs to no notifier (one removed from the config)
                int stale = outbox.deleteBefore(Instant.now().minus(loaded.delivery().giveUpAfter()).minus(Duration.ofHours(1)));
                if (stale > 0) {
                    LOG.warn("dropped {} notifications no notifier took within alerting.give_up_after (a notifier removed from the config?)",
                            stale);
                }
                if (n > 0) {
                    LOG.info("history retention: deleted {} runs older than {}", n, retention);
                }
            } catch (RuntimeException e) {
                LOG.error("history retention failed: {}", e.getMessage());
            }
        }, 0, 1, TimeUnit.HOURS);

        installReloadSignal(state);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            Duration grace = state.config().shutdownGrace();
            LOG.info("shutting down: letting running probes clean up (at most {} s)", grace.toSeconds());
            scheduler.close(grace);
            http.close();
            housekeeping.shutdownNow();
            alerts.close();
            metrics.close();
            history.close();
            stopped.countDown();
        }, "hubprobe-shutdown"));

        scheduler.start();
        PrintWriter out = spec.commandLine().getOut();
        String at = "http://127.0.0.1:" + actual + basePath;
        out.printf("hubprobe %s serving %d probes on %s%n", Main.version(), loaded.probes().size(), at);
        out.printf("  status page: %s  metrics: %smetrics  results: %sapi/v1/hubs  history: %s%n", at, at, at, loaded.historyWhere());
        out.flush();
        stopped.await();
        return Main.PASSED;
    }

    /** SIGHUP rereads the configuration, as Prometheus and its exporters do. */
    @SuppressWarnings("restriction")
    private static void installReloadSignal(ServiceState state) {
        try {
            sun.misc.SignalHandler before = sun.misc.Signal.handle(new sun.misc.Signal("HUP"), sig -> state.reload());
            if (before == sun.misc.SignalHandler.SIG_IGN) {
                // a process started with SIGHUP ignored (nohup, some supervisors): the JVM keeps it
                // ignored and takes no handler, without a word; say so, or a reload silently does nothing
                LOG.warn("SIGHUP is ignored in this process (started under nohup?): it will not reload the configuration;"
                        + " use POST /-/reload");
            }
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            LOG.warn("SIGHUP reload is not available here ({}); use POST /-/reload", e.getMessage());
        }
    }
}
