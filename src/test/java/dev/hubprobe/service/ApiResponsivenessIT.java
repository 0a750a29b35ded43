package dev.hubprobe.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hubprobe.testhub.RealHub;
import dev.hubprobe.testhub.RealHubExtension;
import dev.hubprobe.testhub.Service;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The API never blocks the HTTP event loop: while five CI jobs wait on slow runs ({@code wait=true}),
 * /health and /metrics keep answering at once. Reads need the read token when one is set.
 */
@ExtendWith(RealHubExtension.class)
class ApiResponsivenessIT {
    private static final String API_TOKEN = "api-token-canary-51c0";
    private static final String READ_TOKEN = "read-token-canary-9d2a";
    private final RealHub hub = RealHub.shared();

    @TempDir
    Path dir;

    @Test
    void fiveWaitingRunsDoNotHoldUpHealthOrMetrics() throws Exception {
        String user = RealHub.user("ok");
        Files.createDirectories(dir.resolve("probes"));
        Files.writeString(dir.resolve("probes/slow.yml"), "server: auto\ncells: [{code: 'print(6 * 7)', expect: {output_contains: '42'}}]\n");
        Path cfg = dir.resolve("hubprobe.yml");
        Files.writeString(cfg, """
                server: {api_token: "${env:HUBPROBE_API_TOKEN}", read_token: "${env:HUBPROBE_READ_TOKEN}"}
                history: {path: data/history}
                probes_dir: probes
                defaults: {interval: 1h}
                scheduler: {jitter: 1h}
                hubs:
                  - name: slow
                    url: %s
                    auth: {token: "${env:HUB_TOKEN}"}
                    user: %s
                    probes: [{probe: slow}]
                """.formatted(hub.url(), user));
        hub.control("delay-" + user, "8");
        Map<String, String> env = Map.of("HUB_TOKEN", hub.serviceToken(), "HUBPROBE_API_TOKEN", API_TOKEN,
                "HUBPROBE_READ_TOKEN", READ_TOKEN);
        try (Service s = Service.start(cfg, env, dir.resolve("service.log"))) {
            // reads need the read token (or the API token); /health stays open for health checks
            assertEquals(401, s.get("/api/v1/hubs").statusCode());
            assertEquals(401, s.get("/metrics").statusCode());
            assertEquals(200, s.get("/api/v1/hubs", "Authorization", "Bearer " + READ_TOKEN).statusCode());
            assertEquals(200, s.get("/metrics", "Authorization", "Bearer " + READ_TOKEN).statusCode());
            assertEquals(200, s.get("/health").statusCode());
            // a read token does not allow writes
            assertEquals(401, s.post("/api/v1/hubs/slow/probes/slow/runs", READ_TOKEN).statusCode());

            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            List<CompletableFuture<HttpResponse<String>>> waits = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                waits.add(http.sendAsync(HttpRequest.newBuilder(URI.create(s.url() + "/api/v1/hubs/slow/probes/slow/runs?wait=true"))
                        .header("Authorization", "Bearer " + API_TOKEN).timeout(Duration.ofMinutes(3))
                        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString()));
            }
            Thread.sleep(500); // the five are in, waiting on spawns that take 8 s
            long worst = 0;
            int answered = 0;
            long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (System.nanoTime() < until) {
                for (String path : new String[] {"/health", "/metrics"}) {
                    long t0 = System.nanoTime();
                    HttpResponse<String> r = s.get(path, "Authorization", "Bearer " + READ_TOKEN);
                    worst = Math.max(worst, (System.nanoTime() - t0) / 1_000_000);
                    assertEquals(200, r.statusCode(), path);
                    answered++;
                }
                Thread.sleep(100);
            }
            assertTrue(waits.stream().noneMatch(CompletableFuture::isDone), () -> "the runs were still waiting meanwhile: "
                    + waits.stream().filter(CompletableFuture::isDone).map(w -> w.join().statusCode() + " " + w.join().body().substring(0, Math.min(400, w.join().body().length()))).toList());
            assertTrue(worst < 100, "slowest /health or /metrics answer while five runs waited: " + worst + " ms");
            assertTrue(answered > 20, "answers: " + answered);
            for (CompletableFuture<HttpResponse<String>> w : waits) {
                HttpResponse<String> r = w.join();
                assertEquals(200, r.statusCode(), r::body);
                assertTrue(r.body().contains("\"status\":\"passed\""), r.body());
            }
        } finally {
            hub.clearControl("delay-" + user);
        }
        assertTrue(hub.userModel(user).path("servers").isEmpty(), "servers left");
    }
}
