package dev.hubprobe.jupyter.hub;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.hubprobe.jupyter.ProtocolException;
import dev.hubprobe.testhub.Threads;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A progress stream (a spawn's, a BinderHub build's) that sends more than any hub should. */
class ProgressStreamLimitsTest {
    private final OkHttpClient http = new OkHttpClient.Builder().readTimeout(5, TimeUnit.SECONDS).build();
    private WireMockServer hub;

    @BeforeEach
    void start() {
        hub = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        hub.start();
    }

    @AfterEach
    void stop() throws InterruptedException {
        hub.stop();
        http.dispatcher().executorService().shutdown();
        http.connectionPool().evictAll();
        Threads.assertNoneLeft("progress stream", n -> n.startsWith("OkHttp") && n.contains("127.0.0.1"));
    }

    private ProgressStream open(String body) {
        hub.stubFor(get(urlEqualTo("/progress")).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "text/event-stream").withBody(body)));
        return new ProgressStream(http, new Request.Builder().url(hub.baseUrl() + "/progress").build(), System::nanoTime);
    }

    private static long in(long ms) {
        return System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
    }

    @Test
    void anEventOverOneMebibyteInSeveralDataLinesEndsTheStream() {
        String line = "data: " + "x".repeat(600 << 10) + "\n";
        try (ProgressStream s = open("data: {\"progress\": 1}\n\n" + line + line + "\n")) {
            assertEquals(1, s.next(in(5000)).progress());
            ProtocolException e = assertThrows(ProtocolException.class, () -> s.next(in(10_000)));
            assertTrue(e.getMessage().contains("an event over the 1 MiB limit"), e.getMessage());
        }
    }

    /** What a reopened stream does: the spawn's events so far, all at once, read after they came. */
    @Test
    void aBurstOfAFewThousandEventsReadLateIsNoProblem() throws Exception {
        StringBuilder body = new StringBuilder();
        for (int i = 0; i < 3000; i++) {
            body.append("data: {\"progress\": 50, \"message\": \"Back-off pulling image \\\"quay.io/x/y:1\\\" ").append(i)
                    .append("\", \"raw_event\": {\"reason\": \"BackOff\", \"type\": \"Normal\"}}\n\n");
        }
        try (ProgressStream s = open(body.toString())) {
            Thread.sleep(2000); // nobody reads meanwhile
            for (int i = 0; i < 3000; i++) {
                assertTrue(s.next(in(5000)).message().endsWith(" " + i));
            }
            assertNull(s.next(in(5000)));
        }
    }

    @Test
    void manyEventsUnderTheLimitsWithCrlfLineEndsAllArrive() {
        StringBuilder body = new StringBuilder();
        for (int i = 0; i < 600; i++) {
            body.append("data: {\"progress\": ").append(i).append(", \"message\": \"").append("m".repeat(4000)).append("\"}\r\n\r\n");
        }
        try (ProgressStream s = open(body.toString())) {
            for (int i = 0; i < 600; i++) {
                assertEquals(i, s.next(in(5000)).progress());
            }
            assertNull(s.next(in(5000)), "then the hub closed the stream");
        }
    }

    @Test
    void moreEventsThanTheQueueHoldsUnreadEndTheStream() throws Exception {
        StringBuilder body = new StringBuilder();
        for (int i = 0; i < 25_000; i++) {
            body.append("data: {\"progress\": 50, \"message\": \"event ").append(i).append("\"}\n\n");
        }
        try (ProgressStream s = open(body.toString())) {
            // nobody reads meanwhile, until the queue is past its limit (a fixed sleep lost the race on a busy machine)
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (s.unread() <= 20_000 && System.nanoTime() < until) {
                Thread.sleep(20);
            }
            int read = 0;
            ProtocolException e = null;
            try {
                while (s.next(in(5000)) != null) {
                    read++;
                }
            } catch (ProtocolException limit) {
                e = limit;
            }
            assertTrue(e != null && e.getMessage().contains("unread (20000 events)"), "read " + read + ", then " + e);
            assertEquals(20_000, read, "those received before the limit are still read");
        }
    }

    @Test
    void aLargeEventIsKeptInPartWithTheFieldsARunReads() {
        String big = "{\"progress\": 100, \"ready\": true, \"url\": \"/user/bot/\", \"padding\": \"" + "p".repeat(500_000)
                + "\", \"message\": \"" + "m".repeat(300_000) + "\"}";
        try (ProgressStream s = open("data: " + big + "\n\n")) {
            ProgressEvent e = s.next(in(10_000));
            assertTrue(e.ready());
            assertEquals("/user/bot/", e.url());
            assertTrue(e.message().length() <= 2000 && e.message().endsWith("[cut]"), "message " + e.message().length());
            assertTrue(e.raw().toString().length() < 16_000, "kept in part: " + e.raw().toString().length());
        }
    }

    /**
     * Empty arrays and objects hold no text but some 50 to 70 bytes of heap each: an event of them is
     * kept in part as one of long text is, whether it is over the kept size in text or only parsed
     * (8,000 characters of "{}," are 2,700 objects; the run keeps 400 events).
     */
    @Test
    void anEventOfManyEmptyContainersIsKeptInPartToo() {
        String arrays = "{\"progress\": 1, \"message\": \"big\", \"pad\": [" + "[],".repeat(40_000) + "[]]}";
        String objects = "{\"progress\": 2, \"message\": \"small\", \"pad\": [" + "{},".repeat(2_600) + "{}]}";
        try (ProgressStream s = open("data: " + arrays + "\n\ndata: " + objects + "\n\n")) {
            for (int progress = 1; progress <= 2; progress++) {
                ProgressEvent e = s.next(in(10_000));
                assertEquals(progress, e.progress());
                int containers = containers(e.raw());
                assertTrue(containers <= ProgressStream.MAX_KEPT / 32 + 2, // what 8 KiB of text would hold in heap
                        "event " + progress + " kept " + containers + " arrays and objects");
            }
        }
    }

    private static int containers(com.fasterxml.jackson.databind.JsonNode n) {
        int c = n.isContainerNode() ? 1 : 0;
        for (com.fasterxml.jackson.databind.JsonNode child : n) {
            c += containers(child);
        }
        return c;
    }

    /** Under the line limit, but 350,000 objects (some 25 MB of heap) once parsed: refused before it is. */
    @Test
    void anEventOfTooManyJsonValuesEndsTheStreamBeforeItIsParsed() {
        String dense = "{\"progress\": 1, \"pad\": [" + "{},".repeat(300_000) + "{}]}";
        try (ProgressStream s = open("data: {\"progress\": 0}\n\ndata: " + dense + "\n\n")) {
            assertEquals(0, s.next(in(5000)).progress());
            ProtocolException e = assertThrows(ProtocolException.class, () -> s.next(in(10_000)));
            assertTrue(e.getMessage().contains("over 50000 JSON values"), e.getMessage());
        }
    }
}
