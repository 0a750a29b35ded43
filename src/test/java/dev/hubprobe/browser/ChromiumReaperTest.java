package dev.hubprobe.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * After a kill -9 of the service (no shutdown hook), the next start ends the Chromiums it left and removes
 * their profiles; a live JVM's profile and browser (another service on the host) are left alone.
 */
class ChromiumReaperTest {
    @TempDir
    Path tmp;

    /** A process that names a profile as Chromium does, without being one. */
    private static Process namingProfile(Path profile) throws Exception {
        return new ProcessBuilder("python3", "-c", "import time; time.sleep(300)", "--user-data-dir=" + profile)
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    }

    @Test
    void aDeadJvmsBrowsersAndProfilesGoAndALiveOnesStay() throws Exception {
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor(10, TimeUnit.SECONDS);
        Path stale = Files.createDirectories(tmp.resolve(Chromium.PROFILE_PREFIX + gone.pid() + "-123"));
        Files.writeString(stale.resolve("Local State"), "{}");
        Path live = Files.createDirectories(tmp.resolve(Chromium.PROFILE_PREFIX + ProcessHandle.current().pid() + "-456"));
        Process orphan = namingProfile(stale);
        Process neighbours = namingProfile(live);
        try {
            assertEquals(1, Chromium.reapLeftovers(tmp));
            assertTrue(orphan.waitFor(10, TimeUnit.SECONDS), "the dead JVM's browser was ended");
            assertFalse(Files.exists(stale), "its profile removed");
            assertTrue(neighbours.isAlive(), "a live JVM's browser is not ours to end");
            assertTrue(Files.exists(live));
        } finally {
            orphan.destroyForcibly();
            neighbours.destroyForcibly();
        }
    }
}
