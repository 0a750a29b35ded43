package dev.hubprobe.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hubprobe.testhub.Cli;
import dev.hubprobe.testhub.RealHub;
import dev.hubprobe.testhub.RealHubExtension;
import dev.hubprobe.testhub.Service;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the image runs: {@code bin/hubprobe} starts the service with the small service's JVM options,
 * and {@code bin/healthcheck} (the Docker HEALTHCHECK) tells a healthy service from a gone one with no
 * JVM of its own.
 */
@ExtendWith(RealHubExtension.class)
class LauncherIT {
    @TempDir
    Path dir;

    private static int healthcheck(int port) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(RealHub.basedir().resolve("bin/healthcheck").toString()).redirectErrorStream(true);
        pb.environment().put("HUBPROBE_HEALTH_PORT", Integer.toString(port));
        Process p = pb.start();
        assertTrue(p.waitFor(10, TimeUnit.SECONDS), "the health check returned within its 5 s Docker timeout");
        return p.exitValue();
    }

    /** bin/hubprobe with these arguments, as a user runs it; returns its exit code. */
    private static int launch(Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(Cli.launcher().toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().putAll(Cli.launcherEnv(env));
        Process p = pb.start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "bin/hubprobe " + String.join(" ", args) + " ended");
        return p.exitValue();
    }

    /** A service config probing the shared test hub as one new user, every 10 minutes. */
    private Path oneHubConfig(String name) throws Exception {
        Path cfg = dir.resolve(name + ".yml");
        Files.writeString(cfg, """
                probes_dir: %s
                history: {path: data/%s}
                defaults: {interval: 10m}
                hubs:
                  - {name: one, url: %s, auth: {token: "${env:HUB_TOKEN}"}, user: %s, probes: [{probe: kernel-smoke}]}
                """.formatted(RealHub.basedir().resolve("probes"), name, RealHub.shared().url(), RealHub.user("ok")));
        return cfg;
    }

    private List<Path> archives(Path cds) throws Exception {
        if (!Files.isDirectory(cds)) {
            return List.of();
        }
        try (var files = Files.list(cds)) {
            return files.toList();
        }
    }

    /**
     * The class-data archive that makes a check cheap: not written by a check cut short (it would miss
     * most classes, for good), written by the first passing one, and then mapped by later JVMs of that
     * jar, the service's included.
     */
    @Test
    void theFirstPassingCheckWritesTheClassArchiveThatLaterRunsMap() throws Exception {
        RealHub hub = RealHub.shared();
        Path cds = dir.resolve("cds");
        // a jar of its own, to rebuild below
        Path jar = Files.copy(Cli.jar(), dir.resolve("hubprobe.jar"));
        Map<String, String> env = Map.of("HUB_TOKEN", hub.serviceToken(), "HUBPROBE_CDS_DIR", cds.toString(),
                "HUBPROBE_JAR", jar.toString());
        assertEquals(2, launch(env, "check", "--hub-url", hub.url(), "--token-env", "NO_SUCH_VARIABLE"));
        assertEquals(List.of(), archives(cds), "a check cut short by a usage error leaves no archive");
        assertEquals(1, launch(env, "check", "--hub-url", "http://127.0.0.1:1/", "--token-env", "HUB_TOKEN", "--user", RealHub.user("ok")));
        assertEquals(List.of(), archives(cds), "nor does a check that failed at an unreachable hub");
        assertEquals(0, launch(env, "check", "--hub-url", hub.url(), "--token-env", "HUB_TOKEN", "--user", RealHub.user("ok")));
        List<Path> written = archives(cds);
        assertEquals(1, written.size(), "a passing check wrote one archive: " + written);
        assertTrue(written.get(0).getFileName().toString().matches("hubprobe-\\d+\\.jsa"), written.toString());
        assertServiceMaps(written.get(0), env, "cds");

        // the same bytes built again (a reproducible build): a new modification time, which the JVM checks,
        // and ignores the old archive for, silently; the launcher makes a new one, and that one is mapped
        Files.setLastModifiedTime(jar, java.nio.file.attribute.FileTime.from(Instant.now().plusSeconds(120)));
        assertEquals(0, launch(env, "check", "--hub-url", hub.url(), "--token-env", "HUB_TOKEN", "--user", RealHub.user("ok")));
        List<Path> fresh = archives(cds).stream().filter(f -> !f.equals(written.get(0))).toList();
        assertEquals(1, fresh.size(), "the rebuilt jar got an archive of its own: " + archives(cds));
        assertServiceMaps(fresh.get(0), env, "cds2");
        assertEquals(2, archives(cds).size(), "no third archive, no leftover: " + archives(cds));
    }

    private void assertServiceMaps(Path archive, Map<String, String> env, String name) throws Exception {
        try (Service s = Service.startWithLauncher(oneHubConfig(name), env, dir.resolve(name + "-svc.log"))) {
            String maps = Files.readString(Path.of("/proc", Long.toString(s.pid()), "maps"), StandardCharsets.UTF_8);
            assertTrue(maps.contains(archive.toString()), "the service's JVM maps the archive the check wrote: " + archive);
        }
    }

    @Test
    void theLauncherPicksTheServiceOptionsAndTheHealthCheckNeedsNoJvm() throws Exception {
        RealHub hub = RealHub.shared();
        int port;
        try (Service s = Service.startWithLauncher(oneHubConfig("h"), Map.of("HUB_TOKEN", hub.serviceToken()), dir.resolve("svc.log"))) {
            port = Integer.parseInt(s.url().substring(s.url().lastIndexOf(':') + 1));
            String cmdline = Files.readString(Path.of("/proc", Long.toString(s.pid()), "cmdline"), StandardCharsets.UTF_8).replace('\0', ' ');
            for (String option : List.of("-XX:+UseSerialGC", "-Xmx160m", "-XX:MaxMetaspaceSize=128m", "-jar")) {
                assertTrue(cmdline.contains(option), "the service runs with " + option + ": " + cmdline);
            }
            assertEquals(0, healthcheck(port), "a healthy service");
        }
        assertEquals(1, healthcheck(port), "a service that is gone");
        String docker = Files.readString(RealHub.basedir().resolve("Dockerfile"));
        assertTrue(docker.contains("HEALTHCHECK") && docker.contains("CMD [\"/opt/hubprobe/bin/healthcheck\"]"), docker);
        assertFalse(docker.lines().anyMatch(l -> l.startsWith("HEALTHCHECK") && l.contains("java")), "no JVM per health check");
    }
}
