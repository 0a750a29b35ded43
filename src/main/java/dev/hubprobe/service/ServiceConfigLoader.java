package dev.hubprobe.service;

import dev.hubprobe.schedule.ScheduledProbe;
import dev.hubprobe.alerting.AlertPolicy;
import dev.hubprobe.alerting.TlsThresholds;
import dev.hubprobe.alerting.notify.AlertmanagerNotifier;
import dev.hubprobe.alerting.notify.Dispatcher;
import dev.hubprobe.alerting.notify.Notifier;
import dev.hubprobe.alerting.notify.PagerDutyNotifier;
import dev.hubprobe.alerting.notify.SlackNotifier;
import dev.hubprobe.alerting.notify.WebhookNotifier;
import dev.hubprobe.config.ConfigException;
import dev.hubprobe.config.Durations;
import dev.hubprobe.config.Secret;
import dev.hubprobe.config.StrictYaml;
import dev.hubprobe.probe.ProbeDefinition;
import dev.hubprobe.probe.ProbeKey;
import dev.hubprobe.probe.ProbeTarget;
import dev.hubprobe.tls.TrustStores;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import okhttp3.HttpUrl;

/**
 * Reads and checks the service configuration. Every mistake (unknown or misplaced key, bad duration,
 * missing probe file, duplicate hub, unset variable, a secret written in clear) is an error naming
 * the file, the line and the key path; nothing is half-loaded.
 */
public final class ServiceConfigLoader {
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
    /** A KubeSpawner profile slug, as the {@code profile} label's value: bounded by the configuration. */
    private static final Pattern PROFILE = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    private static final Pattern ADDRESS = Pattern.compile("\\[?([^\\]\\s]+?)]?:(\\d{1,5})");
    private static final Pattern REF = Pattern.compile("\\$\\{(env|file):([^}]+)}");
    private static final Duration DEFAULT_INTERVAL = Duration.ofMinutes(5);

    private ServiceConfigLoader() {
    }

    public static LoadedConfig load(Path file) throws ConfigException {
        String text = StrictYaml.text(file);
        String name = file.toString();
        ServiceConfig c = StrictYaml.read(name, text, ServiceConfig.class);
        Path base = file.toAbsolutePath().getParent();
        Checker check = new Checker(name, text);

        ServiceConfig.Server server = c.server() == null ? new ServiceConfig.Server(null, null, null, null) : c.server();
        int port = server.port() == null ? 8080 : server.port();
        if (port < 0 || port > 65535) {
            throw check.at("server.port", "'" + port + "' is not a TCP port (0-65535)");
        }
        Secret apiToken = server.apiToken() == null ? null : check.secret("server.api_token", server.apiToken(), base);
        Secret readToken = server.readToken() == null ? null : check.secret("server.read_token", server.readToken(), base);
        List<dev.hubprobe.config.Cidr> trustedProxies = new ArrayList<>();
        List<String> proxies = server.trustedProxies() == null ? List.of() : server.trustedProxies();
        for (int i = 0; i < proxies.size(); i++) {
            try {
                trustedProxies.add(dev.hubprobe.config.Cidr.parse(proxies.get(i)));
            } catch (IllegalArgumentException e) {
                throw check.at("server.trusted_proxies[" + i + "]", e.getMessage());
            }
        }

        String basePath = basePath(check, server.basePath());
        LoadedConfig.HubOAuth hubOAuth = server.hubOauth() == null ? null : hubOAuth(check, server.hubOauth(), base);

        ServiceConfig.History history = c.history() == null ? new ServiceConfig.History(null, null) : c.history();
        LoadedConfig.SharedDb sharedDb = null;
        if (history.url() != null) {
            if (history.path() != null) {
                throw check.at("history.url", "give history.path (an H2 file, one process) or history.url (PostgreSQL, shared by "
                        + "replicas), not both");
            }
            if (!history.url().startsWith("jdbc:postgresql://")) {
                throw check.at("history.url", "'" + history.url() + "' is not a PostgreSQL JDBC URL (jdbc:postgresql://host:5432/db)");
            }
            if (history.user() == null || history.user().isBlank()) {
                throw check.at("history.user", "a PostgreSQL history needs the user to connect as");
            }
            sharedDb = new LoadedConfig.SharedDb(history.url(), history.user(),
                    history.password() == null ? null : check.secret("history.password", history.password(), base));
        } else if (history.user() != null || history.password() != null) {
            throw check.at(history.user() != null ? "history.user" : "history.password", "only with history.url (PostgreSQL)");
        }
        Path historyPath = sharedDb != null ? null : base.resolve(history.path() == null ? "data/hubprobe" : history.path()).normalize();
        Duration retention = history.retention() == null ? Duration.ofDays(30) : history.retention();

        ServiceConfig.Scheduler scheduler = c.scheduler() == null ? new ServiceConfig.Scheduler(null, null) : c.scheduler();
        int threads = scheduler.threads() == null ? 64 : scheduler.threads();
        if (threads < 1 || threads > 5000) {
            throw check.at("scheduler.threads", "'" + threads + "' must be between 1 and 5000");
        }
        Duration jitter = scheduler.jitter() == null ? null : scheduler.jitter();
        int maxBrowsers = c.ui() == null || c.ui().maxBrowsers() == null ? 2 : c.ui().maxBrowsers();
        if (maxBrowsers < 1 || maxBrowsers > 64) {
            throw check.at("ui.max_browsers", "'" + maxBrowsers + "' must be between 1 and 64 (each Chromium takes 200-400 MB)");
        }

        ServiceConfig.Defaults defaults = c.defaults() == null ? new ServiceConfig.Defaults(null, null) : c.defaults();
        Duration defaultInterval = defaults.interval() == null ? DEFAULT_INTERVAL : defaults.interval();
        Path probesDir = base.resolve(c.probesDir() == null ? "../probes" : c.probesDir()).normalize();

        if (c.hubs() == null || c.hubs().isEmpty()) {
            throw check.at("hubs", "at least one hub is needed");
        }
        ServiceConfig.Alerting alerting = c.alerting() == null ? new ServiceConfig.Alerting(null, null, null, null, null, null, null, null) : c.alerting();
        TlsThresholds tlsAlerts = TlsThresholds.DEFAULTS;
        if (alerting.tls() != null) {
            int warn = alerting.tls().warnDays() != null ? alerting.tls().warnDays() : tlsAlerts.warnDays();
            int critical = alerting.tls().criticalDays() != null ? alerting.tls().criticalDays() : tlsAlerts.criticalDays();
            if (critical < 0 || warn < critical) {
                throw check.at("alerting.tls", "warn_days (" + warn + ") must be at least critical_days (" + critical + "), both 0 or more");
            }
            tlsAlerts = new TlsThresholds(warn, critical);
        }
        AlertPolicy global = policy(check, "alerting", AlertPolicy.DEFAULTS, alerting.failure(), alerting.regression());
        Dispatcher.Retry delivery = delivery(check, alerting);
        List<Notifier> notifiers = notifiers(check, alerting, base);
        String externalUrl = alerting.externalUrl() == null ? "http://127.0.0.1:" + port
                : alerting.externalUrl().replaceAll("/+$", "");
        Map<String, AlertPolicy> policies = new HashMap<>();
        List<ScheduledProbe> probes = new ArrayList<>();
        Set<String> hubNames = new HashSet<>();
        for (int i = 0; i < c.hubs().size(); i++) {
            ServiceConfig.Hub hub = c.hubs().get(i);
            String at = "hubs[" + i + "]";
            if (hub.name() == null || !NAME.matcher(hub.name()).matches()) {
                throw check.at(at + ".name", hub.name() == null ? "every hub needs a name"
                        : "'" + hub.name() + "' must be lower-case letters, digits and '-' (it is the hub label)");
            }
            if (!hubNames.add(hub.name())) {
                throw check.at(at + ".name", "duplicate hub name '" + hub.name() + "'");
            }
            ServiceConfig.Binder binder = hub.binder();
            if (binder != null && (hub.url() != null || hub.auth() != null || hub.user() != null)) {
                throw check.at(at + ".binder", "a BinderHub entry has binder.url and binder.repo instead of url, auth and user");
            }
            String urlKey = binder != null ? at + ".binder.url" : at + ".url";
            String given = binder != null ? binder.url() : hub.url();
            HttpUrl url = given == null ? null : HttpUrl.parse(given);
            if (url == null) {
                throw check.at(urlKey, given == null ? "every hub needs a url (or binder: {url, repo})" : "'" + given + "' is not an http(s) URL");
            }
            if (!url.username().isEmpty() || !url.password().isEmpty()) {
                throw check.at(urlKey, "credentials in the URL are not accepted; use auth");
            }
            if (binder != null && (binder.repo() == null || !binder.repo().matches("[a-z]+/\\S+"))) {
                throw check.at(at + ".binder.repo", binder.repo() == null ? "name what to launch, e.g. gh/org/repo/main"
                        : "'" + binder.repo() + "' is not PROVIDER/SPEC, e.g. gh/org/repo/main");
            }
            ProbeTarget.Credentials credentials = binder != null ? null : credentials(check, at + ".auth", hub.auth(), base);
            ProbeTarget.Tls tls = ProbeTarget.Tls.DEFAULT;
            if (hub.tls() != null && hub.tls().caFile() != null) {
                Path ca = base.resolve(hub.tls().caFile()).normalize();
                try {
                    TrustStores.check(ca);
                } catch (java.io.IOException e) {
                    throw check.at(at + ".tls.ca_file", ca + ": " + e.getMessage());
                }
                tls = new ProbeTarget.Tls(ca, 0);
            }
            if (hub.tlsEndpoints() != null) {
                List<ProbeTarget.Endpoint> endpoints = new ArrayList<>();
                Set<String> names = new HashSet<>(Set.of("hub"));
                for (int k = 0; k < hub.tlsEndpoints().size(); k++) {
                    ServiceConfig.TlsEndpoint e = hub.tlsEndpoints().get(k);
                    String eat = at + ".tls_endpoints[" + k + "]";
                    if (e.name() == null || !NAME.matcher(e.name()).matches() || !names.add(e.name())) {
                        throw check.at(eat + ".name", e.name() == null ? "every endpoint needs a name (its endpoint label)"
                                : "'" + e.name() + "' must be lower-case letters, digits and '-', unique, and not 'hub'");
                    }
                    Matcher hp = ADDRESS.matcher(e.address() == null ? "" : e.address());
                    if (!hp.matches() || Integer.parseInt(hp.group(2)) > 65535) {
                        throw check.at(eat + ".address", "'" + e.address() + "' is not host:port, e.g. 10.0.0.5:6443");
                    }
                    endpoints.add(new ProbeTarget.Endpoint(e.name(), hp.group(1), Integer.parseInt(hp.group(2))));
                }
                tls = new ProbeTarget.Tls(tls.caFile(), tls.minDays(), endpoints);
            }
            AlertPolicy policy = hub.alerting() == null ? global
                    : policy(check, at + ".alerting", global, hub.alerting().failure(), hub.alerting().regression());
            policies.put(hub.name(), withMaintenance(check, at + ".maintenance", policy, hub.maintenance()));
            if (hub.probes() == null || hub.probes().isEmpty()) {
                throw check.at(at + ".probes", "a hub needs at least one probe");
            }
            Set<String> probeNames = new HashSet<>();
            for (int j = 0; j < hub.probes().size(); j++) {
                ServiceConfig.ProbeRef ref = hub.probes().get(j);
                String pat = at + ".probes[" + j + "]";
                if (ref.probe() == null || !NAME.matcher(ref.probe()).matches()) {
                    throw check.at(pat + ".probe", "name a probe file in " + probesDir + " (without .yml)");
                }
                if (ref.profile() != null && !PROFILE.matcher(ref.profile()).matches()) {
                    throw check.at(pat + ".profile", "'" + ref.profile() + "' is not a profile slug (lower-case letters, digits"
                            + " and '-', at most 63, as KubeSpawner's profile_list slugs)");
                }
                String series = ProbeKey.series(ref.probe(), ref.profile());
                if (!probeNames.add(series)) {
                    throw check.at(pat + (ref.profile() == null ? ".probe" : ".profile"), ref.profile() == null
                            ? "probe '" + ref.probe() + "' is listed twice for this hub"
                            : "probe '" + ref.probe() + "' is listed twice for profile '" + ref.profile() + "' on this hub");
                }
                Path probeFile = probesDir.resolve(ref.probe() + ".yml");
                if (!Files.isRegularFile(probeFile) && Files.isRegularFile(probesDir.resolve(ref.probe()).resolve(ref.probe() + ".yml"))) {
                    // a probe with files of its own (a notebook) lives in a folder of its name: probes/NAME/NAME.yml
                    probeFile = probesDir.resolve(ref.probe()).resolve(ref.probe() + ".yml");
                }
                if (!Files.isRegularFile(probeFile)) {
                    throw check.at(pat + ".probe", "probe file " + probeFile + " does not exist");
                }
                ProbeDefinition def = ProbeDefinition.load(probeFile).withName(series);
                ProbeDefinition.requireUiForSelectors(def, probeFile, "give it ui: {app: lab}");
                if (ref.profile() != null) {
                    // KubeSpawner picks the profile by its slug in user_options; the file's other options stay
                    com.fasterxml.jackson.databind.node.ObjectNode options = def.userOptions() == null
                            ? dev.hubprobe.json.Json.object() : def.userOptions().deepCopy();
                    def = def.withUserOptions(options.put("profile", ref.profile()));
                }
                def = def.withTimeouts(override(override(def.timeouts(), defaults.timeouts()), ref.timeouts()));
                Duration interval = ref.interval() != null ? ref.interval() : hub.interval() != null ? hub.interval() : defaultInterval;
                ProbeTarget target = binder != null ? ProbeTarget.binder(hub.name(), url.toString(), binder.repo(), tls)
                        : new ProbeTarget(hub.name(), url.toString(), hub.user(), credentials, tls);
                probes.add(new ScheduledProbe(target, def, interval));
            }
        }
        return new LoadedConfig(file, port, apiToken, readToken, historyPath, retention, threads, jitter, List.copyOf(probes),
                notifiers, externalUrl, alerting.resend() == null ? Duration.ofMinutes(1) : alerting.resend(), Map.copyOf(policies),
                tlsAlerts, statusPage(check, c.statusPage(), probes, apiToken != null || readToken != null || hubOAuth != null), sharedDb,
                delivery, List.copyOf(trustedProxies), basePath, hubOAuth, maxBrowsers);
    }

    private static final Pattern BASE_PATH = Pattern.compile("(/[A-Za-z0-9._~-]+)*/?");

    /** {@code server.base_path}, as "/" or "/a/b/" (the trailing slash added); "/" when not given. */
    static String basePath(Checker check, String given) throws ConfigException {
        if (given == null || given.equals("/")) {
            return "/";
        }
        if (!given.startsWith("/") || !BASE_PATH.matcher(given).matches() || given.contains("/./") || given.contains("/../")
                || given.endsWith("/.") || given.endsWith("/..")) {
            throw check.at("server.base_path", "'" + given + "' is not a path like /services/hubprobe/ (segments of letters, digits"
                    + " and . _ ~ -, no . or .. segments)");
        }
        return given.endsWith("/") ? given : given + "/";
    }

    private static LoadedConfig.HubOAuth hubOAuth(Checker check, ServiceConfig.HubOauth o, Path base) throws ConfigException {
        HttpUrl hub = o.hubUrl() == null ? null : HttpUrl.parse(o.hubUrl());
        if (hub == null) {
            throw check.at("server.hub_oauth.hub_url", o.hubUrl() == null ? "the hub's URL is needed, e.g. https://hub.example.org"
                    : "'" + o.hubUrl() + "' is not an http(s) URL");
        }
        if (!hub.username().isEmpty() || !hub.password().isEmpty()) {
            throw check.at("server.hub_oauth.hub_url", "credentials in the URL are not accepted");
        }
        // JupyterHub refuses a service's oauth_client_id that does not start with "service-"; the rest is the
        // service's name, which names the access scope a user needs
        if (o.clientId() == null || !o.clientId().matches("service-[A-Za-z0-9._~-]+")) {
            throw check.at("server.hub_oauth.client_id", o.clientId() == null ? "the service's oauth_client_id is needed, e.g. service-hubprobe"
                    : "'" + o.clientId() + "' is not a JupyterHub service's client id (service-<name>)");
        }
        if (o.clientSecret() == null) {
            throw check.at("server.hub_oauth.client_secret", "the service's api_token (its OAuth client secret) is needed");
        }
        Secret secret = check.secret("server.hub_oauth.client_secret", o.clientSecret(), base);
        // it keys the hub tokens sealed in the sessions table (HubTokens): a short one could be guessed offline from
        // a copy of that table (JupyterHub takes 8 characters; the tokens it makes are 32 hex digits)
        if (secret.reveal().length() < 16) {
            throw check.at("server.hub_oauth.client_secret", "the secret it names has " + secret.reveal().length() + " characters: use at"
                    + " least 16 characters, e.g. openssl rand -hex 32 (it is also the service's api_token in the hub's config)");
        }
        List<String> groups = o.allow() == null || o.allow().groups() == null ? List.of() : o.allow().groups();
        List<String> users = o.allow() == null || o.allow().users() == null ? List.of() : o.allow().users();
        if (groups.isEmpty() && users.isEmpty()) {
            throw check.at("server.hub_oauth.allow", "list the hub groups or users who may sign in (allow: {groups: [...], users: [...]}):"
                    + " without them no one could");
        }
        for (int i = 0; i < groups.size(); i++) {
            if (groups.get(i) == null || groups.get(i).isBlank()) {
                throw check.at("server.hub_oauth.allow.groups[" + i + "]", "an empty group name");
            }
        }
        for (int i = 0; i < users.size(); i++) {
            if (users.get(i) == null || users.get(i).isBlank()) {
                throw check.at("server.hub_oauth.allow.users[" + i + "]", "an empty user name");
            }
        }
        Duration recheck = o.recheck() == null ? Duration.ofMinutes(5) : o.recheck();
        if (recheck.compareTo(Duration.ofSeconds(1)) < 0 || recheck.compareTo(Duration.ofHours(1)) > 0) {
            throw check.at("server.hub_oauth.recheck", "'" + Durations.format(recheck) + "' must be between 1s and 1h");
        }
        return new LoadedConfig.HubOAuth(hub.toString().replaceAll("/+$", ""), o.clientId(), o.clientId().substring("service-".length()),
                secret, Set.copyOf(groups), Set.copyOf(users), recheck);
    }

    /** How undeliverable notifications are retried: the shipped defaults, or alerting.give_up_after and alerting.backoff. */
    private static Dispatcher.Retry delivery(Checker check, ServiceConfig.Alerting alerting) throws ConfigException {
        Dispatcher.Retry d = Dispatcher.Retry.DEFAULTS;
        Duration giveUp = alerting.giveUpAfter() != null ? alerting.giveUpAfter() : d.giveUpAfter();
        Duration first = alerting.backoff() != null && alerting.backoff().first() != null ? alerting.backoff().first() : d.firstBackoff();
        Duration max = alerting.backoff() != null && alerting.backoff().max() != null ? alerting.backoff().max() : d.maxBackoff();
        if (first.compareTo(max) > 0) {
            throw check.at("alerting.backoff.first", "'" + Durations.format(first) + "' must not be longer than alerting.backoff.max ("
                    + Durations.format(max) + ")");
        }
        if (giveUp.compareTo(max) < 0) {
            throw check.at("alerting.give_up_after", "'" + Durations.format(giveUp) + "' must be at least alerting.backoff.max ("
                    + Durations.format(max) + "): a notification would be given up on before its second attempt");
        }
        return new Dispatcher.Retry(first, max, giveUp);
    }

    private static LoadedConfig.StatusPage statusPage(Checker check, ServiceConfig.StatusPage page, List<ScheduledProbe> probes,
                                                      boolean tokenSet) throws ConfigException {
        if (page == null) {
            return LoadedConfig.StatusPage.DEFAULT;
        }
        boolean isPublic = page.isPublic() != null && page.isPublic();
        java.util.Set<String> configured = new java.util.LinkedHashSet<>();
        probes.forEach(p -> configured.add(p.hub()));
        List<String> hubs = page.hubs() == null ? List.copyOf(configured) : page.hubs();
        for (int i = 0; i < hubs.size(); i++) {
            if (!configured.contains(hubs.get(i))) {
                throw check.at("status_page.hubs[" + i + "]", "no hub named '" + hubs.get(i) + "' is configured (hubs: "
                        + String.join(", ", configured) + ")");
            }
        }
        if (isPublic && !tokenSet) {
            throw check.at("status_page.public", "a public page needs server.read_token (or server.api_token, or server.hub_oauth) set: "
                    + "the operator view and the API would otherwise be open to everyone");
        }
        String title = page.title() == null || page.title().isBlank() ? "hubprobe" : page.title();
        return new LoadedConfig.StatusPage(isPublic, title, List.copyOf(hubs));
    }

    private static AlertPolicy policy(Checker check, String at, AlertPolicy base, ServiceConfig.FailureAlerts f,
                                      ServiceConfig.RegressionAlerts r) throws ConfigException {
        int fireAfter = base.fireAfter();
        int resolveAfter = base.resolveAfter();
        Duration reminder = base.reminder();
        String severity = base.severity();
        boolean confirm = base.confirm();
        Duration confirmAfter = base.confirmAfter();
        if (f != null) {
            confirm = f.confirm() != null ? f.confirm() : confirm;
            if (f.confirmAfter() != null && (f.confirmAfter().isZero() || f.confirmAfter().isNegative()
                    || f.confirmAfter().compareTo(Duration.ofMinutes(30)) > 0)) {
                throw check.at(at + ".failure.confirm_after", "'" + (f.confirmAfter().isZero() ? "0s" : dev.hubprobe.config.Durations.format(f.confirmAfter()))
                        + "' must be more than 0s and at most 30m");
            }
            confirmAfter = f.confirmAfter() != null ? f.confirmAfter() : confirmAfter;
            fireAfter = f.fireAfter() != null ? positive(check, at + ".failure.fire_after", f.fireAfter()) : fireAfter;
            resolveAfter = f.resolveAfter() != null ? positive(check, at + ".failure.resolve_after", f.resolveAfter()) : resolveAfter;
            reminder = f.reminder() != null ? f.reminder() : reminder;
            if (f.severity() != null && !NAME.matcher(f.severity()).matches()) {
                throw check.at(at + ".failure.severity", "'" + f.severity() + "' must be lower-case letters, digits and '-'");
            }
            severity = f.severity() != null ? f.severity() : severity;
        }
        if (r == null) {
            return new AlertPolicy(fireAfter, resolveAfter, reminder, severity, base.regression(), base.window(), base.minSamples(),
                    base.recent(), base.factor(), base.minDelta(), base.resolveFactor(), base.maintenance(), confirm, confirmAfter);
        }
        double factor = r.factor() != null ? r.factor() : base.factor();
        double resolveFactor = r.resolveFactor() != null ? r.resolveFactor() : base.resolveFactor();
        if (factor <= 1) {
            throw check.at(at + ".regression.factor", "'" + factor + "' must be more than 1");
        }
        if (resolveFactor < 1 || resolveFactor > factor) {
            throw check.at(at + ".regression.resolve_factor", "'" + resolveFactor + "' must be between 1 and factor (" + factor + ")");
        }
        return new AlertPolicy(fireAfter, resolveAfter, reminder, severity, r.enabled() != null ? r.enabled() : base.regression(),
                r.window() != null ? r.window() : base.window(),
                r.minSamples() != null ? positive(check, at + ".regression.min_samples", r.minSamples()) : base.minSamples(),
                r.recent() != null ? positive(check, at + ".regression.recent", r.recent()) : base.recent(),
                factor, r.minDelta() != null ? r.minDelta() : base.minDelta(), resolveFactor, base.maintenance(), confirm, confirmAfter);
    }

    private static int positive(Checker check, String at, int v) throws ConfigException {
        if (v < 1) {
            throw check.at(at, "'" + v + "' must be 1 or more");
        }
        return v;
    }

    private static AlertPolicy withMaintenance(Checker check, String at, AlertPolicy p, List<ServiceConfig.Maintenance> windows)
            throws ConfigException {
        if (windows == null || windows.isEmpty()) {
            return p;
        }
        List<AlertPolicy.Window> out = new ArrayList<>();
        for (int i = 0; i < windows.size(); i++) {
            ServiceConfig.Maintenance m = windows.get(i);
            Instant start = instant(check, at + "[" + i + "].start", m.start());
            Instant end = instant(check, at + "[" + i + "].end", m.end());
            if (!end.isAfter(start)) {
                throw check.at(at + "[" + i + "].end", "the window ends before it starts");
            }
            out.add(new AlertPolicy.Window(start, end, m.reason()));
        }
        return p.withMaintenance(out);
    }

    private static Instant instant(Checker check, String at, String value) throws ConfigException {
        try {
            return Instant.parse(value == null ? "" : value);
        } catch (DateTimeParseException e) {
            throw check.at(at, "'" + value + "' is not a time like 2026-11-22T18:00:00Z");
        }
    }

    private static List<Notifier> notifiers(Checker check, ServiceConfig.Alerting alerting, Path base) throws ConfigException {
        List<Notifier> out = new ArrayList<>();
        if (alerting.notifiers() == null) {
            return out;
        }
        for (int i = 0; i < alerting.notifiers().size(); i++) {
            ServiceConfig.NotifierConfig n = alerting.notifiers().get(i);
            String at = "alerting.notifiers[" + i + "]";
            int given = (n.alertmanager() != null ? 1 : 0) + (n.pagerduty() != null ? 1 : 0) + (n.slack() != null ? 1 : 0)
                    + (n.webhook() != null ? 1 : 0);
            if (given != 1) {
                throw check.at(at, "each entry is exactly one of alertmanager, pagerduty, slack, webhook");
            }
            if (n.alertmanager() != null) {
                List<String> urls = n.alertmanager().urls();
                if (urls == null || urls.isEmpty()) {
                    throw check.at(at + ".alertmanager.urls", "give the URL of every Alertmanager instance");
                }
                for (int j = 0; j < urls.size(); j++) {
                    if (HttpUrl.parse(urls.get(j)) == null) {
                        throw check.at(at + ".alertmanager.urls[" + j + "]", "'" + urls.get(j) + "' is not an http(s) URL");
                    }
                }
                out.add(new AlertmanagerNotifier(urls, alerting.externalUrl()));
            } else if (n.pagerduty() != null) {
                if (n.pagerduty().routingKey() == null) {
                    throw check.at(at + ".pagerduty.routing_key", "required");
                }
                out.add(new PagerDutyNotifier(check.secret(at + ".pagerduty.routing_key", n.pagerduty().routingKey(), base),
                        n.pagerduty().url()));
            } else if (n.slack() != null) {
                if (n.slack().webhookUrl() == null) {
                    throw check.at(at + ".slack.webhook_url", "required");
                }
                out.add(new SlackNotifier(check.secret(at + ".slack.webhook_url", n.slack().webhookUrl(), base)));
            } else {
                if (n.webhook().url() == null) {
                    throw check.at(at + ".webhook.url", "required");
                }
                out.add(new WebhookNotifier(check.secret(at + ".webhook.url", n.webhook().url(), base)));
            }
        }
        return List.copyOf(out);
    }

    private static ProbeTarget.Credentials credentials(Checker check, String at, ServiceConfig.Auth auth, Path base)
            throws ConfigException {
        if (auth == null) {
            throw check.at(at, "every hub needs auth: {token: ...} or {username: ..., password: ...}");
        }
        if (auth.token() != null && (auth.username() != null || auth.password() != null)) {
            throw check.at(at, "give either token, or username and password, not both");
        }
        if (auth.token() != null) {
            return new ProbeTarget.Token(check.secret(at + ".token", auth.token(), base));
        }
        if (auth.username() == null || auth.password() == null) {
            throw check.at(at, "give token, or both username and password");
        }
        return new ProbeTarget.Password(auth.username(), check.secret(at + ".password", auth.password(), base));
    }

    private static ProbeDefinition.Timeouts override(ProbeDefinition.Timeouts t, ServiceConfig.Timeouts o) {
        if (o == null) {
            return t;
        }
        return new ProbeDefinition.Timeouts(o.hub() != null ? o.hub() : t.hub(), o.spawn() != null ? o.spawn() : t.spawn(),
                o.kernel() != null ? o.kernel() : t.kernel(), o.execute() != null ? o.execute() : t.execute(),
                o.cleanup() != null ? o.cleanup() : t.cleanup(), o.build() != null ? o.build() : t.build(),
                o.launch() != null ? o.launch() : t.launch(), o.environment() != null ? o.environment() : t.environment(),
                o.tls() != null ? o.tls() : t.tls());
    }

    /** Errors at a key path, with the line found in the file's text. */
    private record Checker(String file, String text) {
        ConfigException at(String keyPath, String problem) {
            return StrictYaml.error(file, text, keyPath, problem);
        }

        Secret secret(String keyPath, String value, Path base) throws ConfigException {
            Matcher m = REF.matcher(value.trim());
            if (!m.matches()) {
                throw at(keyPath, "write the secret as ${env:VARIABLE} or ${file:/path}, not in the config itself");
            }
            try {
                return m.group(1).equals("env") ? Secret.fromEnv(m.group(2)) : Secret.fromFile(base.resolve(m.group(2)));
            } catch (ConfigException e) {
                throw at(keyPath, e.problem() + (e.file() != null ? " (" + e.file() + ")" : ""));
            }
        }
    }
}
