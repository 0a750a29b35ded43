package dev.hubprobe.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hubprobe.config.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Probe files are read strictly, and every mistake names the file, the line and the key path. */
class ProbeDefinitionTest {
    @TempDir
    Path dir;

    private ConfigException bad(String yaml) throws Exception {
        Path f = dir.resolve("broken.yml");
        Files.writeString(f, yaml);
        return assertThrows(ConfigException.class, () -> ProbeDefinition.load(f));
    }

    @Test
    void shippedProbesLoad() throws Exception {
        for (String name : new String[] {"kernel-smoke", "environment"}) {
            ProbeDefinition p = ProbeDefinition.load(Path.of("probes", name + ".yml"));
            assertEquals(name, p.name());
            assertTrue(!p.cells().isEmpty());
        }
        ProbeDefinition smoke = ProbeDefinition.load(Path.of("probes/kernel-smoke.yml"));
        assertEquals(Duration.ofMinutes(1), smoke.timeouts().execute());
        assertEquals(Duration.ofSeconds(30), smoke.timeouts().hub(), "unset timeouts take defaults");
    }

    @Test
    void keyNestedOneLevelOffIsRejectedWithItsPath() throws Exception {
        ConfigException e = bad("""
                cells:
                  - code: print(1)
                    expect:
                      output_contains: "1"
                      timeouts:
                        execute: 1m
                """);
        assertEquals("cells[0].expect.timeouts", e.keyPath());
        assertEquals(5, e.line());
        assertTrue(e.getMessage().startsWith(dir.resolve("broken.yml") + ":5: cells[0].expect.timeouts: unknown key 'timeouts'"), e.getMessage());
        assertTrue(e.getMessage().contains("output_contains"), "lists what is allowed: " + e.getMessage());
    }

    @Test
    void badDurationNamesKeyAndValue() throws Exception {
        ConfigException e = bad("""
                timeouts:
                  spawn: 10 minutes
                cells:
                  - code: print(1)
                """);
        assertEquals("timeouts.spawn", e.keyPath());
        assertEquals(2, e.line());
        assertTrue(e.getMessage().contains("10 minutes"), e.getMessage());
    }

    @Test
    void probeWithoutCellsIsRejected() throws Exception {
        ConfigException e = bad("description: nothing to run\n");
        assertTrue(e.getMessage().contains("at least one cell"), e.getMessage());
    }

    @Test
    void invalidRegexIsRejectedWithItsKey() throws Exception {
        ConfigException e = bad("""
                cells:
                  - code: print(1)
                    expect: {output_matches: "(unclosed"}
                """);
        assertEquals("cells[0].expect", e.keyPath());
        assertTrue(e.getMessage().contains("output_matches"), e.getMessage());
    }

    @Test
    void wrongTypeSaysWhatWasExpected() throws Exception {
        ConfigException e = bad("cells: print(1)\n");
        assertEquals("cells", e.keyPath());
        assertTrue(e.getMessage().contains("a list"), e.getMessage());
    }

    @Test
    void duplicateKeyIsRejected() throws Exception {
        ConfigException e = bad("""
                kernel: python3
                kernel: ir
                cells:
                  - code: print(1)
                """);
        assertTrue(e.getMessage().contains("kernel"), e.getMessage());
        assertEquals(2, e.line());
    }

    @Test
    void missingFileIsNamed() {
        Path f = dir.resolve("nope.yml");
        ConfigException e = assertThrows(ConfigException.class, () -> ProbeDefinition.load(f));
        assertEquals(f + ": file does not exist", e.getMessage());
    }

    @Test
    void theShippedNotebookExampleLoadsItsCodeCellsWithTheirPlacesExpectationsAndSavedOutputs() throws Exception {
        ProbeDefinition p = ProbeDefinition.load(Path.of("probes/notebook-example/notebook-example.yml"));
        assertEquals("notebook-example", p.name());
        assertEquals("python3", p.kernel(), "the notebook's kernelspec");
        assertEquals(4, p.cells().size(), "four code cells; markdown and the empty last cell are not run");
        assertEquals("week1.ipynb cell 2", p.cells().get(0).where());
        assertEquals("mean grade: 86.0\n", p.cells().get(0).savedOutput());
        assertEquals("[1, 4, 9, 16, 25, 36, 49]", p.cells().get(1).savedOutput());
        assertEquals("ada A", p.cells().get(2).expect().outputContains(), "from the cell's metadata");
        assertEquals(java.util.List.of("sum_seconds"), p.cells().get(3).expect().measure());
        assertTrue(p.expectSavedOutputs());
        assertTrue(p.histogram("sum_seconds"));
        assertEquals(5.0, p.measurements().get("sum_seconds").max().value());
    }

    @Test
    void aProbesOwnKernelWinsOverTheNotebooks() throws Exception {
        Files.copy(Path.of("probes/notebook-example/week1.ipynb"), dir.resolve("week1.ipynb"));
        Path f = dir.resolve("p.yml");
        Files.writeString(f, "kernel: other\nnotebook: week1.ipynb\n");
        assertEquals("other", ProbeDefinition.load(f).kernel());
    }

    private ConfigException badNotebook(String json) throws Exception {
        Files.writeString(dir.resolve("nb.ipynb"), json);
        Path f = dir.resolve("p.yml");
        Files.writeString(f, "notebook: nb.ipynb\n");
        return assertThrows(ConfigException.class, () -> ProbeDefinition.load(f));
    }

    @Test
    void malformedNotebooksAreRefusedAtLoadNamingTheFileAndWhy() throws Exception {
        String nb = dir.resolve("nb.ipynb").toString();
        ConfigException e = badNotebook("{\"cells\": [");
        assertEquals(nb, e.file());
        assertTrue(e.problem().startsWith("not a notebook: not valid JSON"), e.getMessage());
        e = badNotebook("{\"nbformat\": 3, \"worksheets\": []}");
        assertEquals(nb, e.file());
        assertEquals("not an nbformat 4 notebook (nbformat: 3)", e.problem());
        e = badNotebook("{\"nbformat\": 4, \"metadata\": {}, \"cells\": [{\"cell_type\": \"markdown\", \"source\": \"# hi\"},"
                + " {\"cell_type\": \"code\", \"source\": [\"  \"], \"outputs\": []}]}");
        assertEquals("the notebook has no code cells to run", e.problem());
        e = badNotebook("{\"nbformat\": 4, \"cells\": [{\"cell_type\": \"code\", \"source\": \"1\", \"outputs\": [],"
                + " \"metadata\": {\"hubprobe\": {\"expect\": {\"output_contain\": \"1\"}}}}]}");
        assertEquals("cells[0].metadata.hubprobe.expect.output_contain", e.keyPath());
        Files.delete(dir.resolve("nb.ipynb"));
        Path f = dir.resolve("p.yml");
        e = assertThrows(ConfigException.class, () -> ProbeDefinition.load(f));
        assertEquals("notebook file does not exist", e.problem());
    }

    @Test
    void notebookAndCellsTogetherAreRefused() throws Exception {
        ConfigException e = bad("notebook: x.ipynb\ncells:\n  - code: print(1)\n");
        assertEquals("notebook", e.keyPath());
    }

    @Test
    void notebookOnlyKeysOfACellAreNotProbeFileKeys() throws Exception {
        ConfigException e = bad("cells:\n  - code: print(1)\n    saved_output: x\n");
        assertEquals("cells[0].saved_output", e.keyPath());
    }

    @Test
    void measurementBoundsAreCheckedAtLoad() throws Exception {
        Path f = dir.resolve("m.yml");
        Files.writeString(f, "cells:\n  - code: print(1)\nmeasurements:\n  write_seconds: {max: 500ms}\n  free: {min: 10GiB}\n");
        ProbeDefinition p = ProbeDefinition.load(f);
        assertEquals(0.5, p.measurements().get("write_seconds").max().value());
        assertEquals(10.0 * (1L << 30), p.measurements().get("free").min().value());
        ConfigException e = bad("cells:\n  - code: print(1)\nmeasurements:\n  t: {max: 5 hours}\n");
        assertEquals("measurements.t.max", e.keyPath());
        assertTrue(e.getMessage().contains("5 hours"), e.getMessage());
        e = bad("cells:\n  - code: print(1)\nmeasurements:\n  Bad-Name: {max: 5s}\n");
        assertTrue(e.getMessage().contains("Bad-Name"), e.getMessage());
        e = bad("cells:\n  - code: print(1)\n    expect: {measure: [Not_ok]}\n");
        assertTrue(e.getMessage().contains("Not_ok"), e.getMessage());
    }

    @Test
    void cleanupCellsAreRead() throws Exception {
        Path f = dir.resolve("c.yml");
        Files.writeString(f, "cells:\n  - code: print(1)\ncleanup:\n  - code: import os\ntimeouts: {cleanup: 7s}\n");
        ProbeDefinition p = ProbeDefinition.load(f);
        assertEquals("import os", p.cleanup().get(0).code());
        assertEquals(Duration.ofSeconds(7), p.timeouts().of(Phase.CLEANUP));
        assertEquals(Duration.ofSeconds(3 * 7 + 30), StopBounds.run(p), "a stop waits for the cleanup cells too");
        assertEquals(Duration.ofSeconds(2 * 7 + 30), StopBounds.run(p.timeouts()));
    }

    @Test
    void aNotebookOfTenThousandCellsIsRefusedAtLoad() throws Exception {
        StringBuilder nb = new StringBuilder("{\"nbformat\": 4, \"metadata\": {}, \"cells\": [");
        for (int i = 0; i < 10_000; i++) {
            nb.append(i == 0 ? "" : ",").append("{\"cell_type\": \"code\", \"source\": \"print(").append(i).append(")\", \"outputs\": []}");
        }
        ConfigException e = badNotebook(nb.append("]}").toString());
        assertEquals(dir.resolve("nb.ipynb").toString(), e.file());
        assertEquals("cells", e.keyPath());
        assertTrue(e.problem().startsWith("the notebook has more than 500 code cells"), e.problem());
    }

    @Test
    void aDeeplyNestedNotebookIsRefusedAsNotJson() throws Exception {
        ConfigException e = badNotebook("{\"nbformat\": 4, \"metadata\": " + "[".repeat(100_000) + "]".repeat(100_000) + "}");
        assertEquals(dir.resolve("nb.ipynb").toString(), e.file());
        assertTrue(e.problem().startsWith("not a notebook: not valid JSON"), e.problem());
    }

    /** '@' is the series key of a probe on a profile: a probe file cannot take it, or its runs would be labelled with a profile they never spawned on. */
    @Test
    void aProbesOwnNameCannotCarryAProfile() throws Exception {
        Path f = dir.resolve("smoke@gpu-small.yml");
        Files.writeString(f, "cells:\n  - code: print(1)\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ProbeDefinition.load(f));
        assertTrue(e.getMessage().contains("smoke@gpu-small") && e.getMessage().contains("probes: [{probe: smoke, profile: gpu-small}]"),
                e.getMessage());
        ConfigException named = bad("name: smoke@gpu-small\ncells:\n  - code: print(1)\n");
        assertTrue(named.getMessage().contains("broken.yml") && named.getMessage().contains("profile"), named.getMessage());
    }
}
