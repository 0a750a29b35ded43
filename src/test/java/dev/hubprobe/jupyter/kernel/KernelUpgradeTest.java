package dev.hubprobe.jupyter.kernel;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.hubprobe.jupyter.Deadline;
import dev.hubprobe.jupyter.DeadlineException;
import dev.hubprobe.jupyter.HttpStatusException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What a refused kernel websocket upgrade means, and that the upgrade carries a browser's Origin.
 * WireMock stands in for a proxy: the real-hub cases are in BrowserWebsocketIT.
 */
class KernelUpgradeTest {
    private WireMockServer peer;
    private OkHttpClient http;
    private final Deadline deadline = new Deadline(System::nanoTime);

    @BeforeEach
    void start() {
        peer = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        peer.start();
        http = new OkHttpClient.Builder().callTimeout(Duration.ofSeconds(10)).build();
        deadline.set(System.nanoTime() + TimeUnit.SECONDS.toNanos(20));
    }

    @AfterEach
    void stop() {
        http.dispatcher().executorService().shutdown();
        http.connectionPool().evictAll();
        peer.stop();
    }

    private KernelClient client() {
        return new KernelClient(http, HttpUrl.get("http://127.0.0.1:" + peer.port() + "/user/ann/"), deadline);
    }

    private void channels(int status) {
        peer.stubFor(get(urlPathEqualTo("/user/ann/api/kernels/k1/channels")).willReturn(aResponse().withStatus(status)
                .withHeader("Content-Type", "application/json").withBody("{\"message\": \"Cross origin websockets not allowed\"}")));
    }

    @Test
    void anUpgradeRefusedWith403IsAWebsocketRejectionNamingStatusAndOrigin() {
        channels(403);
        WebsocketRejectedException e = assertThrows(WebsocketRejectedException.class,
                () -> client().connect("k1", deadline.at()));
        assertEquals(403, e.status());
        String origin = "http://127.0.0.1:" + peer.port();
        assertTrue(e.getMessage().contains("refused with 403"), e.getMessage());
        assertTrue(e.getMessage().contains("Cross origin websockets not allowed"), e.getMessage());
        assertTrue(e.getMessage().contains("Origin: " + origin), e.getMessage());
        assertTrue(e.getMessage().contains("Clients without Origin") && e.getMessage().contains("ingress"), e.getMessage());
        peer.verify(getRequestedFor(urlPathEqualTo("/user/ann/api/kernels/k1/channels")).withHeader("Origin", equalTo(origin)));
    }

    @Test
    void a404WhileTheKernelIsGoneStaysAGoneKernel() {
        channels(404);
        peer.stubFor(get(urlEqualTo("/user/ann/api/kernels/k1")).willReturn(aResponse().withStatus(404)));
        HttpStatusException e = assertThrows(HttpStatusException.class, () -> client().connect("k1", deadline.at()));
        assertEquals(404, e.status());
        assertEquals(HttpStatusException.class, e.getClass(), "a gone kernel stays kernel_died");
    }

    @Test
    void a404WhileTheKernelIsThereIsAWebsocketRejection() {
        channels(404);
        peer.stubFor(get(urlEqualTo("/user/ann/api/kernels/k1")).willReturn(okJson("{\"id\": \"k1\", \"execution_state\": \"idle\"}")));
        WebsocketRejectedException e = assertThrows(WebsocketRejectedException.class, () -> client().connect("k1", deadline.at()));
        assertEquals(404, e.status());
    }

    @Test
    void aGatewayErrorOnTheUpgradeIsNotARejection() {
        channels(502);
        HttpStatusException e = assertThrows(HttpStatusException.class, () -> client().connect("k1", deadline.at()));
        assertEquals(502, e.status());
    }

    @Test
    void theOriginIsWhatABrowserSends() {
        assertEquals("https://hub.example.org", BrowserOrigin.of(HttpUrl.get("https://hub.example.org/user/ann/")));
        assertEquals("http://hub.example.org:8000", BrowserOrigin.of(HttpUrl.get("http://hub.example.org:8000/prefix/user/ann/")));
        assertEquals("http://[::1]:8080", BrowserOrigin.of(HttpUrl.get("http://[::1]:8080/user/ann/")));
    }

    @Test
    void rateLimitsAndTimeoutsOnTheUpgradeAreNotRejections() {
        for (int status : new int[] {408, 429, 499}) {
            channels(status);
            HttpStatusException e = assertThrows(HttpStatusException.class, () -> client().connect("k1", deadline.at()));
            assertEquals(status, e.status());
            assertEquals(HttpStatusException.class, e.getClass(), status + " is no refusal of the websocket");
        }
    }

    @Test
    void a400HintSaysEveryClientIsRefusedNotOnlyBrowsers() {
        channels(400);
        WebsocketRejectedException e = assertThrows(WebsocketRejectedException.class, () -> client().connect("k1", deadline.at()));
        assertEquals(400, e.status());
        assertTrue(e.getMessage().contains("every client"), e.getMessage());
        assertTrue(e.getMessage().contains("Upgrade"), e.getMessage());
        assertFalse(e.getMessage().contains("Clients without Origin"), e.getMessage());
    }

    @Test
    void a404WhileTheKernelIsDeadIsAKernelDeath() {
        channels(404);
        peer.stubFor(get(urlEqualTo("/user/ann/api/kernels/k1")).willReturn(okJson("{\"id\": \"k1\", \"execution_state\": \"dead\"}")));
        HttpStatusException e = assertThrows(HttpStatusException.class, () -> client().connect("k1", deadline.at()));
        assertEquals(404, e.status());
        assertEquals(HttpStatusException.class, e.getClass(), "a dead kernel stays kernel_died");
    }

    @Test
    void aDeadlineDuringThe404TriageIsTheDeadline() {
        channels(404);
        // the model answers only after the phase's time is spent: kernel_timeout, not a guess at death
        peer.stubFor(get(urlEqualTo("/user/ann/api/kernels/k1")).willReturn(okJson("{\"id\": \"k1\", \"execution_state\": \"idle\"}")
                .withFixedDelay(4000)));
        deadline.set(System.nanoTime() + TimeUnit.SECONDS.toNanos(2));
        assertThrows(DeadlineException.class, () -> client().connect("k1", deadline.at()));
    }

    @Test
    void a403OnTheModelDuringThe404TriageIsNoKernelDeath() {
        channels(404);
        peer.stubFor(get(urlEqualTo("/user/ann/api/kernels/k1")).willReturn(aResponse().withStatus(403)));
        HttpStatusException e = assertThrows(HttpStatusException.class, () -> client().connect("k1", deadline.at()));
        assertEquals(403, e.status(), "the model's 403 (auth_error), not the upgrade's 404 (kernel_died)");
    }
}
