package dev.hubprobe.jupyter.hub;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.hubprobe.jupyter.DeadlineException;
import dev.hubprobe.testhub.Threads;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A stop that wakes the reader of a stream and keeps it open (a Binder launch under way, whose server
 * is handed over later on that stream): the wait ends at once, and what comes after is still read.
 */
class ProgressStreamInterruptTest {
    private final OkHttpClient http = new OkHttpClient.Builder().readTimeout(5, TimeUnit.SECONDS).build();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private WireMockServer binder;

    @BeforeEach
    void start() {
        binder = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        binder.start();
        // the launch's events come late, as a node's scale-up makes them
        binder.stubFor(get(urlEqualTo("/build")).willReturn(aResponse().withStatus(200).withFixedDelay(1500)
                .withHeader("Content-Type", "text/event-stream")
                .withBody("data: {\"phase\": \"launching\"}\n\ndata: {\"phase\": \"ready\", \"url\": \"u\", \"token\": \"t\"}\n\n")));
    }

    @AfterEach
    void stop() throws InterruptedException {
        timer.shutdownNow();
        binder.stop();
        http.dispatcher().executorService().shutdown();
        http.connectionPool().evictAll();
        Threads.assertNoneLeft("progress stream", n -> n.startsWith("OkHttp") && n.contains("127.0.0.1"));
    }

    private ProgressStream open() {
        return new ProgressStream(http, new Request.Builder().url(binder.baseUrl() + "/build").build(), System::nanoTime);
    }

    private static long in(long ms) {
        return System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
    }

    @Test
    void anInterruptEndsTheWaitAtOnceAndTheEventsAfterItAreStillRead() {
        try (ProgressStream s = open()) {
            timer.schedule(s::interrupt, 200, TimeUnit.MILLISECONDS);
            long t0 = System.nanoTime();
            DeadlineException e = assertThrows(DeadlineException.class, () -> s.next(in(30_000)));
            long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue(waited < 1400, "the wait ended at the interrupt, before the first event: " + waited + " ms");
            assertTrue(e.getMessage().contains("stopping"), e.getMessage());
            assertEquals("launching", s.next(in(10_000)).raw().path("phase").asText());
            assertEquals("t", s.next(in(10_000)).raw().path("token").asText());
        }
    }

    @Test
    void anInterruptBeforeTheWaitEndsItAndOnlyIt() {
        try (ProgressStream s = open()) {
            s.interrupt();
            assertThrows(DeadlineException.class, () -> s.next(in(30_000)));
            // the wake it queued is nothing to the next wait
            assertEquals("launching", s.next(in(10_000)).raw().path("phase").asText());
        }
    }

    @Test
    void aClearedInterruptEndsNoWait() {
        try (ProgressStream s = open()) {
            s.interrupt();
            s.clearInterrupt();
            assertEquals("launching", s.next(in(10_000)).raw().path("phase").asText());
            assertEquals("ready", s.next(in(10_000)).raw().path("phase").asText());
        }
    }
}
