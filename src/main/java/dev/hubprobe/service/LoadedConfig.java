package dev.hubprobe.service;

import dev.hubprobe.schedule.ScheduledProbe;
import dev.hubprobe.alerting.AlertPolicy;
import dev.hubprobe.alerting.TlsThresholds;
import dev.hubprobe.alerting.notify.Dispatcher;
import dev.hubprobe.alerting.notify.Notifier;
import dev.hubprobe.config.Secret;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** A configuration that passed every check, with secrets read and probe files loaded. */
public record LoadedConfig(Path file, int port, Secret apiToken, Secret readToken, Path historyPath, Duration retention,
                           int threads, Duration jitter, List<ScheduledProbe> probes,
                           List<Notifier> notifiers, String externalUrl, Duration resend,
                           Map<String, AlertPolicy> policies, TlsThresholds tls, StatusPage statusPage, SharedDb sharedDb,
                           Dispatcher.Retry delivery, List<dev.hubprobe.config.Cidr> trustedProxies) {

    /** Whether reads need a token at all: with a read token, or on a public page (which needs one of the two). */
    public boolean readsGuarded() {
        return readToken != null || (statusPage.isPublic() && apiToken != null);
    }

    /** A PostgreSQL history shared by replicas; {@code historyPath} is null then. */
    public record SharedDb(String url, String user, Secret password) {
    }

    /**
     * Opens the history's database: the H2 file, or the PostgreSQL database (connecting at once).
     *
     * @throws IllegalArgumentException when PostgreSQL cannot be reached or refuses the credentials
     */
    public dev.hubprobe.history.Database openDatabase() throws java.io.IOException {
        if (sharedDb != null) {
            return dev.hubprobe.history.Database.postgres(sharedDb.url(), sharedDb.user(), sharedDb.password());
        }
        java.nio.file.Files.createDirectories(historyPath.getParent());
        return dev.hubprobe.history.Database.h2(historyPath);
    }

    /** Where the history is, for people: the file, or the database URL (never a password). */
    public String historyWhere() {
        return sharedDb != null ? sharedDb.url() + " (user " + sharedDb.user() + ")" : historyPath.toString();
    }

    /**
     * The status page's settings.
     *
     * @param isPublic    serve {@code /} to anyone, without messages or run links; operator pages need a token
     * @param publicHubs  the hubs the public page shows (every configured hub when the list was not given)
     */
    public record StatusPage(boolean isPublic, String title, List<String> publicHubs) {
        public static final StatusPage DEFAULT = new StatusPage(false, "hubprobe", List.of());
    }

    /**
     * How long shutdown waits for running probes: long enough for their cleanup (kernel, server, then the
     * run's token: {@link dev.hubprobe.probe.StopBounds#run}), and 15 s to close the rest.
     */
    public Duration shutdownGrace() {
        return probes.stream().map(p -> dev.hubprobe.probe.StopBounds.run(p.probe())).max(Duration::compareTo)
                .orElse(Duration.ZERO).plusSeconds(15);
    }

    /** The alert policy of a hub (defaults for a hub no longer configured). */
    public AlertPolicy policy(String hub) {
        return policies.getOrDefault(hub, AlertPolicy.DEFAULTS);
    }
}
