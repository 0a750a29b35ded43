package dev.hubprobe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hubprobe.testhub.Cli;
import dev.hubprobe.testhub.RealHub;
import dev.hubprobe.testhub.RealHubExtension;
import dev.hubprobe.testhub.Service;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each fault, injected inside the real hub, gives exit 1 and names the phase and reason, with the
 * upstream message, and the run still cleans up after itself.
 */
@ExtendWith(RealHubExtension.class)
class CheckFaultsIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final RealHub hub = RealHub.shared();

    @TempDir
    Path tmp;

    private JsonNode check(String user, String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("check", "--hub-url", hub.url(), "--token-env", "HUB_TOKEN",
                "--user", user, "--format", "json"));
        args.addAll(List.of(extra));
        Cli.Result r = Cli.run(Map.of("HUB_TOKEN", hub.serviceToken()), args.toArray(String[]::new));
        assertEquals(1, r.exit(), () -> "exit code; stdout:\n" + r.stdout() + "\nstderr:\n" + r.stderr());
        JsonNode json = JSON.readTree(r.stdout());
        assertEquals("failed", json.path("status").asText());
        return json;
    }

    private static void assertFailure(JsonNode json, String phase, String reason) {
        assertEquals(phase, json.path("failed_phase").asText(), json::toString);
        assertEquals(reason, json.path("reason").asText(), json::toString);
    }

    private void assertNoServer(String user) throws Exception {
        JsonNode model = hub.userModel(user);
        assertTrue(model == null || model.path("servers").isEmpty(), () -> "server left behind: " + model);
    }

    @Test
    void wrongPasswordIsALoginRejection() throws Exception {
        String canary = "canary-password-" + System.nanoTime();
        Path junit = tmp.resolve("junit.xml");
        Cli.Result r = Cli.run(Map.of("HUB_PASSWORD", canary), "check", "--hub-url", hub.url(),
                "--username", RealHub.user("ok"), "--password-env", "HUB_PASSWORD", "--format", "json",
                "--junit", junit.toString(), "--verbose");
        assertEquals(1, r.exit(), r::stderr);
        JsonNode json = JSON.readTree(r.stdout());
        assertFailure(json, "login", "login_rejected");
        assertTrue(json.path("message").asText().contains("Invalid username or password"), json::toString);
        String junitXml = Files.readString(junit);
        assertTrue(junitXml.contains("<failure type=\"login_rejected\""), junitXml);
        for (String out : List.of(r.stdout(), r.stderr(), junitXml)) {
            assertFalse(out.contains(canary), "the password leaked:\n" + out);
        }
    }

    @Test
    void hubDownIsHubUnreachable() throws Exception {
        int nothingThere = RealHub.freePort();
        String canary = "t0ken-canary-" + System.nanoTime();
        Path junit = tmp.resolve("down.xml");
        Cli.Result r = Cli.run(Map.of("HUB_TOKEN", canary), "check", "--hub-url", "http://127.0.0.1:" + nothingThere + "/",
                "--token-env", "HUB_TOKEN", "--format", "json", "--junit", junit.toString(), "--verbose");
        assertEquals(1, r.exit(), r::stderr);
        JsonNode json = JSON.readTree(r.stdout());
        assertFailure(json, "hub_api", "hub_unreachable");
        assertEquals("skipped", json.path("phases").get(1).path("status").asText());
        assertTrue(r.stderr().contains("phase hub_api failed"), "--verbose logs the failure: " + r.stderr());
        for (String out : List.of(r.stdout(), r.stderr(), Files.readString(junit))) {
            assertFalse(out.contains(canary), "the token leaked:\n" + out);
        }
    }

    @Test
    void aTokenTheHubEchoesNeverReachesVerboseLogs() throws Exception {
        String canary = "t0ken-echo-canary-" + System.nanoTime();
        WireMockServer echo = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        echo.start();
        try {
            echo.stubFor(get(urlEqualTo("/hub/api/")).willReturn(okJson("{\"version\": \"6.1.1\"}")));
            // a hub (or a proxy in front of it) that repeats the credentials in its error
            echo.stubFor(get(urlEqualTo("/hub/api/user")).willReturn(aResponse().withStatus(500)
                    .withBody("{\"status\": 500, \"message\": \"upstream failed for Authorization: token " + canary + "\"}")));
            Cli.Result r = Cli.run(Map.of("HUB_TOKEN", canary), "check", "--hub-url", echo.baseUrl() + "/", "--token-env", "HUB_TOKEN",
                    "--format", "json", "--verbose");
            assertEquals(1, r.exit(), r::stderr);
            assertFailure(JSON.readTree(r.stdout()), "login", "hub_error");
            assertTrue(r.stderr().contains("upstream failed for Authorization: token ****"), r.stderr());
            assertFalse(r.stdout().contains(canary) || r.stderr().contains(canary), r.stdout() + r.stderr());
        } finally {
            echo.stop();
        }
    }

    /**
     * A service whose reads are guarded ({@code server.read_token}, as the README asks beyond loopback):
     * {@code check --baseline-from} without its token is a usage error that names the options that give
     * it; with the token the smoke check passes (exit 0, not the 2 that rolled healthy deploys back).
     */
    @Test
    void aGuardedServicesBaselinesAreReadWithTheTokenGivenByBaselineTokenEnvOrFile() throws Exception {
        String readToken = "read-t0ken-canary-" + System.nanoTime();
        Path cfg = tmp.resolve("hubprobe.yml");
        Files.writeString(tmp.resolve("read-token"), readToken + "\n");
        Files.writeString(cfg, """
                server: {read_token: "${env:READ_TOKEN}"}
                history: {path: data/history}
                probes_dir: %s
                defaults: {interval: 1h}
                hubs:
                  - {name: guarded, url: %s, auth: {token: "${env:HUB_TOKEN}"}, user: %s, probes: [{probe: kernel-smoke}]}
                """.formatted(RealHub.basedir().resolve("probes"), hub.url(), RealHub.user("ok")));
        try (Service s = Service.start(cfg, Map.of("HUB_TOKEN", hub.serviceToken(), "READ_TOKEN", readToken), tmp.resolve("svc.log"))) {
            assertEquals(401, s.get("/api/v1/baselines?hub=guarded&probe=kernel-smoke").statusCode(), "the service's reads are guarded");
            List<String> args = List.of("check", "--hub-url", hub.url(), "--token-env", "HUB_TOKEN", "--user", RealHub.user("ok"),
                    "--hub-name", "guarded", "--probe", RealHub.basedir().resolve("probes/kernel-smoke.yml").toString(),
                    "--baseline-from", s.url());
            Map<String, String> env = Map.of("HUB_TOKEN", hub.serviceToken(), "SERVICE_TOKEN", readToken);

            Cli.Result without = Cli.run(env, args.toArray(String[]::new));
            assertEquals(2, without.exit(), () -> without.stdout() + without.stderr());
            assertTrue(without.stderr().contains("--baseline-token-env VAR or --baseline-token-file FILE")
                    && without.stderr().contains("server.read_token"), without.stderr());

            List<String> withEnv = new ArrayList<>(args);
            withEnv.addAll(List.of("--baseline-token-env", "SERVICE_TOKEN"));
            Cli.Result ok = Cli.run(env, withEnv.toArray(String[]::new));
            assertEquals(0, ok.exit(), () -> ok.stdout() + ok.stderr());
            assertTrue(ok.stdout().contains("PASSED"), ok.stdout());

            Files.writeString(tmp.resolve("wrong-token"), "not-the-read-token\n");
            List<String> wrong = new ArrayList<>(args);
            wrong.addAll(List.of("--baseline-token-file", tmp.resolve("wrong-token").toString()));
            Cli.Result refused = Cli.run(env, wrong.toArray(String[]::new));
            assertEquals(2, refused.exit(), () -> refused.stdout() + refused.stderr());
            assertTrue(refused.stderr().contains("refused the read token given with --baseline-token-env/--baseline-token-file"),
                    refused.stderr());
            for (Cli.Result r : List.of(without, ok, refused)) {
                assertFalse(r.stdout().contains(readToken) || r.stderr().contains(readToken), "the read token leaked");
            }

            Cli.Result alone = Cli.run(env, "check", "--hub-url", hub.url(), "--token-env", "HUB_TOKEN", "--baseline-token-env", "SERVICE_TOKEN");
            assertEquals(2, alone.exit(), alone::stderr);
            assertTrue(alone.stderr().contains("--baseline-token-env") && alone.stderr().contains("goes with --baseline-from"), alone.stderr());
        }
    }

    @Test
    void failingSpawnCarriesTheSpawnersMessage() throws Exception {
        String user = RealHub.user("fail");
        JsonNode json = check(user);
        assertFailure(json, "spawn", "spawn_failed");
        assertTrue(json.path("message").asText().contains("Back-off pulling image \"hubprobe/broken:latest\""), json::toString);
        assertNoServer(user);
    }

    @Test
    void brokenImageFailsTheSpawn() throws Exception {
        // incident 1: the server itself dies at start on a broken sqlite
        String user = RealHub.user("brokenimage");
        JsonNode json = check(user, "--spawn-timeout", "2m");
        assertFailure(json, "spawn", "spawn_failed");
        assertNoServer(user);
    }

    @Test
    void stalledSpawnTimesOutAndIsCancelled() throws Exception {
        String user = RealHub.user("stall");
        JsonNode json = check(user, "--spawn-timeout", "4s");
        assertFailure(json, "spawn", "spawn_timeout");
        double spawn = json.path("phases").get(2).path("duration_seconds").asDouble();
        assertTrue(spawn >= 4 && spawn < 15, "spawn phase took " + spawn);
        JsonNode stop = json.path("phases").get(7);
        assertEquals("passed", stop.path("status").asText(), stop::toString);
        assertNoServer(user);
    }

    @Test
    void dyingKernelIsReportedWithinAMinute() throws Exception {
        String user = RealHub.user("deadkernel");
        JsonNode json = check(user);
        assertEquals("kernel_died", json.path("reason").asText(), json::toString);
        assertTrue(json.path("failed_phase").asText().startsWith("kernel_"), json::toString);
        assertTrue(json.path("duration_seconds").asDouble() < 60, json::toString);
        assertNoServer(user);
    }

    @Test
    void brokenImportIsAnExecuteError() throws Exception {
        String user = RealHub.user("brokenimport");
        JsonNode json = check(user, "--code", "import sqlite3");
        assertFailure(json, "execute", "execute_error");
        assertTrue(json.path("message").asText().contains("ImportError"), json::toString);
        assertEquals("passed", json.path("phases").get(6).path("status").asText(), "kernel_shutdown");
        assertNoServer(user);
    }

    @Test
    void wrongOutputIsAMismatch() throws Exception {
        String user = RealHub.user("ok");
        JsonNode json = check(user, "--code", "print(6 * 9)", "--expect", "42");
        assertFailure(json, "execute", "output_mismatch");
        assertTrue(json.path("message").asText().contains("54"), json::toString);
        assertNoServer(user);
    }

    @Test
    void environmentProbeFileRunsAndFailsOnTheBrokenImage() throws Exception {
        Path probe = RealHub.basedir().resolve("probes/environment.yml");
        JsonNode json = check(RealHub.user("brokenimport"), "--probe", probe.toString());
        assertFailure(json, "execute", "execute_error");
        assertEquals("environment", json.path("probe").asText());
    }
}
