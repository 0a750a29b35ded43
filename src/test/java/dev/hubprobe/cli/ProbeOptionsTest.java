package dev.hubprobe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.hubprobe.probe.ProbeDefinition;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ProbeOptionsTest {

    /** check's default probe is built in code (no YAML read on its path): it must stay what the shipped file says. */
    @Test
    void builtInProbeIsTheShippedKernelSmokeFile() throws Exception {
        ProbeDefinition shipped = ProbeDefinition.load(Path.of("probes/kernel-smoke.yml"));
        assertEquals(shipped, ProbeOptions.builtIn());
        assertEquals(ProbeOptions.builtInFromFile(), ProbeOptions.builtIn());
        assertEquals(shipped, new ProbeOptions().resolve());
    }
}
