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
 * maintenance window or a silence nothing new fires and nothing is re-sent, while an alert already
 * open resolves as usual once runs pass. A run cut short by a stop ({@code aborted}) counts for nothing.
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
        if (r.aborted()) {
            return; // cut short by a stop of the prober: not a failure, not a pass (two rolling restarts paged)
        }
        ProbeKey key = ProbeKey.of(r);
        Set<ProbeKey> now = configured;
        if (now != null && !now.contains(key)) {
            return; // removed by a reload while it ran: recorded in the history, and nothing else
        }
        AlertPolicy policy = policies.apply(r.hub());
        // what the history says is read before any lock: a decision holds one connection, its lock's
        Judged judged = policy.regression() && r.passed() ? judge(key, policy) : Judged.NONE;
        // the pair's decisions one at a time: in this process, and (with replicas) across all of them
        synchronized (locks.computeIfAbsent(key, k -> new Object())) {
            try (AlertStore.Lock held = store.lock(key.toString())) {
                // again under the lock: a reload's retainOnly may have resolved the pair's alert since the
                // check above, and deciding now would fire it again for a pair no longer configured
                Set<ProbeKey> current = configured;
                if (current != null && !current.contains(key)) {
                    return;
                }
                decide(key, r, policy, judged);
            }
        }
    }

    /** The regression inputs of a passing run: each phase's baseline, and when each firing alert's phase last had a sample. */
    private record Judged(Map<String, Baselines.Phase> phases, Map<String, Instant> lastSample) {
        static final Judged NONE = new Judged(Map.of(), Map.of());
    }

    private Judged judge(ProbeKey key, AlertPolicy policy) {
        Map<String, Baselines.Phase> phases = baselines.withoutWaiting(key, policy);
        Map<String, Instant> last = new LinkedHashMap<>();
        for (Alert a : store.firing()) {
            if (a.kind() == Alert.Kind.REGRESSION && a.probeKey().equals(key) && !phases.containsKey(a.phase())) {
                // a phase only some runs have (spawn_scale_up, build_*) that this run did not judge
                try {
                    last.put(a.phase(), baselines.lastSample(key, a.phase(), policy.window()).orElse(Instant.EPOCH));
                } catch (dev.hubprobe.history.HistoryStore.Busy busy) {
                    // not known this run: the alert is neither kept for nor resolved on a guess
                }
            }
        }
        return new Judged(phases, last);
    }

    /** Whether the hub is in a maintenance window or silenced: nothing new fires, nothing is re-sent. */
    private boolean quiet(String hub, AlertPolicy policy, Instant now) {
        return policy.inMaintenance(now) || store.silencedUntil(hub).map(now::isBefore).orElse(false);
    }

    private void decide(ProbeKey key, RunResult r, AlertPolicy policy, Judged judged) {
        Instant now = clock.instant();
        boolean quiet = quiet(r.hub(), policy, now);
        retainApps(key, r);
        failure(key, r, policy, now, quiet);
        synchronized (locks.computeIfAbsent(new ProbeKey(r.hub(), "~tls"), k -> new Object())) {
            try (AlertStore.Lock held = store.lock("tls/" + r.hub())) {
                tls(r, policy, now, quiet);
            }
        }
        if (policy.regression() && r.passed()) {
            List<PhaseResult> measured = new ArrayList<>(r.phases());
            measured.addAll(r.spawnPhases());
            for (PhaseResult p : measured) {
                Baselines.Phase b = judged.phases().get(p.label());
                if (p.status() == PhaseResult.Status.PASSED && b != null) {
                    regression(key, r, p.label(), b, policy, now, quiet);
                }
            }
            judged.lastSample().forEach((phase, last) -> {
                if (last.isBefore(now.minus(policy.window()))) {
                    noSampleFor(key, phase, policy, now);
                }
            });
        }
    }

    /** Each pair's app phase labels ({@code app_<name>}) as its last run had them. */
    private final Map<ProbeKey, java.util.Set<String>> appLabels = new ConcurrentHashMap<>();

    /**
     * An app renamed or dropped from the probe file (its run has a phase, of any status, for each app it
     * has now): the old name's baseline gauge goes, and its regression gauge unless its alert still fires
     * (that one goes when the alert resolves, for want of samples). Else both stayed on /metrics, frozen.
     */
    private void retainApps(ProbeKey key, RunResult r) {
        java.util.Set<String> now = r.phases().stream().filter(p -> p.phase() == dev.hubprobe.probe.Phase.APP)
                .map(PhaseResult::label).collect(java.util.stream.Collectors.toUnmodifiableSet());
        java.util.Set<String> before = appLabels.put(key, now);
        if (before == null || before.equals(now)) {
            return;
        }
        for (Map<PhaseKey, Tracked> gauges : List.of(baselineGauges, active)) {
            gauges.entrySet().removeIf(e -> {
                String phase = e.getKey().phase();
                boolean gone = e.getKey().pair().equals(key) && phase.startsWith(dev.hubprobe.probe.Phase.APP_PREFIX)
                        && !now.contains(phase) && (gauges == baselineGauges || !firing(Alert.regressionKey(key, phase)));
                if (gone) {
                    registry.remove(e.getValue().meter());
                }
                return gone;
            });
        }
    }

    private boolean firing(String alertKey) {
        return store.get(alertKey).map(Alert::firing).orElse(false);
    }

    /** A regression of a phase that has had no sample for the whole window resolves: nothing is left to judge it on. */
    private void noSampleFor(ProbeKey probeKey, String phase, AlertPolicy p, Instant now) {
        Alert a = store.get(Alert.regressionKey(probeKey, phase)).orElse(null);
        if (a == null || !a.firing()) {
            return;
        }
        Map<String, String> notes = new LinkedHashMap<>(a.annotations());
        notes.put("resolved_because", "no run had phase " + phase + " for " + dev.hubprobe.config.Durations.format(p.window()));
        a = a.update(notes).resolve(now);
        store.save(a);
        regressionGauge(probeKey, phase).set(0);
        java.util.Set<String> apps = appLabels.get(probeKey);
        if (phase.startsWith(dev.hubprobe.probe.Phase.APP_PREFIX) && apps != null && !apps.contains(phase)) {
            // an app the probe no longer has: its gauge goes with its alert
            Tracked t = active.remove(new PhaseKey(probeKey, phase));
            if (t != null) {
                registry.remove(t.meter());
            }
        }
        dispatcher.dispatch(new AlertEvent(AlertEvent.Type.RESOLVED, a, a.labels(p.severity())));
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
     * page under {@code criticalDays} (the warning resolves as the page fires), resolved once
     * {@code resolve_after} runs in a row saw the renewed certificate: behind a load balancer where one
     * backend still serves the old one, a single run that saw the new one resolved and the next fired
     * again (a new PagerDuty incident every cycle).
     */
    private void tls(RunResult r, AlertPolicy policy, Instant now, boolean quiet) {
        TlsThresholds t = tls;
        TlsExpiry.of(r).forEach((endpoint, notAfter) -> {
            double days = Duration.between(now, notAfter).toMillis() / 86_400_000.0;
            String level = days < t.criticalDays() ? "page" : days < t.warnDays() ? "warning" : null;
            String key = Alert.tlsKey(r.hub(), endpoint);
            Alert a = store.get(key).orElse(Alert.fresh(key, Alert.Kind.TLS, r.hub(), "", endpoint));
            String current = a.firing() ? a.annotations().getOrDefault("severity", "warning") : null;
            if (java.util.Objects.equals(level, current)) {
                if (a.firing() && a.consecutivePass() > 0) {
                    store.save(a.withCounts(0, 0)); // the old certificate again: the renewal's count starts over
                }
                return;
            }
            if (rank(level) < rank(current)) {
                // renewed (or no longer critical): only once enough runs in a row saw it
                int seen = a.consecutivePass() + 1;
                if (seen < policy.resolveAfter()) {
                    store.save(a.withCounts(0, seen));
                    return;
                }
            } else if (quiet) {
                return; // worse: a new alert or a page, and nothing new fires in maintenance
            }
            if (a.firing()) {
                a = a.resolve(now);
                store.save(a);
                dispatcher.dispatch(new AlertEvent(AlertEvent.Type.RESOLVED, a, labels(a)));
            }
            if (level != null && !quiet) {
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

    private static int rank(String level) {
        return level == null ? 0 : level.equals("warning") ? 1 : 2;
    }

    /** The baselines the engine judges a pair by: what the API serves for {@code check --baseline-from}. */
    public Baselines baselines() {
        return baselines;
    }

    /**
     * Ends what pairs no longer configured left open: their firing alerts resolve (receivers are told,
     * and nothing is re-sent for ever) and their regression gauges go. Results of other pairs that still
     * arrive (a run that was in flight) are ignored from now on.
     */
    public void retainOnly(Set<ProbeKey> configured) {
        retainOnly(configured, null);
    }

    /**
     * As {@link #retainOnly(Set)}, and certificate alerts of endpoints no longer listed in a hub's
     * {@code tls_endpoints} resolve too.
     *
     * @param endpoints each configured hub's listed endpoint names; null to keep every endpoint's alert
     */
    public void retainOnly(Set<ProbeKey> configured, Map<String, Set<String>> endpoints) {
        this.configured = Set.copyOf(configured);
        Instant now = clock.instant();
        Set<String> hubs = configured.stream().map(ProbeKey::hub).collect(java.util.stream.Collectors.toSet());
        for (Alert a : store.firing()) {
            boolean tlsAlert = a.kind() == Alert.Kind.TLS;
            boolean kept = tlsAlert ? hubs.contains(a.hub()) && (endpoints == null || TlsExpiry.HUB.equals(a.phase())
                    || endpoints.getOrDefault(a.hub(), Set.of()).contains(a.phase())) : configured.contains(a.probeKey());
            if (kept) {
                continue;
            }
            ProbeKey lock = tlsAlert ? new ProbeKey(a.hub(), "~tls") : a.probeKey();
            synchronized (locks.computeIfAbsent(lock, k -> new Object())) {
                try (AlertStore.Lock held = store.lock(tlsAlert ? "tls/" + a.hub() : lock.toString())) {
                    Alert current = store.get(a.key()).orElse(null);
                    if (current == null || !current.firing()) {
                        continue;
                    }
                    Map<String, String> notes = new LinkedHashMap<>(current.annotations());
                    notes.put("resolved_because", tlsAlert && hubs.contains(a.hub()) ? "the endpoint is no longer listed in tls_endpoints"
                            : "the probe is no longer configured");
                    // counts from zero: a pair configured again later fires after fire_after new failures, not one
                    Alert resolved = current.update(notes).resolve(now).withCounts(0, 0);
                    store.save(resolved);
                    dispatcher.dispatch(new AlertEvent(AlertEvent.Type.RESOLVED, resolved, labels(resolved)));
                }
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
        locks.keySet().removeIf(k -> !configured.contains(k) && !(k.probe().equals("~tls") && hubs.contains(k.hub())));
        appLabels.keySet().removeIf(k -> !configured.contains(k));
    }

    /** The pairs configured now; null until the first {@link #retainOnly} (every pair counts). */
    private volatile Set<ProbeKey> configured;

    private void failure(ProbeKey probeKey, RunResult r, AlertPolicy policy, Instant now, boolean quiet) {
        String key = Alert.failureKey(probeKey);
        Alert a = store.get(key).orElse(Alert.fresh(key, Alert.Kind.FAILURE, r.hub(), r.probe(), null));
        if (!r.passed() && quiet && !a.firing()) {
            // nothing new fires in maintenance, and counting starts again after it
            if (a.consecutiveFail() != 0 || a.consecutivePass() != 0) {
                store.save(a.withCounts(0, 0));
            }
            return;
        }
        if (r.passed() && !a.firing() && a.consecutiveFail() == 0 && a.consecutivePass() > 0) {
            // healthy and already recorded as healthy: the pass count only matters while an alert fires
            // (resolve_after), so a healthy pair's runs write nothing here
            return;
        }
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
                if (!quiet && a.lastNotifiedAt() != null && Duration.between(a.lastNotifiedAt(), now).compareTo(policy.reminder()) >= 0) {
                    a = a.notified(now);
                    dispatcher.dispatch(new AlertEvent(AlertEvent.Type.REMINDER, a, a.labels(policy.severity())));
                }
            }
        } else if (a.firing() && a.consecutivePass() >= policy.resolveAfter()) {
            // resolves in maintenance too: the outage is over, and receivers must hear it
            a = a.resolve(now);
            store.save(a);
            dispatcher.dispatch(new AlertEvent(AlertEvent.Type.RESOLVED, a, a.labels(policy.severity())));
            return;
        }
        store.save(a);
    }

    private Map<String, String> failureNotes(RunResult r) {
        Map<String, String> n = new LinkedHashMap<>();
        // the headline a pager shows: an app's failure (the kernel path before it passed) is not the hub's
        n.put("summary", r.failedApp() != null
                ? "app " + r.failedApp() + " of probe " + r.probe() + " is failing on hub " + r.hub()
                        + " (its server started and ran the cells)"
                : "probe " + r.probe() + " is failing on hub " + r.hub());
        n.put("description", "phase " + r.failedPhaseLabel() + " failed (" + r.reason().label() + "): "
                + Json.abbreviate(r.message(), 500));
        n.put("phase", r.failedPhaseLabel());
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

    private void regression(ProbeKey probeKey, RunResult r, String phase, Baselines.Phase b, AlertPolicy p, Instant now, boolean quiet) {
        double current = b.current();
        double baseline = b.baseline();
        baselineGauge(probeKey, phase).set(baseline);
        String key = Alert.regressionKey(probeKey, phase);
        Alert a = store.get(key).orElse(Alert.fresh(key, Alert.Kind.REGRESSION, r.hub(), r.probe(), phase));
        boolean regressed = p.regressed(current, baseline);
        if (!a.firing() && (!regressed || quiet)) {
            regressionGauge(probeKey, phase); // the common case, a phase as fast as usual: nothing to say or save
            return;
        }
        Map<String, String> notes = regressionNotes(r, phase, b, p);
        if (!a.firing()) { // regressed, and not quiet: the return above took every other case
            a = a.fire(now, notes);
            store.save(a);
            regressionGauge(probeKey, phase).set(1);
            dispatcher.dispatch(new AlertEvent(AlertEvent.Type.FIRING, a, a.labels(p.severity())));
        } else if (a.firing() && current < p.resolveFactor() * baseline) {
            a = a.update(notes).resolve(now);
            store.save(a);
            regressionGauge(probeKey, phase).set(0);
            dispatcher.dispatch(new AlertEvent(AlertEvent.Type.RESOLVED, a, a.labels(p.severity())));
        } else {
            store.save(a.update(notes));
        }
    }

    /** What a regression alert says: formatted only when the alert fires, stays firing or resolves. */
    private Map<String, String> regressionNotes(RunResult r, String phase, Baselines.Phase b, AlertPolicy p) {
        double current = b.current();
        double baseline = b.baseline();
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
        return notes;
    }

    /**
     * Firing alerts again, for receivers that expire what they stop hearing about (Alertmanager). Each
     * reminder is decided and queued under its alert's lock, from the alert as it is then: from a
     * snapshot, a resolve queued meanwhile went out first and the reminder after it fired the alert
     * again. Nothing is re-sent for a hub in maintenance or silenced.
     */
    void resendFiring() {
        try {
            Instant now = clock.instant();
            for (Alert snapshot : store.firing()) {
                boolean tlsAlert = snapshot.kind() == Alert.Kind.TLS;
                ProbeKey lock = tlsAlert ? new ProbeKey(snapshot.hub(), "~tls") : snapshot.probeKey();
                synchronized (locks.computeIfAbsent(lock, k -> new Object())) {
                    try (AlertStore.Lock held = store.lock(tlsAlert ? "tls/" + snapshot.hub() : lock.toString())) {
                        Alert a = store.get(snapshot.key()).orElse(null);
                        if (a != null && a.firing() && !quiet(a.hub(), policies.apply(a.hub()), now)) {
                            dispatcher.dispatch(new AlertEvent(AlertEvent.Type.REMINDER, a, labels(a)), true);
                        }
                    }
                }
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
            Gauge g = Gauge.builder(name, v, GaugeValue::get).tags("hub", key.hub(), "probe", ProbeKey.probeOf(key.probe()), "profile", key.profile(), "phase", phase)
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
