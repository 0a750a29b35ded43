package dev.hubprobe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hubprobe.testhub.Cli;
import dev.hubprobe.testhub.RealHub;
import dev.hubprobe.testhub.RealHubExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** {@code check --notebook FILE} from CI, against the real hub: a notebook alone is a probe. */
@ExtendWith(RealHubExtension.class)
class CheckNotebookIT {
    private final RealHub hub = RealHub.shared();

    @TempDir
    Path dir;

    @Test
    void aNotebookRunsFromTheCommandLineWithItsMeasurementsInTheJson() throws Exception {
        String user = RealHub.user("ok");
        Cli.Result r = Cli.run(Map.of("HUB_TOKEN", hub.serviceToken()), "check", "--hub-url", hub.url(), "--token-env", "HUB_TOKEN",
                "--user", user, "--notebook", "probes/notebook-example/week1.ipynb", "--format", "json");
        assertEquals(0, r.exit(), () -> "stdout:\n" + r.stdout() + "\nstderr:\n" + r.stderr());
        JsonNode j = new ObjectMapper().readTree(r.stdout());
        assertEquals("week1", j.path("probe").asText());
        assertEquals(4, j.path("transcript").path("cells").size());
        assertEquals("sum_seconds", j.path("measurements").get(0).path("name").asText());
        assertEquals("seconds", j.path("measurements").get(0).path("unit").asText());
    }

    @Test
    void aMalformedNotebookIsAConfigurationErrorNamingTheFile() throws Exception {
        Path nb = dir.resolve("broken.ipynb");
        Files.writeString(nb, "{\"nbformat\": 3}");
        Cli.Result r = Cli.run(Map.of("HUB_TOKEN", hub.serviceToken()), "check", "--hub-url", hub.url(), "--token-env", "HUB_TOKEN",
                "--notebook", nb.toString());
        assertEquals(2, r.exit(), r::stderr);
        assertTrue(r.stderr().contains(nb + ": nbformat: not an nbformat 4 notebook (nbformat: 3)"), r.stderr());
    }

    /** SIGTERM during a cell (a CI job cancelled): check interrupts the cell, runs the cleanup cells, stops the server, exits. */
    @Test
    void aSigtermDuringACellStillRunsTheCleanupCells() throws Exception {
        String user = RealHub.user("ok");
        Path marker = dir.resolve("left-by-the-cell");
        Path probe = dir.resolve("slow.yml");
        Files.writeString(probe, "timeouts: {execute: 5m, cleanup: 30s}\ncells:\n  - code: |\n      import time\n      open(r'" + marker
                + "', 'w').write('x')\n      time.sleep(300)\ncleanup:\n  - code: |\n      import os\n      os.remove(r'" + marker + "')\n");
        ProcessBuilder pb = new ProcessBuilder(java.util.List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                Cli.jar().toString(), "check", "--hub-url", hub.url(), "--token-env", "HUB_TOKEN", "--user", user,
                "--probe", probe.toString(), "--format", "json"))
                .redirectOutput(dir.resolve("out.json").toFile()).redirectError(dir.resolve("err.txt").toFile());
        pb.environment().put("HUB_TOKEN", hub.serviceToken());
        Process p = pb.start();
        try {
            dev.hubprobe.testhub.Await.until("the cell to start", 120, () -> Files.exists(marker));
            p.destroy(); // SIGTERM
            assertTrue(p.waitFor(90, java.util.concurrent.TimeUnit.SECONDS), "check did not stop within 90 s of SIGTERM");
            assertTrue(!Files.exists(marker), "the cleanup cell ran after SIGTERM");
            assertTrue(hub.userModel(user).path("servers").isEmpty(), "and the server was stopped after it");
        } finally {
            p.destroyForcibly();
        }
    }
}
