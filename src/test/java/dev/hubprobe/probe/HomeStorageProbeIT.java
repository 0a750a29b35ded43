package dev.hubprobe.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hubprobe.testhub.Probes;
import dev.hubprobe.testhub.RealHub;
import dev.hubprobe.testhub.RealHubExtension;
import java.nio.file.Files;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The shipped {@code probes/home-storage.yml} on the real test hub: a working home, a read-only one
 * (user prefix {@code rohome}: a read-only tmpfs) and a full one ({@code fullhome}: a 1 MiB tmpfs, filled;
 * see hubprobe_test_spawner.py). Whatever happened, the run leaves no file of its own in the home.
 */
@ExtendWith(RealHubExtension.class)
class HomeStorageProbeIT {
    private final RealHub hub = RealHub.shared();

    private static ProbeDefinition shipped() throws Exception {
        return ProbeDefinition.load(RealHub.basedir().resolve("probes/home-storage.yml"));
    }

    /** The probe's own files left in the user's home (its name is .hubprobe-storage-&lt;run&gt;). */
    private List<String> leftBehind(String user) throws Exception {
        if (!Files.isDirectory(hub.home(user))) {
            return List.of();
        }
        try (Stream<java.nio.file.Path> files = Files.list(hub.home(user))) {
            return files.map(f -> f.getFileName().toString()).filter(n -> n.startsWith(".hubprobe-storage-")).toList();
        }
    }

    @Test
    void writesFsyncsReadsBackAndDeletesAFileAndMeasuresEachStepAndTheFreeSpace() throws Exception {
        String user = RealHub.user("home");
        RunResult r = Probes.run(hub, user, shipped());
        assertTrue(r.passed(), () -> r.reason() + ": " + r.message());
        for (String m : List.of("write_seconds", "fsync_seconds", "read_seconds")) {
            assertTrue(r.measurement(m).filter(x -> x.value() > 0 && Measurement.SECONDS.equals(x.unit())).isPresent(),
                    () -> m + " not measured: " + r.measurements());
        }
        Measurement free = r.measurement("home_free_bytes").orElseThrow();
        assertEquals(Measurement.BYTES, free.unit());
        long usable = Files.getFileStore(hub.home(user)).getUsableSpace();
        // the kernel's view of the home's free space is the file system's (within what others wrote meanwhile)
        assertTrue(Math.abs(free.value() - usable) < 4L << 30, () -> free + " vs " + usable);
        assertEquals(List.of(), leftBehind(user));
    }

    @Test
    void aReadOnlyHomeFailsSayingItIsReadOnly() throws Exception {
        String user = RealHub.user("rohome");
        RunResult r = Probes.run(hub, user, shipped());
        assertEquals(Phase.EXECUTE, r.failedPhase(), r::message);
        assertTrue(r.message().contains("$HOME is read-only (EROFS) at the write of a 16 MiB file"), r::message);
        assertEquals(List.of(), leftBehind(user));
    }

    @Test
    void aFullHomeFailsSayingItIsFullAndTheCleanupRemovesThePartFileWritten() throws Exception {
        String user = RealHub.user("fullhome");
        RunResult r = Probes.run(hub, user, shipped());
        assertEquals(Phase.EXECUTE, r.failedPhase(), r::message);
        assertTrue(r.message().contains("$HOME is full (ENOSPC"), r::message);
        assertTrue(r.measurement("home_free_bytes").orElseThrow().value() < 64 * 1024, () -> "" + r.measurements());
        String cleanup = r.transcript().cells().get(r.transcript().cells().size() - 1).output();
        assertTrue(cleanup.contains("removed .hubprobe-storage-"), cleanup);
        assertEquals(List.of(), leftBehind(user));
    }
}
