package dev.hubprobe.probe;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
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
import dev.hubprobe.jupyter.hub.HubClientSettings;
import dev.hubprobe.testhub.Threads;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A BinderHub whose launch outlasts {@code timeouts.launch}, for what a real hub cannot be made to do:
 * a launch that never ends, a late {@code ready} without a token. The body is dribbled, so {@code built}
 * comes at once and the rest seconds later. (BinderIT drives the late launch on the real test hub.)
 */
class BinderLateLaunchTest {
    private static final String REPO = "gh/org/repo/main";
    private static final String TOKEN = "late-launch-token-5f1c0de9a7";
    private WireMockServer binder;
    private final ProbeRunner runner = new ProbeRunner(ProbeClock.SYSTEM,
            HubClientSettings.defaults("hubprobe-test").withReadTimeout(Duration.ofSeconds(5)));

    @BeforeEach
    void start() {
        binder = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        binder.start();
        binder.stubFor(get(urlEqualTo("/health")).willReturn(okJson("{\"ok\": true, \"checks\": []}")));
    }

    @AfterEach
    void stop() throws InterruptedException {
        String origin = "127.0.0.1:" + binder.port();
        binder.stop();
        Threads.assertNoneLeft("after the run", n -> n.contains(origin) || n.startsWith("OkHttp Dispatcher"));
    }

    /** built at once, then {@code padding} heartbeats, then {@code last}, over {@code millis}. */
    private void stream(String last, int heartbeats, int millis) {
        StringBuilder b = new StringBuilder("data: {\"phase\": \"built\", \"imageName\": \"img\", \"message\": \"Found built image\"}\n\n"
                + "data: {\"phase\": \"launching\", \"message\": \"Launching server...\"}\n\n");
        for (int i = 0; i < heartbeats; i++) {
            b.append(":heartbeat\n\n");
        }
        b.append(last);
        binder.stubFor(get(urlPathEqualTo("/build/" + REPO)).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "text/event-stream").withBody(b.toString())
                .withChunkedDribbleDelay(Math.max(2, heartbeats / 4), millis)));
    }

    private RunResult run(Duration launch, Duration cleanup) {
        return runner.run(ProbeTarget.binder("binder", binder.baseUrl() + "/", REPO, ProbeTarget.Tls.DEFAULT), probe(launch, cleanup));
    }

    private static ProbeDefinition probe(Duration launch, Duration cleanup) {
        ProbeDefinition.Timeouts t = new ProbeDefinition.Timeouts(Duration.ofSeconds(10), Duration.ofSeconds(10),
                Duration.ofSeconds(10), Duration.ofSeconds(10), cleanup, Duration.ofSeconds(10), launch,
                Duration.ofSeconds(5), Duration.ofSeconds(5));
        return new ProbeDefinition("smoke", null, null, null, null, null, t, List.of(new ProbeDefinition.Cell("print(1)", null)));
    }

    /**
     * A stop (SIGTERM, a service shutdown) while BinderHub launches: the launch step is woken, not the
     * stream closed, and the stop phase reads on to the late ready and shuts that server down.
     */
    @Test
    void aStopDuringTheLaunchReadsOnToTheServerAndShutsItDown() throws Exception {
        binder.stubFor(post(urlEqualTo("/user/x/api/shutdown")).willReturn(aResponse().withStatus(200)));
        stream("data: {\"phase\": \"ready\", \"url\": \"/user/x/\", \"token\": \"" + TOKEN + "\", \"message\": \"up\"}\n\n", 40, 3000);
        ProbeRunner.Abort abort = new ProbeRunner.Abort();
        Thread stopper = new Thread(() -> {
            try {
                Thread.sleep(1000); // the launch under way, ready 2 s off
                abort.request();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        stopper.start();
        long t0 = System.nanoTime();
        RunResult r = runner.run(ProbeTarget.binder("binder", binder.baseUrl() + "/", REPO, ProbeTarget.Tls.DEFAULT),
                probe(Duration.ofSeconds(60), Duration.ofSeconds(20)), abort);
        stopper.join();
        assertEquals(Phase.LAUNCH, r.failedPhase(), r::message);
        assertEquals("aborted", r.reason().label(), r::message);
        assertTrue((System.nanoTime() - t0) / 1e9 < 10, "the stop did not wait out the launch timeout");
        assertEquals(PhaseResult.Status.PASSED, stopPhase(r).status(), () -> String.valueOf(stopPhase(r).message()));
        binder.verify(postRequestedFor(urlEqualTo("/user/x/api/shutdown")).withHeader("Authorization", equalTo("token " + TOKEN)));
        assertTrue(r.notes().toString().contains("its server was shut down"), r.notes()::toString);
        assertEquals(1, r.transcript().events().stream().filter(e -> e.message().contains("Launching server")).count(),
                "each event once in the transcript: " + r.transcript().events());
    }

    private static PhaseResult stopPhase(RunResult r) {
        return r.phases().stream().filter(p -> p.phase() == Phase.STOP).findFirst().orElseThrow();
    }

    @Test
    void lateReadyWithTokenIsShutDownAndTheTokenIsNowhere() {
        binder.stubFor(post(urlEqualTo("/user/x/api/shutdown")).willReturn(aResponse().withStatus(200)));
        stream("data: {\"phase\": \"ready\", \"url\": \"/user/x/\", \"token\": \"" + TOKEN + "\", \"message\": \"server running at /user/x/?token="
                + TOKEN + "\"}\n\n", 40, 3000);
        RunResult r = run(Duration.ofSeconds(1), Duration.ofSeconds(10));
        assertEquals(Phase.LAUNCH, r.failedPhase(), r::message);
        assertEquals("launch_timeout", r.reason().label(), r::message);
        assertEquals(PhaseResult.Status.PASSED, stopPhase(r).status(), () -> String.valueOf(stopPhase(r).message()));
        binder.verify(postRequestedFor(urlEqualTo("/user/x/api/shutdown")).withHeader("Authorization", equalTo("token " + TOKEN)));
        String everything = r.message() + r.notes() + r.facts() + r.transcript().events() + r.phases();
        assertFalse(everything.contains(TOKEN), everything);
        assertTrue(r.notes().toString().contains("its server was shut down"), r.notes()::toString);
    }

    @Test
    void aLaunchThatNeverEndsIsBoundedByCleanup() {
        stream(":heartbeat\n\n", 400, 30_000); // heartbeats for 30 s, never ready
        long t0 = System.nanoTime();
        RunResult r = run(Duration.ofSeconds(1), Duration.ofSeconds(2));
        double took = (System.nanoTime() - t0) / 1e9;
        assertEquals("launch_timeout", r.reason().label(), r::message);
        assertEquals("cleanup_timeout", stopPhase(r).reason().label(), () -> String.valueOf(stopPhase(r).message()));
        assertTrue(took < 6, "launch 1 s + cleanup 2 s, took " + took + " s");
    }

    /** A late ready without a token: BinderHub runs a server nobody can stop, and stop says so rather than pass. */
    @Test
    void aLateReadyWithoutATokenFailsStopNamingTheCuller() {
        stream("data: {\"phase\": \"ready\", \"url\": \"/user/x/\", \"message\": \"server running\"}\n\n", 40, 3000);
        RunResult r = run(Duration.ofSeconds(1), Duration.ofSeconds(10));
        assertEquals("launch_timeout", r.reason().label(), r::message);
        PhaseResult stop = stopPhase(r);
        assertEquals("cleanup_failed", stop.reason().label(), () -> String.valueOf(stop.message()));
        assertTrue(stop.message().contains("without a server URL and a token") && stop.message().contains("left to BinderHub's culler"),
                stop::message);
    }

    /** A launch that fails after the run stopped waiting: nothing to stop, and the note says why. */
    @Test
    void aLateLaunchFailureIsNotedAndStopPasses() {
        stream("data: {\"phase\": \"failed\", \"message\": \"Launch attempt 3 failed\"}\n\n", 40, 3000);
        RunResult r = run(Duration.ofSeconds(1), Duration.ofSeconds(10));
        assertEquals("launch_timeout", r.reason().label(), r::message);
        assertEquals(PhaseResult.Status.PASSED, stopPhase(r).status(), () -> String.valueOf(stopPhase(r).message()));
        assertTrue(r.notes().toString().contains("without a server (Launch attempt 3 failed)"), r.notes()::toString);
    }
}
