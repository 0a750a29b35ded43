package dev.hubprobe.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hubprobe.testhub.HostileHubServer;
import dev.hubprobe.testhub.Service;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The service as shipped (bin/hubprobe: a 160 MB heap, and -XX:+ExitOnOutOfMemoryError) probing hubs
 * that each send far more than that heap at once: a 300 MB progress event, a 300 MB kernel frame.
 * Each such run fails with protocol_error naming the limit, and the service goes on monitoring the
 * hub beside them and answering every page.
 */
class HostileHubIT {
    private static final String API_TOKEN = "api-token-hostile-7f31";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void aProgressEventLargerThanTheHeapFailsItsRunAndTheServiceGoesOn() throws Exception {
        hostileBesideAGoodHub("big-event", "spawn", "1 MiB");
    }

    @Test
    void aKernelFrameLargerThanTheHeapFailsItsRunAndTheServiceGoesOn() throws Exception {
        hostileBesideAGoodHub("big-frame", "execute", "16 MiB");
    }

    /**
     * Events without end, never ready: a run keeps the first and the last 200 of them. It ends at its
     * spawn budget, or sooner when the events come faster than it reads them (either is a failed run).
     */
    @Test
    void aSpawnSendingEventsWithoutEndFailsItsRunAndTheServiceGoesOn() throws Exception {
        JsonNode endless = hostileBesideAGoodHub("endless-events", "spawn", "");
        assertTrue(endless.path("transcript").path("events").size() <= 401, endless.path("transcript")::toString);
    }

    /** The hostile hub's run fails in {@code phase} naming {@code limit}; the good hub beside it still passes, every page answers. */
    private JsonNode hostileBesideAGoodHub(String mode, String phase, String limit) throws Exception {
        try (HostileHubServer hubs = new HostileHubServer()) {
            Files.createDirectories(dir.resolve("probes"));
            Files.writeString(dir.resolve("probes/smoke.yml"),
                    "capture_environment: false\ntimeouts: {spawn: 20s}\ncells: [{code: 'print(6 * 7)', expect: {output_contains: '42'}}]\n");
            Path cfg = dir.resolve("hubprobe.yml");
            Files.writeString(cfg, """
                    server: {api_token: "${env:HUBPROBE_API_TOKEN}"}
                    history: {path: data/history}
                    probes_dir: probes
                    defaults: {interval: 1h}
                    scheduler: {jitter: 1h}
                    hubs:
                      - {name: %s, url: %s, auth: {token: "${env:HUB_TOKEN}"}, user: bot, probes: [{probe: smoke}]}
                      - {name: good, url: %s, auth: {token: "${env:HUB_TOKEN}"}, user: bot, probes: [{probe: smoke}]}
                    """.formatted(mode, hubs.url(mode), hubs.url("good")));
            Map<String, String> env = Map.of("HUB_TOKEN", "hub-token-hostile-0a9c", "HUBPROBE_API_TOKEN", API_TOKEN);
            try (Service s = Service.startWithLauncher(cfg, env, dir.resolve("service.log"))) {
                String cmdline = Files.readString(Path.of("/proc", Long.toString(s.pid()), "cmdline"), StandardCharsets.UTF_8);
                assertTrue(cmdline.contains("-Xmx160m") && cmdline.contains("ExitOnOutOfMemoryError"), "the shipped heap cap: " + cmdline);

                JsonNode hostile = run(s, mode, 424);
                assertEquals(phase, hostile.path("failed_phase").asText(), hostile::toString);
                if (limit.isEmpty()) {
                    assertTrue(List.of("spawn_timeout", "protocol_error").contains(hostile.path("reason").asText()), hostile::toString);
                } else {
                    assertEquals("protocol_error", hostile.path("reason").asText(), hostile::toString);
                    assertTrue(hostile.path("message").asText().contains(limit), hostile::toString);
                    assertTrue(hubs.hostileBytes.get() < HostileHubServer.HUGE,
                            "the service stopped reading long before the end: " + hubs.hostileBytes.get() + " bytes sent");
                }

                assertEquals("passed", run(s, "good", 200).path("status").asText(), "the hub beside it is still probed");
                assertEquals(200, s.get("/health").statusCode(), s.output());
                for (String page : new String[] {"/", "/status/fragment", "/api/v1/hubs", "/api/v1/runs?limit=10"}) {
                    assertEquals(200, s.get(page, "Authorization", "Bearer " + API_TOKEN).statusCode(), page);
                }
                return hostile;
            }
        }
    }

    private static JsonNode run(Service s, String hub, int status) throws Exception {
        HttpResponse<String> r;
        try {
            r = s.post("/api/v1/hubs/" + hub + "/probes/smoke/runs?wait=true", API_TOKEN);
        } catch (java.io.IOException e) {
            String out = s.output();
            throw new AssertionError("the service did not answer the run of " + hub + " (" + e.getMessage() + "); its output ends:\n"
                    + out.substring(Math.max(0, out.length() - 2000)), e);
        }
        HttpResponse<String> answer = r;
        assertEquals(status, answer.statusCode(), () -> hub + ": " + answer.body());
        return JSON.readTree(r.body());
    }
}
