package dev.hubprobe.jupyter;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.hubprobe.testhub.Threads;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Every call obeys the phase's deadline, whatever the client's own timeouts say; bodies are capped. */
class JupyterHttpTest {
    private WireMockServer peer;
    // the client's own bounds are generous on purpose: the phase deadline must be what ends the call
    private final OkHttpClient client = new OkHttpClient.Builder().callTimeout(Duration.ofSeconds(60))
            .readTimeout(Duration.ZERO).build();
    private final Deadline deadline = new Deadline(System::nanoTime);
    private final JupyterHttp http = new JupyterHttp(client, deadline);

    @BeforeEach
    void start() {
        peer = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        peer.start();
        peer.stubFor(get(urlEqualTo("/slow")).willReturn(aResponse().withStatus(200).withBody("{}").withFixedDelay(10_000)));
    }

    @AfterEach
    void stop() throws InterruptedException {
        int port = peer.port();
        peer.stop();
        client.dispatcher().executorService().shutdown();
        client.connectionPool().evictAll();
        Threads.assertNoneLeft("after the calls", n -> n.startsWith("OkHttp") && n.contains("127.0.0.1:" + port));
    }

    private Request slow() {
        return new Request.Builder().url(peer.baseUrl() + "/slow").build();
    }

    @Test
    void aCallEndsAtThePhaseDeadlineNotTheClientsTimeout() {
        deadline.set(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(800));
        long t0 = System.nanoTime();
        DeadlineException e = assertThrows(DeadlineException.class, () -> http.json(slow(), 200));
        double took = (System.nanoTime() - t0) / 1e9;
        assertTrue(took >= 0.7 && took < 2.5, "took " + took);
        assertTrue(e.getMessage().contains("time budget"), e.getMessage());
    }

    @Test
    void noCallStartsOnceThePhaseBudgetIsSpent() {
        deadline.set(System.nanoTime() - 1);
        assertThrows(DeadlineException.class, () -> http.json(slow(), 200));
        assertEquals(0, peer.getAllServeEvents().size(), "nothing was sent");
    }

    @Test
    void aCappedPollGivesUpAtItsCapAsUnansweredNotAsTheDeadline() {
        deadline.set(System.nanoTime() + TimeUnit.SECONDS.toNanos(30));
        long t0 = System.nanoTime();
        assertThrows(UnreachableException.class, () -> http.send(slow(), TimeUnit.MILLISECONDS.toNanos(500)).close());
        double took = (System.nanoTime() - t0) / 1e9;
        assertTrue(took < 2.5, "a poll must not linger: took " + took);
    }

    @Test
    void anOversizedAnswerIsRefusedNotBuffered() {
        peer.stubFor(get(urlEqualTo("/huge")).willReturn(aResponse().withStatus(200)
                .withBody(new byte[(int) JupyterHttp.MAX_BODY + 10])));
        ProtocolException e = assertThrows(ProtocolException.class,
                () -> http.json(new Request.Builder().url(peer.baseUrl() + "/huge").build(), 200));
        assertTrue(e.getMessage().contains("larger than 4 MiB"), e.getMessage());
    }
}
