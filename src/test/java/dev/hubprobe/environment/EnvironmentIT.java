package dev.hubprobe.environment;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import dev.hubprobe.probe.ProbeDefinition;
import dev.hubprobe.probe.RunResult;
import dev.hubprobe.testhub.Cli;
import dev.hubprobe.testhub.Probes;
import dev.hubprobe.testhub.RealHub;
import dev.hubprobe.testhub.RealHubExtension;
import dev.hubprobe.testhub.Service;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * What changed in a user environment, on the real hub: the test rewrites a user's environment between
 * runs (an image name, Python distributions, conda records, a broken sqlite3; see the "env" fault of
 * hubprobe_test_spawner.py) and the service's next run names exactly that change, in its JSON, the
 * API, the metrics, and (incident 1) the page the webhook receives and the post-deploy check's output.
 */
@ExtendWith(RealHubExtension.class)
class EnvironmentIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String API_TOKEN = "env-it-api-token";
    private static final String IMAGE_A = "example/img:latest@sha256:aaaa1111";
    private static final String IMAGE_B = "example/img:latest@sha256:bbbb2222";
    private final RealHub hub = RealHub.shared();

    @TempDir
    Path dir;

    /** The user environment env-&lt;user&gt;.json describes; the spawner builds it at the next spawn. */
    private void environment(String user, String json) throws Exception {
        hub.control("env-" + user + ".json", json);
    }

    private static String conda(String sqlite) {
        return "[{\"name\": \"libsqlite\", \"version\": \"%s\", \"build\": \"hee588c1_0\", \"channel\": \"conda-forge\"},"
                .formatted(sqlite)
                + " {\"name\": \"sqlite\", \"version\": \"%s\", \"build\": \"h9eae976_0\", \"channel\": \"conda-forge\"}]".formatted(sqlite);
    }

    private JsonNode runNow(Service s) throws Exception {
        HttpResponse<String> r = s.post("/api/v1/hubs/img/probes/environment/runs?wait=true", API_TOKEN);
        assertTrue(r.statusCode() == 200 || r.statusCode() == 424, r::body);
        return JSON.readTree(r.body());
    }

    private static int webhooks(WireMockServer hook) {
        return hook.findAll(postRequestedFor(urlEqualTo("/hook"))).size();
    }

    @Test
    void eachChangeAppearsInTheNextRunAndABrokenImageIsExplainedInThePageAndTheCheck() throws Exception {
        String user = RealHub.user("env");
        environment(user, """
                {"image": "%s", "dists": {"fixture-a": "1.0", "fixture-b": "2.0"}, "conda": %s}
                """.formatted(IMAGE_A, conda("3.45.3")));
        WireMockServer hook = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        hook.start();
        hook.stubFor(post(urlEqualTo("/hook")).willReturn(aResponse().withStatus(200)));
        Path cfg = dir.resolve("hubprobe.yml");
        Files.writeString(cfg, """
                probes_dir: %s
                history: {path: data/h}
                server: {api_token: "${env:API_TOKEN}"}
                defaults: {interval: 1h}
                scheduler: {jitter: 1s}
                alerting:
                  failure: {fire_after: 2, resolve_after: 1, confirm_after: 5s}
                  external_url: http://hubprobe.test:8080
                  notifiers: [{webhook: {url: "${env:HOOK_URL}"}}]
                hubs:
                  - {name: img, url: %s, auth: {token: "${env:HUB_TOKEN}"}, user: %s, probes: [{probe: environment}]}
                """.formatted(RealHub.basedir().resolve("probes"), hub.url(), user));
        Map<String, String> env = Map.of("HUB_TOKEN", hub.serviceToken(), "HOOK_URL", hook.baseUrl() + "/hook",
                "API_TOKEN", API_TOKEN);
        try (Service s = Service.start(cfg, env, dir.resolve("svc.log"))) {
            awaitRuns(s, 1); // the first scheduled run, at start
            JsonNode first = s.json("/api/v1/runs?hub=img").get(0);
            assertEquals("passed", first.path("status").asText(), first::toPrettyString);
            JsonNode e1 = first.path("environment");
            assertEquals(IMAGE_A, e1.path("image").asText());
            assertTrue(e1.path("python").asText().matches("3\\.\\d+\\.\\d+"), e1::toPrettyString);
            assertFalse(e1.path("changed").asBoolean());
            assertTrue(e1.path("diff").isNull());
            assertTrue(e1.path("packages").asInt() > 10, "the hub's own packages are on the kernel's path too");

            // unchanged: changed false, and no new environment stored
            JsonNode same = runNow(s).path("environment");
            assertEquals(e1.path("fingerprint").asText(), same.path("fingerprint").asText());
            assertFalse(same.path("changed").asBoolean());
            JsonNode seen = s.json("/api/v1/hubs/img/environments");
            assertEquals(1, seen.size(), seen::toPrettyString);
            assertEquals(2, seen.get(0).path("runs").asInt());

            // a version bump, an addition, a removal and a new image: each in the next run's diff, exactly
            environment(user, """
                    {"image": "%s", "dists": {"fixture-a": "1.1", "fixture-c": "0.1"}, "conda": %s}
                    """.formatted(IMAGE_B, conda("3.45.3")));
            JsonNode changed = runNow(s).path("environment");
            assertTrue(changed.path("changed").asBoolean(), changed::toPrettyString);
            JsonNode expected = JSON.readTree("""
                    {"image": {"from": "%s", "to": "%s"},
                     "added": [{"name": "fixture-c", "version": "0.1"}],
                     "removed": [{"name": "fixture-b", "version": "2.0"}],
                     "changed": [{"name": "fixture-a", "from": "1.0", "to": "1.1"}]}
                    """.formatted(IMAGE_A, IMAGE_B));
            assertEquals(expected, changed.path("diff"));
            String v1 = e1.path("fingerprint").asText();
            String v2 = changed.path("fingerprint").asText();
            JsonNode viaApi = s.json("/api/v1/hubs/img/environments/diff?from=" + v1 + "&to=" + v2);
            assertEquals(expected, viaApi.path("diff"));
            seen = s.json("/api/v1/hubs/img/environments?probe=environment");
            assertEquals(List.of(v2, v1), List.of(seen.get(0).path("fingerprint").asText(), seen.get(1).path("fingerprint").asText()),
                    "newest first");
            JsonNode full = s.json("/api/v1/hubs/img/environments/" + v2);
            assertTrue(hasPackage(full, "fixture-c", "0.1", null), full::toPrettyString);
            assertTrue(hasPackage(full, "libsqlite", "3.45.3", "conda-forge"), "conda records, native libraries included");
            assertEquals(404, s.get("/api/v1/hubs/other/environments/" + v2).statusCode(), "another hub's reader sees only its own");
            String metrics = s.get("/metrics").body();
            assertEquals(1.0, sample(metrics, "hubprobe_environment_changes_total\\{hub=\"img\",probe=\"environment\"\\}"));
            List<String> info = series(metrics, "hubprobe_environment_info{");
            assertEquals(1, info.size(), info::toString);
            assertTrue(info.get(0).contains("fingerprint=\"" + v2 + "\""), info::toString);

            // incident 1: the image is rebuilt with a newer libsqlite and sqlite3 no longer imports
            environment(user, """
                    {"image": "%s", "dists": {"fixture-a": "1.1", "fixture-c": "0.1"}, "conda": %s, "broken_sqlite": true}
                    """.formatted(IMAGE_B, conda("3.46.0")));
            JsonNode broken = runNow(s);
            assertEquals("execute", broken.path("failed_phase").asText(), broken::toPrettyString);
            assertTrue(broken.path("message").asText().contains("ImportError"), broken::toPrettyString);
            JsonNode since = broken.path("environment").path("since_last_pass");
            assertEquals(v2, since.path("fingerprint").asText());
            assertTrue(since.path("summary").asText().contains("libsqlite 3.45.3 → 3.46.0; sqlite 3.45.3 → 3.46.0"), since::toPrettyString);
            assertEquals(0, webhooks(hook), "one failure does not page");
            runNow(s);
            awaitWebhook(hook);
            JsonNode page = JSON.readTree(hook.findAll(postRequestedFor(urlEqualTo("/hook"))).get(0).getBodyAsString());
            String change = page.path("annotations").path("environment_change").asText();
            assertTrue(change.startsWith("environment changed since the last passing run ("), page::toPrettyString);
            assertTrue(change.contains("libsqlite 3.45.3 → 3.46.0"), change);
            assertTrue(page.path("annotations").path("description").asText().contains("libsqlite 3.45.3 → 3.46.0"), page::toPrettyString);
            assertEquals("http://hubprobe.test:8080/api/v1/hubs/img/environments/diff?from=" + v2 + "&to="
                    + broken.path("environment").path("fingerprint").asText(),
                    page.path("annotations").path("environment_diff_url").asText());

            // the post-deploy check names what the deploy changed against the service's last passing run
            Cli.Result check = Cli.run(Map.of("HUB_TOKEN", hub.serviceToken()), "check", "--hub-url", hub.url(),
                    "--token-env", "HUB_TOKEN", "--user", user, "--probe", RealHub.basedir().resolve("probes/environment.yml").toString(),
                    "--baseline-from", s.url(), "--hub-name", "img");
            assertEquals(1, check.exit(), check::stdout);
            assertTrue(check.stdout().contains("environment changed since the service's last passing run ("), check.stdout());
            assertTrue(check.stdout().contains(v2 + "): libsqlite 3.45.3 → 3.46.0; sqlite 3.45.3 → 3.46.0"), check.stdout());
        } finally {
            hook.stop();
            hub.clearControl("env-" + user + ".json");
        }
    }

    @Test
    void aKernelThatIsNotPythonAndACaptureThatHangsLeaveTheResultAlone() throws Exception {
        String echo = RealHub.user("env");
        environment(echo, "{\"kernel\": \"echo\"}");
        ProbeDefinition probe = Probes.probe("cells: [{code: hello there, expect: {output_contains: hello there}}]\n");
        RunResult r = Probes.run(hub, echo, probe);
        assertTrue(r.passed(), r::message);
        assertNull(r.environment());
        assertTrue(r.notes().contains("environment not captured: the kernel's language is 'echo', not Python"), r.notes()::toString);

        String stuck = RealHub.user("env");
        environment(stuck, "{\"image\": \"" + IMAGE_A + "\", \"hang\": true}");
        ProbeDefinition python = Probes.probe("timeouts: {environment: 2s}\ncells: [{code: print(6*7), expect: {output_contains: '42'}}]\n");
        RunResult hung = Probes.run(hub, stuck, python);
        assertTrue(hung.passed(), hung::message);
        assertNull(hung.environment());
        assertTrue(hung.notes().stream().anyMatch(n -> n.startsWith("environment not captured: ")), hung.notes()::toString);
        assertTrue(hub.userModel(stuck).path("servers").isEmpty(), "cleanup ran after the stuck capture");

        // and a probe that opts out runs nothing extra
        String plain = RealHub.user("env");
        environment(plain, "{\"image\": \"" + IMAGE_A + "\"}");
        RunResult off = Probes.run(hub, plain, python.withCaptureEnvironment(false));
        assertTrue(off.passed(), off::message);
        assertNull(off.environment());
        assertFalse(off.facts().containsKey("environment_capture_seconds"));
        // what the capture costs on this hub, for the closing note (a capture that answers)
        List<Double> costs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            RunResult on = Probes.run(hub, plain, python);
            assertEquals(IMAGE_A, on.environment().image());
            costs.add(Double.parseDouble(on.facts().get("environment_capture_seconds")));
        }
        System.out.println("environment capture on the test hub, seconds: " + costs);
    }

    private static boolean hasPackage(JsonNode env, String name, String version, String channel) {
        for (JsonNode p : env.path("packages")) {
            if (p.path("name").asText().equals(name) && p.path("version").asText().equals(version)
                    && (channel == null || p.path("channel").asText().equals(channel))) {
                return true;
            }
        }
        return false;
    }

    private static double sample(String metrics, String series) {
        Matcher m = Pattern.compile("(?m)^" + series + " (\\S+)$").matcher(metrics);
        if (!m.find()) {
            throw new AssertionError("no series " + series);
        }
        return Double.parseDouble(m.group(1));
    }

    private static List<String> series(String metrics, String prefix) {
        return metrics.lines().filter(l -> l.startsWith(prefix)).toList();
    }

    private static void awaitRuns(Service s, int n) throws Exception {
        for (int i = 0; i < 240; i++) {
            if (s.json("/api/v1/runs?hub=img").size() >= n) {
                return;
            }
            Thread.sleep(500);
        }
        throw new AssertionError("no run recorded in 120 s");
    }

    private static void awaitWebhook(WireMockServer hook) throws InterruptedException {
        for (int i = 0; i < 100 && webhooks(hook) == 0; i++) {
            Thread.sleep(100);
        }
        assertEquals(1, webhooks(hook), "one page");
    }
}
