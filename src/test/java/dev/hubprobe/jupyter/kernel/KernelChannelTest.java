package dev.hubprobe.jupyter.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hubprobe.jupyter.DeadlineException;
import dev.hubprobe.jupyter.HttpStatusException;
import dev.hubprobe.jupyter.UnreachableException;
import dev.hubprobe.jupyter.ProtocolException;
import dev.hubprobe.testhub.Threads;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The kernel channel against kernels that misbehave in ways a real hub cannot be made to. */
class KernelChannelTest {
    private final OkHttpClient http = new OkHttpClient.Builder().build();
    private final Function<String, Optional<KernelModel>> alive = id -> Optional.of(new KernelModel(id, "python3", "idle"));
    private FakeKernelServer server;

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.stop(1000);
        }
        http.dispatcher().executorService().shutdown();
        http.connectionPool().evictAll();
        Threads.assertNoneLeft("kernel channel", n -> n.startsWith("OkHttp") && n.contains("127.0.0.1"));
    }

    private KernelChannel open(FakeKernelServer.Behaviour b, Function<String, Optional<KernelModel>> model) throws Exception {
        server = new FakeKernelServer(b).begin();
        return new KernelChannel(http, HttpUrl.get(server.url()), "k1", model, System::nanoTime);
    }

    private static long in(long ms) {
        return System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
    }

    @Test
    void healthyKernelGivesOutputMatchedOnItsOwnRequest() throws Exception {
        try (KernelChannel ch = open(FakeKernelServer.Behaviour.HEALTHY, alive)) {
            ch.awaitOpen(in(5000));
            ch.kernelInfo(in(5000));
            ExecuteResult r = ch.execute("print('hello'); 42", in(5000));
            assertTrue(r.ok());
            assertEquals("hello\n", r.stdout());
            assertEquals(List.of("42"), r.results());
            assertEquals("hello\n42", r.output());
        }
    }

    @Test
    void socketThatAcceptsAndNeverAnswersTimesOut() throws Exception {
        try (KernelChannel ch = open(FakeKernelServer.Behaviour.SILENT, alive)) {
            ch.awaitOpen(in(5000));
            long t0 = System.nanoTime();
            assertThrows(DeadlineException.class, () -> ch.kernelInfo(in(1500)));
            double took = (System.nanoTime() - t0) / 1e9;
            assertTrue(took >= 1.4 && took < 4, "took " + took);
        }
    }

    @Test
    void malformedFrameIsAProtocolError() throws Exception {
        try (KernelChannel ch = open(FakeKernelServer.Behaviour.MALFORMED, alive)) {
            ch.awaitOpen(in(5000));
            ProtocolException e = assertThrows(ProtocolException.class, () -> ch.kernelInfo(in(5000)));
            assertTrue(e.getMessage().contains("malformed frame"), e.getMessage());
        }
    }

    @Test
    void restartingStatusIsADeadKernel() throws Exception {
        try (KernelChannel ch = open(FakeKernelServer.Behaviour.DIES_ON_EXECUTE, alive)) {
            ch.awaitOpen(in(5000));
            ch.kernelInfo(in(5000));
            KernelDiedException e = assertThrows(KernelDiedException.class, () -> ch.execute("1", in(10_000)));
            assertTrue(e.getMessage().contains("restarting"), e.getMessage());
        }
    }

    @Test
    void closedSocketIsADeadKernel() throws Exception {
        try (KernelChannel ch = open(FakeKernelServer.Behaviour.CLOSES_ON_EXECUTE, alive)) {
            ch.awaitOpen(in(5000));
            ch.kernelInfo(in(5000));
            assertThrows(KernelDiedException.class, () -> ch.execute("1", in(10_000)));
        }
    }

    @Test
    void kernelThatVanishesWhileSilentIsDeadNotATimeout() throws Exception {
        try (KernelChannel ch = open(FakeKernelServer.Behaviour.SILENT, id -> Optional.empty())) {
            ch.awaitOpen(in(5000));
            long t0 = System.nanoTime();
            KernelDiedException e = assertThrows(KernelDiedException.class, () -> ch.kernelInfo(in(30_000)));
            assertTrue((System.nanoTime() - t0) / 1e9 < 5, "should be noticed by polling, not at the deadline");
            assertTrue(e.getMessage().contains("404"), e.getMessage());
        }
    }

    @Test
    void unansweredLivenessPollsDuringALongCellAreNotDeath() throws Exception {
        // a proxy reload mid-cell: polls of the kernel model get no answer or a 502; the kernel is fine
        AtomicInteger polls = new AtomicInteger();
        Function<String, Optional<KernelModel>> flaky = id -> {
            switch (polls.incrementAndGet() % 3) {
                case 1 -> throw new UnreachableException("GET /api/kernels/k1: connection reset", null);
                case 2 -> throw new HttpStatusException("GET", "/api/kernels/k1", 502, "Bad Gateway");
                default -> {
                    return Optional.of(new KernelModel(id, "python3", "busy"));
                }
            }
        };
        try (KernelChannel ch = open(FakeKernelServer.Behaviour.SLOW_CELL, flaky)) {
            ch.awaitOpen(in(5000));
            ch.kernelInfo(in(5000));
            ExecuteResult r = ch.execute("import time; time.sleep(3)", in(20_000));
            assertTrue(r.ok());
            assertTrue(polls.get() >= 2, "the kernel was polled while the cell ran: " + polls.get());
            assertTrue(ch.unansweredPolls() >= 2, "unanswered polls counted: " + ch.unansweredPolls());
        }
    }

    @Test
    void aDeadKernelModelDuringALongCellIsStillDeath() throws Exception {
        try (KernelChannel ch = open(FakeKernelServer.Behaviour.SLOW_CELL,
                id -> Optional.of(new KernelModel(id, "python3", "dead")))) {
            ch.awaitOpen(in(5000));
            ch.kernelInfo(in(5000));
            KernelDiedException e = assertThrows(KernelDiedException.class, () -> ch.execute("1", in(20_000)));
            assertTrue(e.getMessage().contains("dead"), e.getMessage());
        }
    }

    @Test
    void upgradeThatNeverCompletesEndsAtTheDeadline() throws Exception {
        List<Socket> accepted = new ArrayList<>();
        try (ServerSocket silent = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            Thread acceptor = new Thread(() -> {
                try {
                    accepted.add(silent.accept());
                } catch (Exception ignored) {
                    // closed
                }
            }, "silent-acceptor");
            acceptor.start();
            HttpUrl url = HttpUrl.get("http://127.0.0.1:" + silent.getLocalPort() + "/api/kernels/k1/channels");
            try (KernelChannel ch = new KernelChannel(http, url, "k1", alive, System::nanoTime)) {
                long t0 = System.nanoTime();
                assertThrows(DeadlineException.class, () -> ch.awaitOpen(in(1500)));
                assertTrue((System.nanoTime() - t0) / 1e9 < 4);
            }
            for (Socket s : accepted) {
                s.close();
            }
        }
    }
}
