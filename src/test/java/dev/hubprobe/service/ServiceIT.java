package dev.hubprobe.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hubprobe.testhub.Cli;
import dev.hubprobe.testhub.RealHub;
import dev.hubprobe.testhub.RealHubExtension;
import dev.hubprobe.testhub.Service;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The service against two hubs of the real harness (one healthy, one whose spawns fail): both are
 * probed on schedule, metrics match the runs, the API serves the history, which survives kill -9;
 * reloads keep a good config over a bad one; promtool accepts the real /metrics; no secret leaks.
 */
@ExtendWith(RealHubExtension.class)
class ServiceIT {
    private static final String API_TOKEN = "api-token-canary-7f3e";
    private final RealHub hub = RealHub.shared();

    @TempDir
    Path dir;

    private Path config(String healthyUser, String brokenUser, String extraHub) throws Exception {
        Path f = dir.resolve("hubprobe.yml");
        Files.writeString(f, """
                server: {api_token: "${env:HUBPROBE_API_TOKEN}"}
                history: {path: data/history}
                probes_dir: %s
                defaults: {interval: 8s}
                scheduler: {jitter: 2s}
                hubs:
                  - name: healthy
                    url: %s
                    auth: {token: "${env:HUB_TOKEN}"}
                    user: %s
                    probes: [{probe: kernel-smoke}]
                  - name: broken
                    url: %s
                    auth: {token: "${env:HUB_TOKEN}"}
                    user: %s
                    probes: [{probe: kernel-smoke}]
                %s""".formatted(RealHub.basedir().resolve("probes"), hub.url(), healthyUser, hub.url(), brokenUser, extraHub));
        return f;
    }

    private Map<String, String> env() {
        return Map.of("HUB_TOKEN", hub.serviceToken(), "HUBPROBE_API_TOKEN", API_TOKEN);
    }

    private static void await(String what, int seconds, BooleanSupplier ok) throws InterruptedException {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        while (!ok.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(500);
        }
    }

    private static List<JsonNode> runs(Service s, String hubName) {
        try {
            List<JsonNode> out = new ArrayList<>();
            s.json("/api/v1/runs?hub=" + hubName + "&limit=1000").forEach(out::add);
            return out;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static double metric(String scrape, String series) {
        Matcher m = Pattern.compile("^" + Pattern.quote(series) + " ([0-9.eE+-]+)$", Pattern.MULTILINE).matcher(scrape);
        if (!m.find()) {
            throw new AssertionError("no series " + series + " in /metrics");
        }
        return Double.parseDouble(m.group(1));
    }

    @Test
    void probesOnScheduleServesMetricsAndHistoryAndSurvivesACrash() throws Exception {
        String healthyUser = RealHub.user("ok");
        String brokenUser = RealHub.user("fail");
        Path cfg = config(healthyUser, brokenUser, "");
        Path log = dir.resolve("service.log");
        Set<String> seenIds = new HashSet<>();
        try (Service s = Service.start(cfg, env(), log)) {
            await("two runs of each hub", 120, () -> runs(s, "healthy").size() >= 2 && runs(s, "broken").size() >= 2);

            JsonNode hubs = s.json("/api/v1/hubs");
            assertEquals(2, hubs.size());
            for (JsonNode h : hubs) {
                if (h.path("hub").asText().equals("healthy")) {
                    assertEquals("passed", h.path("status").asText(), h::toString);
                } else {
                    assertEquals("failed", h.path("status").asText(), h::toString);
                    assertEquals("spawn", h.path("last_run").path("failed_phase").asText());
                    assertEquals("spawn_failed", h.path("last_run").path("reason").asText());
                }
            }

            // metrics agree with the history: compare at a moment when no run completed in between
            String scrape = null;
            int healthyRuns = -1;
            int brokenRuns = -1;
            for (int attempt = 0; attempt < 10; attempt++) {
                int h0 = runs(s, "healthy").size();
                int b0 = runs(s, "broken").size();
                scrape = s.get("/metrics").body();
                if (h0 == runs(s, "healthy").size() && b0 == runs(s, "broken").size()) {
                    healthyRuns = h0;
                    brokenRuns = b0;
                    break;
                }
            }
            assertTrue(healthyRuns > 0, "could not read metrics between two runs");
            assertEquals(1.0, metric(scrape, "hubprobe_probe_success{hub=\"healthy\",probe=\"kernel-smoke\"}"));
            assertEquals(0.0, metric(scrape, "hubprobe_probe_success{hub=\"broken\",probe=\"kernel-smoke\"}"));
            assertEquals(healthyRuns, metric(scrape, "hubprobe_runs_total{hub=\"healthy\",probe=\"kernel-smoke\",result=\"success\"}"));
            assertEquals(brokenRuns, metric(scrape, "hubprobe_runs_total{hub=\"broken\",probe=\"kernel-smoke\",result=\"failure\"}"));
            assertEquals(brokenRuns, metric(scrape,
                    "hubprobe_failures_total{hub=\"broken\",phase=\"spawn\",probe=\"kernel-smoke\",reason=\"spawn_failed\"}"));
            assertEquals(healthyRuns, metric(scrape,
                    "hubprobe_phase_duration_seconds_count{hub=\"healthy\",phase=\"execute\",probe=\"kernel-smoke\"}"));
            assertTrue(metric(scrape, "hubprobe_last_success_timestamp_seconds{hub=\"healthy\",probe=\"kernel-smoke\"}") > 1.7e9);
            assertEquals(1.0, metric(scrape, "hubprobe_config_last_reload_successful"));
            // what each hub is: one info series per hub, naming the version the hub itself reports
            String version = new com.fasterxml.jackson.databind.ObjectMapper().readTree(hub.get("/hub/api/").body()).path("version").asText();
            for (String h : List.of("healthy", "broken")) {
                assertEquals(1.0, metric(scrape, "hubprobe_hub_info{hub=\"" + h + "\",version=\"" + version + "\"}"));
                assertEquals(1, scrape.lines().filter(l -> l.startsWith("hubprobe_hub_info{hub=\"" + h + "\"")).count(), scrape);
            }
            assertTrue(scrape.contains("jvm_memory_used_bytes"), "JVM metrics stay available");
            promtoolAccepts(scrape);
            String openMetrics = s.get("/metrics", "Accept", "application/openmetrics-text; version=1.0.0").body();
            assertTrue(openMetrics.trim().endsWith("# EOF"), "OpenMetrics when asked");

            // run now, as CI would with curl --fail
            assertEquals(401, s.post("/api/v1/hubs/broken/probes/kernel-smoke/runs?wait=true", null).statusCode());
            assertEquals(401, s.post("/api/v1/hubs/broken/probes/kernel-smoke/runs?wait=true", "wrong").statusCode());
            assertEquals(404, s.post("/api/v1/hubs/nope/probes/kernel-smoke/runs", API_TOKEN).statusCode());
            HttpResponse<String> now = s.post("/api/v1/hubs/broken/probes/kernel-smoke/runs?wait=true", API_TOKEN);
            assertEquals(424, now.statusCode(), now::body);
            assertTrue(now.body().contains("\"reason\":\"spawn_failed\""), now.body());
            HttpResponse<String> bad = s.get("/api/v1/runs?limit=lots");
            assertEquals(400, bad.statusCode());
            assertTrue(bad.body().contains("limit must be"), bad.body());
            String someId = runs(s, "healthy").get(0).path("run_id").asText();
            assertEquals(200, s.get("/api/v1/runs/" + someId).statusCode());
            assertEquals(404, s.get("/api/v1/runs/no-such-run").statusCode());

            crashWhileAServerIsUp(s, healthyUser, seenIds);
        }
        // A run takes seconds from spawn to stop, so the kill can land just after the run stopped its server:
        // then there is nothing for the restart to clean up and the test would prove nothing. Crash again
        // until the kill has certainly left a server behind.
        // A kill during the run's own stop leaves a server the hub is still stopping: gone before the restart's
        // first run looks, so that too is no leftover. Only a server that settles running (ready, nothing
        // pending) is one.
        for (int attempt = 2; !leftRunning(healthyUser) && attempt <= 4; attempt++) {
            try (Service s = Service.start(cfg, env(), log)) {
                crashWhileAServerIsUp(s, healthyUser, seenIds);
            }
        }
        assertTrue(leftRunning(healthyUser), "the crash never left a server running");
        try (Service s = Service.start(cfg, env(), log)) {
            Set<String> after = new HashSet<>();
            runs(s, "healthy").forEach(r -> after.add(r.path("run_id").asText()));
            runs(s, "broken").forEach(r -> after.add(r.path("run_id").asText()));
            assertTrue(after.containsAll(seenIds), "history lost in the crash");
            // the first healthy run after the restart stops the server the crashed run left behind
            await("a run after the restart that cleaned up", 90, () -> runs(s, "healthy").stream().anyMatch(
                    r -> r.path("notes").toString().contains("left running by an earlier run")));
        }
        assertTrue(hub.userModel(healthyUser).path("servers").isEmpty(), "graceful shutdown left a server");
        String output = Files.readString(log);
        assertFalse(output.contains(hub.serviceToken()), "hub token in the service log");
        assertFalse(output.contains(API_TOKEN), "API token in the service log");
    }

    /** Waits until the healthy user's server is up (a run is in progress), notes the runs so far, then kill -9. */
    private void crashWhileAServerIsUp(Service s, String user, Set<String> seenIds) throws Exception {
        await("a healthy run in progress", 60, () -> serverCount(user) > 0);
        runs(s, "healthy").forEach(r -> seenIds.add(r.path("run_id").asText()));
        runs(s, "broken").forEach(r -> seenIds.add(r.path("run_id").asText()));
        s.crash();
    }

    /** Waits for the user's servers to settle after a kill: true when one is left ready with nothing pending. */
    private boolean leftRunning(String user) throws InterruptedException {
        long end = System.nanoTime() + 60_000_000_000L;
        while (System.nanoTime() < end) {
            try {
                JsonNode m = hub.userModel(user);
                JsonNode servers = m == null ? null : m.path("servers");
                if (servers == null || servers.isEmpty()) {
                    return false;
                }
                for (JsonNode srv : servers) {
                    if (srv.path("ready").asBoolean() && (srv.path("pending").isNull() || srv.path("pending").isMissingNode())) {
                        return true;
                    }
                }
            } catch (Exception e) {
                // the hub's API answers again in a moment
            }
            Thread.sleep(500);
        }
        return false;
    }

    private int serverCount(String user) {
        try {
            JsonNode m = hub.userModel(user);
            return m == null ? 0 : m.path("servers").size();
        } catch (Exception e) {
            return 0;
        }
    }

    @Test
    void reloadKeepsTheRunningConfigWhenTheNewOneIsBad() throws Exception {
        Path cfg = config(RealHub.user("ok"), RealHub.user("fail"), "");
        String good = Files.readString(cfg);
        try (Service s = Service.start(cfg, env(), dir.resolve("reload.log"))) {
            Files.writeString(cfg, good.replace("defaults: {interval: 8s}", "defaults: {intervall: 8s}"));
            HttpResponse<String> refused = s.post("/-/reload", API_TOKEN);
            assertEquals(400, refused.statusCode());
            assertTrue(refused.body().contains("defaults.intervall"), refused.body());
            assertEquals(0.0, metric(s.get("/metrics").body(), "hubprobe_config_last_reload_successful"));
            assertEquals(2, s.json("/api/v1/hubs").size(), "the running config is kept");

            Files.writeString(cfg, good.replace("hubs:\n", "hubs:\n  - {name: third, url: " + hub.url()
                    + ", auth: {token: \"${env:HUB_TOKEN}\"}, user: " + RealHub.user("ok") + ", probes: [{probe: kernel-smoke}]}\n"));
            s.signal("HUP");
            try {
                await("the SIGHUP reload", 20, () -> {
                    try {
                        return s.json("/api/v1/hubs").size() == 3;
                    } catch (Exception e) {
                        return false;
                    }
                });
            } catch (AssertionError e) {
                // what the service said about it: the reload's own log line, or why it did not come
                List<String> lines = Files.readAllLines(dir.resolve("reload.log"));
                throw new AssertionError(e.getMessage() + "; /api/v1/hubs: " + s.get("/api/v1/hubs").body() + "\nservice log tail:\n"
                        + String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size())), e);
            }
            assertEquals(1.0, metric(s.get("/metrics").body(), "hubprobe_config_last_reload_successful"));
            assertEquals(401, s.post("/api/v1/hubs/healthy/silence?for=1h", null).statusCode());
            assertEquals(404, s.post("/api/v1/hubs/nope/silence?for=1h", API_TOKEN).statusCode());
            assertEquals(400, s.post("/api/v1/hubs/healthy/silence?for=soon", API_TOKEN).statusCode());
            HttpResponse<String> silenced = s.post("/api/v1/hubs/healthy/silence?for=1h&reason=upgrade", API_TOKEN);
            assertEquals(200, silenced.statusCode(), silenced::body);
            assertTrue(silenced.body().contains("silenced_until"), silenced.body());
            HttpResponse<String> health = s.get("/health");
            assertEquals(200, health.statusCode());
            for (String path : List.of("/health", "/api/v1/hubs", "/metrics", "/api/v1/runs")) {
                String body = s.get(path).body();
                assertFalse(body.contains(hub.serviceToken()) || body.contains(API_TOKEN), "secret in " + path);
            }
        }
    }

    @Test
    void validateConfigChecksTheShippedConfig() throws Exception {
        Path shipped = RealHub.basedir().resolve("config/hubprobe.yml");
        Cli.Result ok = Cli.run(Map.of("HUBPROBE_API_TOKEN", "api-token-x", "STAGING_HUB_TOKEN", "hub-token-y"), "validate-config", shipped.toString());
        assertEquals(0, ok.exit(), ok::stderr);
        Cli.Result missing = Cli.run(Map.of(), "validate-config", shipped.toString());
        assertEquals(2, missing.exit());
        assertTrue(missing.stderr().contains("server.api_token"), missing.stderr());
    }

    private static void promtoolAccepts(String scrape) throws Exception {
        Process p = new ProcessBuilder("promtool", "check", "metrics").redirectErrorStream(true).start();
        try (var in = p.getOutputStream()) {
            in.write(scrape.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), "promtool check metrics:\n" + out);
    }
}
