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
}
