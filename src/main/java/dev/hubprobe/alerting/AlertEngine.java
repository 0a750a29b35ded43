package dev.hubprobe.alerting;

import dev.hubprobe.environment.Environment;
import dev.hubprobe.environment.EnvironmentDiff;
import dev.hubprobe.json.Json;
import dev.hubprobe.alerting.notify.Dispatcher;
import dev.hubprobe.history.HistoryStore;
import dev.hubprobe.metrics.GaugeValue;
import dev.hubprobe.metrics.TlsExpiry;
import dev.hubprobe.probe.ProbeKey;
import dev.hubprobe.probe.PhaseResult;
import dev.hubprobe.probe.RunResult;
import dev.hubprobe.probe.RunSink;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Turns results into alerts. A (hub, probe) fires after {@code fireAfter} failed runs in a row and
 * resolves after {@code resolveAfter} passes: one alert per outage, however long (incident 3 paged for
 * two days). A phase regresses when its recent median passes its own baseline by a factor and a
 * margin. State lives in H2, so a restart neither pages again nor forgets to resolve. During a
 * maintenance window or a silence nothing is evaluated, so nothing pages.
 *
 * <p>Runs after the history sink: the regression baseline reads the history, the current run included.
 */
public final class AlertEngine implements RunSink, AutoCloseable {
    private final AlertStore store;
    private final Dispatcher dispatcher;
    private final Function<String, AlertPolicy> policies;
    private final MeterRegistry registry;
    private final Clock clock;
    private final String externalUrl;
    private final Duration resend;
    private final Baselines baselines;
    private final Map<PhaseKey, Tracked> baselineGauges = new ConcurrentHashMap<>();
    private final Map<PhaseKey, Tracked> active = new ConcurrentHashMap<>();

    private record PhaseKey(ProbeKey pair, String phase) {
    }

    /** A gauge's value and its meter, so it can leave the registry with its pair. */
    private record Tracked(GaugeValue value, Gauge meter) {
    }
    private volatile TlsThresholds tls = TlsThresholds.DEFAULTS;
    /** Runs of one pair are judged one at a time (a scheduled run and a run-now may end together). */
    private final Map<ProbeKey, Object> locks = new ConcurrentHashMap<>();
    private final ScheduledExecutorService resender = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "hubprobe-alert-resend");
        t.setDaemon(true);
        return t;
    });

    /**
     * @param resend how often firing alerts are sent again as reminders to receivers that need it
     *               (Alertmanager forgets alerts not re-sent); reminders to people follow the policy
     */
    public AlertEngine(AlertStore store, Dispatcher dispatcher, HistoryStore history, Function<String, AlertPolicy> policies,
                       MeterRegistry registry, Clock clock, String externalUrl, Duration resend) {
        this(store, dispatcher, new Baselines(history, clock, Duration.ofMinutes(5)), policies, registry, clock, externalUrl, resend);
    }

    public AlertEngine(AlertStore store, Dispatcher dispatcher, Baselines baselines, Function<String, AlertPolicy> policies,
                       MeterRegistry registry, Clock clock, String externalUrl, Duration resend) {
        this.baselines = baselines;
        this.store = store;
        this.dispatcher = dispatcher;
        this.policies = policies;
        this.registry = registry;
        this.clock = clock;
        this.externalUrl = externalUrl;
        this.resend = resend;
        // regression gauges of alerts already firing survive a restart
        for (Alert a : store.firing()) {
            if (a.kind() == Alert.Kind.REGRESSION) {
                regressionGauge(a.probeKey(), a.phase()).set(1);
            }
        }
        resender.scheduleWithFixedDelay(this::resendFiring, resend.toMillis(), resend.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void accept(RunResult r) {
        ProbeKey key = ProbeKey.of(r);
        // the pair's decisions one at a time: in this process, and (with replicas) across all of them
        synchronized (locks.computeIfAbsent(key, k -> new Object())) {
            try (AlertStore.Lock held = store.lock(key.toString())) {
                decide(key, r);
            }
        }
    }

    private void decide(ProbeKey key, RunResult r) {
        AlertPolicy policy = policies.apply(r.hub());
        Instant now = clock.instant();
        if (policy.inMaintenance(now) || store.silencedUntil(r.hub()).map(now::isBefore).orElse(false)) {
            return;
        }
        failure(key, r, policy, now);
        synchronized (locks.computeIfAbsent(new ProbeKey(r.hub(), "~tls"), k -> new Object())) {
            try (AlertStore.Lock held = store.lock("tls/" + r.hub())) {
                tls(r, now);
            }
        }
        if (policy.regression() && r.passed()) {
            Map<String, Baselines.Phase> phases = baselines.of(key, policy);
            List<PhaseResult> measured = new ArrayList<>(r.phases());
            measured.addAll(r.spawnPhases());
            for (PhaseResult p : measured) {
                Baselines.Phase b = phases.get(p.phase().label());
                if (p.status() == PhaseResult.Status.PASSED && b != null) {
                    regression(key, r, p.phase().label(), b, policy, now);
                }
            }
        }
    }

    /** When certificate expiry warns and pages (from the config; reloads change it). */
    public void tlsThresholds(TlsThresholds thresholds) {
        this.tls = thresholds;
    }

    /** The labels an alert was (and is) sent with: its hub's severity, or for a certificate its level. */
    public Map<String, String> labels(Alert a) {
        return a.labels(a.kind() == Alert.Kind.TLS ? a.annotations().getOrDefault("severity", "warning")
                : policies.apply(a.hub()).severity());
    }

    /**
     * Certificates that expire soon, one alert per (hub, endpoint): a warning under {@code warnDays}, a
     * page under {@code criticalDays} (the warning resolves as the page fires), resolved once renewed.
     */
    private void tls(RunResult r, Instant now) {
        TlsThresholds t = tls;
        TlsExpiry.of(r).forEach((endpoint, notAfter) -> {
            double days = Duration.between(now, notAfter).toMillis() / 86_400_000.0;
            String level = days < t.criticalDays() ? "page" : days < t.warnDays() ? "warning" : null;
            String key = Alert.tlsKey(r.hub(), endpoint);
            Alert a = store.get(key).orElse(Alert.fresh(key, Alert.Kind.TLS, r.hub(), "", endpoint));
            String current = a.firing() ? a.annotations().getOrDefault("severity", "warning") : null;
            if (java.util.Objects.equals(level, current)) {
                return;
            }
            if (a.firing()) {
                a = a.resolve(now);
                store.save(a);
                dispatcher.dispatch(new AlertEvent(AlertEvent.Type.RESOLVED, a, labels(a)));
            }
            if (level != null) {
                Map<String, String> notes = new LinkedHashMap<>();
                String what = endpoint.equals(TlsExpiry.HUB) ? "the certificate of hub " + r.hub()
                        : "the certificate of " + endpoint + " (listed for hub " + r.hub() + ")";
                notes.put("summary", days <= 0 ? what + " has expired" : String.format(Locale.ROOT, "%s expires in %.1f days", what, days));
                notes.put("description", what + " is valid until " + notAfter + "; renew it before then");
                notes.put("not_after", notAfter.toString());
                notes.put("days_left", String.format(Locale.ROOT, "%.1f", days));
                notes.put("severity", level);
                notes.put("runbook_url", "https://github.com/hubprobe/hubprobe/blob/main/README.md#certificates");
                a = a.withCounts(0, 0).fire(now, notes);
                store.save(a);
                dispatcher.dispatch(new AlertEvent(AlertEvent.Type.FIRING, a, labels(a)));
            }
        });
    }

    /** The baselines the engine judges a pair by: what the API serves for {@code check --baseline-from}. */
    public Baselines baselines() {
        return baselines;
    }

    /**
     * Ends what pairs no longer configured left open: their firing alerts resolve (receivers are told,
     * and nothing is re-sent for ever) and their regression gauges go.
     */
    public void retainOnly(Set<ProbeKey> configured) {
        Instant now = clock.instant();
        Set<String> hubs = configured.stream().map(ProbeKey::hub).collect(java.util.stream.Collectors.toSet());
        for (Alert a : store.firing()) {
            ProbeKey key = a.probeKey();
            if (a.kind() == Alert.Kind.TLS ? hubs.contains(a.hub()) : configured.contains(key)) {
                continue;
            }
            synchronized (locks.computeIfAbsent(key, k -> new Object())) {
                Map<String, String> notes = new LinkedHashMap<>(a.annotations());
                notes.put("resolved_because", "the probe is no longer configured");
                Alert resolved = a.update(notes).resolve(now);
                store.save(resolved);
                dispatcher.dispatch(new AlertEvent(AlertEvent.Type.RESOLVED, resolved, labels(resolved)));
            }
        }
        for (Map<PhaseKey, Tracked> gauges : List.of(baselineGauges, active)) {
            gauges.entrySet().removeIf(e -> {
                boolean gone = !configured.contains(e.getKey().pair());
                if (gone) {
                    registry.remove(e.getValue().meter());
                }
                return gone;
            });
        }
        locks.keySet().removeIf(k -> !configured.contains(k));
    }

    private void failure(ProbeKey probeKey, RunResult r, AlertPolicy policy, Instant now) {
        String key = Alert.failureKey(probeKey);
        Alert a = store.get(key).orElse(Alert.fresh(key, Alert.Kind.FAILURE, r.hub(), r.probe(), null));
        a = r.passed() ? a.withCounts(0, a.consecutivePass() + 1) : a.withCounts(a.consecutiveFail() + 1, 0);
        if (!r.passed()) {
            Map<String, String> notes = failureNotes(r);
            if (!a.firing() && a.consecutiveFail() >= policy.fireAfter()) {
                a = a.fire(now, notes);
                store.save(a);
                dispatcher.dispatch(new AlertEvent(AlertEvent.Type.FIRING, a, a.labels(policy.severity())));
                return;
            }
            if (a.firing()) {
                a = a.update(notes);
                if (a.lastNotifiedAt() != null && Duration.between(a.lastNotifiedAt(), now).compareTo(policy.reminder()) >= 0) {
                    a = a.notified(now);
                    dispatcher.dispatch(new AlertEvent(AlertEvent.Type.REMINDER, a, a.labels(policy.severity())));
                }
            }
        } else if (a.firing() && a.consecutivePass() >= policy.resolveAfter()) {
            a = a.resolve(now);
            store.save(a);
            dispatcher.dispatch(new AlertEvent(AlertEvent.Type.RESOLVED, a, a.labels(policy.severity())));
            return;
        }
        store.save(a);
    }

    private Map<String, String> failureNotes(RunResult r) {
        Map<String, String> n = new LinkedHashMap<>();
        n.put("summary", "probe " + r.probe() + " is failing on hub " + r.hub());
        n.put("description", "phase " + r.failedPhase().label() + " failed (" + r.reason().label() + "): "
                + Json.abbreviate(r.message(), 500));
        n.put("phase", r.failedPhase().label());
        n.put("reason", r.reason().label());
        n.put("message", Json.abbreviate(r.message(), 1000));
        n.put("runbook_url", "https://github.com/hubprobe/hubprobe/blob/main/README.md#phases-and-failure-reasons");
        if (externalUrl != null) {
            n.put("run_url", externalUrl + "/api/v1/runs/" + r.runId());
        }
        // incident 1: say what changed in the user image since it last worked, so nobody has to find out
        Environment.SinceLastPass since = r.environment() == null ? null : r.environment().sinceLastPass();
        if (since != null) {
            String line = since.line(EnvironmentDiff.SUMMARY_ENTRIES);
            n.put("description", n.get("description") + "\n" + line);
            n.put("environment_change", line);
            String diff = "/api/v1/hubs/" + r.hub() + "/environments/diff?from=" + since.fingerprint() + "&to="
                    + r.environment().fingerprint();
            n.put("environment_diff_url", externalUrl == null ? diff : externalUrl + diff);
        }
        return n;
    }

    private void regression(ProbeKey probeKey, RunResult r, String phase, Baselines.Phase b, AlertPolicy p, Instant now) {
        double current = b.current();
        double baseline = b.baseline();
        baselineGauge(probeKey, phase).set(baseline);
        String key = Alert.regressionKey(probeKey, phase);
        Alert a = store.get(key).orElse(Alert.fresh(key, Alert.Kind.REGRESSION, r.hub(), r.probe(), phase));
        boolean regressed = p.regressed(current, baseline);
        Map<String, String> notes = new LinkedHashMap<>();
        notes.put("summary", String.format(Locale.ROOT, "%s of probe %s on hub %s is %.1fx slower than usual", phase, r.probe(),
                r.hub(), baseline > 0 ? current / baseline : Double.POSITIVE_INFINITY));
        notes.put("description", String.format(Locale.ROOT, "median of the last %d runs %.3f s against a baseline of %.3f s (%d runs)",
                p.recent(), current, baseline, b.samples()));
        notes.put("baseline_seconds", String.format(Locale.ROOT, "%.3f", baseline));
        notes.put("current_seconds", String.format(Locale.ROOT, "%.3f", current));
        if (externalUrl != null) {
            notes.put("run_url", externalUrl + "/api/v1/runs/" + r.runId());
        }
        if (!a.firing() && regressed) {
            a = a.fire(now, notes);
            store.save(a);
            regressionGauge(probeKey, phase).set(1);
            dispatcher.dispatch(new AlertEvent(AlertEvent.Type.FIRING, a, a.labels(p.severity())));
        } else if (a.firing() && current < p.resolveFactor() * baseline) {
            a = a.update(notes).resolve(now);
            store.save(a);
            regressionGauge(probeKey, phase).set(0);
            dispatcher.dispatch(new AlertEvent(AlertEvent.Type.RESOLVED, a, a.labels(p.severity())));
        } else if (a.firing()) {
            store.save(a.update(notes));
        } else {
            regressionGauge(probeKey, phase);
        }
    }

    /** Firing alerts again, for receivers that expire what they stop hearing about (Alertmanager). */
    private void resendFiring() {
        try {
            for (Alert a : store.firing()) {
                dispatcher.dispatch(new AlertEvent(AlertEvent.Type.REMINDER, a, labels(a)), true);
            }
        } catch (RuntimeException e) {
            // the next round tries again
        }
    }

    private GaugeValue baselineGauge(ProbeKey key, String phase) {
        return gauge(baselineGauges, "hubprobe.phase.baseline.seconds", key, phase,
                "the phase's usual duration: median of passing runs over the baseline window");
    }

    private GaugeValue regressionGauge(ProbeKey key, String phase) {
        return gauge(active, "hubprobe.regression.active", key, phase, "1 while the phase is slower than its baseline");
    }

    private GaugeValue gauge(Map<PhaseKey, Tracked> map, String name, ProbeKey key, String phase, String description) {
        return map.computeIfAbsent(new PhaseKey(key, phase), k -> {
            GaugeValue v = new GaugeValue();
            Gauge g = Gauge.builder(name, v, GaugeValue::get).tags("hub", key.hub(), "probe", key.probe(), "phase", phase)
                    .description(description).register(registry);
            return new Tracked(v, g);
        }).value();
    }

    public List<Alert> firing() {
        return store.firing();
    }

    public AlertStore store() {
        return store;
    }

    @Override
    public void close() {
        resender.shutdownNow();
        dispatcher.close();
    }
}
