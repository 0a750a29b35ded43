package dev.hubprobe.probe;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.client.WireMock.delete;
import static com.github.tomakehurst.wiremock.client.WireMock.deleteRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.http.Fault;
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
    private static final String TOKEN = "secret-token-value";
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
        return run(ProbeDefinition.Timeouts.DEFAULTS.withSpawn(spawnTimeout));
    }

    private RunResult run(ProbeDefinition.Timeouts timeouts) {
        return run(runner, timeouts, new ProbeTarget.Token(Secret.of(TOKEN)));
    }

    private RunResult run(ProbeRunner with, ProbeDefinition.Timeouts timeouts, ProbeTarget.Credentials credentials) {
        ProbeDefinition probe = new ProbeDefinition("smoke", null, null, null, null, null, timeouts,
                List.of(new ProbeDefinition.Cell("print(1)", null)));
        return with.run(new ProbeTarget("wm", hub.baseUrl() + "/", USER, credentials), probe);
    }

    private static ProbeDefinition.Timeouts timeouts(int hub, int spawn, int kernel) {
        return new ProbeDefinition.Timeouts(Duration.ofSeconds(hub), Duration.ofSeconds(spawn), Duration.ofSeconds(kernel),
                Duration.ofSeconds(5), Duration.ofSeconds(5));
    }

    private static double since(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    /** A hub whose spawn passes at once: the progress stream says ready, with the server's URL. */
    private void healthyUntilKernel() {
        healthyUntilSpawn();
        hub.stubFor(post(urlEqualTo("/hub/api/users/" + USER + "/server")).willReturn(aResponse().withStatus(202)));
        hub.stubFor(get(urlPathEqualTo("/hub/api/users/" + USER + "/server/progress")).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "text/event-stream")
                .withBody("data: {\"progress\": 100, \"ready\": true, \"url\": \"/user/" + USER + "/\"}\n\n")));
        hub.stubFor(get(urlEqualTo("/user/" + USER + "/api/kernelspecs")).willReturn(okJson("{\"default\": \"python3\"}")));
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
    void aHubOutsideTheTestedRangeIsProbedAnywayWithANoteNamingTheRange() {
        healthyUntilSpawn();
        hub.stubFor(get(urlEqualTo("/hub/api/")).willReturn(okJson("{\"version\": \"3.1.1\"}")));
        hub.stubFor(post(urlEqualTo("/hub/api/users/" + USER + "/server")).willReturn(
                aResponse().withStatus(500).withBody("{\"status\": 500, \"message\": \"Internal storm\"}")));
        RunResult r = run(Duration.ofSeconds(5));
        assertEquals(Phase.SPAWN, r.failedPhase(), "probed past the version check");
        assertEquals("3.1.1", r.facts().get("hub_version"));
        assertTrue(r.notes().contains("JupyterHub 3.1.1 is outside the tested releases (tested: 4.1.6, 5.2.1, 5.5.4, 6.1.1):"
                + " probed anyway"), r.notes()::toString);

        hub.stubFor(get(urlEqualTo("/hub/api/")).willReturn(okJson("{\"version\": \"5.2.1\"}")));
        RunResult inside = run(Duration.ofSeconds(5));
        assertEquals("5.2.1", inside.facts().get("hub_version"));
        assertTrue(inside.notes().stream().noneMatch(n -> n.contains("tested")), inside.notes()::toString);

        // a release the matrix does not run, though between two it does, is not called tested
        hub.stubFor(get(urlEqualTo("/hub/api/")).willReturn(okJson("{\"version\": \"5.3.0\"}")));
        RunResult between = run(Duration.ofSeconds(5));
        assertTrue(between.notes().contains("JupyterHub 5.3.0 is between tested releases (tested: 4.1.6, 5.2.1, 5.5.4, 6.1.1):"
                + " probed anyway"), between.notes()::toString);
    }

    @Test
    void aServerThatWillNotSayItsVersionGetsAShortNoteNotItsWholeErrorBody() {
        healthyUntilKernel();
        String huge = "x".repeat(15_000);
        hub.stubFor(get(urlEqualTo("/user/" + USER + "/api")).willReturn(aResponse().withStatus(500)
                .withBody("{\"status\": 500, \"message\": \"" + huge + "\"}")));
        hub.stubFor(post(urlEqualTo("/user/" + USER + "/api/kernels")).willReturn(aResponse().withStatus(500)
                .withBody("{\"status\": 500, \"message\": \"no kernels today\"}")));
        RunResult r = run(Duration.ofSeconds(5));
        String note = r.notes().stream().filter(n -> n.startsWith("the server did not say its version")).findFirst()
                .orElseThrow(() -> new AssertionError("no note about the server's version: " + r.notes()));
        assertTrue(note.length() <= 200, () -> "a note of " + note.length() + " characters");
        assertTrue(note.contains("500"), note);
    }

    private static PhaseResult stopPhase(RunResult r) {
        return r.phases().stream().filter(p -> p.phase() == Phase.STOP).findFirst()
                .orElseThrow(() -> new AssertionError("no stop phase: " + r.phases()));
    }

    /** A 4.1 hub whose stop never ends: the user model shows the server with this pending state from the stop on. */
    private RunResult stopNeverEndsOnFourOne(String pending, int deleteStatus) {
        healthyUntilKernel();
        hub.stubFor(get(urlEqualTo("/hub/api/")).willReturn(okJson("{\"version\": \"4.1.6\"}")));
        hub.stubFor(post(urlEqualTo("/user/" + USER + "/api/kernels")).willReturn(aResponse().withStatus(500)
                .withBody("{\"status\": 500, \"message\": \"no kernels today\"}")));
        hub.stubFor(delete(urlEqualTo("/hub/api/users/" + USER + "/server")).inScenario("stop").willReturn(
                aResponse().withStatus(deleteStatus).withBody("{\"status\": 400, \"message\": \"pending spawn, please wait\"}"))
                .willSetStateTo("stopping"));
        hub.stubFor(get(urlEqualTo("/hub/api/users/" + USER)).inScenario("stop").whenScenarioStateIs("stopping")
                .willReturn(okJson("{\"name\": \"" + USER + "\", \"servers\": {\"\": {\"ready\": false, \"pending\": \"" + pending + "\"}}}")));
        return run(timeouts(5, 5, 5));
    }

    @Test
    void aStopThatHangsOnAPreFiveHubBlamesThePendingSpawnOnlyWhenThereIsOne() {
        PhaseResult stop = stopPhase(stopNeverEndsOnFourOne("stop", 202));
        assertEquals(Reason.CLEANUP_FAILED, stop.reason(), stop::toString);
        assertTrue(stop.message().startsWith("server still not stopped after"), stop::toString);
        assertFalse(stop.message().contains("pending spawn"), stop::toString);
    }

    @Test
    void aStopThatHangsOnAPreFiveHubOverAPendingSpawnSaysTheHubCannotCancelIt() {
        PhaseResult stop = stopPhase(stopNeverEndsOnFourOne("spawn", 400));
        assertEquals(Reason.CLEANUP_FAILED, stop.reason(), stop::toString);
        assertTrue(stop.message().contains("JupyterHub 4.1.6 cannot cancel a pending spawn"), stop::toString);
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

    /**
     * A stop that lands while the spawn waits to open its progress stream again (the hub said 404: no
     * spawner yet) ends the run at once. The stop's cancel reaches only the calls in flight; the stream
     * opened after it, on a spawn that never ends, used to be followed to the spawn deadline: a load
     * test that did not stop on SIGTERM.
     */
    @Test
    void aStopBetweenTwoProgressStreamsEndsTheSpawnAtOnceAndCleansUp() {
        healthyUntilSpawn();
        hub.stubFor(post(urlEqualTo("/hub/api/users/" + USER + "/server")).willReturn(aResponse().withStatus(202)
                .withFixedDelay(10_000))); // the hub holds a slow spawn's request
        String progress = "/hub/api/users/" + USER + "/server/progress";
        hub.stubFor(get(urlPathEqualTo(progress)).inScenario("spawn").whenScenarioStateIs(Scenario.STARTED)
                .willReturn(aResponse().withStatus(404)).willSetStateTo("pending"));
        hub.stubFor(get(urlPathEqualTo(progress)).inScenario("spawn").whenScenarioStateIs("pending")
                .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "text/event-stream")
                        .withBody("data: {\"progress\": 10, \"message\": \"Pod is pending\"}\n\n" + ":\n\n".repeat(200))
                        .withChunkedDribbleDelay(300, 60_000))); // a keep-alive well inside the read timeout
        ProbeRunner.Abort abort = new ProbeRunner.Abort();
        // the stop comes 40 ms after the 404 went out: the run is then in its 100 ms wait before the next stream
        hub.addMockServiceRequestListener((request, response) -> {
            if (request.getUrl().startsWith(progress) && response.getStatus() == 404) {
                Thread stopper = new Thread(() -> {
                    try {
                        Thread.sleep(40);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    abort.request();
                });
                stopper.setDaemon(true);
                stopper.start();
            }
        });
        ProbeDefinition probe = new ProbeDefinition("smoke", null, null, null, null, null,
                ProbeDefinition.Timeouts.DEFAULTS.withSpawn(Duration.ofSeconds(60)), List.of(new ProbeDefinition.Cell("print(1)", null)));
        long t0 = System.nanoTime();
        RunResult r = runner.run(new ProbeTarget("wm", hub.baseUrl() + "/", USER, new ProbeTarget.Token(Secret.of(TOKEN))), probe, abort);
        assertEquals(Phase.SPAWN, r.failedPhase(), r::toString);
        assertEquals(Reason.ABORTED, r.reason(), r::toString);
        assertTrue(since(t0) < 8, "ended " + since(t0) + " s after it started, not at the spawn deadline");
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
                .withBody("{\"status\": 403, \"message\": \"Bad token\"}")));
        RunResult r = run(Duration.ofSeconds(5));
        assertEquals(Phase.LOGIN, r.failedPhase());
        assertEquals(Reason.AUTH_ERROR, r.reason());
        assertTrue(r.message().contains("refused the API token (403)"), r.message());
    }

    @Test
    void aTokenTheHubEchoesBackIsMaskedInTheResult() {
        healthyUntilSpawn();
        hub.stubFor(post(urlEqualTo("/hub/api/users/" + USER + "/server")).willReturn(aResponse().withStatus(500)
                .withBody("{\"status\": 500, \"message\": \"spawner rejected Authorization: token " + TOKEN + "\"}")));
        hub.stubFor(get(urlPathEqualTo("/hub/api/users/" + USER + "/server/progress")).willReturn(aResponse().withStatus(400)));
        RunResult r = run(Duration.ofSeconds(5));
        assertEquals(Reason.HUB_ERROR, r.reason());
        assertTrue(r.message().contains("spawner rejected Authorization: token ****"), r.message());
        String everything = r.message() + r.phases() + r.notes() + r.facts();
        assertFalse(everything.contains(TOKEN), everything);
    }

    /**
     * 19.11: a hub echoes the token at the end of a long progress message; the run's message cuts that
     * message at 200 characters, through the token. The start the cut left is masked too (it used to
     * keep 23 of the token's characters), in the message and in the stored transcript.
     */
    @Test
    void aTokenACutWentThroughLeavesNothingOfItsStartInTheResult() {
        healthyUntilSpawn();
        hub.stubFor(post(urlEqualTo("/hub/api/users/" + USER + "/server")).willReturn(aResponse().withStatus(202)));
        String message = "Pod is pending: " + "waiting for a node ".repeat(8) + "retrying with Authorization token ";
        String longToken = TOKEN + "-" + "0123456789abcdef".repeat(2);
        String echoed = message.substring(0, 190 - "Authorization token ".length()) + "Authorization token " + longToken;
        hub.stubFor(get(urlPathEqualTo("/hub/api/users/" + USER + "/server/progress")).willReturn(aResponse()
                .withStatus(200).withHeader("Content-Type", "text/event-stream")
                .withBody("data: {\"progress\": 10, \"message\": \"" + echoed + "\"}\n\n" + ":\n\n".repeat(1000))  // a tenth of it holds the event
                .withChunkedDribbleDelay(10, 20_000)));
        RunResult r = run(runner, ProbeDefinition.Timeouts.DEFAULTS.withSpawn(Duration.ofSeconds(3)),
                new ProbeTarget.Token(Secret.of(longToken)));
        assertEquals(Reason.SPAWN_TIMEOUT, r.reason());
        assertTrue(r.message().contains("Authorization token ****..."), r.message());
        String everything = r.message() + r.phases() + r.notes() + r.facts() + r.transcript();
        assertFalse(everything.contains(longToken.substring(0, 4)), everything);
    }

    @Test
    void hubThatDoesNotAnswerFailsAtTheHubBudget() {
        hub.stubFor(get(urlEqualTo("/hub/api/")).willReturn(okJson("{\"version\": \"6.1.1\"}").withFixedDelay(8000)));
        long t0 = System.nanoTime();
        RunResult r = run(timeouts(1, 30, 30));
        assertEquals(Phase.HUB_API, r.failedPhase());
        assertEquals(Reason.HUB_TIMEOUT, r.reason());
        assertTrue(since(t0) < 4, "took " + since(t0));
    }

    @Test
    void slowLoginFailsAtTheHubBudget() {
        hub.stubFor(get(urlEqualTo("/hub/api/")).willReturn(okJson("{\"version\": \"6.1.1\"}")));
        hub.stubFor(get(urlEqualTo("/hub/api/user")).willReturn(okJson("{\"kind\": \"user\", \"name\": \"" + USER + "\"}")
                .withFixedDelay(8000)));
        long t0 = System.nanoTime();
        RunResult r = run(timeouts(1, 30, 30));
        assertEquals(Phase.LOGIN, r.failedPhase());
        assertEquals(Reason.LOGIN_TIMEOUT, r.reason());
        assertTrue(since(t0) < 4, "took " + since(t0));
    }

    @Test
    void kernelStartObeysTheKernelBudget() {
        healthyUntilKernel();
        hub.stubFor(post(urlEqualTo("/user/" + USER + "/api/kernels")).willReturn(aResponse().withStatus(201)
                .withBody("{\"id\": \"k1\", \"name\": \"python3\"}").withFixedDelay(8000)));
        long t0 = System.nanoTime();
        RunResult r = run(timeouts(5, 10, 1));
        assertEquals(Phase.KERNEL_START, r.failedPhase(), () -> r.reason() + " " + r.message());
        assertEquals(Reason.KERNEL_TIMEOUT, r.reason());
        assertTrue(since(t0) < 6, "took " + since(t0));
    }

    @Test
    void aKernelSlowerThanTheClientsCallTimeoutButWithinItsBudgetIsNotUnreachable() {
        healthyUntilKernel();
        hub.stubFor(post(urlEqualTo("/user/" + USER + "/api/kernels")).willReturn(aResponse().withStatus(201)
                .withBody("{\"id\": \"k1\", \"name\": \"python3\"}").withFixedDelay(2500)));
        // the client's own per-call timeout (60 s by default, 1 s here) must not cut a call the phase allows
        ProbeRunner tight = new ProbeRunner(ProbeClock.SYSTEM, new HubClientSettings(Duration.ofSeconds(5), Duration.ofSeconds(5),
                Duration.ofSeconds(1), Duration.ofSeconds(15), "hubprobe-test"));
        RunResult r = run(tight, timeouts(5, 10, 10), new ProbeTarget.Token(Secret.of(TOKEN)));
        assertEquals(PhaseResult.Status.PASSED, r.phases().get(3).status(), () -> r.phases().get(3).toString());
        // there is no websocket here: the run fails later, connecting
        assertEquals(Phase.KERNEL_CONNECT, r.failedPhase());
    }

    @Test
    void aRedirectLoopOpeningTheServerEndsAtTheKernelBudget() {
        hub.stubFor(get(urlEqualTo("/hub/api/")).willReturn(okJson("{\"version\": \"6.1.1\"}")));
        hub.stubFor(get(urlEqualTo("/hub/login")).willReturn(aResponse().withStatus(200)
                .withBody("<form><input type=\"hidden\" name=\"_xsrf\" value=\"x1\"/></form>")));
        hub.stubFor(post(urlPathEqualTo("/hub/login")).willReturn(aResponse().withStatus(302).withHeader("Location", "/hub/home")));
        hub.stubFor(get(urlEqualTo("/hub/api/user")).willReturn(okJson("{\"kind\": \"user\", \"name\": \"" + USER + "\"}")));
        healthyUntilKernel();
        hub.stubFor(get(urlEqualTo("/user/" + USER + "/files/")).willReturn(aResponse().withStatus(302)
                .withHeader("Location", "/user/" + USER + "/files/").withFixedDelay(400)));
        long t0 = System.nanoTime();
        RunResult r = run(runner, timeouts(5, 10, 1), new ProbeTarget.Password(USER, Secret.of("pw-secret-value")));
        assertEquals(Phase.KERNEL_START, r.failedPhase(), () -> r.reason() + " " + r.message());
        assertEquals(Reason.KERNEL_TIMEOUT, r.reason(), r::message);
        assertTrue(since(t0) < 3.5, "ten hops of 0.4 s would take 4 s; the budget is 1 s: took " + since(t0));
    }

    @Test
    void aProgressStreamThatBreaksIsReopenedAndTheSpawnGoesOn() {
        healthyUntilSpawn();
        hub.stubFor(post(urlEqualTo("/hub/api/users/" + USER + "/server")).willReturn(aResponse().withStatus(202)));
        String progress = "/hub/api/users/" + USER + "/server/progress";
        String pending = "data: {\"progress\": 10, \"message\": \"Pod is pending\"}\n\n";
        hub.stubFor(get(urlPathEqualTo(progress)).inScenario("proxy reload").whenScenarioStateIs(Scenario.STARTED)
                .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "text/event-stream").withBody(pending))
                .willSetStateTo("reloading"));
        hub.stubFor(get(urlPathEqualTo(progress)).inScenario("proxy reload").whenScenarioStateIs("reloading")
                .willReturn(aResponse().withFault(Fault.MALFORMED_RESPONSE_CHUNK)).willSetStateTo("back"));
        // the reopened stream replays the spawn's events from the start
        hub.stubFor(get(urlPathEqualTo(progress)).inScenario("proxy reload").whenScenarioStateIs("back")
                .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "text/event-stream").withBody(pending
                        + "data: {\"progress\": 100, \"ready\": true, \"url\": \"/user/" + USER + "/\"}\n\n")));
        RunResult r = run(Duration.ofSeconds(10));
        assertEquals(PhaseResult.Status.PASSED, r.phases().get(2).status(), () -> r.phases().get(2).toString());
        assertEquals("2", r.facts().get("spawn_events"), "the replayed event is not counted twice");
        assertTrue(r.notes().stream().anyMatch(n -> n.contains("progress stream broke off")), r.notes()::toString);
    }

    @Test
    void aProgressStreamThatCannotBeReopenedIsAnUnreachableHubWithinTheHubBudget() {
        healthyUntilSpawn();
        hub.stubFor(post(urlEqualTo("/hub/api/users/" + USER + "/server")).willReturn(aResponse().withStatus(202)));
        hub.stubFor(get(urlPathEqualTo("/hub/api/users/" + USER + "/server/progress"))
                .willReturn(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)));
        long t0 = System.nanoTime();
        RunResult r = run(timeouts(1, 60, 10));
        assertEquals(Phase.SPAWN, r.failedPhase());
        assertEquals(Reason.HUB_UNREACHABLE, r.reason(), r::message);
        assertTrue(since(t0) < 10, "not the 60 s spawn budget: took " + since(t0));
    }

    @Test
    void refusedMintingIsAnAuthErrorAndTheServiceTokenNeverReachesTheServer() {
        healthyUntilKernel();
        hub.stubFor(get(urlEqualTo("/hub/api/user")).willReturn(okJson("{\"kind\": \"service\", \"name\": \"hubprobe\"}")));
        hub.stubFor(get(urlEqualTo("/hub/api/users/" + USER)).willReturn(okJson("{\"name\": \"" + USER + "\", \"servers\": {}}")));
        hub.stubFor(post(urlEqualTo("/hub/api/users/" + USER + "/tokens")).willReturn(aResponse().withStatus(403)
                .withBody("{\"status\": 403, \"message\": \"no permissions to generate tokens\"}")));
        RunResult r = run(Duration.ofSeconds(5));
        assertEquals(Phase.LOGIN, r.failedPhase());
        assertEquals(Reason.AUTH_ERROR, r.reason());
        assertTrue(r.message().contains("tokens!user=" + USER), r.message());
        hub.verify(0, anyRequestedFor(urlPathMatching("/user/.*")));
    }

    @Test
    void aServiceTokensLoginReadsTheUsersModelOnceAndStillStopsWhatAnEarlierRunLeft() {
        // issue 25: the login asked for the user's model twice (does the user exist; what does it run)
        healthyUntilKernel();
        hub.stubFor(get(urlEqualTo("/hub/api/user")).willReturn(okJson("{\"kind\": \"service\", \"name\": \"hubprobe\"}")));
        hub.stubFor(get(urlEqualTo("/hub/api/users/" + USER)).inScenario("leftover").whenScenarioStateIs(Scenario.STARTED)
                .willReturn(okJson("{\"name\": \"" + USER + "\", \"servers\": {\"\": {\"ready\": true, \"pending\": null}}}"))
                .willSetStateTo("stopped"));
        hub.stubFor(get(urlEqualTo("/hub/api/users/" + USER)).inScenario("leftover").whenScenarioStateIs("stopped")
                .willReturn(okJson("{\"name\": \"" + USER + "\", \"servers\": {}}")));
        hub.stubFor(post(urlEqualTo("/hub/api/users/" + USER + "/tokens")).willReturn(aResponse().withStatus(201)
                .withBody("{\"id\": \"a1\", \"token\": \"minted-value\"}")));
        hub.stubFor(post(urlEqualTo("/hub/api/users/" + USER + "/server")).willReturn(aResponse().withStatus(500)
                .withBody("{\"status\": 500, \"message\": \"stop here\"}")));
        RunResult r = run(Duration.ofSeconds(5));
        assertTrue(r.notes().toString().contains("left running by an earlier run"), r.notes()::toString);
        List<String> before = new java.util.ArrayList<>();
        List<com.github.tomakehurst.wiremock.stubbing.ServeEvent> events = new java.util.ArrayList<>(hub.getAllServeEvents());
        java.util.Collections.reverse(events); // oldest first
        for (com.github.tomakehurst.wiremock.stubbing.ServeEvent e : events) {
            String line = e.getRequest().getMethod() + " " + e.getRequest().getUrl();
            if (line.startsWith("POST /hub/api/users/" + USER + "/server") || line.contains("/server/progress")) {
                break; // the spawn began: the spawn step opens its progress stream beside the POST, in either order
            }
            before.add(line);
        }
        // read once, then the leftover's stop: its DELETE and the look that sees it gone
        assertEquals(List.of("GET /hub/api/", "GET /hub/api/user", "GET /hub/api/users/" + USER, "POST /hub/api/users/" + USER + "/tokens",
                "DELETE /hub/api/users/" + USER + "/server", "GET /hub/api/users/" + USER), before);
    }

    @Test
    void aUserModelWhoseServersAreNoObjectFailsTheLoginRatherThanShowingNothingToStop() {
        // a hub (or a proxy rewriting its answers) whose model has "servers" as something else says nothing about
        // what runs: read as "no servers", a leftover would stay and the spawn be timed against it
        for (String servers : List.of("[{\"name\": \"\", \"ready\": true}]", "null", "\"running\"")) {
            hub.resetAll();
            healthyUntilKernel();
            hub.stubFor(get(urlEqualTo("/hub/api/user")).willReturn(okJson("{\"kind\": \"service\", \"name\": \"hubprobe\"}")));
            hub.stubFor(get(urlEqualTo("/hub/api/users/" + USER)).willReturn(okJson("{\"name\": \"" + USER + "\", \"servers\": " + servers + "}")));
            hub.stubFor(post(urlEqualTo("/hub/api/users/" + USER + "/tokens")).willReturn(aResponse().withStatus(201)
                    .withBody("{\"id\": \"a1\", \"token\": \"minted-value\"}")));
            RunResult r = run(Duration.ofSeconds(5));
            assertEquals(Phase.LOGIN, r.failedPhase(), servers);
            assertEquals(Reason.HUB_ERROR, r.reason(), servers);
            assertTrue(r.message().contains("\"servers\" of user " + USER + " is no object"), r.message());
            hub.verify(0, postRequestedFor(urlEqualTo("/hub/api/users/" + USER + "/server")));
            hub.verify(1, deleteRequestedFor(urlEqualTo("/hub/api/users/" + USER + "/tokens/a1"))); // the minted token: gone
        }
    }

    @Test
    void aUiRunsMintedTokenOutlivesItsUiPhasesAndTheWaitForABrowser() {
        // the UI phases run after the cells with the minted token: a run near its budgets must not outlive it
        healthyUntilKernel();
        hub.stubFor(get(urlEqualTo("/hub/api/user")).willReturn(okJson("{\"kind\": \"service\", \"name\": \"hubprobe\"}")));
        hub.stubFor(post(urlEqualTo("/hub/api/users/" + USER + "/tokens")).willReturn(aResponse().withStatus(403)
                .withBody("{\"status\": 403, \"message\": \"no permissions to generate tokens\"}")));
        ProbeDefinition.Timeouts timeouts = ProbeDefinition.Timeouts.DEFAULTS.withUi(Duration.ofSeconds(50));
        ProbeDefinition probe = new ProbeDefinition("smoke", null, null, null, null, null, timeouts,
                List.of(new ProbeDefinition.Cell("print(1)", null))).withUi(new ProbeDefinition.Ui(null, null));
        RunResult r = runner.run(new ProbeTarget("wm", hub.baseUrl() + "/", USER, new ProbeTarget.Token(Secret.of(TOKEN))), probe);
        assertEquals(Reason.AUTH_ERROR, r.reason(), r::message);
        // three UI phases and a browser wait of one journey (3 x timeouts.ui) beyond the API phases' total
        long expected = timeouts.total().plus(Duration.ofSeconds(50).multipliedBy(6)).toSeconds();
        hub.verify(1, postRequestedFor(urlEqualTo("/hub/api/users/" + USER + "/tokens"))
                .withRequestBody(com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath("$.expires_in",
                        com.github.tomakehurst.wiremock.client.WireMock.equalTo(Long.toString(expected)))));
    }

    @Test
    void thePreviousSpawnsFailureIsNotTakenForThisOnes() {
        // the hub answers a stream opened before it has taken the spawn request with the last spawn's
        // failure; a run right after a failed one must not report that failure again
        healthyUntilSpawn();
        hub.stubFor(post(urlEqualTo("/hub/api/users/" + USER + "/server")).willReturn(aResponse().withStatus(202).withFixedDelay(1500)));
        String progress = "/hub/api/users/" + USER + "/server/progress";
        hub.stubFor(get(urlPathEqualTo(progress)).inScenario("respawn").whenScenarioStateIs(Scenario.STARTED)
                .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "text/event-stream")
                        .withBody("data: {\"progress\": 100, \"failed\": true, \"message\": \"Spawn failed: last hour's outage\"}\n\n"))
                .willSetStateTo("pending"));
        hub.stubFor(get(urlPathEqualTo(progress)).inScenario("respawn").whenScenarioStateIs("pending")
                .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "text/event-stream")
                        .withBody("data: {\"progress\": 50, \"message\": \"Server requested\"}\n\n"
                                + "data: {\"progress\": 100, \"ready\": true, \"url\": \"/user/" + USER + "/\"}\n\n")));
        RunResult r = run(Duration.ofSeconds(10));
        assertEquals(PhaseResult.Status.PASSED, r.phases().get(2).status(), () -> r.phases().get(2).toString());
        assertEquals("2", r.facts().get("spawn_events"));
    }

    @Test
    void aSpawnThatFailsBeforeTheStreamOpensIsASpawnFailureWithItsMessage() {
        healthyUntilSpawn();
        hub.stubFor(post(urlEqualTo("/hub/api/users/" + USER + "/server")).willReturn(aResponse().withStatus(500)
                .withBody("{\"status\": 500, \"message\": \"Unhandled error starting server\"}").withFixedDelay(300)));
        hub.stubFor(get(urlPathEqualTo("/hub/api/users/" + USER + "/server/progress")).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "text/event-stream")
                .withBody("data: {\"progress\": 100, \"failed\": true, \"message\": \"Spawn failed: image not found\"}\n\n")));
        RunResult r = run(Duration.ofSeconds(10));
        assertEquals(Reason.SPAWN_FAILED, r.reason(), r::message);
        assertTrue(r.message().contains("image not found"), r.message());
    }
}
