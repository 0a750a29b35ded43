package dev.hubprobe.alerting;

import dev.hubprobe.alerting.notify.Dispatcher;
import dev.hubprobe.history.HistoryStore;
import dev.hubprobe.jupyter.JupyterHttp;
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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.DoubleAdder;
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
    private final HistoryStore history;
    private final Function<String, AlertPolicy> policies;
    private final MeterRegistry registry;
    private final Clock clock;
    private final String externalUrl;
    private final Duration resend;
    private final Map<String, DoubleAdder> baselines = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> active = new ConcurrentHashMap<>();
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
        this.store = store;
        this.dispatcher = dispatcher;
        this.history = history;
        this.policies = policies;
        this.registry = registry;
        this.clock = clock;
        this.externalUrl = externalUrl;
        this.resend = resend;
        // regression gauges of alerts already firing survive a restart
        for (Alert a : store.firing()) {
            if (a.kind() == Alert.Kind.REGRESSION) {
                gauge(active, "hubprobe.regression.active", a.hub(), a.probe(), a.phase()).set(1);
            }
        }
        resender.scheduleWithFixedDelay(this::resendFiring, resend.toMillis(), resend.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public synchronized void accept(RunResult r) {
        AlertPolicy policy = policies.apply(r.hub());
        Instant now = clock.instant();
        if (policy.inMaintenance(now) || store.silencedUntil(r.hub()).map(now::isBefore).orElse(false)) {
            return;
        }
        failure(r, policy, now);
        if (policy.regression() && r.passed()) {
            List<PhaseResult> phases = new ArrayList<>(r.phases());
            phases.addAll(r.spawnPhases());
            for (PhaseResult p : phases) {
                if (p.status() == PhaseResult.Status.PASSED) {
                    regression(r, p.phase().label(), policy, now);
                }
            }
        }
    }

    private void failure(RunResult r, AlertPolicy policy, Instant now) {
        String key = Alert.failureKey(r.hub(), r.probe());
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
                + JupyterHttp.abbreviate(r.message(), 500));
        n.put("phase", r.failedPhase().label());
        n.put("reason", r.reason().label());
        n.put("message", JupyterHttp.abbreviate(r.message(), 1000));
        n.put("runbook_url", "https://github.com/hubprobe/hubprobe/blob/main/README.md#phases-and-failure-reasons");
        if (externalUrl != null) {
            n.put("run_url", externalUrl + "/api/v1/runs/" + r.runId());
        }
        return n;
    }

    private void regression(RunResult r, String phase, AlertPolicy p, Instant now) {
        List<Double> d = history.phaseDurations(r.hub(), r.probe(), phase, now.minus(p.window()), 2000);
        if (d.size() < p.recent() + p.minSamples()) {
            return;
        }
        double current = median(d.subList(0, p.recent()));
        double baseline = median(d.subList(p.recent(), d.size()));
        DoubleAdder g = baselineGauge(r.hub(), r.probe(), phase);
        g.reset();
        g.add(baseline);
        String key = Alert.regressionKey(r.hub(), r.probe(), phase);
        Alert a = store.get(key).orElse(Alert.fresh(key, Alert.Kind.REGRESSION, r.hub(), r.probe(), phase));
        boolean regressed = p.regressed(current, baseline);
        Map<String, String> notes = new LinkedHashMap<>();
        notes.put("summary", String.format(Locale.ROOT, "%s of probe %s on hub %s is %.1fx slower than usual", phase, r.probe(),
                r.hub(), baseline > 0 ? current / baseline : Double.POSITIVE_INFINITY));
        notes.put("description", String.format(Locale.ROOT, "median of the last %d runs %.3f s against a baseline of %.3f s (%d runs)",
                p.recent(), current, baseline, d.size() - p.recent()));
        notes.put("baseline_seconds", String.format(Locale.ROOT, "%.3f", baseline));
        notes.put("current_seconds", String.format(Locale.ROOT, "%.3f", current));
        if (externalUrl != null) {
            notes.put("run_url", externalUrl + "/api/v1/runs/" + r.runId());
        }
        if (!a.firing() && regressed) {
            a = a.fire(now, notes);
            store.save(a);
            gauge(active, "hubprobe.regression.active", r.hub(), r.probe(), phase).set(1);
            dispatcher.dispatch(new AlertEvent(AlertEvent.Type.FIRING, a, a.labels(p.severity())));
        } else if (a.firing() && current < p.resolveFactor() * baseline) {
            a = a.update(notes).resolve(now);
            store.save(a);
            gauge(active, "hubprobe.regression.active", r.hub(), r.probe(), phase).set(0);
            dispatcher.dispatch(new AlertEvent(AlertEvent.Type.RESOLVED, a, a.labels(p.severity())));
        } else if (a.firing()) {
            store.save(a.update(notes));
        } else {
            gauge(active, "hubprobe.regression.active", r.hub(), r.probe(), phase);
        }
    }

    /** Firing alerts again, for receivers that expire what they stop hearing about (Alertmanager). */
    private void resendFiring() {
        try {
            for (Alert a : store.firing()) {
                dispatcher.dispatch(new AlertEvent(AlertEvent.Type.REMINDER, a,
                        a.labels(policies.apply(a.hub()).severity())), true);
            }
        } catch (RuntimeException e) {
            // the next round tries again
        }
    }

    private DoubleAdder baselineGauge(String hub, String probe, String phase) {
        return baselines.computeIfAbsent(hub + "/" + probe + "/" + phase, k -> {
            DoubleAdder v = new DoubleAdder();
            Gauge.builder("hubprobe.phase.baseline.seconds", v, DoubleAdder::sum).tags("hub", hub, "probe", probe, "phase", phase)
                    .description("the phase's usual duration: median of passing runs over the baseline window").register(registry);
            return v;
        });
    }

    private AtomicLong gauge(Map<String, AtomicLong> map, String name, String hub, String probe, String phase) {
        return map.computeIfAbsent(hub + "/" + probe + "/" + phase, k -> {
            AtomicLong v = new AtomicLong();
            Gauge.builder(name, v, AtomicLong::get).tags("hub", hub, "probe", probe, "phase", phase)
                    .description("1 while the phase is slower than its baseline").register(registry);
            return v;
        });
    }

    public static double median(List<Double> values) {
        double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
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
