package dev.hubprobe.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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

    /**
     * Whether the harness got a tmpfs onto the user's home. Where it cannot mount one (CI as a non-root user)
     * it uses stand-ins, with errors of their own: each test asserts the one its home really had, so none
     * passes on a home that was not broken.
     */
    private boolean mounted(String user) throws Exception {
        String home = hub.home(user).toAbsolutePath().toString();
        return Files.readAllLines(java.nio.file.Path.of("/proc/self/mounts")).stream()
                .anyMatch(l -> l.split(" ")[1].equals(home));
    }

    private static boolean root() {
        return new com.sun.security.auth.module.UnixSystem().getUid() == 0;
    }

    /** The read-only home's failure: EROFS on a read-only tmpfs, EACCES on the stand-in (a home of mode 0555). */
    private void assertReadOnlyFailure(String user, RunResult r) throws Exception {
        // where neither can be made (root, no mounts) the spawn fails saying so, and this says it too
        assertEquals(Phase.EXECUTE, r.failedPhase(), r::message);
        assertTrue(r.message().contains(mounted(user) ? "$HOME is read-only (EROFS) at the write of a 16 MiB file"
                : "$HOME is not writable (EACCES: Permission denied) at the write of a 16 MiB file"), r::message);
        assertEquals(List.of(), leftBehind(user));
    }

    /** The full home's failure: ENOSPC on a filled 1 MiB tmpfs, EFBIG on the stand-in (a 1 MiB file-size limit). */
    private void assertFullFailure(String user, RunResult r) throws Exception {
        assertEquals(Phase.EXECUTE, r.failedPhase(), r::message);
        if (mounted(user)) {
            assertTrue(r.message().contains("$HOME is full (ENOSPC"), r::message);
            assertTrue(r.measurement("home_free_bytes").orElseThrow().value() < 64 * 1024, () -> "" + r.measurements());
        } else {
            assertTrue(r.message().contains("$HOME is full (EFBIG: File too large) at the write of a 16 MiB file"), r::message);
        }
        String cleanup = r.transcript().cells().get(r.transcript().cells().size() - 1).output();
        assertTrue(cleanup.contains("removed .hubprobe-storage-"), cleanup);
        assertEquals(List.of(), leftBehind(user));
    }

    @Test
    void aReadOnlyHomeFailsSayingItIsReadOnly() throws Exception {
        String user = RealHub.user("rohome");
        assertReadOnlyFailure(user, Probes.run(hub, user, shipped()));
    }

    @Test
    void aFullHomeFailsSayingItIsFullAndTheCleanupRemovesThePartFileWritten() throws Exception {
        String user = RealHub.user("fullhome");
        assertFullFailure(user, Probes.run(hub, user, shipped()));
    }

    /** The stand-in for a full home, as where no tmpfs can be mounted: the probe still fails naming a full home. */
    @Test
    void withoutMountsAFullHomeIsAFileSizeLimitAndStillFailsAsFull() throws Exception {
        String user = RealHub.user("fullhome");
        hub.control("nomount-" + user, "");
        RunResult r = Probes.run(hub, user, shipped());
        assertFalse(mounted(user), "the nomount knob was not followed");
        assertFullFailure(user, r);
    }

    /**
     * The stand-in for a read-only home: a mode a non-root hub cannot write through. A root hub is not
     * stopped by a mode, so there the spawn fails naming why instead of giving the probe a working home.
     */
    @Test
    void withoutMountsAReadOnlyHomeIsAModeOrTheSpawnSaysWhyNot() throws Exception {
        String user = RealHub.user("rohome");
        hub.control("nomount-" + user, "");
        RunResult r = Probes.run(hub, user, shipped());
        assertFalse(mounted(user), "the nomount knob was not followed");
        if (root()) {
            assertEquals(Phase.SPAWN, r.failedPhase(), r::message);
            assertTrue(r.message().contains("rohome: no read-only home can be made here"), r::message);
        } else {
            assertReadOnlyFailure(user, r);
        }
    }
}
