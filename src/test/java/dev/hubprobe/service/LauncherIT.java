package dev.hubprobe.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hubprobe.testhub.RealHub;
import dev.hubprobe.testhub.RealHubExtension;
import dev.hubprobe.testhub.Service;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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

    @Test
    void theLauncherPicksTheServiceOptionsAndTheHealthCheckNeedsNoJvm() throws Exception {
        RealHub hub = RealHub.shared();
        Path cfg = dir.resolve("hubprobe.yml");
        Files.writeString(cfg, """
                probes_dir: %s
                history: {path: data/h}
                defaults: {interval: 10m}
                hubs:
                  - {name: one, url: %s, auth: {token: "${env:HUB_TOKEN}"}, user: %s, probes: [{probe: kernel-smoke}]}
                """.formatted(RealHub.basedir().resolve("probes"), hub.url(), RealHub.user("ok")));
        int port;
        try (Service s = Service.startWithLauncher(cfg, Map.of("HUB_TOKEN", hub.serviceToken()), dir.resolve("svc.log"))) {
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
