package dev.hubprobe.cli;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.delete;
import static com.github.tomakehurst.wiremock.client.WireMock.deleteRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.hubprobe.testhub.Await;
import dev.hubprobe.testhub.Cli;
import dev.hubprobe.testhub.RealHub;
import dev.hubprobe.testhub.RealHubExtension;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM during {@code check} (a CI job cancelled): the run's cleanup ends with the delete of the
 * token minted for it, which has a {@code hub} budget of its own after the stop's {@code cleanup}; the
 * process waits for it (within 2 x cleanup + hub + 5 s). The real hub, behind a proxy that is slow to
 * answer that one delete.
 */
@ExtendWith(RealHubExtension.class)
class CheckStopIT {
    private final RealHub hub = RealHub.shared();

    @TempDir
    Path dir;

    @Test
    void aStopWaitsForTheRunsTokenDeleteAfterTheCleanup() throws Exception {
        String user = RealHub.user("stall-check");
        WireMockServer proxy = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        proxy.start();
        proxy.stubFor(any(anyUrl()).atPriority(10).willReturn(aResponse().proxiedFrom(hub.url().replaceAll("/$", ""))));
        // the token delete is answered after 15 s: inside its hub budget (20 s), past twice the cleanup (3 s) plus 5 s
        proxy.stubFor(delete(urlPathMatching("/hub/api/users/" + user + "/tokens/.*")).atPriority(1)
                .willReturn(aResponse().withStatus(204).withFixedDelay(15_000)));
        Path probe = dir.resolve("bounded.yml");
        Files.writeString(probe, "timeouts: {hub: 20s, cleanup: 3s}\ncells:\n  - code: print(1)\n");
        ProcessBuilder pb = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                Cli.jar().toString(), "check", "--hub-url", proxy.baseUrl() + "/", "--token-env", "HUB_TOKEN", "--user", user,
                "--probe", probe.toString(), "--format", "json"))
                .redirectOutput(dir.resolve("out.json").toFile()).redirectError(dir.resolve("err.txt").toFile());
        pb.environment().put("HUB_TOKEN", hub.serviceToken());
        Process p = pb.start();
        try {
            Await.until("a pending spawn", 60, () -> {
                JsonNode model = hub.userModel(user);
                return model != null && !model.path("servers").path("").path("pending").asText("").isEmpty();
            });
            long t0 = System.nanoTime();
            p.destroy(); // SIGTERM
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "check did not stop within 60 s of SIGTERM");
            long exited = System.currentTimeMillis();
            assertEquals(143, p.exitValue(), "a stopped check ends as stopped (128 + TERM), not as a failed one");
            double took = (System.nanoTime() - t0) / 1e9;
            List<LoggedRequest> deletes = proxy.findAll(deleteRequestedFor(urlPathMatching("/hub/api/users/" + user + "/tokens/.*")));
            assertEquals(1, deletes.size(), "the run deleted its token once");
            long answered = deletes.get(0).getLoggedDate().getTime() + 15_000;
            assertTrue(exited >= answered - 500, "check exited " + (answered - exited) + " ms before its token delete was answered");
            assertTrue(took < 31, "within 2 x 3 s + 20 s + 5 s: " + took + " s");
            assertTrue(hub.userModel(user).path("servers").isEmpty(), "the server is stopped");
        } finally {
            p.destroyForcibly();
            proxy.stop();
            hub.send(HttpRequest.newBuilder(URI.create(hub.url() + "hub/api/users/" + user)).DELETE()); // and its token with it
        }
    }
}
