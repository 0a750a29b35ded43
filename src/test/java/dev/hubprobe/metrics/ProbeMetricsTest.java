package dev.hubprobe.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hubprobe.probe.Phase;
import dev.hubprobe.probe.Reason;
import dev.hubprobe.probe.PhaseResult;
import dev.hubprobe.probe.ProbeKey;
import dev.hubprobe.probe.Reason;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import dev.hubprobe.probe.RunResult;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * A (hub, probe) costs Prometheus a bounded number of series: buckets per phase where its values
 * fall, not one wide set for all. The alerting gauges (a baseline and a regression flag per phase,
 * 16 for a plain probe) come on top; the footprint benchmark counts everything on a real service.
 */
class ProbeMetricsTest {
    private static final List<Phase> HUB = List.of(Phase.HUB_API, Phase.LOGIN, Phase.SPAWN, Phase.KERNEL_START, Phase.KERNEL_CONNECT,
            Phase.EXECUTE, Phase.KERNEL_SHUTDOWN, Phase.STOP);

    private static RunResult run(String hub) {
        List<PhaseResult> phases = new ArrayList<>();
        for (Phase p : HUB) {
            phases.add(new PhaseResult(p, PhaseResult.Status.PASSED, Duration.ofMillis(p == Phase.SPAWN ? 4200 : 80), null, null));
        }
        return new RunResult(UUID.randomUUID().toString(), hub, "kernel-smoke", "bot", Instant.now(), Duration.ofSeconds(6), phases,
                List.of(), null, null, null, null, Map.of(), List.of());
    }

    private static long series(String scrape, String hub) {
        return scrape.lines().filter(l -> !l.startsWith("#") && l.contains("hub=\"" + hub + "\"")).count();
    }

    @Test
    void aPlainPairStaysWellUnderOneHundredAndTwentySeriesWithBucketsWhereItsPhasesFall() {
        ProbeMetrics metrics = new ProbeMetrics("test", Duration.ZERO);
        metrics.accept(run("a"));
        metrics.accept(run("a"));
        String scrape = metrics.scrape(null);
        long n = series(scrape, "a");
        assertTrue(n <= 120 - 16, "series of one pair before the alerting gauges: " + n);
        // an API call is measured in milliseconds, a spawn up to ten minutes (above the rule's 300 s)
        assertTrue(scrape.contains("hubprobe_phase_duration_seconds_bucket{hub=\"a\",phase=\"hub_api\",probe=\"kernel-smoke\",le=\"0.025\"}"), scrape);
        assertTrue(scrape.contains("hubprobe_phase_duration_seconds_bucket{hub=\"a\",phase=\"spawn\",probe=\"kernel-smoke\",le=\"600.0\"}"), scrape);
        assertFalse(scrape.contains("phase=\"hub_api\",probe=\"kernel-smoke\",le=\"1800.0\""), "no half-hour bucket for an API call");
        assertFalse(scrape.contains("hubprobe_probe_duration_seconds_bucket"), "whole runs: count and sum, no buckets");
        metrics.close();
    }

    private static RunResult runOfVersion(String hub, String probe, String version) {
        RunResult r = run(hub);
        return new RunResult(r.runId(), hub, probe, "bot", r.startedAt(), r.duration(), r.phases(), List.of(), null, null, null, null,
                Map.of("hub_version", version), List.of());
    }

    private static List<String> hubInfo(String scrape) {
        return scrape.lines().filter(l -> l.startsWith("hubprobe_hub_info{")).toList();
    }

    @Test
    void hubInfoIsOneSeriesPerHubNamingTheVersionItsLastRunSaw() {
        ProbeMetrics metrics = new ProbeMetrics("test", Duration.ZERO);
        metrics.accept(runOfVersion("a", "kernel-smoke", "5.2.1"));
        metrics.accept(runOfVersion("a", "other-probe", "5.2.1"));
        metrics.accept(runOfVersion("b", "kernel-smoke", "4.1.6"));
        assertEquals(List.of("hubprobe_hub_info{hub=\"a\",version=\"5.2.1\"} 1", "hubprobe_hub_info{hub=\"b\",version=\"4.1.6\"} 1"),
                hubInfo(metrics.scrape(null)).stream().sorted().toList());
        // the hub is upgraded: its series moves to the new version, the old one is gone
        metrics.accept(runOfVersion("a", "kernel-smoke", "6.1.1"));
        assertEquals(List.of("hubprobe_hub_info{hub=\"a\",version=\"6.1.1\"} 1", "hubprobe_hub_info{hub=\"b\",version=\"4.1.6\"} 1"),
                hubInfo(metrics.scrape(null)).stream().sorted().toList());
        // a hub that says something that is no version is "unknown", not an unbounded label
        metrics.accept(runOfVersion("b", "kernel-smoke", "x".repeat(500)));
        assertTrue(hubInfo(metrics.scrape(null)).contains("hubprobe_hub_info{hub=\"b\",version=\"unknown\"} 1"),
                () -> hubInfo(metrics.scrape(null)).toString());
        metrics.unregisterHub("a");
        assertEquals(1, hubInfo(metrics.scrape(null)).size());
        metrics.close();
    }

    private static RunResult run(String hub, String probe, Duration each, Duration scaleUp) {
        List<PhaseResult> phases = new ArrayList<>();
        for (Phase p : HUB) {
            phases.add(new PhaseResult(p, PhaseResult.Status.PASSED, p == Phase.SPAWN ? each.multipliedBy(40) : each, null, null));
        }
        List<PhaseResult> spawn = List.of(new PhaseResult(Phase.SPAWN_SCALE_UP, PhaseResult.Status.PASSED, scaleUp, null, null),
                new PhaseResult(Phase.SPAWN_SERVER_START, PhaseResult.Status.PASSED, each.multipliedBy(30), null, null));
        return new RunResult(UUID.randomUUID().toString(), hub, probe, "bot", Instant.now(), Duration.ofSeconds(6), phases, spawn,
                true, null, null, null, Map.of(), List.of());
    }

    private static List<String> family(String scrape, String name) {
        return scrape.lines().filter(l -> l.startsWith(name + "_bucket") || l.startsWith(name + "_count") || l.startsWith(name + "_sum")
                || l.equals("# TYPE " + name + " histogram") || l.startsWith("# HELP " + name + " ")).collect(Collectors.toList());
    }

    @Test
    void theLatencyHistogramsReadExactlyAsMicrometerTimersWithTheSameBucketsDidSoNoPanelOrRuleChanges() {
        // what the dashboards and rules were written against: a Micrometer timer per (hub, probe, phase)
        PrometheusMeterRegistry reference = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ProbeMetrics metrics = new ProbeMetrics("test", Duration.ZERO);
        // values on a bound (0.25 s, 10 s, 120 s) land in that bound's bucket in both
        List<Duration> values = List.of(Duration.ofMillis(10), Duration.ofMillis(250), Duration.ofMillis(1234), Duration.ofSeconds(4));
        List<Duration> scaleUps = List.of(Duration.ofSeconds(45), Duration.ofSeconds(120), Duration.ofSeconds(700), Duration.ofSeconds(61));
        for (String hub : List.of("b-hub", "a-hub")) {
            for (int i = 0; i < values.size(); i++) {
                RunResult r = run(hub, "kernel-smoke", values.get(i), scaleUps.get(i));
                metrics.accept(r);
                for (PhaseResult p : r.phases()) {
                    Timer.builder("hubprobe.phase.duration").description("duration of each phase of a probe run")
                            .tags("hub", hub, "probe", "kernel-smoke", "phase", p.phase().label())
                            .serviceLevelObjectives(PhaseBuckets.of(p.phase())).register(reference).record(p.duration());
                }
                for (PhaseResult p : r.spawnPhases()) {
                    Timer.builder("hubprobe.phase.duration").description("duration of each phase of a probe run")
                            .tags("hub", hub, "probe", "kernel-smoke", "phase", p.phase().label())
                            .serviceLevelObjectives(PhaseBuckets.of(p.phase())).register(reference).record(p.duration());
                }
                Timer.builder("hubprobe.scale.up.duration").description("node scale-up time seen in spawns")
                        .tags("hub", hub, "probe", "kernel-smoke").serviceLevelObjectives(PhaseBuckets.scaleUp()).register(reference)
                        .record(scaleUps.get(i));
            }
        }
        for (String accept : new String[] {null, "application/openmetrics-text; version=1.0.0"}) {
            String type = ProbeMetrics.contentType(accept);
            for (String name : List.of("hubprobe_phase_duration_seconds", "hubprobe_scale_up_duration_seconds")) {
                List<String> expected = family(reference.scrape(type), name);
                assertTrue(expected.size() > 15, "the reference has the family: " + expected);
                assertEquals(expected, family(metrics.scrape(accept), name), name + " as " + type);
            }
        }
        metrics.close();
    }

    @Test
    void histogramsOfManyHubsComeOutInLabelOrderAndGoWithTheirPair() {
        ProbeMetrics metrics = new ProbeMetrics("test", Duration.ZERO);
        List<String> hubs = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            hubs.add("hub-" + i);
        }
        Collections.shuffle(hubs, new Random(7));
        for (String hub : hubs) {
            metrics.accept(run(hub, hub.endsWith("7") ? "b" : "a", Duration.ofMillis(80), Duration.ofSeconds(90)));
        }
        metrics.accept(run("hub-3", "b", Duration.ofMillis(80), Duration.ofSeconds(90)));
        List<String> counts = metrics.scrape(null).lines().filter(l -> l.startsWith("hubprobe_phase_duration_seconds_count{"))
                .collect(Collectors.toList());
        assertEquals(200 * 10 + 10, counts.size());
        List<String> sorted = new ArrayList<>(counts);
        Collections.sort(sorted);
        assertEquals(sorted, counts, "one block per hub, in order, as Prometheus' own clients write them");

        metrics.unregister(new ProbeKey("hub-3", "b"));
        String after = metrics.scrape(null);
        assertFalse(after.contains("hub=\"hub-3\",phase=\"spawn\",probe=\"b\""), "the removed pair's histograms are gone");
        assertTrue(after.contains("hubprobe_phase_duration_seconds_count{hub=\"hub-3\",phase=\"spawn\",probe=\"a\"} 1"),
                "the hub's other probe keeps its own");
        metrics.unregisterHub("hub-3");
        after = metrics.scrape(null);
        assertFalse(after.contains("hub=\"hub-3\""), "a hub no longer configured leaves nothing behind");
        assertTrue(after.contains("hubprobe_scale_up_duration_seconds_count{hub=\"hub-4\",probe=\"a\"} 1"), after);
        metrics.close();
    }

    @Test
    void aRunCutShortByAStopIsNeitherAFailureNorASuccess() {
        ProbeMetrics metrics = new ProbeMetrics("test", Duration.ZERO);
        try {
            metrics.accept(run("alpha"));
            RunResult cut = new RunResult(UUID.randomUUID().toString(), "alpha", "kernel-smoke", "bot", Instant.now(), Duration.ofSeconds(2),
                    List.of(new PhaseResult(Phase.SPAWN, PhaseResult.Status.FAILED, Duration.ofSeconds(1), dev.hubprobe.probe.Reason.ABORTED,
                            "the prober was asked to stop")), List.of(), null, Phase.SPAWN, dev.hubprobe.probe.Reason.ABORTED,
                    "the prober was asked to stop", Map.of(), List.of());
            metrics.accept(cut);
            String scrape = metrics.scrape(null);
            assertTrue(scrape.contains("hubprobe_probe_success{hub=\"alpha\",probe=\"kernel-smoke\"} 1.0"), scrape);
            assertTrue(scrape.contains("hubprobe_runs_total{hub=\"alpha\",probe=\"kernel-smoke\",result=\"failure\"} 0.0"), scrape);
            assertTrue(scrape.contains("hubprobe_runs_total{hub=\"alpha\",probe=\"kernel-smoke\",result=\"success\"} 1.0"), scrape);
            assertFalse(scrape.contains("hubprobe_failures_total{"), "an aborted run counted as a failure:\n" + scrape);
            assertTrue(scrape.contains("hubprobe_probe_duration_seconds_count{hub=\"alpha\",probe=\"kernel-smoke\"} 1"), scrape);
        } finally {
            metrics.close();
        }
    }

    /** A probe run on a KubeSpawner profile: its probe and profile as two labels; a probe without one keeps its old series. */
    @Test
    void aProfiledSeriesCarriesItsProfileAndAPlainOneLooksAsBefore() {
        ProbeMetrics metrics = new ProbeMetrics("test", Duration.ZERO);
        try {
            metrics.register(new dev.hubprobe.probe.ProbeKey("alpha", "kernel-smoke"), Duration.ofMinutes(5));
            metrics.register(new dev.hubprobe.probe.ProbeKey("alpha", "kernel-smoke@gpu-small"), Duration.ofMinutes(5));
            RunResult failed = new RunResult(UUID.randomUUID().toString(), "alpha", "kernel-smoke@gpu-small", "bot", Instant.now(),
                    Duration.ofSeconds(2), List.of(new PhaseResult(Phase.SPAWN, PhaseResult.Status.FAILED, Duration.ofSeconds(1),
                    dev.hubprobe.probe.Reason.SPAWN_FAILED, "no GPU node")), List.of(), null, Phase.SPAWN,
                    dev.hubprobe.probe.Reason.SPAWN_FAILED, "no GPU node", Map.of(), List.of());
            metrics.accept(failed);
            metrics.accept(run("alpha"));
            String scrape = metrics.scrape(null);
            assertTrue(scrape.contains("hubprobe_probe_success{hub=\"alpha\",probe=\"kernel-smoke\"} 1.0"), scrape);
            assertTrue(scrape.contains("hubprobe_probe_success{hub=\"alpha\",probe=\"kernel-smoke\",profile=\"gpu-small\"} 0.0"), scrape);
            assertTrue(scrape.contains("hubprobe_failures_total{hub=\"alpha\",phase=\"spawn\",probe=\"kernel-smoke\",profile=\"gpu-small\","
                    + "reason=\"spawn_failed\"} 1.0"), scrape);
            assertTrue(scrape.contains("hubprobe_phase_duration_seconds_count{hub=\"alpha\",phase=\"spawn\",probe=\"kernel-smoke\"} 1"), scrape);
            assertFalse(scrape.contains("profile=\"\""), "an empty profile label on /metrics:\n" + scrape);
            assertFalse(scrape.contains("kernel-smoke@"), "a series name in a label:\n" + scrape);
            String openMetrics = metrics.scrape("application/openmetrics-text; version=1.0.0");
            assertTrue(openMetrics.contains("hubprobe_probe_success{hub=\"alpha\",probe=\"kernel-smoke\"} 1.0"), openMetrics);
        } finally {
            metrics.close();
        }
    }

    /** A run of a pair a reload removed while it ran ends after the removal: its series stay off /metrics until it is configured again. */
    @Test
    void aRunThatEndsAfterItsPairWasRemovedPutsNoSeriesBack() {
        ProbeMetrics metrics = new ProbeMetrics("test", Duration.ZERO);
        ProbeKey key = new ProbeKey("gone", "kernel-smoke");
        metrics.register(key, Duration.ofMinutes(5));
        metrics.accept(run("gone"));
        metrics.unregister(key);
        assertEquals(0, series(metrics.scrape(null), "gone"));
        metrics.accept(run("gone"));
        assertEquals(0, series(metrics.scrape(null), "gone"), "a late result for a removed pair is recorded nowhere here");
        metrics.register(key, Duration.ofMinutes(5));
        metrics.accept(run("gone"));
        assertTrue(series(metrics.scrape(null), "gone") > 0, "configured again, it reports again");
        metrics.close();
    }

    private static RunResult measured(String hub, dev.hubprobe.probe.Measurement... ms) {
        RunResult r = run(hub);
        return new RunResult(r.runId(), r.hub(), r.probe(), r.user(), r.startedAt(), r.duration(), r.phases(), r.spawnPhases(),
                null, null, null, null, Map.of(), List.of(), null, null, List.of(ms));
    }

    @Test
    void measurementsAreGaugesOfTheLastValueWithAHistogramWhereAskedAndABoundedNumberOfNames() {
        ProbeMetrics metrics = new ProbeMetrics("test", Duration.ZERO);
        metrics.accept(measured("a", new dev.hubprobe.probe.Measurement("write_seconds", 0.4, "seconds", true),
                new dev.hubprobe.probe.Measurement("home_free_bytes", 1073741824, "bytes")));
        metrics.accept(measured("a", new dev.hubprobe.probe.Measurement("write_seconds", 0.7, "seconds", true),
                new dev.hubprobe.probe.Measurement("home_free_bytes", 1073741824, "bytes")));
        String scrape = metrics.scrape(null);
        assertTrue(scrape.contains("hubprobe_measurement{hub=\"a\",name=\"write_seconds\",probe=\"kernel-smoke\"} 0.7"), scrape);
        assertTrue(scrape.contains("hubprobe_measurement{hub=\"a\",name=\"home_free_bytes\",probe=\"kernel-smoke\"} 1.073741824E9"),
                scrape);
        assertTrue(scrape.contains("hubprobe_measurement_value_count{hub=\"a\",name=\"write_seconds\",probe=\"kernel-smoke\"} 2"), scrape);
        assertTrue(scrape.contains("hubprobe_measurement_value_bucket{hub=\"a\",name=\"write_seconds\",probe=\"kernel-smoke\",le=\"0.5\"} 1"),
                scrape);
        assertFalse(scrape.contains("hubprobe_measurement_value_count{hub=\"a\",name=\"home_free_bytes\""), "no histogram unasked");
        List<dev.hubprobe.probe.Measurement> many = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            many.add(new dev.hubprobe.probe.Measurement("m" + i, i, ""));
        }
        metrics.accept(measured("a", many.toArray(dev.hubprobe.probe.Measurement[]::new)));
        long names = metrics.scrape(null).lines().filter(l -> l.startsWith("hubprobe_measurement{hub=\"a\"")).count();
        assertEquals(dev.hubprobe.probe.Measurement.MAX_PER_PROBE, names, "a pair keeps a bounded number of names");
        metrics.unregister(new dev.hubprobe.probe.ProbeKey("a", "kernel-smoke"));
        assertFalse(metrics.scrape(null).contains("hubprobe_measurement{hub=\"a\""));
    }

    private static long measurementSeries(String scrape, String hub) {
        return scrape.lines().filter(l -> l.startsWith("hubprobe_measurement{hub=\"" + hub + "\"")).count();
    }

    @Test
    void aMeasurementAPassedRunNoLongerReportsLeavesMetricsAndMakesRoomForNewNames() {
        ProbeMetrics metrics = new ProbeMetrics("test", Duration.ZERO);
        // one run of a cell printing 20 junk names fills the pair's names ...
        List<dev.hubprobe.probe.Measurement> junk = new ArrayList<>();
        for (int i = 0; i < dev.hubprobe.probe.Measurement.MAX_PER_PROBE; i++) {
            junk.add(new dev.hubprobe.probe.Measurement("typo" + i, i, "", true));
        }
        metrics.accept(measured("a", junk.toArray(dev.hubprobe.probe.Measurement[]::new)));
        // ... then the probe is fixed (or its measurement renamed): the new name reaches /metrics, the old ones go
        metrics.accept(measured("a", new dev.hubprobe.probe.Measurement("write_seconds", 0.3, "seconds", true)));
        String scrape = metrics.scrape(null);
        assertTrue(scrape.contains("hubprobe_measurement{hub=\"a\",name=\"write_seconds\",probe=\"kernel-smoke\"} 0.3"), scrape);
        assertEquals(1, measurementSeries(scrape, "a"), scrape);
        assertFalse(scrape.contains("name=\"typo0\""), "a stale name's gauge and histogram are gone: " + scrape);
        // a failed run may have stopped before the measuring cell: it drops nothing
        RunResult ok = run("a");
        metrics.accept(new RunResult(ok.runId(), "a", ok.probe(), ok.user(), ok.startedAt(), ok.duration(), ok.phases(), List.of(),
                null, Phase.EXECUTE, Reason.EXECUTE_ERROR, "cell 1: boom", Map.of(), List.of(), null, null, List.of()));
        assertEquals(1, measurementSeries(metrics.scrape(null), "a"));
        metrics.close();
    }

    @Test
    void theSharedHistorySetsTheLastMeasurementOnEveryReplica() {
        ProbeMetrics replica = new ProbeMetrics("test", Duration.ZERO);
        RunResult r = measured("a", new dev.hubprobe.probe.Measurement("home_free_bytes", 2048, "bytes"));
        replica.fromHistory(Map.of(ProbeKey.of(r), r), Map.of());
        String scrape = replica.scrape(null);
        assertTrue(scrape.contains("hubprobe_measurement{hub=\"a\",name=\"home_free_bytes\",probe=\"kernel-smoke\"} 2048"), scrape);
        replica.close();
    }

    @Test
    void aMeasurementWhoseUnitChangedIsCountedInTheBucketsOfItsNewUnit() {
        ProbeMetrics metrics = new ProbeMetrics("test", Duration.ZERO);
        metrics.accept(measured("a", new dev.hubprobe.probe.Measurement("x", 0.3, "seconds", true)));
        metrics.accept(measured("a", new dev.hubprobe.probe.Measurement("x", 2048, "bytes", true)));
        String scrape = metrics.registry().scrape();
        List<String> buckets = scrape.lines().filter(l -> l.startsWith("hubprobe_measurement_value_bucket{hub=\"a\",name=\"x\"")).toList();
        assertTrue(buckets.stream().anyMatch(l -> l.contains("le=\"16384")), buckets::toString);
        assertFalse(buckets.stream().anyMatch(l -> l.contains("le=\"0.01\"")), "no seconds buckets left: " + buckets);
        assertTrue(scrape.contains("hubprobe_measurement_value_count{hub=\"a\",name=\"x\",probe=\"kernel-smoke\"} 1"), scrape);
        metrics.close();
    }

    /** A run with the apps {@code passed} (app phases that passed) and {@code failed} (the one that failed, or null). */
    private static RunResult appRun(String failed, String... passed) {
        List<PhaseResult> phases = new ArrayList<>(run("apps").phases());
        for (String a : passed) {
            phases.add(new PhaseResult(Phase.APP, PhaseResult.Status.PASSED, Duration.ofMillis(300), null, null, a));
        }
        if (failed != null) {
            phases.add(new PhaseResult(Phase.APP, PhaseResult.Status.FAILED, Duration.ofMillis(300), Reason.APP_FAILED, "502", failed));
        }
        return new RunResult(UUID.randomUUID().toString(), "apps", "kernel-smoke", "bot", Instant.now(), Duration.ofSeconds(6), phases,
                List.of(), null, failed == null ? null : Phase.APP, failed == null ? null : Reason.APP_FAILED, failed == null ? null : "502",
                Map.of(), List.of());
    }

    @Test
    void anAppRenamedBetweenRunsLeavesNoFrozenSeriesUnderItsOldName() {
        ProbeMetrics metrics = new ProbeMetrics("test", Duration.ZERO);
        metrics.accept(appRun("vscode", "rstudio"));
        String before = metrics.registry().scrape();
        assertTrue(before.contains("phase=\"app_rstudio\""), before);
        assertTrue(before.contains("hubprobe_failures_total{hub=\"apps\",phase=\"app_vscode\""), before);
        // the probe file renames rstudio to r and drops vscode
        metrics.accept(appRun(null, "r"));
        String after = metrics.registry().scrape();
        assertTrue(after.contains("hubprobe_phase_duration_seconds_count{hub=\"apps\",phase=\"app_r\",probe=\"kernel-smoke\"} 1"), after);
        assertFalse(after.contains("app_rstudio") || after.contains("app_vscode"), "old app names are gone: "
                + after.lines().filter(l -> l.contains("app_")).toList());
        assertTrue(after.contains("phase=\"execute\""), "the other phases stay");
        metrics.accept(appRun("r"));
        assertTrue(metrics.registry().scrape().contains("phase=\"app_r\",probe=\"kernel-smoke\"} 1"),
                "a failed app of the same set keeps its histogram");
        metrics.close();
    }
}
