package dev.hubprobe.load;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.delete;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import dev.hubprobe.testhub.Await;
import dev.hubprobe.testhub.Cli;
import dev.hubprobe.testhub.RealHub;
import dev.hubprobe.testhub.RealHubExtension;
import dev.hubprobe.web.Browser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code hubprobe load} against the real test hub: simulated users spawn and run code at once, the
 * JSON adds up to what the hub saw, failing spawns fail the test with their reason, a SIGTERM leaves
 * nothing behind, and the HTML report draws its charts in a real browser.
 */
@ExtendWith(RealHubExtension.class)
class LoadIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> HUB_PHASES = List.of("hub_api", "login", "spawn", "kernel_start", "kernel_connect", "execute",
            "kernel_shutdown", "stop");
    private final RealHub hub = RealHub.shared();

    @TempDir
    Path dir;

    private Map<String, String> env() {
        return Map.of("HUB_TOKEN", hub.serviceToken());
    }

    /** Spawn requests the hub logged for users of this prefix, since an offset of its log. */
    private int spawnsLogged(long offset, String prefix) throws IOException {
        Matcher m = Pattern.compile("log:\\d+\\] \\d{3} POST /hub/api/users/" + Pattern.quote(prefix) + "\\d+/server ").matcher(hub.logSince(offset));
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    private void assertNothingLeft(String prefix, int users) throws IOException {
        for (int i = 1; i <= users; i++) {
            assertEquals(404, hub.get("/hub/api/users/" + prefix + i).statusCode(), "load user " + prefix + i + " deleted");
        }
        assertTrue(hub.activeServers().stream().noneMatch(s -> s.startsWith(prefix)), () -> "servers left: " + hubServers());
    }

    private String hubServers() {
        try {
            return hub.activeServers().toString();
        } catch (IOException e) {
            return e.toString();
        }
    }

    @Test
    void fiveUsersForThirtySecondsPassAndTheJsonAddsUpToWhatTheHubSaw() throws Exception {
        String prefix = "ok-load-" + UUID.randomUUID().toString().substring(0, 6) + "-";
        Path report = dir.resolve("report.html");
        long offset = hub.logSize();
        Cli.Result r = Cli.run(env(), "load", "--hub-url", hub.url(), "--hub-name", "harness", "--token-env", "HUB_TOKEN",
                "--users", "5", "--concurrency", "5", "--ramp", "2s", "--duration", "30s", "--user-prefix", prefix,
                "--code", "print(6 * 7)", "--expect", "42", "--format", "json", "--report", report.toString(), "--quiet");
        // a failed run's message is in the JSON's errors; the hub's (and its servers') complaints beside it
        assertEquals(0, r.exit(), () -> r.stdout() + r.stderr() + "\nthe hub's log:\n" + hub.problemsSince(offset, 60));
        assertEquals("", r.stderr().strip(), "quiet: nothing on stderr");
        JsonNode json = JSON.readTree(r.stdout());
        int runs = json.path("runs").asInt();
        assertTrue(json.path("errors").isArray() && json.path("errors").isEmpty(), json::toPrettyString);
        assertEquals(0, json.path("errors_omitted").asInt(-1), json::toPrettyString);
        assertEquals(5, json.path("users").asInt());
        assertTrue(runs >= 5, json::toPrettyString);
        assertEquals(0, json.path("failed").asInt());
        assertEquals(0, json.path("failures").size());
        double seconds = json.path("duration_seconds").asDouble();
        assertTrue(seconds >= 30 && seconds < 90, json::toPrettyString);
        assertEquals(runs * 60.0 / seconds, json.path("throughput_per_minute").asDouble(), 0.01);
        for (String phase : HUB_PHASES) {
            JsonNode p = json.path("phases").path(phase);
            assertEquals(runs, p.path("count").asInt(), () -> phase + " in " + json.toPrettyString());
            double p50 = p.path("p50").asDouble();
            double p90 = p.path("p90").asDouble();
            double p99 = p.path("p99").asDouble();
            assertTrue(p50 <= p90 && p90 <= p99 && p99 <= p.path("max").asDouble(), () -> phase + ": " + p);
        }
        assertTrue(json.path("phases").path("spawn").path("p50").asDouble() > 0.1);
        // every run the JSON counts is a spawn the hub logged, and no other
        assertEquals(runs, spawnsLogged(offset, prefix), "spawns in the hub's log");
        assertNothingLeft(prefix, 5);

        // the report, as a person opens it: no script errors, both charts drawn, every run listed
        String html = Files.readString(report, StandardCharsets.UTF_8);
        assertFalse(html.contains("<script src") || html.contains("<link rel=\"stylesheet\" href"), "self-contained");
        try (Browser b = new Browser()) {
            b.driver.get(report.toUri().toString());
            assertEquals(List.of(), b.errors(), "errors in the browser console");
            assertEquals(2L, b.js("return document.querySelectorAll('.uplot canvas').length"));
            assertEquals((long) runs, b.js("return document.querySelectorAll('main > table:last-of-type tbody tr').length"));
            assertTrue(((String) b.js("return document.querySelector('h1').textContent")).contains("harness"));
            b.screenshot("load-report");
        }
    }

    @Test
    void failingSpawnsExitOneAndAreCountedBySpawnFailed() throws Exception {
        String prefix = "fail-load-" + UUID.randomUUID().toString().substring(0, 6) + "-";
        Cli.Result r = Cli.run(env(), "load", "--hub-url", hub.url(), "--token-env", "HUB_TOKEN", "--users", "3", "--duration", "10s",
                "--user-prefix", prefix, "--format", "json", "--quiet");
        assertEquals(1, r.exit(), () -> r.stdout() + r.stderr());
        JsonNode json = JSON.readTree(r.stdout());
        int runs = json.path("runs").asInt();
        assertTrue(runs >= 3, json::toPrettyString);
        assertEquals(runs, json.path("failed").asInt());
        assertEquals(runs, json.path("failures").path("spawn_failed").asInt(), json::toPrettyString);
        // and why, as the hub said it: one kind of error, every run of it
        JsonNode error = json.path("errors").path(0);
        assertEquals(1, json.path("errors").size(), json::toPrettyString);
        assertEquals("spawn_failed", error.path("reason").asText());
        assertEquals("spawn", error.path("phase").asText());
        assertEquals(runs, error.path("count").asInt());
        assertTrue(error.path("message").asText().startsWith("Spawn failed: simulated spawner failure"), json::toPrettyString);
        assertTrue(r.stderr().contains("100.0% of runs failed, more than --max-error-rate 0"), r.stderr());
        assertNothingLeft(prefix, 3);
        // the same runs with a tolerance of all of them: exit 0
        Cli.Result tolerant = Cli.run(env(), "load", "--hub-url", hub.url(), "--token-env", "HUB_TOKEN", "--users", "1", "--duration", "3s",
                "--user-prefix", prefix, "--max-error-rate", "1", "--quiet");
        assertEquals(0, tolerant.exit(), () -> tolerant.stdout() + tolerant.stderr());
        assertTrue(tolerant.stdout().contains("failed") && tolerant.stdout().contains("spawn_failed"), tolerant.stdout());
    }

    @Test
    void sigtermMidSpawnStopsEverythingItStartedAndStillReports() throws Exception {
        String prefix = "stall-load-" + UUID.randomUUID().toString().substring(0, 6) + "-";
        Path report = dir.resolve("stopped.html");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                Cli.jar().toString(), "load", "--hub-url", hub.url(), "--token-env", "HUB_TOKEN", "--users", "3", "--duration", "10m",
                "--user-prefix", prefix, "--format", "json", "--report", report.toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(dir.resolve("out.json").toFile()).redirectError(dir.resolve("err.txt").toFile());
        pb.environment().putAll(env());
        Process p = pb.start();
        try {
            // every user's spawn is pending on the hub (a stalled spawner): then Ctrl-C's signal
            Await.until("three pending spawns", 60, () -> {
                for (int i = 1; i <= 3; i++) {
                    JsonNode model = hub.userModel(prefix + i);
                    if (model == null || model.path("servers").path("").path("pending").asText("").isEmpty()) {
                        return false;
                    }
                }
                return true;
            });
            p.destroy(); // SIGTERM
            assertTrue(p.waitFor(90, TimeUnit.SECONDS), "load did not stop within 90 s of SIGTERM");
        } finally {
            p.destroyForcibly();
        }
        String out = Files.readString(dir.resolve("out.json"));
        JsonNode json = JSON.readTree(out);
        assertEquals(3, json.path("aborted").asInt(), out);
        assertEquals(0, json.path("runs").asInt(), "runs cut short by the stop are not counted: " + out);
        assertTrue(Files.readString(report).contains("Load test of"), "the report is written");
        assertNothingLeft(prefix, 3);
    }

    /**
     * A stop whose cleanup meets a hub that hangs on deleting a user: the report is printed first, the
     * delete gives up after its budget (timeouts.hub) naming the user, and load ends within its stop
     * bound, 2 x cleanup + 2 x hub + 10 s. The real hub behind a proxy that holds one user's delete.
     */
    @Test
    void aStopPrintsTheReportFirstAndEndsWithinItsBoundWhenTheHubHangsOnDeletingAUser() throws Exception {
        String prefix = "stall-load-" + UUID.randomUUID().toString().substring(0, 6) + "-";
        WireMockServer proxy = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        proxy.start();
        proxy.stubFor(any(anyUrl()).atPriority(10).willReturn(aResponse().proxiedFrom(hub.url().replaceAll("/$", ""))));
        for (int i = 1; i <= 2; i++) { // two users whose delete hangs: one after the other, they took 2 x 60 s
            proxy.stubFor(delete(urlEqualTo("/hub/api/users/" + prefix + i)).atPriority(1)
                    .willReturn(aResponse().withStatus(204).withFixedDelay(150_000)));
        }
        Path probe = dir.resolve("bounded.yml");
        Files.writeString(probe, "timeouts: {hub: 5s, cleanup: 20s}\ncells:\n  - code: print(1)\n");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                Cli.jar().toString(), "load", "--hub-url", proxy.baseUrl() + "/", "--token-env", "HUB_TOKEN", "--users", "3",
                "--duration", "10m", "--user-prefix", prefix, "--probe", probe.toString(), "--format", "json", "--quiet"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(dir.resolve("out.json").toFile()).redirectError(dir.resolve("err.txt").toFile());
        pb.environment().putAll(env());
        Process p = pb.start();
        try {
            Await.until("three pending spawns", 60, () -> {
                for (int i = 1; i <= 3; i++) {
                    JsonNode model = hub.userModel(prefix + i);
                    if (model == null || model.path("servers").path("").path("pending").asText("").isEmpty()) {
                        return false;
                    }
                }
                return true;
            });
            long t0 = System.nanoTime();
            p.destroy(); // SIGTERM
            assertTrue(p.waitFor(75, TimeUnit.SECONDS), "load did not stop within 75 s of SIGTERM");
            double took = (System.nanoTime() - t0) / 1e9;
            String out = Files.readString(dir.resolve("out.json"));
            String err = Files.readString(dir.resolve("err.txt"));
            assertFalse(out.isBlank(), "the report was printed; stderr: " + err);
            JsonNode json = JSON.readTree(out);
            assertEquals(3, json.path("aborted").asInt(), out);
            assertTrue(took < 60, "within the stop bound (2 x 20 s + 2 x 5 s + 10 s): " + took + " s");
            for (int i = 1; i <= 2; i++) {
                assertTrue(err.contains("could not delete load user " + prefix + i) && err.contains("within 5s (timeouts.hub)"), err);
            }
            assertFalse(err.contains(prefix + "3"), "the third user was deleted: " + err);
            assertEquals(404, hub.get("/hub/api/users/" + prefix + "3").statusCode(), "the third user is gone");
            assertTrue(hub.activeServers().stream().noneMatch(s -> s.startsWith(prefix)), () -> "servers left: " + hubServers());
        } finally {
            p.destroyForcibly();
            proxy.stop();
            for (int i = 1; i <= 2; i++) {
                hub.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(hub.url() + "hub/api/users/" + prefix + i)).DELETE());
            }
        }
    }
}
