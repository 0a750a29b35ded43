package dev.hubprobe.history;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.hubprobe.config.Secret;
import dev.hubprobe.probe.Phase;
import dev.hubprobe.probe.PhaseResult;
import dev.hubprobe.probe.ProbeKey;
import dev.hubprobe.probe.Reason;
import dev.hubprobe.probe.RunResult;
import dev.hubprobe.probe.Transcript;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 19.11: a row stored before a secret was masked (by an older version, or before the secret was
 * configured) is masked when it is read, so the API and the pages, which read through the store,
 * never show it.
 */
class HistoryReadRedactionTest {
    private static final String TOKEN = "token-stored-unmasked-by-an-older-version-0042";

    @TempDir
    Path dir;

    @Test
    void aSecretInARowStoredUnmaskedIsMaskedWhenRead() {
        String leak = "refused " + TOKEN;
        RunResult stored = new RunResult(UUID.randomUUID().toString(), "a", "kernel-smoke", "bot", Instant.parse("2026-11-20T10:00:00Z"),
                Duration.ofSeconds(6), List.of(new PhaseResult(Phase.SPAWN, PhaseResult.Status.FAILED, Duration.ofSeconds(1), Reason.HUB_ERROR, leak)),
                List.of(), null, Phase.SPAWN, Reason.HUB_ERROR, leak, Map.of("hub_version", leak), List.of(leak), null,
                new Transcript(List.of(new Transcript.Event(0.5, leak)), List.of(new Transcript.Cell("print('" + TOKEN + "')", leak, null))));
        try (HistoryStore h = HistoryStore.open(Database.h2(dir.resolve("db")))) {
            h.accept(stored); // as an older version wrote it: the store itself writes what it is given
            Secret.of(TOKEN); // configured now
            RunResult back = h.run(stored.runId()).orElseThrow();
            assertEquals("refused ****", back.message());
            assertEquals("refused ****", back.facts().get("hub_version"));
            assertEquals(List.of("refused ****"), back.notes());
            assertEquals("refused ****", back.phases().get(0).message());
            assertEquals("refused ****", back.transcript().events().get(0).message());
            assertEquals("print('****')", back.transcript().cells().get(0).code());
            for (RunResult r : List.of(back, h.runs("a", null, null, 10).get(0), h.latest(List.of(new ProbeKey("a", "kernel-smoke"))).values().iterator().next())) {
                String everything = r.message() + r.phases() + r.notes() + r.facts() + r.transcript();
                assertFalse(everything.contains(TOKEN), everything);
            }
        }
    }
}
