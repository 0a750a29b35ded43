package dev.hubprobe.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hubprobe.probe.Phase;
import dev.hubprobe.probe.PhaseResult;
import dev.hubprobe.probe.Reason;
import dev.hubprobe.probe.RunResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

class ReportsTest {
    @TempDir
    Path dir;

    private static RunResult failedSpawn() {
        return new RunResult("r1", "staging", "kernel-smoke", "bot", Instant.parse("2026-11-22T10:00:00Z"),
                Duration.ofMillis(2500),
                List.of(new PhaseResult(Phase.HUB_API, PhaseResult.Status.PASSED, Duration.ofMillis(10), null, null),
                        new PhaseResult(Phase.LOGIN, PhaseResult.Status.PASSED, Duration.ofMillis(40), null, null),
                        new PhaseResult(Phase.SPAWN, PhaseResult.Status.FAILED, Duration.ofMillis(2000), Reason.SPAWN_FAILED,
                                "Spawn failed: <image> & \"quotes\""),
                        PhaseResult.skipped(Phase.KERNEL_START)),
                List.of(), null, Phase.SPAWN, Reason.SPAWN_FAILED, "Spawn failed: <image> & \"quotes\"", Map.of(), List.of());
    }

    @Test
    void jsonHasTheDocumentedShape() throws Exception {
        JsonNode j = new ObjectMapper().readTree(JsonReport.render(failedSpawn()));
        assertEquals("failed", j.path("status").asText());
        assertEquals("spawn", j.path("failed_phase").asText());
        assertEquals("spawn_failed", j.path("reason").asText());
        assertEquals(2.5, j.path("duration_seconds").asDouble(), 1e-9);
        assertEquals("2026-11-22T10:00:00Z", j.path("started_at").asText());
        assertEquals("kernel_start", j.path("phases").get(3).path("name").asText());
        assertEquals("skipped", j.path("phases").get(3).path("status").asText());
    }

    @Test
    void junitIsValidXmlWithOneTestcasePerPhase() throws Exception {
        Path f = dir.resolve("out/junit.xml");
        JUnitReport.write(failedSpawn(), f);
        Document d = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(f.toFile());
        Element suite = (Element) d.getElementsByTagName("testsuite").item(0);
        assertEquals("4", suite.getAttribute("tests"));
        assertEquals("1", suite.getAttribute("failures"));
        assertEquals("1", suite.getAttribute("skipped"));
        Element failure = (Element) d.getElementsByTagName("failure").item(0);
        assertEquals("spawn_failed", failure.getAttribute("type"));
        assertTrue(failure.getTextContent().contains("<image> & \"quotes\""));
        assertTrue(Files.readString(f).contains("name=\"spawn\""));
    }

    @Test
    void textNamesTheFailedPhase() {
        String t = TextReport.render(failedSpawn());
        assertTrue(t.contains("FAILED in phase spawn (spawn_failed)"), t);
        assertTrue(t.lines().anyMatch(l -> l.trim().startsWith("kernel_start") && l.contains("skipped")), t);
    }

    @Test
    void theTextReportSaysWhichHubAndServerTheRunWentAgainst() throws Exception {
        RunResult r = failedSpawn();
        RunResult withVersions = new RunResult(r.runId(), r.hub(), r.probe(), r.user(), r.startedAt(), r.duration(), r.phases(),
                r.spawnPhases(), null, r.failedPhase(), r.reason(), r.message(),
                Map.of("hub_version", "4.1.6", "server_version", "6.5.7"), List.of());
        String t = TextReport.render(withVersions);
        assertTrue(t.lines().anyMatch(l -> l.equals("  JupyterHub 4.1.6, single-user server 6.5.7")), t);
        JsonNode j = new ObjectMapper().readTree(JsonReport.render(withVersions));
        assertEquals("4.1.6", j.path("facts").path("hub_version").asText(), j::toString);
        assertEquals("6.5.7", j.path("facts").path("server_version").asText(), j::toString);
        // a run that never reached the hub says nothing of versions
        assertTrue(TextReport.render(r).lines().noneMatch(l -> l.contains("JupyterHub")), TextReport.render(r));
    }

    @Test
    void whatAHostileHubWritesCannotColourRewriteOrForgeLinesOfTheTextReport() {
        RunResult f = failedSpawn();
        String escape = "\u001b[32mPASSED\u001b[0m";
        RunResult r = new RunResult(f.runId(), f.hub(), f.probe(), f.user(), f.startedAt(), f.duration(),
                List.of(f.phases().get(0), new PhaseResult(Phase.SPAWN, PhaseResult.Status.FAILED, Duration.ofMillis(2000),
                        Reason.SPAWN_FAILED, "boom\r" + escape + "\nPASSED in 0.001 s")),
                List.of(), null, Phase.SPAWN, Reason.SPAWN_FAILED, "boom\u009b2J\u202e\nPASSED in 0.001 s",
                Map.of("hub_version", "5.2.1\u001b]52;c;aGk=\u0007"), List.of("a note\nPASSED in 0.001 s"));
        String t = TextReport.render(r);
        assertTrue(t.chars().noneMatch(c -> c == 0x1b || c == 0x9b || c == 0x07 || c == 0x202e || c == '\r'), t);
        // one line per phase and per note, and the only verdict line is hubprobe's own
        assertEquals(1, t.lines().filter(l -> l.contains("PASSED") || l.contains("FAILED")).filter(l -> l.startsWith("PASSED") || l.startsWith("FAILED")).count(), t);
        assertTrue(t.lines().anyMatch(l -> l.startsWith("FAILED in phase spawn (spawn_failed) after 2.500 s: boom\uFFFD2J\uFFFD PASSED in 0.001 s")), t);
        assertTrue(t.lines().anyMatch(l -> l.equals("  JupyterHub 5.2.1\uFFFD]52;c;aGk=\uFFFD")), t);
        assertTrue(t.lines().anyMatch(l -> l.trim().startsWith("spawn") && l.endsWith("spawn_failed: boom \uFFFD[32mPASSED\uFFFD[0m PASSED in 0.001 s")), t);
        assertTrue(t.lines().anyMatch(l -> l.equals("  note: a note PASSED in 0.001 s")), t);
    }

    @Test
    void measurementsAreInEveryReportInBaseUnits() throws Exception {
        RunResult f = failedSpawn();
        RunResult r = new RunResult(f.runId(), f.hub(), f.probe(), f.user(), f.startedAt(), f.duration(), f.phases(), f.spawnPhases(),
                null, Phase.EXECUTE, Reason.MEASURE_OUT_OF_RANGE, "measurement home_free_bytes = 1 MiB is below its min 10 GiB",
                Map.of(), List.of(), null, null, List.of(new dev.hubprobe.probe.Measurement("write_seconds", 0.12, "seconds"),
                        new dev.hubprobe.probe.Measurement("home_free_bytes", 1048576, "bytes")));
        JsonNode j = new ObjectMapper().readTree(JsonReport.render(r));
        assertEquals("measure_out_of_range", j.path("reason").asText());
        assertEquals("write_seconds", j.path("measurements").get(0).path("name").asText());
        assertEquals(0.12, j.path("measurements").get(0).path("value").asDouble(), 1e-12);
        assertEquals("seconds", j.path("measurements").get(0).path("unit").asText());
        assertEquals("bytes", j.path("measurements").get(1).path("unit").asText());
        String t = TextReport.render(r);
        assertTrue(t.contains("measurement home_free_bytes: 1 MiB"), t);
        Path x = dir.resolve("m.xml");
        JUnitReport.write(r, x);
        Document d = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(x.toFile());
        Element p = (Element) d.getElementsByTagName("property").item(0);
        assertEquals("measurement.write_seconds", p.getAttribute("name"));
        assertEquals("0.12", p.getAttribute("value"));
    }

    @Test
    void aFailedCleanupCellOnAPassedRunIsNoJUnitFailure() throws Exception {
        RunResult r = new RunResult("r2", "staging", "nb", "bot", Instant.parse("2026-11-22T10:00:00Z"), Duration.ofSeconds(3),
                List.of(new PhaseResult(Phase.EXECUTE, PhaseResult.Status.PASSED, Duration.ofMillis(10), null, null),
                        new PhaseResult(Phase.CLEANUP, PhaseResult.Status.FAILED, Duration.ofMillis(20), Reason.CLEANUP_FAILED,
                                "cleanup cell 1 (rm x): FileNotFoundError: x"),
                        new PhaseResult(Phase.KERNEL_SHUTDOWN, PhaseResult.Status.PASSED, Duration.ofMillis(5), null, null)),
                List.of(), null, null, null, null, Map.of(), List.of("cleanup failed (cleanup_failed): ..."));
        assertTrue(r.passed());
        Path f = dir.resolve("cleanup.xml");
        JUnitReport.write(r, f);
        Document d = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(f.toFile());
        Element suite = (Element) d.getElementsByTagName("testsuite").item(0);
        // a CI reading this must stay green on a hub that is fine
        assertEquals("0", suite.getAttribute("failures"), Files.readString(f));
        assertEquals(0, d.getElementsByTagName("failure").getLength(), Files.readString(f));
        assertEquals(0, d.getElementsByTagName("error").getLength(), Files.readString(f));
        // ... and still sees which cleanup cell failed and why
        Element skipped = (Element) d.getElementsByTagName("skipped").item(0);
        assertEquals("cleanup", ((Element) skipped.getParentNode()).getAttribute("name"));
        assertTrue(skipped.getAttribute("message").contains("cleanup_failed"), skipped.getAttribute("message"));
        assertTrue(skipped.getAttribute("message").contains("cleanup cell 1 (rm x): FileNotFoundError: x"), skipped.getAttribute("message"));
        assertEquals("1", suite.getAttribute("skipped"));
    }

    @Test
    void aCellOutputWithAnsiCodesStillMakesJUnitXmlACiCanRead() throws Exception {
        String diff = "nb.ipynb cell 3 (print(x)): output differs from the saved output:\n@@ line 1 @@\n- ok\n+ \u001b[31mred\u001b[0m \u0000";
        RunResult f = failedSpawn();
        RunResult r = new RunResult(f.runId(), f.hub(), f.probe(), f.user(), f.startedAt(), f.duration(),
                List.of(new PhaseResult(Phase.EXECUTE, PhaseResult.Status.FAILED, Duration.ofMillis(10), Reason.OUTPUT_MISMATCH, diff)),
                List.of(), null, Phase.EXECUTE, Reason.OUTPUT_MISMATCH, diff, Map.of(), List.of());
        Path x = dir.resolve("ansi.xml");
        JUnitReport.write(r, x);
        Document d = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(x.toFile());
        Element failure = (Element) d.getElementsByTagName("failure").item(0);
        assertTrue(failure.getTextContent().contains("+ \uFFFD[31mred\uFFFD[0m"), failure.getTextContent());
        assertTrue(failure.getAttribute("message").contains("nb.ipynb cell 3 (print(x))"), failure.getAttribute("message"));
    }
}
