package dev.hubprobe.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Closing a browser ends every process of it, on the paths a stopping run takes: a driver that launches
 * its browser at the moment it is told to stop (a SIGTERM of check while the session was being created),
 * and a close on a thread that was interrupted (a run cut short). A python3 process stands in for
 * chromedriver, and another for the Chromium it launches (it names the profile as Chromium does).
 */
class ChromiumKillTest {
    @TempDir
    Path tmp;
    private Process driver;
    /** The stand-in's profile: a failed test still ends the stand-in browser naming it (it sleeps 300 s). */
    private Path profile;

    @AfterEach
    void after() {
        if (driver != null) {
            driver.destroyForcibly();
        }
        if (profile != null) {
            naming(profile).forEach(ProcessHandle::destroyForcibly);
        }
    }

    private static List<ProcessHandle> naming(Path profile) {
        try (Stream<ProcessHandle> all = ProcessHandle.allProcesses()) {
            return all.filter(ProcessHandle::isAlive).filter(h -> h.info().arguments()
                    .map(a -> List.of(a).contains("--user-data-dir=" + profile)).orElse(false)).toList();
        }
    }

    private static Chromium standIn(Process driver, Path profile) {
        return new Chromium(driver, profile, new OkHttpClient(), "http://127.0.0.1:9");
    }

    /** A driver whose SIGTERM handler runs {@code onTerm} (python) and which says "ready" once it is set. */
    private Process driver(Path profile, String onTerm) throws Exception {
        Path ready = tmp.resolve("ready");
        String script = String.join("\n",
                "import os, signal, subprocess, sys, time",
                "profile = sys.argv[1]",
                "def term(signum, frame):",
                "    " + onTerm,
                "signal.signal(signal.SIGTERM, term)",
                "open(sys.argv[2], 'w').close()",
                "while True: time.sleep(0.1)");
        Process p = new ProcessBuilder("python3", "-c", script, profile.toString(), ready.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        long until = System.nanoTime() + 10_000_000_000L;
        while (!Files.exists(ready) && System.nanoTime() < until) {
            Thread.sleep(20);
        }
        assertTrue(Files.exists(ready), "the stand-in driver started");
        return p;
    }

    @Test
    void aBrowserLaunchedAsTheDriverIsStoppedIsEndedWithIt() throws Exception {
        profile = Files.createDirectories(tmp.resolve(Chromium.PROFILE_PREFIX + ProcessHandle.current().pid() + "-kill"));
        // the browser starts in its own session, as an orphan would be: only its profile argument names it ours
        driver = driver(profile, "subprocess.Popen(['python3', '-c', 'import time; time.sleep(300)', '--user-data-dir=' + profile],"
                + " start_new_session=True); os._exit(0)");
        standIn(driver, profile).close();
        assertEquals(List.of(), naming(profile), "a browser of the run is still running after close");
        assertFalse(Files.exists(profile), "the profile is removed");
    }

    @Test
    void aCloseOnAnInterruptedThreadStillEndsADriverThatIgnoresSigterm() throws Exception {
        profile = Files.createDirectories(tmp.resolve(Chromium.PROFILE_PREFIX + ProcessHandle.current().pid() + "-intr"));
        driver = driver(profile, "pass");
        Chromium c = standIn(driver, profile);
        Thread.currentThread().interrupt();
        try {
            c.close();
            assertTrue(Thread.currentThread().isInterrupted(), "the caller's interrupt is kept");
        } finally {
            Thread.interrupted();
        }
        assertFalse(driver.isAlive(), "the driver was killed when SIGTERM did not end it");
        assertFalse(Files.exists(profile), "the profile is removed");
    }
}
