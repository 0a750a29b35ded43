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
}
