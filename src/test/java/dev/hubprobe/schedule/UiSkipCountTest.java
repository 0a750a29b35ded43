package dev.hubprobe.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.hubprobe.config.Secret;
import dev.hubprobe.probe.Phase;
import dev.hubprobe.probe.PhaseResult;
import dev.hubprobe.probe.ProbeDefinition;
import dev.hubprobe.probe.ProbeRunner;
import dev.hubprobe.probe.ProbeTarget;
import dev.hubprobe.probe.RunResult;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** A UI run whose UI phases were skipped for want of a browser (ui.max_browsers) is counted, with a bounded reason. */
class UiSkipCountTest {
    private static final ScheduledProbe PROBE = new ScheduledProbe(new ProbeTarget("staging", "http://127.0.0.1:9/", "bot",
            new ProbeTarget.Token(Secret.of("t"))), new ProbeDefinition("lab", null, null, null, null, null, null,
            List.of(new ProbeDefinition.Cell("1", null))).withUi(new ProbeDefinition.Ui(null, null)), Duration.ofHours(1));

    private static RunResult result(Map<String, String> facts) {
        return new RunResult(UUID.randomUUID().toString(), "staging", "lab", "bot", Instant.now(), Duration.ofMillis(5),
                List.of(new PhaseResult(Phase.HUB_API, PhaseResult.Status.PASSED, Duration.ofMillis(5), null, null),
                        PhaseResult.skipped(Phase.UI_LOAD)), List.of(), null, null, null, null, facts, List.of());
    }

    private static Counter noBrowser(SimpleMeterRegistry registry) {
        return registry.find("hubprobe.schedule.misfires").tags("hub", "staging", "probe", "lab", "reason", "no_browser").counter();
    }

    @Test
    void aRunWithoutABrowserIsCountedAsAMisfireNoBrowser() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        List<Map<String, String>> answers = new java.util.ArrayList<>(List.of(Map.of(), Map.of(ProbeRunner.UI_SKIPPED_FACT, "no_browser")));
        ProbeScheduler s = new ProbeScheduler(2, (p, abort) -> result(answers.remove(0)), List.of(r -> { }), registry);
        try {
            s.schedule(List.of(PROBE), null);
            s.execute(PROBE);
            assertNull(noBrowser(registry), "a run that had its browser is no skip");
            s.execute(PROBE);
            assertEquals(1.0, noBrowser(registry).count());
        } finally {
            s.close(Duration.ofSeconds(5));
        }
    }
}
