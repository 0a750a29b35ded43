package dev.hubprobe.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hubprobe.config.Secret;
import dev.hubprobe.jupyter.hub.HubClientSettings;
import dev.hubprobe.testhub.Await;
import dev.hubprobe.testhub.Probes;
import dev.hubprobe.testhub.RealHub;
import dev.hubprobe.testhub.RealHubExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Notebooks as probes, cleanup cells and measurements, on the real hub: the user's kernel runs on this
 * machine, so what a cell or a cleanup cell does to a file in the test's directory is the evidence.
 */
@ExtendWith(RealHubExtension.class)
class NotebookProbeIT {
    private final RealHub hub = RealHub.shared();

    @TempDir
    Path dir;

    private static String why(RunResult r) {
        return r.failedPhase() + " " + r.reason() + " " + r.message() + " notes " + r.notes();
    }

    private static PhaseResult phase(RunResult r, Phase p) {
        return r.phases().stream().filter(x -> x.phase() == p).findFirst().orElseThrow(() -> new AssertionError("no " + p + " in " + r.phases()));
    }

    /** A notebook of these code cells (each a source text; {@code saved} their saved stdout, or null for none). */
    private Path notebook(String name, String[] cells, String[] saved) throws Exception {
        StringBuilder b = new StringBuilder("{\"nbformat\": 4, \"nbformat_minor\": 5, \"metadata\": {\"kernelspec\": {\"name\": \"python3\"}},"
                + " \"cells\": [{\"cell_type\": \"markdown\", \"metadata\": {}, \"source\": \"# a check\"}");
        for (int i = 0; i < cells.length; i++) {
            String out = saved == null || saved[i] == null ? "[]"
                    : "[{\"output_type\": \"stream\", \"name\": \"stdout\", \"text\": " + dev.hubprobe.json.Json.mapper().writeValueAsString(saved[i]) + "}]";
            b.append(", {\"cell_type\": \"code\", \"metadata\": {}, \"execution_count\": null, \"outputs\": ").append(out)
                    .append(", \"source\": ").append(dev.hubprobe.json.Json.mapper().writeValueAsString(cells[i])).append('}');
        }
        Path nb = dir.resolve(name + ".ipynb");
        Files.writeString(nb, b.append("]}").toString());
        return nb;
    }

    private ProbeDefinition probe(String yaml) throws Exception {
        Path f = dir.resolve("it-" + Math.abs(yaml.hashCode()) + ".yml");
        Files.writeString(f, yaml);
        return ProbeDefinition.load(f);
    }

    private static String py(Path p) {
        return "r'" + p + "'";
    }

    @Test
    void theShippedCourseNotebookPassesWithItsSavedOutputsAndReportsItsMeasurement() throws Exception {
        RunResult r = Probes.run(hub, RealHub.user("ok"), ProbeDefinition.load(Path.of("probes/notebook-example/notebook-example.yml")));
        assertTrue(r.passed(), () -> why(r));
        assertEquals(4, r.transcript().cells().size(), "every code cell in the transcript");
        assertTrue(r.transcript().cells().get(1).output().contains("[1, 4, 9, 16, 25, 36, 49]"));
        Measurement m = r.measurement("sum_seconds").orElseThrow();
        assertEquals(Measurement.SECONDS, m.unit());
        assertTrue(m.value() > 0 && m.value() < 5, "" + m);
        assertTrue(m.histogram(), "the probe asks a histogram of it");
    }

    @Test
    void aFailingCellIsNamedByIndexAndSourceTheTranscriptKeepsEveryCellAndCleanupStillRuns() throws Exception {
        Path marker = dir.resolve("left-by-cell");
        notebook("failing", new String[] {"open(" + py(marker) + ", 'w').write('x')\nprint('made')", "ratio = 1 / 0", "print('never')"}, null);
        RunResult r = Probes.run(hub, RealHub.user("ok"), probe("notebook: failing.ipynb\ncleanup:\n  - code: |\n      import os\n      os.remove("
                + py(marker) + ")\n"));
        assertEquals(Reason.EXECUTE_ERROR, r.reason(), () -> why(r));
        assertEquals("failing.ipynb cell 3 (ratio = 1 / 0): ZeroDivisionError: division by zero", r.message());
        assertEquals(3 + 1, r.transcript().cells().size(), "three notebook cells and the cleanup cell");
        assertEquals("not run: an earlier cell failed", r.transcript().cells().get(2).error());
        assertEquals(PhaseResult.Status.PASSED, phase(r, Phase.CLEANUP).status());
        assertFalse(Files.exists(marker), "the cleanup cell removed what the first cell made");
    }

    @Test
    void aSavedOutputThatNoLongerMatchesFailsWithTheDiff() throws Exception {
        notebook("drift", new String[] {"print('alpha')\nprint('ran at 12:00:07')", "print('b' * 3)"},
                new String[] {"alpha\nran at 09:15:44\n", "bb\n"});
        RunResult r = Probes.run(hub, RealHub.user("ok"), probe("""
                notebook: drift.ipynb
                expect_saved_outputs: true
                normalize: ['\\d\\d:\\d\\d:\\d\\d']
                """));
        assertEquals(Reason.OUTPUT_MISMATCH, r.reason(), () -> why(r));
        assertTrue(r.message().startsWith("drift.ipynb cell 3 (print('b' * 3)): output differs from the saved output:"), r.message());
        assertTrue(r.message().contains("- bb\n+ bbb"), r.message());
    }

    @Test
    void aNotebookCellPastItsTimeoutIsNamedAndTheTranscriptKeepsEveryCell() throws Exception {
        notebook("slow", new String[] {"print('one')", "import time\ntime.sleep(120)", "print('three')"}, null);
        RunResult r = Probes.run(hub, RealHub.user("ok"), probe("notebook: slow.ipynb\ntimeouts: {execute: 4s}\n"));
        assertEquals(Reason.EXECUTE_TIMEOUT, r.reason(), () -> why(r));
        assertTrue(r.message().startsWith("slow.ipynb cell 3 (import time): "), r.message());
        assertEquals(3, r.transcript().cells().size(), () -> r.transcript().cells().toString());
        assertTrue(r.transcript().cells().get(1).error().startsWith("execute_timeout: "), r.transcript().cells().get(1).error());
        assertEquals("not run: an earlier cell failed", r.transcript().cells().get(2).error());
    }

    @Test
    void aCellPastItsTimeoutIsInterruptedAndTheCleanupRunsInTheSameKernel() throws Exception {
        Path marker = dir.resolve("left-by-slow-cell");
        RunResult r = Probes.run(hub, RealHub.user("ok"), probe("timeouts: {execute: 4s, cleanup: 30s}\ncells:\n  - code: |\n"
                + "      import time\n      open(" + py(marker) + ", 'w').write('x')\n      time.sleep(120)\n"
                + "cleanup:\n  - code: |\n      import os\n      os.remove(" + py(marker) + ")\n"));
        assertEquals(Reason.EXECUTE_TIMEOUT, r.reason(), () -> why(r));
        assertEquals(PhaseResult.Status.PASSED, phase(r, Phase.CLEANUP).status(), () -> phase(r, Phase.CLEANUP).message());
        assertTrue(r.notes().contains("cleanup: interrupted the kernel, a cell was still running"), r.notes()::toString);
        assertFalse(Files.exists(marker), "the cleanup ran, not queued behind the sleeping cell");
    }

    @Test
    void aStopDuringACellStillRunsTheCleanup() throws Exception {
        Path marker = dir.resolve("left-by-stopped-cell");
        ProbeDefinition p = probe("timeouts: {execute: 5m, cleanup: 30s}\ncells:\n  - code: |\n"
                + "      import time\n      open(" + py(marker) + ", 'w').write('x')\n      time.sleep(300)\n"
                + "cleanup:\n  - code: |\n      import os\n      os.remove(" + py(marker) + ")\n");
        ProbeRunner runner = new ProbeRunner(ProbeClock.SYSTEM, HubClientSettings.defaults("hubprobe-it"));
        ProbeRunner.Abort abort = new ProbeRunner.Abort();
        CompletableFuture<RunResult> run = CompletableFuture.supplyAsync(() -> runner.run(new ProbeTarget("test", hub.url(),
                RealHub.user("ok"), new ProbeTarget.Token(Secret.of(hub.serviceToken()))), p, abort));
        Await.until("the cell to start", 120, () -> Files.exists(marker));
        abort.request(); // what SIGTERM and a service shutdown do
        RunResult r = run.get(90, TimeUnit.SECONDS);
        assertEquals(Reason.ABORTED, r.reason(), () -> why(r));
        assertEquals(PhaseResult.Status.PASSED, phase(r, Phase.CLEANUP).status(), () -> phase(r, Phase.CLEANUP).message());
        assertFalse(Files.exists(marker), "the cleanup cell ran after the stop");
        assertEquals(PhaseResult.Status.PASSED, phase(r, Phase.STOP).status(), "and the server was stopped after it");
    }

    @Test
    void aFailingCleanupCellIsANoteAndAPhaseResultNeverAFailureOfTheHub() throws Exception {
        RunResult r = Probes.run(hub, RealHub.user("ok"), probe("cells: [{code: 'print(1)'}]\ncleanup:\n  - code: raise RuntimeError('disk busy')\n"));
        assertTrue(r.passed(), () -> why(r));
        PhaseResult c = phase(r, Phase.CLEANUP);
        assertEquals(PhaseResult.Status.FAILED, c.status());
        assertEquals(Reason.CLEANUP_FAILED, c.reason());
        assertTrue(r.notes().stream().anyMatch(n -> n.startsWith("cleanup failed (cleanup_failed): cleanup cell 1 (raise RuntimeError('disk busy')):"
                + " RuntimeError: disk busy")), r.notes()::toString);
        assertEquals(PhaseResult.Status.PASSED, phase(r, Phase.KERNEL_SHUTDOWN).status());
    }

    @Test
    void measurementsWithinTheirBoundsPassAndOneOutsideFailsTheRunNamingIt() throws Exception {
        String cells = "cells:\n  - code: |\n      print('hubprobe-measure: write_seconds 120 ms')\n      print('hubprobe-measure: home_free_bytes 1 MiB')\n"
                + "      print('hubprobe-measure: Bad-Name 3')\n    expect: {measure: [write_seconds]}\n";
        RunResult ok = Probes.run(hub, RealHub.user("ok"), probe(cells + "measurements:\n  write_seconds: {max: 5s}\n"));
        assertTrue(ok.passed(), () -> why(ok));
        assertEquals(0.12, ok.measurement("write_seconds").orElseThrow().value(), 1e-9);
        assertEquals(1024 * 1024, ok.measurement("home_free_bytes").orElseThrow().value());
        assertTrue(ok.notes().stream().anyMatch(n -> n.contains("measurement line ignored") && n.contains("Bad-Name")), ok.notes()::toString);
        RunResult bad = Probes.run(hub, RealHub.user("ok"), probe(cells + "measurements:\n  write_seconds: {max: 5s}\n  home_free_bytes: {min: 10GiB}\n"));
        assertEquals(Reason.MEASURE_OUT_OF_RANGE, bad.reason(), () -> why(bad));
        assertEquals(Phase.EXECUTE, bad.failedPhase());
        assertEquals("measurement home_free_bytes = 1 MiB is below its min 10 GiB", bad.message());
        assertEquals(2, bad.measurements().size(), "kept with the failed run too");
    }
}
