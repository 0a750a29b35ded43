package dev.hubprobe.history;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hubprobe.probe.Phase;
import dev.hubprobe.probe.PhaseResult;
import dev.hubprobe.probe.ProbeKey;
import dev.hubprobe.probe.Reason;
import dev.hubprobe.probe.RunResult;
import dev.hubprobe.probe.Transcript;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a hostile or broken hub puts in a run: more facts and notes than a column holds, a transcript
 * of escaped control characters, a user name of a kilobyte. Every such run is recorded and read back,
 * and a row that cannot be read is shown as damaged on its own, never failing the query of the others.
 * Runs on H2 here, and on a real PostgreSQL in {@link HistoryStoreLimitsPostgresIT}.
 */
class HistoryStoreLimitsTest {
    private static final Instant T = Instant.parse("2026-11-20T10:00:00Z");

    @TempDir
    Path dir;

    /** The database under test. */
    protected Database database() {
        return Database.h2(dir.resolve("db"));
    }

    private HistoryStore open() {
        return HistoryStore.open(database());
    }

    private static RunResult run(String hub, Instant at, String user, String message, Map<String, String> facts, List<String> notes,
                                 Transcript transcript) {
        return new RunResult(UUID.randomUUID().toString(), hub, "kernel-smoke", user, at, Duration.ofSeconds(6),
                List.of(new PhaseResult(Phase.HUB_API, PhaseResult.Status.FAILED, Duration.ofMillis(12), Reason.TLS_INVALID, message)),
                List.of(), null, Phase.HUB_API, Reason.TLS_INVALID, message, facts, notes, null, transcript);
    }

    /** The reproduction: 14 tls_endpoints that all fail verification, each with its facts and a note. */
    private static RunResult fourteenFailingEndpoints(String hub, Instant at) {
        Map<String, String> facts = new LinkedHashMap<>();
        List<String> notes = new ArrayList<>();
        facts.put("hub_version", "6.1.1");
        for (int i = 0; i < 14; i++) {
            String p = "tls.endpoint.service-" + i + ".";
            facts.put(p + "not_after", "2027-01-01T00:00:00Z");
            facts.put(p + "days_left", "40.000");
            facts.put(p + "subject", "CN=service-" + i + ".internal.example.org,OU=Research Computing,O=Example University,C=GB");
            facts.put(p + "issuer", "CN=Example University Internal Issuing CA 2,OU=Research Computing,O=Example University,C=GB");
            facts.put(p + "problem", "PKIX path building failed: unable to find valid certification path to requested target"
                    + " (the chain served by service-" + i + " is not trusted by the configured ca_file)");
            notes.add("TLS endpoint service-" + i + " (service-" + i + ".internal.example.org:443) did not shake hands:"
                    + " Received fatal alert: handshake_failure while verifying the peer's chain of trust against the CA file");
        }
        return run(hub, at, "bot", "tls", facts, notes, null);
    }

    @Test
    void aRunWithFourteenFailingTlsEndpointsIsReadBackWholeAndTheOtherHubsToo() {
        RunResult broken = fourteenFailingEndpoints("campus", T);
        RunResult other = run("other", T.minusSeconds(30), "bot", "tls", Map.of("hub_version", "5.2.1"), List.of(), null);
        try (HistoryStore h = open()) {
            h.accept(broken);
            h.accept(other);
            assertEquals(0, h.writeFailures(), h.lastWriteError()::toString);
            List<RunResult> runs = h.runs(null, null, null, 10);
            assertEquals(2, runs.size());
            RunResult back = h.run(broken.runId()).orElseThrow();
            assertEquals(broken.facts(), back.facts());
            assertEquals(broken.notes(), back.notes());
            assertEquals(2, h.latest(List.of(new ProbeKey("campus", "kernel-smoke"), new ProbeKey("other", "kernel-smoke")), false).size());
        }
    }

    @Test
    void factsAndNotesOverTheColumnAreLeftOutWholeWithAMarkerNeverCutMidJson() {
        Map<String, String> facts = new LinkedHashMap<>();
        List<String> notes = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            facts.put("tls.endpoint.e" + i + ".problem", "x".repeat(300));
            notes.add("note " + i + " " + "y".repeat(300));
        }
        facts.put("hub_version", "6.1.1");
        RunResult r = run("campus", T, "bot", "tls", facts, notes, null);
        try (HistoryStore h = open()) {
            h.accept(r);
            assertEquals(0, h.writeFailures(), h.lastWriteError()::toString);
            RunResult back = h.runs("campus", null, null, 10).get(0);
            assertEquals("6.1.1", back.facts().get("hub_version"), "the hub's own facts come first");
            assertTrue(back.facts().size() < facts.size() && back.facts().size() > 10, "some left out: " + back.facts().size());
            assertTrue(back.facts().get("facts_left_out").contains("left out"), back.facts()::toString);
            back.facts().forEach((k, v) -> assertTrue(k.equals("facts_left_out") || v.equals(facts.get(k)), "whole or not at all: " + k));
            String last = back.notes().get(back.notes().size() - 1);
            assertTrue(last.contains("notes left out"), last);
            assertEquals(notes.get(0), back.notes().get(0));
        }
    }

    @Test
    void aRunWhoseTranscriptUserAndMessageExceedTheirColumnsIsStillRecorded() {
        List<Transcript.Event> events = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            events.add(new Transcript.Event(i, "\u0001".repeat(500))); // six characters each once JSON-escaped
        }
        List<Transcript.Cell> cells = List.of(new Transcript.Cell("print(1)", "\u0002".repeat(100_000), null));
        String user = "u".repeat(1000);
        RunResult r = run("campus", T, user, "m".repeat(10_000), Map.of(), List.of(), new Transcript(events, cells));
        try (HistoryStore h = open()) {
            h.accept(r);
            assertEquals(0, h.writeFailures(), h.lastWriteError()::toString);
            RunResult back = h.run(r.runId()).orElseThrow();
            assertTrue(back.user().length() <= 255 && back.user().endsWith("[cut]"), back.user());
            assertTrue(back.message().length() <= 4000 && back.message().endsWith("[cut]"), "message " + back.message().length());
            List<Transcript.Event> kept = back.transcript().events();
            assertTrue(kept.size() < 400, "events left out: " + kept.size());
            assertTrue(kept.stream().anyMatch(e -> e.message().contains("left out")), "with a marker");
            assertEquals(events.get(0), kept.get(0), "the first event is kept");
            assertEquals(events.get(399), kept.get(kept.size() - 1), "the last event is kept");
            assertEquals(1, back.transcript().cells().size());
        }
    }

    @Test
    void aRowThatCannotBeDecodedIsShownAsDamagedAndNeverFailsTheOthers() throws Exception {
        RunResult good = run("campus", T, "bot", "tls", Map.of("hub_version", "6.1.1"), List.of("fine"), null);
        String damagedId = UUID.randomUUID().toString();
        try (HistoryStore h = open()) {
            h.accept(good);
            try (var c = h.dataSource().getConnection(); var ps = c.prepareStatement("INSERT INTO runs (id, hub, probe, probe_user,"
                    + " started_at, duration_seconds, passed, failed_phase, reason, message, facts, notes, transcript)"
                    + " VALUES (?, 'campus', 'kernel-smoke', 'bot', ?, 1.5, FALSE, 'hub_api', 'tls_invalid', 'm', ?, ?, ?)")) {
                ps.setString(1, damagedId);
                ps.setTimestamp(2, Timestamp.from(T.plusSeconds(60)));
                ps.setString(3, "{\"tls.endpoint.a.subject\": \"CN=a\", \"tls.endpoint.b.subj...");
                ps.setString(4, "[\"a note\", \"another no...");
                ps.setString(5, "{\"events\": [{\"atSeconds\": 1");
                ps.executeUpdate();
            }
            List<RunResult> runs = h.runs(null, null, null, 10);
            assertEquals(2, runs.size(), "both rows, the damaged one on its own");
            RunResult damaged = h.run(damagedId).orElseThrow();
            assertTrue(damaged.facts().get("history_damaged").contains("facts"), damaged.facts()::toString);
            assertTrue(damaged.notes().stream().anyMatch(n -> n.contains("damaged")), damaged.notes()::toString);
            assertEquals("tls_invalid", damaged.reason().label(), "what could be read is shown");
            assertEquals(damagedId, h.latest(List.of(new ProbeKey("campus", "kernel-smoke"))).get(new ProbeKey("campus", "kernel-smoke")).runId());
            assertEquals(good, h.run(good.runId()).orElseThrow());
        }
    }

    @Test
    void aRowWithALabelThisVersionDoesNotKnowIsLeftOutAndTheOthersAreStillRead() throws Exception {
        RunResult good = run("campus", T, "bot", "tls", Map.of("hub_version", "6.1.1"), List.of(), null);
        try (HistoryStore h = open()) {
            h.accept(good);
            try (var c = h.dataSource().getConnection(); var ps = c.prepareStatement("INSERT INTO runs (id, hub, probe, probe_user,"
                    + " started_at, duration_seconds, passed, failed_phase, reason, message, facts, notes)"
                    + " VALUES (?, 'campus', 'kernel-smoke', 'bot', ?, 1.5, FALSE, 'hub_api', 'a_reason_from_the_future', 'm', '{}', '[]')")) {
                ps.setString(1, UUID.randomUUID().toString());
                ps.setTimestamp(2, Timestamp.from(T.plusSeconds(60)));
                ps.executeUpdate();
            }
            assertEquals(List.of(good.runId()), h.runs(null, null, null, 10).stream().map(RunResult::runId).toList());
            assertEquals(good.runId(), h.latest(List.of(new ProbeKey("campus", "kernel-smoke")), false)
                    .get(new ProbeKey("campus", "kernel-smoke")).runId(), "the newest readable run is the hub's latest");
        }
    }
}
