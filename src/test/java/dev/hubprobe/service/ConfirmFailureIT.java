package dev.hubprobe.service;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import dev.hubprobe.testhub.RealHub;
import dev.hubprobe.testhub.RealHubExtension;
import dev.hubprobe.testhub.Service;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A replayed outage: the hub (reached through a TCP front the test owns) is killed in the middle of an
 * interval. With {@code alerting.failure.confirm} (the default) the failed run is confirmed by a second
 * run {@code alerting.failure.confirm_after} (20 s) later, shown as a confirming run, and the page comes within one interval of the kill, not
 * after the next scheduled run (about 1.5 intervals here, up to two in general). The measured time to
 * page is printed for the README.
 */
@ExtendWith(RealHubExtension.class)
class ConfirmFailureIT {
    /** Long enough that half of it, the default confirm_after (20 s) and two short runs fit in one interval. */
    private static final int INTERVAL_SECONDS = 60;
    private final RealHub hub = RealHub.shared();

    @TempDir
    Path dir;

    /** Forwards a local port to the hub; {@link #close} is the hub going away (connections refused). */
    private static final class Front implements AutoCloseable {
        private final ServerSocket server;
        private final Set<Socket> open = ConcurrentHashMap.newKeySet();

        Front(int hubPort) throws IOException {
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread accept = new Thread(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket client = server.accept();
                        Socket upstream = new Socket(InetAddress.getLoopbackAddress(), hubPort);
                        open.add(client);
                        open.add(upstream);
                        pump(client, upstream);
                        pump(upstream, client);
                    } catch (IOException e) {
                        // closed
                    }
                }
            }, "front-accept");
            accept.setDaemon(true);
            accept.start();
        }

        private void pump(Socket from, Socket to) {
            Thread t = new Thread(() -> {
                try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                    in.transferTo(out);
                } catch (IOException e) {
                    // one side went
                } finally {
                    closeQuietly(from);
                    closeQuietly(to);
                }
            }, "front-pump");
            t.setDaemon(true);
            t.start();
        }

        private void closeQuietly(Socket s) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing
            }
            open.remove(s);
        }

        int port() {
            return server.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            server.close();
            List.copyOf(open).forEach(this::closeQuietly);
        }
    }

    private static void await(String what, int seconds, BooleanSupplier ok) throws InterruptedException {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        while (!ok.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(100);
        }
    }

    private static List<JsonNode> runs(Service s) {
        try {
            List<JsonNode> out = new ArrayList<>();
            s.json("/api/v1/runs?hub=outage&limit=100").forEach(out::add);
            return out; // newest first
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aHubKilledMidIntervalPagesWithinOneIntervalThroughAConfirmingRun() throws Exception {
        WireMockServer receiver = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        receiver.start();
        receiver.stubFor(post(urlEqualTo("/hook")).willReturn(aResponse().withStatus(200)));
        String user = RealHub.user("ok");
        Front front = new Front(hub.port());
        Path cfg = dir.resolve("hubprobe.yml");
        Files.writeString(cfg, """
                server: {api_token: "${env:HUBPROBE_API_TOKEN}"}
                history: {path: data/history}
                probes_dir: %s
                defaults: {interval: %ds}
                scheduler: {jitter: 1s}
                alerting:
                  failure: {fire_after: 2}
                  notifiers: [{webhook: {url: "${env:HOOK_URL}"}}]
                hubs:
                  - name: outage
                    url: http://127.0.0.1:%d/
                    auth: {token: "${env:HUB_TOKEN}"}
                    user: %s
                    probes: [{probe: kernel-smoke}]
                """.formatted(RealHub.basedir().resolve("probes"), INTERVAL_SECONDS, front.port(), user));
        Map<String, String> env = Map.of("HUB_TOKEN", hub.serviceToken(), "HUBPROBE_API_TOKEN", "api-token-outage-91ab",
                "HOOK_URL", receiver.baseUrl() + "/hook");
        try (Service s = Service.start(cfg, env, dir.resolve("service.log"))) {
            await("a passing run", 120, () -> runs(s).stream().anyMatch(r -> r.path("status").asText().equals("passed")));
            Instant lastStart = Instant.parse(runs(s).get(0).path("started_at").asText());
            await("the run's server stopped", 60, () -> {
                try {
                    return hub.userModel(user).path("servers").isEmpty();
                } catch (Exception e) {
                    return false;
                }
            });
            // the hub goes away half an interval after the last run started
            long killAt = lastStart.toEpochMilli() + INTERVAL_SECONDS * 500L;
            Thread.sleep(Math.max(0, killAt - System.currentTimeMillis()));
            assertEquals(1, runs(s).size(), "a run between the pass and the kill");
            front.close();
            long killed = System.nanoTime();
            long deadline = killed + 3L * INTERVAL_SECONDS * 1_000_000_000L;
            while (receiver.findAll(postRequestedFor(urlEqualTo("/hook"))).isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            double toPage = (System.nanoTime() - killed) / 1e9;
            System.out.printf(Locale.ROOT, "time to page after the hub was killed mid-interval (interval %d s): %.1f s%n",
                    INTERVAL_SECONDS, toPage);
            assertFalse(receiver.findAll(postRequestedFor(urlEqualTo("/hook"))).isEmpty(), "no page");
            assertTrue(receiver.findAll(postRequestedFor(urlEqualTo("/hook"))).get(0).getBodyAsString().contains("\"status\":\"firing\""));
            List<JsonNode> runs = runs(s);
            JsonNode confirming = runs.get(0);
            JsonNode failure = runs.get(1);
            assertEquals("failed", failure.path("status").asText(), runs::toString);
            assertFalse(failure.path("confirming").asBoolean(), failure::toString);
            assertEquals("failed", confirming.path("status").asText(), runs::toString);
            assertTrue(confirming.path("confirming").asBoolean(), () -> "the second failure is the confirming run: " + confirming);
            double gap = (Instant.parse(confirming.path("started_at").asText()).toEpochMilli()
                    - Instant.parse(failure.path("started_at").asText()).toEpochMilli()) / 1000.0 - failure.path("duration_seconds").asDouble();
            // alerting.failure.confirm_after's default: a hub back within 20 s of the failure was a blip
            assertTrue(gap >= 19 && gap < 30, "the confirming run came " + gap + " s after the failure, not 20 s");
            // the page within one interval of the kill: the next run (half an interval), its confirming run
            assertTrue(toPage < INTERVAL_SECONDS, "paged " + toPage + " s after the kill, an interval is " + INTERVAL_SECONDS + " s");
            String page = s.get("/runs/" + confirming.path("run_id").asText()).body();
            assertTrue(page.contains("confirming run"), page);
        } finally {
            front.close();
            receiver.stop();
        }
    }
}
