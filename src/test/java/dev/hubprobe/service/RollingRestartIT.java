package dev.hubprobe.service;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import dev.hubprobe.testhub.RealHub;
import dev.hubprobe.testhub.RealHubExtension;
import dev.hubprobe.testhub.Service;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two rolling restarts of the service (SIGTERM, then a new process) mid-spawn, one interval apart, on
 * the real test hub with {@code fire_after: 2}: both runs are cut short (reason {@code aborted}), and
 * nothing pages. They are kept in the history as {@code aborted}, shown as such, and are not the hub's
 * state, its failures or its metrics.
 */
@ExtendWith(RealHubExtension.class)
class RollingRestartIT {
    private static final String API_TOKEN = "api-token-rolling-5c1d";
    private static final int INTERVAL_SECONDS = 20;
    private final RealHub hub = RealHub.shared();

    @TempDir
    Path dir;

    private static void await(String what, int seconds, BooleanSupplier ok) throws InterruptedException {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        while (!ok.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(200);
        }
    }

    private static List<JsonNode> runs(Service s) {
        try {
            List<JsonNode> out = new ArrayList<>();
            s.json("/api/v1/runs?hub=rolling&limit=100").forEach(out::add);
            return out;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** The user's server is being spawned (the test spawner's delay holds it there). */
    private boolean spawning(String user) {
        try {
            JsonNode m = hub.userModel(user);
            if (m == null) {
                return false;
            }
            for (JsonNode server : m.path("servers")) {
                if ("spawn".equals(server.path("pending").asText())) {
                    return true;
                }
            }
            return false;
        } catch (Exception e) {
            return false;
        }
    }

    @Test
    void twoRestartsMidSpawnOneIntervalApartPageNothing() throws Exception {
        WireMockServer receiver = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        receiver.start();
        receiver.stubFor(post(urlEqualTo("/hook")).willReturn(aResponse().withStatus(200)));
        String user = RealHub.user("ok");
        Path cfg = dir.resolve("hubprobe.yml");
        Files.writeString(cfg, """
                server: {api_token: "${env:HUBPROBE_API_TOKEN}"}
                history: {path: data/history}
                probes_dir: %s
                defaults: {interval: %ds}
                scheduler: {jitter: 1s}
                alerting:
                  failure: {fire_after: 2}
                  notifiers: [{webhook: {url: "${env:HOOK_URL}"}}]
                hubs:
                  - name: rolling
                    url: %s
                    auth: {token: "${env:HUB_TOKEN}"}
                    user: %s
                    probes: [{probe: kernel-smoke}]
                """.formatted(RealHub.basedir().resolve("probes"), INTERVAL_SECONDS, hub.url(), user));
        Map<String, String> env = Map.of("HUB_TOKEN", hub.serviceToken(), "HUBPROBE_API_TOKEN", API_TOKEN,
                "HOOK_URL", receiver.baseUrl() + "/hook");
        Path log = dir.resolve("service.log");
        hub.control("delay-" + user, "15"); // each spawn takes 15 s: a restart lands in it
        try {
            long first;
            try (Service s = Service.start(cfg, env, log)) {
                await("a spawn in progress", 90, () -> spawning(user));
                first = System.nanoTime();
            } // SIGTERM: the run is cut short, and cleans up
            // the replacement starts so that its first run is mid-spawn one interval after the first restart
            long startAt = first + (INTERVAL_SECONDS - 8) * 1_000_000_000L;
            Thread.sleep(Math.max(0, (startAt - System.nanoTime()) / 1_000_000));
            try (Service s = Service.start(cfg, env, log)) {
                await("the next spawn in progress", 90, () -> spawning(user) && System.nanoTime() - first >= INTERVAL_SECONDS * 1_000_000_000L);
                assertEquals(1, runs(s).size(), "the second restart cuts the replacement's first run: " + runs(s));
            }
            hub.clearControl("delay-" + user);
            try (Service s = Service.start(cfg, env, log)) {
                await("a passing run after the restarts", 120, () -> runs(s).stream().anyMatch(r -> r.path("status").asText().equals("passed")));
                Thread.sleep(2000); // what the outbox still held has been delivered by now
                // nothing paged, at either restart or after
                receiver.verify(0, postRequestedFor(urlEqualTo("/hook")));
                assertEquals(0, s.json("/api/v1/alerts").size(), () -> "firing after two aborted runs");
                List<JsonNode> runs = runs(s);
                List<JsonNode> aborted = runs.stream().filter(r -> r.path("status").asText().equals("aborted")).toList();
                assertEquals(2, aborted.size(), () -> "two runs cut short, kept as aborted: " + runs);
                aborted.forEach(r -> assertEquals("aborted", r.path("reason").asText(), r::toString));
                assertTrue(runs.stream().noneMatch(r -> r.path("status").asText().equals("failed")), () -> "a failed run: " + runs);
                // the hub's state is its last run that counts
                JsonNode hubs = s.json("/api/v1/hubs");
                assertEquals("passed", hubs.get(0).path("status").asText(), hubs::toString);
                String metrics = s.get("/metrics").body();
                assertTrue(metrics.contains("hubprobe_runs_total{hub=\"rolling\",probe=\"kernel-smoke\",result=\"failure\"} 0.0"),
                        "aborted runs counted as failures");
                assertTrue(!metrics.contains("hubprobe_failures_total{hub=\"rolling\""), "aborted runs counted as failures");
                // the run page and the failed-runs filter say so too
                String page = s.get("/runs/" + aborted.get(0).path("run_id").asText()).body();
                assertTrue(page.contains("state aborted") && page.contains("Cut short by a stop"), page);
                assertEquals(0, s.json("/api/v1/runs?hub=rolling&status=failed").size());
            }
            await("the cut runs' servers stopped", 60, () -> {
                try {
                    return hub.userModel(user).path("servers").isEmpty();
                } catch (Exception e) {
                    return false;
                }
            });
        } finally {
            hub.clearControl("delay-" + user);
            receiver.stop();
        }
    }
}
