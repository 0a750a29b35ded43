package dev.hubprobe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hubprobe.testhub.Await;
import dev.hubprobe.testhub.RealHub;
import dev.hubprobe.testhub.RealHubExtension;
import dev.hubprobe.testhub.Service;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * One hub entry running the same probe on two KubeSpawner profiles (and once without one), on the real
 * test hub: the harness's "gpu-broken" profile fails every spawn (hubprobe_test_spawner.py's PROFILES),
 * "cpu" works. Each is a series of its own, and /metrics, the API and the status page say "one profile
 * fails, the other works" at one look, while the probe without a profile keeps the series it always had.
 */
@ExtendWith(RealHubExtension.class)
class ProfilesIT {
    private final RealHub hub = RealHub.shared();

    @TempDir
    Path dir;

    @Test
    void oneProfileFailsTheOtherWorksOnMetricsTheApiAndTheStatusPage() throws Exception {
        String user = RealHub.user("prof");
        Path cfg = dir.resolve("hubprobe.yml");
        Files.writeString(cfg, """
                probes_dir: %s
                history: {path: data/h}
                defaults: {interval: 1h}
                scheduler: {jitter: 1s}
                alerting:
                  failure: {fire_after: 1, confirm: false}
                hubs:
                  - name: gpu-hub
                    url: %s
                    auth: {token: "${env:HUB_TOKEN}"}
                    user: %s
                    probes:
                      - {probe: kernel-smoke, profile: cpu}
                      - {probe: kernel-smoke, profile: gpu-broken}
                      - {probe: kernel-smoke}
                """.formatted(RealHub.basedir().resolve("probes"), hub.url(), user));
        Map<String, String> env = new HashMap<>(Map.of("HUB_TOKEN", hub.serviceToken()));
        try (Service s = Service.start(cfg, env, dir.resolve("svc.log"))) {
            // the first scheduled run of each, at start
            Await.until("a run of each of the three series", 240, () -> {
                JsonNode hubs = s.json("/api/v1/hubs");
                for (JsonNode h : hubs) {
                    if (h.path("status").isNull()) {
                        return false;
                    }
                }
                return hubs.size() == 3;
            });
            Map<String, JsonNode> byProbe = new HashMap<>();
            s.json("/api/v1/hubs").forEach(h -> byProbe.put(h.path("probe").asText(), h));
            JsonNode cpu = byProbe.get("kernel-smoke@cpu");
            JsonNode gpu = byProbe.get("kernel-smoke@gpu-broken");
            JsonNode plain = byProbe.get("kernel-smoke");
            assertEquals("passed", cpu.path("status").asText(), cpu::toPrettyString);
            assertEquals("cpu", cpu.path("profile").asText());
            assertEquals("kernel-smoke", cpu.path("probe_file").asText());
            assertEquals("failed", gpu.path("status").asText(), gpu::toPrettyString);
            assertEquals("gpu-broken", gpu.path("profile").asText());
            assertEquals("spawn", gpu.path("last_run").path("failed_phase").asText(), gpu::toPrettyString);
            assertEquals("passed", plain.path("status").asText(), plain::toPrettyString);
            assertTrue(plain.path("profile").isMissingNode(), plain::toPrettyString);

            String metrics = s.get("/metrics").body();
            assertTrue(metrics.contains("hubprobe_probe_success{hub=\"gpu-hub\",probe=\"kernel-smoke\",profile=\"cpu\"} 1.0"), metrics);
            assertTrue(metrics.contains("hubprobe_probe_success{hub=\"gpu-hub\",probe=\"kernel-smoke\",profile=\"gpu-broken\"} 0.0"), metrics);
            // the probe without a profile: exactly the series it had before profiles existed
            assertTrue(metrics.contains("hubprobe_probe_success{hub=\"gpu-hub\",probe=\"kernel-smoke\"} 1.0"), metrics);
            assertTrue(metrics.contains("hubprobe_failures_total{hub=\"gpu-hub\",phase=\"spawn\",probe=\"kernel-smoke\","
                    + "profile=\"gpu-broken\",reason=\""), metrics);
            assertTrue(!metrics.contains("probe=\"kernel-smoke@"), "series names stay out of the probe label");

            String page = s.get("/").body();
            assertTrue(page.contains("<tr data-state=\"passing\" data-profile=\"cpu\"><th scope=\"row\">kernel-smoke "
                    + "<span class=\"profile\">profile cpu</span></th>"), page);
            assertTrue(page.contains("<tr data-state=\"failing\" data-profile=\"gpu-broken\"><th scope=\"row\">kernel-smoke "
                    + "<span class=\"profile\">profile gpu-broken</span></th>"), page);
        }
    }
}
