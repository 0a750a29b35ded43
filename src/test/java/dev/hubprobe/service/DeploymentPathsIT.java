package dev.hubprobe.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hubprobe.testhub.Cli;
import dev.hubprobe.testhub.RealHub;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Docker image's layout, as the Dockerfile writes it, holds the shipped config: rebuilt in a
 * folder with the Dockerfile's own paths, {@code validate-config} finds the probes, and the history
 * lands on the volume, not next to the config.
 */
class DeploymentPathsIT {
    @TempDir
    Path root;

    private static String one(String text, String regex) {
        Matcher m = Pattern.compile(regex, Pattern.MULTILINE).matcher(text);
        assertTrue(m.find(), "Dockerfile has no line matching " + regex);
        return m.group(1);
    }

    private Path in(String absolute) {
        return root.resolve(absolute.substring(1));
    }

    @Test
    void theImagesConfigFindsItsProbesAndKeepsHistoryOnTheVolume() throws Exception {
        Path repo = RealHub.basedir();
        String docker = Files.readString(repo.resolve("Dockerfile"));
        String probes = one(docker, "^COPY probes (/\\S+)$");
        String config = one(docker, "^COPY config/hubprobe.yml (/\\S+)$");
        String volume = one(docker, "^VOLUME \\[\"(\\S+)\"\\]$");
        Matcher link = Pattern.compile("^RUN ln -s (\\S+) (\\S+)$", Pattern.MULTILINE).matcher(docker);
        assertTrue(link.find(), "the Dockerfile links the volume into the config tree");
        assertEquals(config, one(docker, "^CMD \\[\"serve\", \"--config\", \"(\\S+)\""), "the config the image runs");
        assertTrue(docker.contains("\"--bind\", \"0.0.0.0\""), "the image listens on every interface (serve defaults to loopback)");

        // the image's tree, as the Dockerfile makes it
        Files.createDirectories(in(probes));
        for (Path p : List.of(repo.resolve("probes/kernel-smoke.yml"), repo.resolve("probes/environment.yml"))) {
            Files.copy(p, in(probes).resolve(p.getFileName()));
        }
        Files.createDirectories(in(config).getParent());
        Files.copy(repo.resolve("config/hubprobe.yml"), in(config));
        Files.createDirectories(in(volume));
        Files.createDirectories(in(link.group(2)).getParent());
        Files.createSymbolicLink(in(link.group(2)), in(link.group(1)));

        Cli.Result r = Cli.run(Map.of("HUBPROBE_API_TOKEN", "t-api-0000", "STAGING_HUB_TOKEN", "t-hub-0000"),
                "validate-config", in(config).toString());
        assertEquals(0, r.exit(), () -> r.stdout() + r.stderr());
        Path history = Path.of(one(r.stdout(), "history: (\\S+)$"));
        Path resolved = history.getParent().toRealPath();
        assertEquals(in(volume).toRealPath(), resolved, "the history's folder is the volume: " + history);
    }
}
