package dev.hubprobe.metrics;

import dev.hubprobe.probe.Phase;
import dev.hubprobe.probe.PhaseResult;
import dev.hubprobe.probe.ProbeKey;
import dev.hubprobe.probe.RunResult;
import dev.hubprobe.probe.RunSink;
import dev.hubprobe.probe.Measurement;
import io.micrometer.core.instrument.Counter;
import dev.hubprobe.jupyter.hub.HubReleases;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Run results as Prometheus metrics, all prefixed {@code hubprobe_}, in seconds, with bounded labels
 * only (hub, probe, phase, result, reason; never a user, token or URL). The per-probe series of every
 * configured (hub, probe) exist from start-up, so alert rules see a 0 rather than nothing.
 */
public final class ProbeMetrics implements RunSink, AutoCloseable {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Map<ProbeKey, GaugeValue> success = new ConcurrentHashMap<>();
    private final Map<ProbeKey, GaugeValue> lastRun = new ConcurrentHashMap<>();
    private final Map<ProbeKey, GaugeValue> lastSuccess = new ConcurrentHashMap<>();
    private final Map<ProbeKey, GaugeValue> intervals = new ConcurrentHashMap<>();
    private final Map<String, GaugeValue> tlsExpiry = new ConcurrentHashMap<>();
    private final Map<String, Meter> hubInfo = new ConcurrentHashMap<>();
    /** The one info series of each (hub, probe): the fingerprint of the environment its last capture saw. */
    private final Map<ProbeKey, Meter> environmentInfo = new ConcurrentHashMap<>();
    /** The phase and scale-up histograms, outside Micrometer: most of a large scrape, rendered cheaply (see there). */
    private final PhaseHistograms histograms = new PhaseHistograms();
    private final MeasurementHistograms measurementHistograms = new MeasurementHistograms();
    /** The last value of each (hub, probe, measurement name), at most {@link Measurement#MAX_PER_PROBE} names a pair. */
    private final Map<ProbeKey, Map<String, GaugeValue>> measurements = new ConcurrentHashMap<>();
    private final GaugeValue reloadOk = new GaugeValue();
    private final GaugeValue reloadTime = new GaugeValue();
    private final ScrapeCache scrapes;

    public ProbeMetrics(String version) {
        this(version, Duration.ofSeconds(10));
    }

    /** @param scrapeRefresh how old a served exposition may be (see {@link ScrapeCache}); zero renders every scrape */
    public ProbeMetrics(String version, Duration scrapeRefresh) {
        this.scrapes = scrapeRefresh.isZero() ? null : new ScrapeCache(this::renderNow, scrapeRefresh);
        // two of Micrometer's processor meters break Prometheus naming rules (promtool lints them):
        // process_cpu_time_ns_total (abbreviated unit) and system_cpu_count (a gauge named _count)
        registry.config().meterFilter(MeterFilter.deny(id -> id.getName().equals("process.cpu.time")
                || id.getName().equals("system.cpu.count")));
        registry.getPrometheusRegistry().register(histograms);
        registry.getPrometheusRegistry().register(measurementHistograms);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        Gauge.builder("hubprobe.build.info", () -> 1).description("hubprobe build; value is always 1")
                .tags("version", version, "java_version", System.getProperty("java.version")).register(registry);
        reloadOk.set(1);
        Gauge.builder("hubprobe.config.last.reload.successful", reloadOk, GaugeValue::get)
                .description("1 if the last configuration (re)load succeeded").register(registry);
        Gauge.builder("hubprobe.config.last.reload.success.timestamp.seconds", reloadTime, GaugeValue::get)
                .description("when the configuration was last loaded successfully").register(registry);
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** Creates the series of a configured (hub, probe) before its first run, with its interval (for staleness rules). */
    public void register(ProbeKey key, Duration interval) {
        synchronized (removed) {
            removed.remove(key);
        }
        register(key);
        intervals.computeIfAbsent(key, k -> gauge("hubprobe.probe.interval.seconds", tags(k), "how often the probe is scheduled to run"))
                .set(interval.toMillis() / 1000.0);
    }

    /** Creates the series of a configured (hub, probe) before its first run. */
    public void register(ProbeKey key) {
        Tags tags = tags(key);
        success.computeIfAbsent(key, k -> gauge("hubprobe.probe.success", tags, "1 if the last run passed, 0 if it failed or has not run yet"));
        lastRun.computeIfAbsent(key, k -> gauge("hubprobe.last.run.timestamp.seconds", tags, "when the last run started"));
        lastSuccess.computeIfAbsent(key, k -> gauge("hubprobe.last.success.timestamp.seconds", tags, "when the last passing run started"));
        for (String result : new String[] {"success", "failure"}) {
            runs(key, result);
        }
        probeTimer(key);
        environmentChanges(key);
        // phase histograms appear with the first run: 13 phases x 19 buckets for every pair up front
        // would make a 1,000-hub scrape several times larger for series that are all zero
    }

    /**
     * Removes every series of a (hub, probe) that is no longer configured, so nothing reports on it (and
     * no staleness rule fires for it) for ever.
     */
    public void unregister(ProbeKey key) {
        synchronized (removed) {
            removed.add(key);
            unregisterNow(key);
        }
    }

    /**
     * Pairs a reload removed, until configured again ({@link #register(ProbeKey, Duration)}): a run of one
     * that ends after its removal must not put its series back on /metrics. Guarded by itself, which
     * {@link #accept} holds too, so a result is either in before the removal (and removed with it) or ignored.
     */
    private final java.util.Set<ProbeKey> removed = new java.util.HashSet<>();

    /** Each pair's app phase labels ({@code app_<name>}) as its last run had them. */
    private final Map<ProbeKey, java.util.Set<String>> appLabels = new java.util.HashMap<>();

    /**
     * A run has a phase (passed, failed or skipped) for each of its probe's apps: when that set changed (an
     * app renamed or dropped between runs), the old apps' histograms and failure counts go, instead of
     * staying on /metrics frozen for ever beside the new name's. Only on a change: no scan per run.
     */
    private void retainApps(ProbeKey key, RunResult r) {
        java.util.Set<String> now = r.phases().stream().filter(p -> p.phase() == Phase.APP).map(PhaseResult::label)
                .collect(java.util.stream.Collectors.toUnmodifiableSet());
        java.util.Set<String> before = appLabels.put(key, now);
        if (before == null || before.equals(now)) {
            return;
        }
        histograms.retainApps(key.hub(), key.probe(), now);
        removeMeters(id -> id.getName().equals("hubprobe.failures") && ofSeries(id, key) && id.getTag("phase") != null
                && id.getTag("phase").startsWith(Phase.APP_PREFIX) && !now.contains(id.getTag("phase")));
    }

    private void unregisterNow(ProbeKey key) {
        appLabels.remove(key);
        success.remove(key);
        lastRun.remove(key);
        lastSuccess.remove(key);
        intervals.remove(key);
        environmentInfo.remove(key);
        measurements.remove(key);
        measurementHistograms.remove(key.hub(), key.probe());
        histograms.remove(key.hub(), key.probe());
        removeMeters(id -> ofSeries(id, key));
    }

    /** Removes the series of a hub no longer configured at all (its certificate's expiry). */
    public void unregisterHub(String hub) {
        tlsExpiry.keySet().removeIf(k -> k.startsWith(hub + "/"));
        measurements.keySet().removeIf(k -> k.hub().equals(hub));
        measurementHistograms.remove(hub, null);
        hubInfo.remove(hub);
        histograms.remove(hub, null);
        removeMeters(id -> hub.equals(id.getTag("hub")));
    }

    private void removeMeters(java.util.function.Predicate<Meter.Id> which) {
        for (Meter m : List.copyOf(registry.getMeters())) {
            if (which.test(m.getId())) {
                registry.remove(m);
            }
        }
    }

    /**
     * A pair's labels: {@code probe} is the probe file's name and {@code profile} the KubeSpawner profile it
     * runs on, "" for none (Prometheus reads an empty label as no label; {@link WithoutEmptyProfile} leaves it out, so
     * a probe without a profile exposes exactly the series it always had).
     */
    /** {@code base} with a series' {@code probe} label, and its {@code profile} label when it has one (raw histograms). */
    static io.prometheus.metrics.model.snapshots.Labels labels(io.prometheus.metrics.model.snapshots.Labels base, String series) {
        io.prometheus.metrics.model.snapshots.Labels l = base.add("probe", ProbeKey.probeOf(series));
        return ProbeKey.profileOf(series).isEmpty() ? l : l.add("profile", ProbeKey.profileOf(series));
    }

    /** Whether a meter is one of the pair's: its hub, probe and profile labels (see {@link #tags}). */
    private static boolean ofSeries(Meter.Id id, ProbeKey key) {
        String profile = id.getTag("profile");
        return key.hub().equals(id.getTag("hub")) && ProbeKey.probeOf(key.probe()).equals(id.getTag("probe"))
                && key.profile().equals(profile == null ? "" : profile);
    }

    static Tags tags(ProbeKey key) {
        return Tags.of("hub", key.hub(), "probe", ProbeKey.probeOf(key.probe()), "profile", key.profile());
    }

    private GaugeValue gauge(String name, Tags tags, String description) {
        GaugeValue v = new GaugeValue();
        Gauge.builder(name, v, GaugeValue::get).tags(tags).description(description).register(registry);
        return v;
    }

    /**
     * The health of a cluster of replicas, from Quartz's own check-ins in the shared database:
     * {@code hubprobe_cluster_members} (replicas checked in lately) and {@code hubprobe_cluster_member_up}
     * (1 while this one is among them), so an alert can say "only one replica left".
     */
    public void cluster(javax.sql.DataSource db, String instanceId) {
        Gauge.builder("hubprobe.cluster.members", db, d -> members(d, null)).description("replicas that checked in to the shared "
                + "schedule lately").register(registry);
        Gauge.builder("hubprobe.cluster.member.up", db, d -> members(d, instanceId)).description("1 while this replica checks in"
                + " to the shared schedule").register(registry);
    }

    private static double members(javax.sql.DataSource db, String instanceId) {
        // Quartz counts a replica as gone once its check-in is an interval and 7.5 s overdue; twice that here
        String sql = "SELECT COUNT(*) FROM qrtz_scheduler_state WHERE sched_name = 'hubprobe'"
                + " AND last_checkin_time + 2 * checkin_interval + 7500 > ?" + (instanceId == null ? "" : " AND instance_name = ?");
        try (java.sql.Connection c = db.getConnection(); java.sql.PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setLong(1, System.currentTimeMillis());
            if (instanceId != null) {
                ps.setString(2, instanceId);
            }
            try (java.sql.ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getInt(1) : Double.NaN;
            }
        } catch (java.sql.SQLException e) {
            return Double.NaN; // the database is away: no answer rather than a wrong one
        }
    }

    public void configReloaded(boolean ok, double epochSeconds) {
        reloadOk.set(ok ? 1 : 0);
        if (ok) {
            reloadTime.set(epochSeconds);
        }
    }

    private Counter runs(ProbeKey key, String result) {
        return Counter.builder("hubprobe.runs").description("probe runs by result")
                .tags(tags(key)).tag("result", result).register(registry);
    }

    private Timer probeTimer(ProbeKey key) {
        // count, sum and max only: its buckets fed no dashboard or rule, and cost 15 series per pair
        return Timer.builder("hubprobe.probe.duration").description("duration of whole probe runs")
                .tags(tags(key)).register(registry);
    }

    private Counter environmentChanges(ProbeKey key) {
        return Counter.builder("hubprobe.environment.changes").description("runs whose user environment (image, packages)"
                + " differed from the previous run's").tags(tags(key)).register(registry);
    }

    /** Points the pair's info series at this fingerprint, removing the one before: one series per pair, ever. */
    private void environmentInfo(ProbeKey key, String fingerprint) {
        environmentInfo.compute(key, (k, old) -> {
            if (old != null && fingerprint.equals(old.getId().getTag("fingerprint"))) {
                return old;
            }
            if (old != null) {
                registry.remove(old);
            }
            return Gauge.builder("hubprobe.environment.info", () -> 1).description("the user environment the last capture saw;"
                    + " value is always 1").tags(tags(k)).tag("fingerprint", fingerprint).register(registry);
        });
    }

    /**
     * Points the hub's {@code hubprobe_hub_info} series at the version its last run saw, removing the one
     * before: one series per hub, however often it is upgraded. Every probe of a hub sees the same hub.
     */
    private void hubInfo(String hub, String version) {
        String v = HubReleases.bounded(version);
        hubInfo.compute(hub, (h, old) -> {
            if (old != null && v.equals(old.getId().getTag("version"))) {
                return old;
            }
            if (old != null) {
                registry.remove(old);
            }
            return Gauge.builder("hubprobe.hub.info", () -> 1).description("the JupyterHub version the hub's last run saw;"
                    + " value is always 1").tags("hub", h, "version", v).register(registry);
        });
    }

    @Override
    public void accept(RunResult r) {
        if (r.aborted()) {
            // cut short by a stop of the prober: no failure, no success, no sample (a deploy of hubprobe
            // dented every hub's success and counted failures it did not have)
            return;
        }
        ProbeKey key = ProbeKey.of(r);
        synchronized (removed) {
            if (removed.contains(key)) {
                return; // removed by a reload while it ran: recorded in the history, and nothing else
            }
            record(key, r);
        }
    }

    private void record(ProbeKey key, RunResult r) {
        register(key);
        if (r.facts().get("hub_version") != null) {
            hubInfo(r.hub(), r.facts().get("hub_version"));
        }
        double started = r.startedAt().toEpochMilli() / 1000.0;
        lastRun.get(key).set(started);
        success.get(key).set(r.passed() ? 1 : 0);
        if (r.passed()) {
            lastSuccess.get(key).set(started);
        }
        runs(key, r.passed() ? "success" : "failure").increment();
        probeTimer(key).record(r.duration());
        // only phases that completed measure the hub; a failed or skipped phase's time is in the run's total
        for (PhaseResult p : r.phases()) {
            if (p.status() == PhaseResult.Status.PASSED) {
                histograms.phase(r.hub(), r.probe(), p.phase(), p.label(), p.duration());
            }
        }
        for (PhaseResult p : r.spawnPhases()) {
            histograms.phase(r.hub(), r.probe(), p.phase(), p.duration());
            if (p.phase() == Phase.SPAWN_SCALE_UP) {
                histograms.scaleUp(r.hub(), r.probe(), p.duration());
            }
        }
        TlsExpiry.of(r).forEach((endpoint, notAfter) -> tlsExpiry.computeIfAbsent(r.hub() + "/" + endpoint,
                        k -> gauge("hubprobe.tls.cert.expiry.timestamp.seconds", Tags.of("hub", r.hub(), "endpoint", endpoint),
                                "when the first certificate the endpoint serves expires"))
                .set(notAfter.getEpochSecond()));
        if (r.environment() != null) {
            environmentInfo(key, r.environment().fingerprint());
            if (r.environment().changed()) {
                environmentChanges(key).increment();
            }
        }
        measurements(key, r);
        retainApps(key, r);
        if (!r.passed()) {
            Counter.builder("hubprobe.failures").description("failed runs by the phase that failed and why")
                    .tags(tags(ProbeKey.of(r))).tags("phase", r.failedPhaseLabel(), "reason", r.reason().label())
                    .register(registry).increment();
        }
    }

    /**
     * {@code hubprobe_measurement{hub,probe,name}}: the last value each name reported, in base units; and
     * {@code hubprobe_measurement_value} (a histogram, its buckets by the unit) for names the probe asked
     * one for. A pair keeps at most {@link Measurement#MAX_PER_PROBE} names, so the series stay bounded.
     */
    private void measurements(ProbeKey key, RunResult r) {
        for (Measurement m : lastValues(key, r)) {
            if (m.histogram()) {
                measurementHistograms.observe(key.hub(), key.probe(), m.name(), buckets(m.unit()), m.value());
            }
        }
    }

    /**
     * Sets the last-value gauges from a run; returns the measurements that have one. A passed run ran
     * every cell, so a name it did not report is no longer reported (renamed, or a cell's typo of one
     * run): its series go, instead of saying an old value forever and, once {@link Measurement#MAX_PER_PROBE}
     * stale names piled up, keeping every new name off /metrics. A failed run may have stopped before a
     * cell: it drops nothing.
     */
    private List<Measurement> lastValues(ProbeKey key, RunResult r) {
        if (r.measurements().isEmpty() && !r.passed()) {
            return List.of();
        }
        Map<String, GaugeValue> byName = measurements.computeIfAbsent(key, k -> new ConcurrentHashMap<>());
        if (r.passed()) {
            java.util.Set<String> reported = new java.util.HashSet<>();
            r.measurements().forEach(m -> reported.add(m.name()));
            for (String stale : List.copyOf(byName.keySet())) {
                if (!reported.contains(stale)) {
                    byName.remove(stale);
                    measurementHistograms.remove(key.hub(), key.probe(), stale);
                    removeMeters(id -> id.getName().equals("hubprobe.measurement") && ofSeries(id, key)
                            && stale.equals(id.getTag("name")));
                }
            }
        }
        List<Measurement> kept = new ArrayList<>();
        for (Measurement m : r.measurements()) {
            GaugeValue g = byName.get(m.name());
            if (g == null) {
                if (byName.size() >= Measurement.MAX_PER_PROBE) {
                    continue;
                }
                g = byName.computeIfAbsent(m.name(), n -> gauge("hubprobe.measurement", tags(key).and("name", n),
                        "the last value a probe's cells reported by a hubprobe-measure line, in base units (seconds, bytes)"));
            }
            g.set(m.value());
            kept.add(m);
        }
        return kept;
    }

    /** Seconds from 10 ms to 10 min, bytes from 1 KiB to 1 TiB, plain numbers by powers of ten. */
    private static double[] buckets(String unit) {
        return switch (unit) {
            case Measurement.SECONDS -> new double[] {0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600};
            case Measurement.BYTES -> new double[] {1024, 16384, 262144, 4194304, 67108864, 1073741824, 17179869184.0,
                    274877906944.0, 1099511627776.0};
            default -> new double[] {1, 10, 100, 1000, 10000, 100000, 1000000};
        };
    }

    /**
     * Sets each pair's state gauges from the shared history (replicas): whichever replica ran the last
     * run, every replica's /metrics says the same. Counters and histograms stay this replica's own.
     */
    public void fromHistory(Map<ProbeKey, RunResult> latest, Map<ProbeKey, java.time.Instant> lastPassing) {
        synchronized (removed) { // a removed pair's rows stay in the history; its series stay off /metrics
            latest.forEach((key, r) -> {
                if (!removed.contains(key)) {
                    register(key);
                    if (r.facts().get("hub_version") != null) {
                        hubInfo(r.hub(), r.facts().get("hub_version"));
                    }
                    lastRun.get(key).set(r.startedAt().toEpochMilli() / 1000.0);
                    success.get(key).set(r.passed() ? 1 : 0);
                    // the last value is state too: after a restart, and on every replica, as the last run saw it
                    lastValues(key, r);
                }
            });
            lastPassing.forEach((key, at) -> {
                if (!removed.contains(key)) {
                    register(key);
                    lastSuccess.get(key).set(at.toEpochMilli() / 1000.0);
                }
            });
        }
    }

    /** The exposition for a scrape, in the format the Accept header asks for (OpenMetrics or text 0.0.4). */
    public byte[] exposition(String accept) {
        String type = contentType(accept);
        return scrapes == null ? renderNow(type) : scrapes.get(type);
    }

    /** {@link #exposition} as text. */
    public String scrape(String accept) {
        return new String(exposition(accept), java.nio.charset.StandardCharsets.UTF_8);
    }

    /** Last rendering's size: the next starts with room for it, not doubling its way up from a few bytes. */
    private volatile int lastSize = 1 << 16;

    /**
     * Renders straight to bytes, as they are served: a thousand hubs make ten megabytes, and a String
     * in between (then encoded back) cost two more copies and the garbage of both on every render.
     * Public for the benchmark that times it; a scrape goes through {@link #exposition}.
     */
    public byte[] renderNow(String contentType) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(lastSize + lastSize / 8);
        try {
            // without the empty profile label of series that have no profile (see WithoutEmptyProfile)
            WithoutEmptyProfile filtered = new WithoutEmptyProfile(out);
            registry.scrape(filtered, contentType, null);
            filtered.finish();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e); // a ByteArrayOutputStream does not throw
        }
        lastSize = out.size();
        return out.toByteArray();
    }

    /** Stops rendering ahead. */
    @Override
    public void close() {
        if (scrapes != null) {
            scrapes.close();
        }
    }

    public static String contentType(String accept) {
        return accept != null && accept.contains("application/openmetrics-text")
                ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
                : "text/plain; version=0.0.4; charset=utf-8";
    }
}
