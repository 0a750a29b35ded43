package dev.hubprobe.service;

import java.time.Duration;
import java.util.List;

/**
 * {@code config/hubprobe.yml} as operators write it, before secrets and probe files are resolved
 * (see {@link ServiceConfigLoader}). Keys are snake_case in the file; unknown keys are errors.
 */
public record ServiceConfig(Server server, History history, Scheduler scheduler, Defaults defaults,
                            String probesDir, Alerting alerting, List<Hub> hubs, StatusPage statusPage, Ui ui) {

    public ServiceConfig(Server server, History history, Scheduler scheduler, Defaults defaults, String probesDir, Alerting alerting,
                         List<Hub> hubs, StatusPage statusPage) {
        this(server, history, scheduler, defaults, probesDir, alerting, hubs, statusPage, null);
    }

    /** @param maxBrowsers at most this many Chromiums at once, over all UI probes (default 2) */
    public record Ui(Integer maxBrowsers) {
    }

    /**
     * @param isPublic the page at {@code /} is for hub users: only these hubs, no messages, run links or
     *                 anything naming a user or host; the operator view then needs a token
     */
    public record StatusPage(@com.fasterxml.jackson.annotation.JsonProperty("public") Boolean isPublic, String title,
                             List<String> hubs) {
    }

    /**
     * @param apiToken  bearer token for "run now" and reload; {@code ${env:..}} or {@code ${file:..}}
     * @param readToken when set, bearer token that reads (the API, /metrics, the pages) need; /health stays open.
     *                  A public status page guards reads the same way with this or, without it, {@code apiToken}
     * @param trustedProxies CIDRs of reverse proxies whose {@code X-Forwarded-For} names the client (for the
     *                  sign-in throttle); from any other address the header is the client's to make up
     */
    public record Server(Integer port, String apiToken, String readToken, List<String> trustedProxies, String basePath,
                         HubOauth hubOauth) {
        public Server(Integer port, String apiToken, String readToken, List<String> trustedProxies) {
            this(port, apiToken, readToken, trustedProxies, null, null);
        }
    }

    /**
     * Operators sign in through the hub's OAuth, hubprobe being a JupyterHub service.
     *
     * @param hubUrl       the hub's public URL (the browser is sent to its authorize page; hubprobe asks its API)
     * @param clientId     the service's oauth_client_id ({@code service-<name>}, JupyterHub's default)
     * @param clientSecret the service's api_token, which is its OAuth client secret; {@code ${env:..}} or {@code ${file:..}}
     * @param allow        who of those the hub lets in may see the operator view: a listed group or user
     * @param recheck      how often a signed-in operator's identity is asked of the hub again (5 m)
     */
    public record HubOauth(String hubUrl, String clientId, String clientSecret, HubOauthAllow allow, Duration recheck) {
    }

    public record HubOauthAllow(List<String> groups, List<String> users) {
    }

    /**
     * @param path H2 database file (without {@code .mv.db}), relative to the config file; or
     * @param url  a PostgreSQL database ({@code jdbc:postgresql://host:5432/db}) shared by replicas,
     *             with {@code user} and {@code password} ({@code ${env:..}} or {@code ${file:..}})
     */
    public record History(String path, Duration retention, String url, String user, String password) {
        public History(String path, Duration retention) {
            this(path, retention, null, null, null);
        }
    }

    /** @param threads how many runs may be in progress at once (a run holds one for minutes on a real hub) */
    public record Scheduler(Integer threads, Duration jitter) {
    }

    public record Defaults(Duration interval, Timeouts timeouts) {
    }

    /** Overrides of a probe file's timeouts, for a deployment that is slower or faster than usual. */
    public record Timeouts(Duration hub, Duration spawn, Duration kernel, Duration execute, Duration cleanup, Duration build,
                           Duration launch, Duration environment, Duration tls) {
    }

    /** @param name the {@code hub} label: lower-case letters, digits and '-' */
    public record Hub(String name, String url, Auth auth, String user, Duration interval, List<ProbeRef> probes,
                      HubAlerting alerting, List<Maintenance> maintenance, Tls tls, Binder binder,
                      List<TlsEndpoint> tlsEndpoints) {
    }

    /**
     * A BinderHub instead of a hub ({@code url} and {@code auth} are then not given): each run launches
     * {@code repo} (BinderHub's spelling, e.g. {@code gh/org/repo/main}) and runs the probe's cells there.
     */
    public record Binder(String url, String repo) {
    }

    /** @param caFile PEM CAs to trust besides the JVM's own, for a hub behind an internal CA (relative to the config) */
    public record Tls(String caFile) {
    }

    /**
     * @param externalUrl where this service is reachable, for links to runs in alerts
     * @param resend      how often firing alerts are re-sent to Alertmanager (it expires what it stops hearing)
     * @param giveUpAfter how long an undeliverable notification is retried before it is dropped (24 h)
     * @param backoff     the waits between attempts of an undeliverable notification (1 s, doubling, at most 5 m)
     */
    public record Alerting(FailureAlerts failure, RegressionAlerts regression, List<NotifierConfig> notifiers,
                           String externalUrl, Duration resend, TlsAlerts tls, Duration giveUpAfter, Backoff backoff) {
    }

    /** @param first the wait after the first failed attempt, doubled after each further one up to {@code max} */
    public record Backoff(Duration first, Duration max) {
    }

    /** Certificate expiry alerts: a warning with fewer than {@code warnDays} left (21), a page under {@code criticalDays} (7). */
    public record TlsAlerts(Integer warnDays, Integer criticalDays) {
    }

    /** @param address {@code host:port} of a TLS endpoint the hub depends on; {@code name} is its {@code endpoint} label */
    public record TlsEndpoint(String name, String address) {
    }

    public record HubAlerting(FailureAlerts failure, RegressionAlerts regression) {
    }

    /**
     * @param confirm      run the probe again after a failed run (default true)
     * @param confirmAfter how long after the failed run its confirming run starts (default 20 s)
     */
    public record FailureAlerts(Integer fireAfter, Integer resolveAfter, Duration reminder, String severity, Boolean confirm,
                                Duration confirmAfter) {
    }

    public record RegressionAlerts(Boolean enabled, Duration window, Integer minSamples, Integer recent, Double factor,
                                   Duration minDelta, Double resolveFactor) {
    }

    /** Exactly one of the four, per list entry. Secrets as {@code ${env:..}} or {@code ${file:..}}. */
    public record NotifierConfig(AlertmanagerConfig alertmanager, PagerDutyConfig pagerduty, SlackConfig slack,
                                 WebhookConfig webhook) {
    }

    public record AlertmanagerConfig(List<String> urls) {
    }

    public record PagerDutyConfig(String routingKey, String url) {
    }

    public record SlackConfig(String webhookUrl) {
    }

    public record WebhookConfig(String url) {
    }

    /** @param start an ISO-8601 instant, e.g. 2026-11-22T18:00:00Z */
    public record Maintenance(String start, String end, String reason) {
    }

    /** Either {@code token}, or {@code username} and {@code password}; secrets as {@code ${env:..}}/{@code ${file:..}}. */
    public record Auth(String token, String username, String password) {
    }

    /**
     * @param probe   a probe file's name in the probes folder, without {@code .yml}
     * @param profile a KubeSpawner profile's slug: the probe spawns with {@code profile} in its user_options and is a
     *                series of its own ({@code probe@profile}; on /metrics the label {@code profile}), so one probe can
     *                be listed once per profile
     */
    public record ProbeRef(String probe, Duration interval, Timeouts timeouts, String profile) {
        public ProbeRef(String probe, Duration interval, Timeouts timeouts) {
            this(probe, interval, timeouts, null);
        }
    }
}
