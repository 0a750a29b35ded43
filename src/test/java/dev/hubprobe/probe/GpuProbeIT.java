package dev.hubprobe.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hubprobe.config.StrictYaml;
import dev.hubprobe.testhub.Probes;
import dev.hubprobe.testhub.RealHub;
import dev.hubprobe.testhub.RealHubExtension;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The shipped {@code probes/gpu.yml} on the real test hub. There is no GPU here: the harness's
 * "gpu-small" profile puts a stand-in {@code nvidia-smi} on the server's PATH (src/test/hub/fake-gpu),
 * answering as one A100 40 GB; the "cpu" profile has none, as a GPU profile whose node came without
 * its driver.
 */
@ExtendWith(RealHubExtension.class)
class GpuProbeIT {
    private final RealHub hub = RealHub.shared();

    private static ProbeDefinition shipped(String profile) throws Exception {
        String text = Files.readString(RealHub.basedir().resolve("probes/gpu.yml"));
        assertTrue(text.contains("profile: gpu-small"), "the shipped probe selects the GPU profile by user_options");
        return StrictYaml.read("probes/gpu.yml", text.replace("profile: gpu-small", "profile: " + profile), ProbeDefinition.class)
                .withName("gpu");
    }

    @Test
    void aGpuProfileSeesItsGpuAndMeasuresCountAndMemory() throws Exception {
        RunResult r = Probes.run(hub, RealHub.user("gpu"), shipped("gpu-small"));
        assertTrue(r.passed(), () -> r.reason() + ": " + r.message());
        assertEquals(1.0, r.measurement("gpu_count").orElseThrow().value());
        assertEquals(40960.0 * 1024 * 1024, r.measurement("gpu_memory_bytes").orElseThrow().value());
    }

    @Test
    void aServerWithoutAGpuFailsNamingWhatIsMissing() throws Exception {
        RunResult r = Probes.run(hub, RealHub.user("gpu"), shipped("cpu"));
        assertEquals(Phase.EXECUTE, r.failedPhase(), r::message);
        assertTrue(r.message().contains("no GPU visible to the kernel: nvidia-smi is not on PATH"), r::message);
    }

    /** A GPU whose driver gives no memory size ("[N/A]"): the run fails saying that, not with a parse error. */
    @Test
    void aGpuWhoseMemoryIsNotReportedFailsNamingTheMissingMemory() throws Exception {
        RunResult r = Probes.run(hub, RealHub.user("gpu"), shipped("gpu-nomem"));
        assertEquals(Phase.EXECUTE, r.failedPhase(), r::message);
        assertTrue(r.message().contains("1 GPU visible but its memory is not reported: nvidia-smi memory.total '[N/A]'"),
                r::message);
        assertEquals(1.0, r.measurement("gpu_count").orElseThrow().value(), () -> "" + r.measurements());
    }
}
