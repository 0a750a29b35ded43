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
}
