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
import dev.hubprobe.config.Secret;
import dev.hubprobe.jupyter.hub.HubClientSettings;
import dev.hubprobe.testhub.Threads;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A hub that sends what no real hub sends, on purpose: an event larger than any progress message,
 * thousands of events, a ready URL that leads somewhere else. Each run ends with a reason and a
 * bounded result, and the prober goes on.
 */
class HostileHubWireMockTest {
    private static final String USER = "probe-bot";
    private WireMockServer hub;
    private final ProbeRunner runner = new ProbeRunner(ProbeClock.SYSTEM,
            HubClientSettings.defaults("hubprobe-test").withReadTimeout(Duration.ofSeconds(5)));

    @BeforeEach
    void start() {
        hub = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        hub.start();
        hub.stubFor(get(urlEqualTo("/hub/api/")).willReturn(okJson("{\"version\": \"6.1.1\"}")));
        hub.stubFor(get(urlEqualTo("/hub/api/user")).willReturn(okJson(
                "{\"kind\": \"user\", \"name\": \"" + USER + "\", \"scopes\": [\"self\"]}")));
        hub.stubFor(get(urlEqualTo("/hub/api/users/" + USER)).willReturn(okJson("{\"name\": \"" + USER + "\", \"servers\": {}}")));
        hub.stubFor(delete(urlEqualTo("/hub/api/users/" + USER + "/server")).willReturn(aResponse().withStatus(204)));
        hub.stubFor(post(urlEqualTo("/hub/api/users/" + USER + "/server")).willReturn(aResponse().withStatus(202)));
        hub.stubFor(get(urlEqualTo("/user/" + USER + "/api/kernelspecs")).willReturn(okJson("{\"default\": \"python3\"}")));
    }

    @AfterEach
    void stop() throws InterruptedException {
        String origin = "127.0.0.1:" + hub.port();
        hub.stop();
        Threads.assertNoneLeft("after the run", n -> n.contains(origin) || n.startsWith("OkHttp Dispatcher"));
    }

    private void progress(String body) {
        hub.stubFor(get(urlPathEqualTo("/hub/api/users/" + USER + "/server/progress")).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "text/event-stream").withBody(body)));
    }

    private RunResult run() {
        ProbeDefinition probe = new ProbeDefinition("smoke", null, null, null, null, null,
                ProbeDefinition.Timeouts.DEFAULTS.withSpawn(Duration.ofSeconds(10)),
                List.of(new ProbeDefinition.Cell("print(1)", null)));
        return runner.run(new ProbeTarget("wm", hub.baseUrl() + "/", USER, new ProbeTarget.Token(Secret.of("secret-token-value"))), probe);
    }

    @Test
    void aProgressEventLineOverOneMebibyteIsAProtocolErrorNamingTheCap() {
        progress("data: {\"progress\": 10, \"message\": \"" + "x".repeat(2 << 20) + "\"}\n\n"
                + "data: {\"progress\": 100, \"ready\": true, \"url\": \"/user/" + USER + "/\"}\n\n");
        RunResult r = run();
        assertEquals(Phase.SPAWN, r.failedPhase(), r::message);
        assertEquals("protocol_error", r.reason().label(), r::message);
        assertTrue(r.message().contains("1 MiB"), r.message());
        assertTrue(r.message().length() < 1000, "the message quotes no event: " + r.message().length());
        hub.verify(deleteRequestedFor(urlEqualTo("/hub/api/users/" + USER + "/server")));
    }

    @Test
    void aSpawnWithThousandsOfEventsKeepsTheFirstAndTheLastTwoHundred() {
        StringBuilder body = new StringBuilder();
        for (int i = 0; i < 3000; i++) {
            body.append("data: {\"progress\": 50, \"message\": \"back-off ").append(i).append("\"}\n\n");
        }
        body.append("data: {\"progress\": 100, \"ready\": true, \"message\": \"the last one\", \"url\": \"/user/" + USER + "/\"}\n\n");
        progress(body.toString());
        RunResult r = run();
        assertEquals("3001", r.facts().get("spawn_events"), () -> r.facts().toString());
        List<String> events = r.transcript().events().stream().map(Transcript.Event::message).toList();
        assertEquals("back-off 0", events.get(0));
        assertEquals("back-off 199", events.get(199));
        assertTrue(events.get(200).contains("2601") && events.get(200).contains("left out"), events.get(200));
        assertEquals("back-off 2801", events.get(201));
        assertEquals("the last one", events.get(events.size() - 1));
        assertEquals(401, events.size(), "200 first, one that says how many went, 200 last");
    }

    @Test
    void aReadyUrlThatIsNotHttpIsRefusedWithAProtocolError() {
        progress("data: {\"progress\": 100, \"ready\": true, \"url\": \"file:///etc/passwd\"}\n\n");
        RunResult r = run();
        assertEquals(Phase.SPAWN, r.failedPhase(), r::message);
        assertEquals("protocol_error", r.reason().label(), r::message);
        assertTrue(r.message().contains("not an http(s) URL"), r.message());
        hub.verify(deleteRequestedFor(urlEqualTo("/hub/api/users/" + USER + "/server")));
    }

    @Test
    void aBinderReadyUrlThatIsNotHttpIsRefusedWithAProtocolError() {
        hub.stubFor(get(urlEqualTo("/health")).willReturn(okJson("{\"ok\": true, \"checks\": []}")));
        hub.stubFor(get(urlPathEqualTo("/build/gh/org/repo/main")).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "text/event-stream")
                .withBody("data: {\"phase\": \"built\", \"imageName\": \"img\", \"message\": \"Found built image\"}\n\n"
                        + "data: {\"phase\": \"ready\", \"url\": \"gopher://127.0.0.1:70/user/x/\", \"token\": \"launch-token-abc123\"}\n\n")));
        ProbeDefinition probe = new ProbeDefinition("smoke", null, null, null, null, null,
                ProbeDefinition.Timeouts.DEFAULTS.withSpawn(Duration.ofSeconds(10)),
                List.of(new ProbeDefinition.Cell("print(1)", null)));
        RunResult r = runner.run(ProbeTarget.binder("binder", hub.baseUrl() + "/", "gh/org/repo/main", ProbeTarget.Tls.DEFAULT), probe);
        assertEquals(Phase.LAUNCH, r.failedPhase(), r::message);
        assertEquals("protocol_error", r.reason().label(), r::message);
        assertTrue(r.message().contains("BinderHub's ready event") && r.message().contains("not an http(s) URL"), r.message());
        assertTrue(!r.message().contains("launch-token-abc123"), r.message());
    }
}
