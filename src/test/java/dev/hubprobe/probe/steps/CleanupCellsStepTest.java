package dev.hubprobe.probe.steps;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.hubprobe.config.Redactor;
import dev.hubprobe.jupyter.Deadline;
import dev.hubprobe.jupyter.kernel.KernelClient;
import dev.hubprobe.probe.ProbeClock;
import dev.hubprobe.probe.ProbeContext;
import dev.hubprobe.probe.ProbeDefinition;
import dev.hubprobe.probe.ProbeFailure;
import dev.hubprobe.probe.ProbeTarget;
import dev.hubprobe.probe.Reason;
import java.time.Duration;
import java.util.List;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A server whose interrupt endpoint never answers: a real Jupyter server answers it at once, so
 * WireMock stands in (the real-hub paths of the cleanup cells are in NotebookProbeIT).
 */
class CleanupCellsStepTest {
    private WireMockServer peer;
    private OkHttpClient http;

    @BeforeEach
    void start() {
        peer = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        peer.start();
        http = new OkHttpClient.Builder().callTimeout(Duration.ofSeconds(30)).build();
    }

    @AfterEach
    void stop() {
        http.dispatcher().executorService().shutdown();
        http.connectionPool().evictAll();
        peer.stop();
    }

    @Test
    void anInterruptThatNeverAnswersIsNamedNotTakenForSlowCleanupCells() {
        peer.stubFor(post(urlPathEqualTo("/user/ann/api/kernels/k1/interrupt")).willReturn(aResponse().withStatus(204)
                .withFixedDelay(10_000)));
        ProbeDefinition p = new ProbeDefinition("p", null, null, null, null, null, null, List.of(new ProbeDefinition.Cell("1", null)),
                null, null, null, null, List.of(new ProbeDefinition.Cell("print('clean')", null)), null);
        Deadline deadline = new Deadline(System::nanoTime);
        ProbeContext ctx = new ProbeContext("run", new ProbeTarget("h", "http://127.0.0.1:1/", "u",
                new ProbeTarget.Token(dev.hubprobe.config.Secret.of("t"))), p, null, null, deadline, ProbeClock.SYSTEM, Redactor.forRun());
        ctx.kernels = new KernelClient(http, HttpUrl.get("http://127.0.0.1:" + peer.port() + "/user/ann/"), deadline);
        ctx.kernelId = "k1";
        ctx.cellRunning = true; // the cell timed out
        ctx.startPhase(Duration.ofSeconds(1));
        long t0 = System.nanoTime();
        ProbeFailure f = assertThrows(ProbeFailure.class, () -> new CleanupCellsStep().run(ctx));
        assertTrue(System.nanoTime() - t0 < 8_000_000_000L, "bounded by timeouts.cleanup, not the server");
        assertEquals(Reason.CLEANUP_FAILED, f.reason());
        assertTrue(f.getMessage().startsWith("the kernel's interrupt (POST /api/kernels/{id}/interrupt) did not answer within"
                + " timeouts.cleanup: no cleanup cell ran"), f.getMessage());
    }
}
