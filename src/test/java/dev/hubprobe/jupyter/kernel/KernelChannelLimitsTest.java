package dev.hubprobe.jupyter.kernel;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hubprobe.jupyter.ProtocolException;
import dev.hubprobe.testhub.Threads;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A kernel (the image controls it) that sends more than any kernel should: the channel ends with a
 * protocol error that names the limit, before the message is in memory, and the next run is unharmed.
 */
class KernelChannelLimitsTest {
    private final OkHttpClient http = new OkHttpClient.Builder().build();
    private HostileKernelServer server;

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.stop(1000);
        }
        http.dispatcher().executorService().shutdown();
        http.connectionPool().evictAll();
        Threads.assertNoneLeft("kernel channel", n -> n.startsWith("OkHttp") && n.contains("127.0.0.1"));
    }

    private KernelChannel open(HostileKernelServer.Behaviour b, long bytes) throws Exception {
        server = new HostileKernelServer(b, bytes).begin();
        KernelChannel ch = new KernelChannel(http, HttpUrl.get(server.url()), "k1",
                id -> Optional.of(new KernelModel(id, "python3", "idle")), System::nanoTime);
        ch.awaitOpen(in(5000));
        return ch;
    }

    private static long in(long ms) {
        return System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
    }

    @Test
    void aFrameOverSixteenMebibytesIsAProtocolErrorNamingTheLimit() throws Exception {
        try (KernelChannel ch = open(HostileKernelServer.Behaviour.HUGE_FRAME, 18L << 20)) {
            ch.kernelInfo(in(5000));
            ProtocolException e = assertThrows(ProtocolException.class, () -> ch.execute("print(1)", in(30_000)));
            assertTrue(e.getMessage().contains("16 MiB"), e.getMessage());
        }
    }

    @Test
    void aMessageOverSixteenMebibytesInSmallFragmentsIsOneToo() throws Exception {
        try (KernelChannel ch = open(HostileKernelServer.Behaviour.HUGE_FRAGMENTED_MESSAGE, 18L << 20)) {
            ch.kernelInfo(in(5000));
            ProtocolException e = assertThrows(ProtocolException.class, () -> ch.execute("print(1)", in(30_000)));
            assertTrue(e.getMessage().contains("16 MiB"), e.getMessage());
        }
    }

    @Test
    void moreMessagesThanTheQueueHoldsEndTheChannel() throws Exception {
        try (KernelChannel ch = open(HostileKernelServer.Behaviour.FLOOD, 20_000)) {
            // nobody reads while the kernel sends (a liveness poll, a slow step): the queue fills
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (server.sent < 20_000 && System.nanoTime() < until && !server.getConnections().isEmpty()) {
                Thread.sleep(50);
            }
            Thread.sleep(500); // what was sent has arrived
            ProtocolException e = assertThrows(ProtocolException.class, () -> ch.kernelInfo(in(10_000)));
            assertTrue(e.getMessage().contains("messages"), e.getMessage());
        }
    }

    /** 3 MiB of "{}," is a million objects, some 70 MB of heap once parsed: refused before it is. */
    @Test
    void aSmallMessageOfManyEmptyObjectsIsRefusedBeforeItIsParsed() throws Exception {
        try (KernelChannel ch = open(HostileKernelServer.Behaviour.DENSE_MESSAGE, 3L << 20)) {
            ch.kernelInfo(in(5000));
            ProtocolException e = assertThrows(ProtocolException.class, () -> ch.execute("print(1)", in(30_000)));
            assertTrue(e.getMessage().contains("500000 JSON values"), e.getMessage());
        }
    }

    @Test
    void aFloodOfPingsEndsTheChannel() {
        // the flood starts as the socket opens: the channel ends while opening or at its first request
        ProtocolException e = assertThrows(ProtocolException.class, () -> {
            try (KernelChannel ch = open(HostileKernelServer.Behaviour.PING_FLOOD, 50_000)) {
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (server.sent < 50_000 && System.nanoTime() < until && !server.getConnections().isEmpty()) {
                    Thread.sleep(50);
                }
                ch.kernelInfo(in(5000));
            }
        });
        assertTrue(e.getMessage().contains("pings a second"), e.getMessage());
    }
}
