package dev.hubprobe.probe;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.delete;
import static com.github.tomakehurst.wiremock.client.WireMock.deleteRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import dev.hubprobe.config.Secret;
import dev.hubprobe.jupyter.hub.HubClientSettings;
import dev.hubprobe.testhub.Threads;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What a real hub cannot be made to do: 5xx storms, malformed JSON, a progress stream that never
 * ends, throttling. Each run ends within its own timeout with a clear reason, and leaves no thread.
 */
class ProbeRunnerWireMockTest {
    private static final String USER = "probe-bot";
    private WireMockServer hub;
    private final ProbeRunner runner = new ProbeRunner(ProbeClock.SYSTEM,
            HubClientSettings.defaults("hubprobe-test").withReadTimeout(Duration.ofSeconds(5)));

    @BeforeEach
    void start() {
        hub = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        hub.start();
    }

    @AfterEach
    void stop() throws InterruptedException {
        String origin = "127.0.0.1:" + hub.port();
        hub.stop();
        Threads.assertNoneLeft("after the run", n -> n.contains(origin) || n.startsWith("OkHttp Dispatcher"));
    }

    private RunResult run(Duration spawnTimeout) {
        ProbeDefinition probe = new ProbeDefinition("smoke", null, null, null, null, null,
                ProbeDefinition.Timeouts.DEFAULTS.withSpawn(spawnTimeout),
                List.of(new ProbeDefinition.Cell("print(1)", null)));
        ProbeTarget target = new ProbeTarget("wm", hub.baseUrl() + "/", USER,
                new ProbeTarget.Token(Secret.of("secret-token-value")));
        return runner.run(target, probe);
    }

    private void healthyUntilSpawn() {
        hub.stubFor(get(urlEqualTo("/hub/api/")).willReturn(okJson("{\"version\": \"6.1.1\"}")));
        hub.stubFor(get(urlEqualTo("/hub/api/user")).willReturn(okJson(
                "{\"kind\": \"user\", \"name\": \"" + USER + "\", \"scopes\": [\"self\"]}")));
        hub.stubFor(get(urlEqualTo("/hub/api/users/" + USER)).willReturn(okJson("{\"name\": \"" + USER + "\", \"servers\": {}}")));
        hub.stubFor(delete(urlEqualTo("/hub/api/users/" + USER + "/server")).willReturn(aResponse().withStatus(204)));
    }

    @Test
    void serviceUnavailableAtTheApiIsHubUnreachable() {
        hub.stubFor(get(urlEqualTo("/hub/api/")).willReturn(aResponse().withStatus(503).withBody("<html>no</html>")));
        RunResult r = run(Duration.ofSeconds(5));
        assertEquals(Phase.HUB_API, r.failedPhase());
        assertEquals(Reason.HUB_UNREACHABLE, r.reason());
        assertTrue(r.message().contains("503"), r.message());
    }

    @Test
    void malformedJsonIsAHubError() {
        hub.stubFor(get(urlEqualTo("/hub/api/")).willReturn(okJson("{\"version\": ")));
        RunResult r = run(Duration.ofSeconds(5));
        assertEquals(Phase.HUB_API, r.failedPhase());
        assertEquals(Reason.HUB_ERROR, r.reason());
        assertTrue(r.message().contains("malformed JSON"), r.message());
    }

    @Test
    void serverErrorsOnSpawnAreAHubErrorAndStillCleanUp() {
        healthyUntilSpawn();
        hub.stubFor(post(urlEqualTo("/hub/api/users/" + USER + "/server")).willReturn(
                aResponse().withStatus(500).withBody("{\"status\": 500, \"message\": \"Internal storm\"}")));
        hub.stubFor(get(urlPathEqualTo("/hub/api/users/" + USER + "/server/progress")).willReturn(
                aResponse().withStatus(400).withBody("{\"status\": 400, \"message\": \"not pending\"}")));
        RunResult r = run(Duration.ofSeconds(5));
        assertEquals(Phase.SPAWN, r.failedPhase());
        assertEquals(Reason.HUB_ERROR, r.reason());
        assertTrue(r.message().contains("Internal storm"), r.message());
        hub.verify(deleteRequestedFor(urlEqualTo("/hub/api/users/" + USER + "/server")));
    }

    @Test
    void throttledSpawnIsReportedAsSuch() {
        healthyUntilSpawn();
        hub.stubFor(post(urlEqualTo("/hub/api/users/" + USER + "/server")).willReturn(aResponse().withStatus(429)
                .withHeader("Retry-After", "30").withBody("{\"status\": 429, \"message\": \"Too many users trying to log in\"}")));
        hub.stubFor(get(urlPathEqualTo("/hub/api/users/" + USER + "/server/progress")).willReturn(aResponse().withStatus(400)));
        RunResult r = run(Duration.ofSeconds(5));
        assertEquals(Reason.SPAWN_THROTTLED, r.reason());
        assertTrue(r.message().contains("Too many users"), r.message());
    }

    @Test
    void progressStreamThatNeverEndsTimesOutAndCancels() {
        healthyUntilSpawn();
        hub.stubFor(post(urlEqualTo("/hub/api/users/" + USER + "/server")).willReturn(aResponse().withStatus(202)));
        hub.stubFor(get(urlPathEqualTo("/hub/api/users/" + USER + "/server/progress")).willReturn(aResponse()
                .withStatus(200).withHeader("Content-Type", "text/event-stream")
                // equal-sized chunks: 10 of them, the first large enough to hold the whole event
                .withBody("data: {\"progress\": 10, \"message\": \"Pod is pending\"}\n\n" + ":\n\n".repeat(200))
                .withChunkedDribbleDelay(10, 20_000)));
        long t0 = System.nanoTime();
        RunResult r = run(Duration.ofSeconds(4));
        double took = (System.nanoTime() - t0) / 1e9;
        assertEquals(Phase.SPAWN, r.failedPhase());
        assertEquals(Reason.SPAWN_TIMEOUT, r.reason());
        assertTrue(r.message().contains("Pod is pending"), r.message());
        assertTrue(took < 10, "took " + took + " s");
        hub.verify(deleteRequestedFor(urlEqualTo("/hub/api/users/" + USER + "/server")));
    }

    @Test
    void progressStreamOpenedBeforeTheSpawnerExistsIsRetried() {
        healthyUntilSpawn();
        hub.stubFor(post(urlEqualTo("/hub/api/users/" + USER + "/server")).willReturn(aResponse().withStatus(202)));
        String progress = "/hub/api/users/" + USER + "/server/progress";
        hub.stubFor(get(urlPathEqualTo(progress)).inScenario("spawn").whenScenarioStateIs(Scenario.STARTED)
                .willReturn(aResponse().withStatus(404)).willSetStateTo("pending"));
        hub.stubFor(get(urlPathEqualTo(progress)).inScenario("spawn").whenScenarioStateIs("pending")
                .willReturn(aResponse().withStatus(400)).willSetStateTo("spawning"));
        hub.stubFor(get(urlPathEqualTo(progress)).inScenario("spawn").whenScenarioStateIs("spawning")
                .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "text/event-stream")
                        .withBody("data: {\"progress\": 0, \"message\": \"Server requested\"}\n\n"
                                + "data: {\"progress\": 100, \"ready\": true, \"url\": \"/user/" + USER + "/\"}\n\n")));
        RunResult r = run(Duration.ofSeconds(5));
        assertEquals(PhaseResult.Status.PASSED, r.phases().get(2).status(), () -> r.phases().get(2).toString());
        // nothing serves /user/probe-bot/: the server the hub called ready is not there
        assertEquals(Phase.KERNEL_START, r.failedPhase());
        assertEquals(Reason.SERVER_UNREACHABLE, r.reason());
    }

    @Test
    void refusedTokenIsAnAuthError() {
        hub.stubFor(get(urlEqualTo("/hub/api/")).willReturn(okJson("{\"version\": \"6.1.1\"}")));
        hub.stubFor(get(urlEqualTo("/hub/api/user")).willReturn(aResponse().withStatus(403)
                .withBody("{\"status\": 403, \"message\": \"Bad token secret-token-value\"}")));
        RunResult r = run(Duration.ofSeconds(5));
        assertEquals(Phase.LOGIN, r.failedPhase());
        assertEquals(Reason.AUTH_ERROR, r.reason());
        assertTrue(r.phases().stream().noneMatch(p -> p.message() != null && p.message().contains("secret-token-value")));
    }
}
