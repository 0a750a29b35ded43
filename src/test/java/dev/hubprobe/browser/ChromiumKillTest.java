package dev.hubprobe.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
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
        Path ready = tmp.resolve(profile.getFileName() + ".ready");
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
        closeOnAnInterruptedThreadEndsAll(standIn(driver, profile));
    }

    /**
     * close() on an interrupted thread throws nothing, keeps the caller's interrupt, ends the driver (it
     * ignores SIGTERM here: killed after its grace) and removes the profile.
     */
    private void closeOnAnInterruptedThreadEndsAll(Chromium c) {
        Thread.currentThread().interrupt();
        try {
            c.close();
            assertTrue(Thread.currentThread().isInterrupted(), "the caller's interrupt is kept");
        } catch (Exception e) {
            throw new AssertionError("close() threw " + e, e);
        } finally {
            Thread.interrupted();
        }
        assertFalse(driver.isAlive(), "the driver is ended");
        assertFalse(Files.exists(profile), "the profile is removed");
    }

    /**
     * The shutdown hook ends the open browsers side by side: three whose driver ignores SIGTERM take their
     * 3 s grace at once, not 9 s one after another (docker stop kills at 10 s, with whatever is left).
     */
    @Test
    void theShutdownHookEndsBrowsersSideBySide() throws Exception {
        List<Process> drivers = new java.util.ArrayList<>();
        List<Path> profiles = new java.util.ArrayList<>();
        List<Chromium> open = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                Path p = Files.createDirectories(tmp.resolve(Chromium.PROFILE_PREFIX + ProcessHandle.current().pid() + "-many" + i));
                Process d = driver(p, "pass");
                profiles.add(p);
                drivers.add(d);
                open.add(standIn(d, p));
            }
            long start = System.nanoTime();
            Chromium.killAll(open);
            double took = (System.nanoTime() - start) / 1e9;
            for (int i = 0; i < 3; i++) {
                assertFalse(drivers.get(i).isAlive(), "driver " + i + " was ended");
                assertFalse(Files.exists(profiles.get(i)), "profile " + i + " is removed");
            }
            assertTrue(took < 7, "three 3 s graces side by side, not one after another: " + took + " s");
        } finally {
            drivers.forEach(Process::destroyForcibly);
        }
    }

    /** A stand-in with a session, as a run that got past its start has (newSession sets it). */
    private static Chromium withSession(Process driver, Path profile) throws Exception {
        Chromium c = standIn(driver, profile);
        java.lang.reflect.Field session = Chromium.class.getDeclaredField("session");
        session.setAccessible(true);
        session.set(c, "a-session");
        return c;
    }

    /**
     * A run cut short (its thread interrupted) whose browser has a session and no connection to the driver
     * kept open (a call before was cut off): OkHttp's connect throws a bare InterruptedException there, and
     * clears the interrupt. close() must still end the driver and keep the caller's interrupt, and throw
     * nothing (UiCleanup frees the run's browser slot after it).
     */
    @Test
    void aCloseOnAnInterruptedThreadWithASessionEndsTheDriverAndThrowsNothing() throws Exception {
        profile = Files.createDirectories(tmp.resolve(Chromium.PROFILE_PREFIX + ProcessHandle.current().pid() + "-sess"));
        driver = driver(profile, "pass");
        closeOnAnInterruptedThreadEndsAll(withSession(driver, profile));
    }

    /**
     * A browser call on an interrupted thread fails as a BrowserException (UiCleanup's screenshot of the
     * failing page catches those, then closes the browser), never as an undeclared InterruptedException
     * that skips that, and the interrupt is kept.
     */
    @Test
    void aCallOnAnInterruptedThreadFailsAsABrowserExceptionAndKeepsTheInterrupt() throws Exception {
        profile = Files.createDirectories(tmp.resolve(Chromium.PROFILE_PREFIX + ProcessHandle.current().pid() + "-call"));
        driver = driver(profile, "os._exit(0)");
        Chromium c = withSession(driver, profile);
        try {
            Thread.currentThread().interrupt();
            try {
                c.screenshot();
                throw new AssertionError("a screenshot from a driver that is not there");
            } catch (Chromium.BrowserException expected) {
                assertTrue(Thread.currentThread().isInterrupted(), "the caller's interrupt is kept");
            } catch (Exception e) {
                throw new AssertionError("the call threw " + e, e);
            } finally {
                Thread.interrupted();
            }
        } finally {
            c.close();
        }
    }

    private static List<ProcessHandle> ourDrivers() {
        return ProcessHandle.current().children().filter(ProcessHandle::isAlive)
                .filter(h -> h.info().command().map(c -> c.endsWith("/chromedriver")).orElse(false)).toList();
    }

    /**
     * A run whose thread is interrupted as its browser starts (the real chromedriver): the start fails as a
     * BrowserException with the interrupt kept, and the chromedriver it started is ended, not left running
     * (a service would keep it for good).
     */
    @Test
    void aStartOnAnInterruptedThreadFailsAndLeavesNoDriver() throws Exception {
        List<ProcessHandle> before = ourDrivers();
        Thread.currentThread().interrupt();
        try {
            Chromium c = Chromium.start("/usr/bin/chromium", System::nanoTime, System.nanoTime() + TimeUnit.SECONDS.toNanos(30));
            c.close();
            throw new AssertionError("a browser started on an interrupted thread");
        } catch (Chromium.BrowserException expected) {
            assertTrue(Thread.currentThread().isInterrupted(), "the caller's interrupt is kept");
        } catch (Exception e) {
            throw new AssertionError("start threw " + e, e);
        } finally {
            Thread.interrupted();
            List<ProcessHandle> left = ourDrivers().stream().filter(h -> !before.contains(h)).toList();
            left.forEach(ProcessHandle::destroyForcibly);
            assertEquals(List.of(), left, "the chromedriver started is ended");
        }
    }
}
