package dev.hubprobe.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hubprobe.config.Secret;
import dev.hubprobe.jupyter.hub.HubClientSettings;
import dev.hubprobe.probe.ProbeClock;
import dev.hubprobe.probe.ProbeDefinition;
import dev.hubprobe.probe.ProbeRunner;
import dev.hubprobe.probe.ProbeTarget;
import dev.hubprobe.probe.RunResult;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The benchmark's fake hub speaks enough of the protocol for the real runner to pass, and to fail on a wrong output. */
class FakeHubServerTest {
    @Test
    void realRunnerPassesAgainstTheFakeAndNoticesWrongOutput() throws Exception {
        try (FakeHubServer fake = new FakeHubServer()) {
            ProbeRunner runner = new ProbeRunner(ProbeClock.SYSTEM, HubClientSettings.defaults("bench"));
            ProbeTarget target = new ProbeTarget("h7", fake.hubUrl(7), "bot", new ProbeTarget.Token(Secret.of("t0ken")));
            RunResult ok = runner.run(target, new ProbeDefinition("echo", null, null, null, null, null, null,
                    List.of(new ProbeDefinition.Cell("42", new ProbeDefinition.Expect("42", null, false)))));
            assertTrue(ok.passed(), () -> ok.failedPhase() + " " + ok.reason() + " " + ok.message());
            RunResult wrong = runner.run(target, new ProbeDefinition("echo", null, null, null, null, null, null,
                    List.of(new ProbeDefinition.Cell("41", new ProbeDefinition.Expect("42", null, false)))));
            assertTrue(!wrong.passed() && wrong.reason().label().equals("output_mismatch"), wrong::toString);
        }
    }
}
