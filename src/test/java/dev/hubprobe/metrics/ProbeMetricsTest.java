package dev.hubprobe.metrics;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hubprobe.probe.Phase;
import dev.hubprobe.probe.PhaseResult;
import dev.hubprobe.probe.RunResult;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
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
        String scrape = metrics.registry().scrape();
        long n = series(scrape, "a");
        assertTrue(n <= 120 - 16, "series of one pair before the alerting gauges: " + n);
        // an API call is measured in milliseconds, a spawn up to ten minutes (above the rule's 300 s)
        assertTrue(scrape.contains("hubprobe_phase_duration_seconds_bucket{hub=\"a\",phase=\"hub_api\",probe=\"kernel-smoke\",le=\"0.025\"}"), scrape);
        assertTrue(scrape.contains("hubprobe_phase_duration_seconds_bucket{hub=\"a\",phase=\"spawn\",probe=\"kernel-smoke\",le=\"600.0\"}"), scrape);
        assertFalse(scrape.contains("phase=\"hub_api\",probe=\"kernel-smoke\",le=\"1800.0\""), "no half-hour bucket for an API call");
        assertFalse(scrape.contains("hubprobe_probe_duration_seconds_bucket"), "whole runs: count and sum, no buckets");
        metrics.close();
    }
}
