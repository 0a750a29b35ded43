package dev.hubprobe.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import dev.hubprobe.testhub.Service;
import java.nio.file.Files;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hubprobe.testhub.Cli;
import dev.hubprobe.testhub.RealHub;
import dev.hubprobe.testhub.RealHubExtension;
import dev.hubprobe.testhub.TestCertificates;
import dev.hubprobe.testhub.TlsProxy;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real TLS in front of the real hub: configurable-http-proxy serving certificates made by the test
 * (valid 60 days, 3 days left, expired, another host's) and forwarding to the hub. {@code check}
 * reports each certificate's days left and fails in hub_api with tls_expiring, tls_expired or
 * tls_invalid.
 */
@ExtendWith(RealHubExtension.class)
class TlsIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final RealHub hub = RealHub.shared();
    private final List<TlsProxy> proxies = new ArrayList<>();

    @TempDir
    Path dir;

    @AfterEach
    void stopProxies() throws Exception {
        for (TlsProxy p : proxies) {
            p.close();
        }
    }

    /** A TLS endpoint on localhost with this certificate, in front of the real hub; returns its https URL. */
    private String serve(TestCertificates.Leaf leaf) throws Exception {
        TlsProxy proxy = TlsProxy.start(leaf, 0, hub.port(), dir.resolve("proxy.log"));
        proxies.add(proxy);
        return proxy.url();
    }

    private JsonNode check(String url, int exit, String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("check", "--hub-url", url, "--token-env", "HUB_TOKEN",
                "--user", RealHub.user("ok"), "--code", "print(6 * 7)", "--expect", "42", "--format", "json"));
        args.addAll(List.of(extra));
        Cli.Result r = Cli.run(Map.of("HUB_TOKEN", hub.serviceToken()), args.toArray(String[]::new));
        assertEquals(exit, r.exit(), () -> r.stdout() + r.stderr());
        return JSON.readTree(r.stdout());
    }

    private static void assertDaysLeft(JsonNode json, Instant notAfter) {
        double expected = Duration.between(Instant.now(), notAfter).toMillis() / 86_400_000.0;
        double days = json.path("tls").path("days_left").asDouble(Double.NaN);
        assertTrue(Math.abs(days - expected) < 0.1, "days_left " + days + ", expected " + expected + ": " + json.path("tls"));
        assertEquals(notAfter.getEpochSecond(), Instant.parse(json.path("tls").path("not_after").asText()).getEpochSecond());
    }

    @Test
    void eachCertificateIsJudgedBeforeTheHubIsAsked() throws Exception {
        TestCertificates certs = new TestCertificates(dir);
        Instant now = Instant.now();
        String ca = certs.caFile().toString();

        // valid for 60 days, trusted through --ca-file: the whole probe passes through the TLS endpoint
        TestCertificates.Leaf good = certs.leaf("good", "localhost", now.minus(Duration.ofDays(30)), now.plus(Duration.ofDays(60)));
        String goodUrl = serve(good);
        JsonNode ok = check(goodUrl, 0, "--ca-file", ca);
        assertDaysLeft(ok, good.notAfter());
        assertTrue(ok.path("tls").path("subject").asText().contains("CN=localhost"), ok::toString);
        assertTrue(ok.path("tls").path("issuer").asText().contains("hubprobe test CA"), ok::toString);

        // the same endpoint without the CA: the JVM's trust store alone does not know it
        JsonNode untrusted = check(goodUrl, 1);
        assertEquals("hub_api", untrusted.path("failed_phase").asText());
        assertEquals("tls_invalid", untrusted.path("reason").asText());
        assertTrue(untrusted.path("message").asText().contains("not trusted"), untrusted::toString);

        // 3 days left: under the default --tls-min-days of 7
        TestCertificates.Leaf soon = certs.leaf("soon", "localhost", now.minus(Duration.ofDays(87)), now.plus(Duration.ofDays(3)));
        JsonNode expiring = check(serve(soon), 1, "--ca-file", ca);
        assertEquals("hub_api", expiring.path("failed_phase").asText());
        assertEquals("tls_expiring", expiring.path("reason").asText());
        assertDaysLeft(expiring, soon.notAfter());
        // and with a lower bar it passes
        check(serve(soon), 0, "--ca-file", ca, "--tls-min-days", "2");

        TestCertificates.Leaf old = certs.leaf("old", "localhost", now.minus(Duration.ofDays(90)), now.minus(Duration.ofHours(5)));
        JsonNode expired = check(serve(old), 1, "--ca-file", ca);
        assertEquals("tls_expired", expired.path("reason").asText(), expired::toString);
        assertTrue(expired.path("tls").path("days_left").asDouble() < 0, expired::toString);

        TestCertificates.Leaf other = certs.leaf("other", "wrong.example.org", now.minus(Duration.ofDays(1)), now.plus(Duration.ofDays(60)));
        JsonNode wrongHost = check(serve(other), 1, "--ca-file", ca);
        assertEquals("tls_invalid", wrongHost.path("reason").asText(), wrongHost::toString);
        assertTrue(wrongHost.path("message").asText().contains("not for localhost"), wrongHost::toString);
    }

    /**
     * Through the shipped launcher, whose one-shot commands have OkHttp choose its platform before any of
     * the JVM's security providers but SUN is built (issue 25): an https hub's check builds them when its
     * TLS needs them, and passes, certificate read, the first time (writing the class-data archive) and
     * the second (with it in place).
     */
    @Test
    void throughTheLauncherAnHttpsCheckPasses() throws Exception {
        TestCertificates certs = new TestCertificates(dir);
        Instant now = Instant.now();
        TestCertificates.Leaf good = certs.leaf("good", "localhost", now.minus(Duration.ofDays(30)), now.plus(Duration.ofDays(60)));
        String url = serve(good);
        for (int i = 0; i < 2; i++) {
            Cli.Result r = Cli.launch(Map.of("HUB_TOKEN", hub.serviceToken(), "HUBPROBE_CDS_DIR", dir.resolve("cds").toString()),
                    "check", "--hub-url", url, "--token-env", "HUB_TOKEN", "--user", RealHub.user("ok"), "--code", "print(6 * 7)",
                    "--expect", "42", "--format", "json", "--ca-file", certs.caFile().toString());
            assertEquals(0, r.exit(), () -> r.stdout() + r.stderr());
            assertDaysLeft(JSON.readTree(r.stdout()), good.notAfter());
            try (var archives = Files.list(dir.resolve("cds"))) {
                assertTrue(archives.anyMatch(f -> f.getFileName().toString().matches("hubprobe-[0-9]+\\.(jsa|aot)")),
                        "the first check wrote the class-data archive");
            }
        }
    }

    /**
     * A server that still sends an expired cross-sign beside a valid path (leaf, valid intermediate, and
     * the CA cross-signed by a root gone a month ago): every validating client is served fine, so the
     * hub passes, its expiry is the validated path's, and the extra certificate is a note. An expired
     * intermediate that the path needs is still an expired hub.
     */
    @Test
    void anExpiredCertificateSentBesideAValidPathIsANoteNotAnExpiredHub() throws Exception {
        TestCertificates certs = new TestCertificates(dir);
        Instant now = Instant.now();
        String ca = certs.caFile().toString();
        TestCertificates.Leaf crossSigned = certs.chained("cross", "localhost", now.plus(Duration.ofDays(60)),
                now.plus(Duration.ofDays(300)), true);
        JsonNode ok = check(serve(crossSigned), 0, "--ca-file", ca);
        assertEquals("passed", ok.path("status").asText(), ok::toString);
        assertDaysLeft(ok, crossSigned.notAfter());
        List<String> notes = new ArrayList<>();
        ok.path("notes").forEach(n -> notes.add(n.asText()));
        assertTrue(notes.stream().anyMatch(n -> n.contains("CN=hubprobe test CA, issued by CN=hubprobe old test root")
                && n.contains("not on the validated path")), notes::toString);

        // the path's own intermediate expiring first is what counts: 5 days left fails the default 7
        TestCertificates.Leaf intermediateSoon = certs.chained("soon-int", "localhost", now.plus(Duration.ofDays(60)),
                now.plus(Duration.ofDays(5)), true);
        JsonNode expiring = check(serve(intermediateSoon), 1, "--ca-file", ca);
        assertEquals("tls_expiring", expiring.path("reason").asText(), expiring::toString);
        assertDaysLeft(expiring, now.plus(Duration.ofDays(5)));

        TestCertificates.Leaf intermediateGone = certs.chained("old-int", "localhost", now.plus(Duration.ofDays(60)),
                now.minus(Duration.ofDays(2)), false);
        JsonNode expired = check(serve(intermediateGone), 1, "--ca-file", ca);
        assertEquals("hub_api", expired.path("failed_phase").asText(), expired::toString);
        assertEquals("tls_expired", expired.path("reason").asText(), expired::toString);
        assertTrue(expired.path("message").asText().contains("CN=hubprobe test intermediate old-int"), expired::toString);
    }

    /**
     * Three listed endpoints that accept a connection and never answer (a firewall that swallows the
     * handshake): they are inspected beside the run, each within timeouts.tls (10 s by default), so the
     * healthy hub's run passes and hub_api takes its usual few milliseconds; each endpoint is a note.
     */
    @Test
    void listedEndpointsThatHangNeitherFailTheRunNorSlowHubApi() throws Exception {
        List<java.net.ServerSocket> hanging = new ArrayList<>();
        List<java.net.Socket> held = new java.util.concurrent.CopyOnWriteArrayList<>();
        StringBuilder endpoints = new StringBuilder();
        try {
            for (int i = 0; i < 3; i++) {
                java.net.ServerSocket server = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
                hanging.add(server);
                Thread accept = new Thread(() -> {
                    try {
                        while (true) {
                            held.add(server.accept()); // and never a byte back
                        }
                    } catch (java.io.IOException closed) {
                        // the test is over
                    }
                }, "hanging-endpoint-" + i);
                accept.setDaemon(true);
                accept.start();
                endpoints.append(endpoints.length() == 0 ? "" : ", ").append("{name: hangs-").append(i)
                        .append(", address: \"127.0.0.1:").append(server.getLocalPort()).append("\"}");
            }
            Path cfg = dir.resolve("hubprobe.yml");
            Files.writeString(cfg, """
                    history: {path: data/history}
                    probes_dir: %s
                    defaults: {interval: 1h}
                    scheduler: {jitter: 1s}
                    hubs:
                      - name: healthy
                        url: %s
                        auth: {token: "${env:HUB_TOKEN}"}
                        user: %s
                        tls_endpoints: [%s]
                        probes: [{probe: kernel-smoke}]
                    """.formatted(RealHub.basedir().resolve("probes"), hub.url(), RealHub.user("ok"), endpoints));
            try (Service s = Service.start(cfg, Map.of("HUB_TOKEN", hub.serviceToken()), dir.resolve("service.log"))) {
                dev.hubprobe.testhub.Await.until("the first run", 120, () -> !s.json("/api/v1/hubs").get(0).path("last_run").isNull());
                JsonNode run = s.json("/api/v1/hubs").get(0).path("last_run");
                assertEquals("passed", run.path("status").asText(), run::toString);
                double hubApi = -1;
                for (JsonNode p : run.path("phases")) {
                    if (p.path("name").asText().equals("hub_api")) {
                        hubApi = p.path("duration_seconds").asDouble();
                    }
                }
                assertTrue(hubApi >= 0 && hubApi < 2, "hub_api took " + hubApi + " s: " + run);
                List<String> notes = new ArrayList<>();
                run.path("notes").forEach(n -> notes.add(n.asText()));
                for (int i = 0; i < 3; i++) {
                    String name = "TLS endpoint hangs-" + i + " (127.0.0.1:" + hanging.get(i).getLocalPort() + ")";
                    assertTrue(notes.stream().anyMatch(n -> n.startsWith(name)), name + " in " + notes);
                }
                assertEquals(3, held.size(), "each endpoint was tried, once: " + held);
            }
        } finally {
            for (java.net.ServerSocket server : hanging) {
                server.close();
            }
            for (java.net.Socket sock : held) {
                sock.close();
            }
        }
    }

    @Test
    void theServiceWarnsAndPagesAheadAndResolvesWhenRenewed() throws Exception {
        TestCertificates certs = new TestCertificates(dir);
        Instant now = Instant.now();
        WireMockServer receiver = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        receiver.start();
        receiver.stubFor(post(urlEqualTo("/hook")).willReturn(aResponse().withStatus(200)));
        TlsProxy hubProxy = TlsProxy.start(certs.leaf("hub3", "localhost", now.minus(Duration.ofDays(87)), now.plus(Duration.ofDays(3))),
                0, hub.port(), dir.resolve("proxy.log"));
        proxies.add(hubProxy);
        // another endpoint the hub depends on (its Kubernetes API, say), with 15 days left
        TlsProxy k8s = TlsProxy.start(certs.leaf("k8s", "localhost", now.minus(Duration.ofDays(75)), now.plus(Duration.ofDays(15))),
                0, hub.port(), dir.resolve("proxy.log"));
        proxies.add(k8s);
        Path hook = dir.resolve("hook-url");
        Files.writeString(hook, receiver.baseUrl() + "/hook");
        Path cfg = dir.resolve("hubprobe.yml");
        Files.writeString(cfg, """
                history: {path: data/history}
                probes_dir: %s
                defaults: {interval: 6s}
                scheduler: {jitter: 2s}
                alerting:
                  notifiers: [{webhook: {url: "${file:hook-url}"}}]
                hubs:
                  - name: secure
                    url: %s
                    auth: {token: "${env:HUB_TOKEN}"}
                    user: %s
                    tls: {ca_file: %s}
                    tls_endpoints: [{name: k8s-api, address: "localhost:%d"}]
                    probes: [{probe: kernel-smoke}]
                """.formatted(RealHub.basedir().resolve("probes"), hubProxy.url(), RealHub.user("ok"), certs.caFile(), k8s.port()));
        try (Service s = Service.start(cfg, Map.of("HUB_TOKEN", hub.serviceToken()), dir.resolve("service.log"))) {
            List<JsonNode> sent = awaitHooks(receiver, 2, h -> true);
            assertTrue(sent.stream().anyMatch(h -> h.path("labels").path("endpoint").asText().equals("hub")
                    && h.path("labels").path("severity").asText().equals("page") && h.path("status").asText().equals("firing")), sent::toString);
            assertTrue(sent.stream().anyMatch(h -> h.path("labels").path("endpoint").asText().equals("k8s-api")
                    && h.path("labels").path("severity").asText().equals("warning")), sent::toString);
            String metrics = s.get("/metrics").body();
            assertTrue(metrics.contains("hubprobe_tls_cert_expiry_timestamp_seconds{endpoint=\"k8s-api\",hub=\"secure\"}"), metrics);
            JsonNode run = s.json("/api/v1/hubs").get(0).path("last_run");
            assertEquals("passed", run.path("status").asText(), "a certificate that is still valid does not fail the service's runs: " + run);
            assertEquals("k8s-api", run.path("tls_endpoints").get(0).path("name").asText(), run::toString);

            // the hub's certificate is renewed (same port, 60 days): the page resolves
            hubProxy.close();
            proxies.remove(hubProxy);
            proxies.add(TlsProxy.start(certs.leaf("hub60", "localhost", now.minus(Duration.ofDays(1)), now.plus(Duration.ofDays(60))),
                    hubProxy.port(), hub.port(), dir.resolve("proxy.log")));
            List<JsonNode> resolved = awaitHooks(receiver, 1, h -> h.path("status").asText().equals("resolved"));
            assertEquals("hub", resolved.get(0).path("labels").path("endpoint").asText(), resolved::toString);
        } finally {
            receiver.stop();
        }
    }

    private static List<JsonNode> awaitHooks(WireMockServer receiver, int n, java.util.function.Predicate<JsonNode> which) throws Exception {
        long deadline = System.nanoTime() + 90_000_000_000L;
        while (true) {
            List<JsonNode> got = new ArrayList<>();
            for (var r : receiver.findAll(postRequestedFor(urlEqualTo("/hook")))) {
                JsonNode j = JSON.readTree(r.getBodyAsString());
                if (j.path("alertname").asText().equals("HubprobeTlsCertificateExpiring") && which.test(j)) {
                    got.add(j);
                }
            }
            if (got.size() >= n) {
                return got;
            }
            assertTrue(System.nanoTime() < deadline, "certificate alerts received in 90 s: " + got);
            Thread.sleep(500);
        }
    }
}
