package dev.hubprobe.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How the tool builder is run: its limit holds while a build it started still runs, and nothing is left behind. */
class K8sToolsTest {
    @TempDir
    Path dir;

    @Test
    void aBuildThatHangsIsStoppedAtTheLimitWithEveryProcessItStarted() throws Exception {
        Path pid = dir.resolve("child.pid");
        // as the script does: a child (a go build) that inherits its output and outlives the limit
        List<String> cmd = List.of("bash", "-c", "sleep 600 & echo $! > " + pid + "; wait");
        IOException e = assertTimeoutPreemptively(Duration.ofSeconds(60),
                () -> assertThrows(IOException.class, () -> K8sTools.run(cmd, Duration.ofSeconds(3))));
        assertTrue(e.getMessage().contains("did not finish in 3 s"), e.getMessage());
        long child = Long.parseLong(Files.readString(pid).trim());
        assertFalse(ProcessHandle.of(child).map(ProcessHandle::isAlive).orElse(false), "the build's child still runs: " + child);
    }

    @Test
    void theOutputOfAFinishedRunIsReturnedAndAFailureIsAnError() throws Exception {
        assertEquals("helm /x/helm", K8sTools.run(List.of("bash", "-c", "echo 'helm /x/helm'"), Duration.ofSeconds(30)));
        IOException e = assertThrows(IOException.class, () -> K8sTools.run(List.of("bash", "-c", "exit 3"), Duration.ofSeconds(30)));
        assertTrue(e.getMessage().contains("exit 3"), e.getMessage());
    }

    /** A build that failed is not run again by every later test: each gets the first failure at once. */
    @Test
    void aFailedBuildIsRunOnceAndItsFailureGivenToEveryLaterCaller() throws Exception {
        Path runs = dir.resolve("runs");
        Path script = dir.resolve("install-k8s-tools.sh");
        Files.writeString(script, "echo run >> " + runs + "\necho 'install-k8s-tools: no go' >&2\nexit 1\n");
        Path real = K8sTools.script;
        K8sTools.forget();
        K8sTools.script = script;
        try {
            for (int i = 0; i < 3; i++) {
                assertThrows(IOException.class, K8sTools::helmBinary);
                assertThrows(IOException.class, K8sTools::shared);
            }
            // one run for helm alone, one for every tool: not one per caller
            assertEquals(List.of("run", "run"), Files.readAllLines(runs));
            IOException later = assertThrows(IOException.class, K8sTools::helmBinary);
            assertTrue(later.getCause() != null && later.getCause().getMessage().contains("failed (exit 1)"), later.toString());
        } finally {
            K8sTools.script = real;
            K8sTools.forget();
        }
    }
}
