package dev.hubprobe.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hubprobe.testhub.Cli;
import dev.hubprobe.testhub.RealHub;
import dev.hubprobe.testhub.RealHubExtension;
import dev.hubprobe.testhub.TestCertificates;
import java.net.Socket;
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
    private final List<Process> proxies = new ArrayList<>();

    @TempDir
    Path dir;

    @AfterEach
    void stopProxies() throws Exception {
        for (Process p : proxies) {
            p.destroy();
            p.waitFor();
        }
    }

    /** A TLS endpoint on localhost with this certificate, in front of the real hub; returns its https URL. */
    private String serve(TestCertificates.Leaf leaf) throws Exception {
        Path chp = RealHub.install(RealHub.basedir()).resolve("node_modules/.bin/configurable-http-proxy");
        int port = RealHub.freePort();
        proxies.add(new ProcessBuilder(chp.toString(), "--ip", "127.0.0.1", "--port", Integer.toString(port),
                "--api-ip", "127.0.0.1", "--api-port", Integer.toString(RealHub.freePort()),
                "--ssl-key", leaf.key().toString(), "--ssl-cert", leaf.cert().toString(),
                "--default-target", "http://127.0.0.1:" + hub.port())
                .redirectErrorStream(true).redirectOutput(dir.resolve("proxy-" + port + ".log").toFile()).start());
        for (int i = 0; i < 100; i++) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                return "https://localhost:" + port + "/";
            } catch (java.io.IOException notYet) {
                Thread.sleep(100);
            }
        }
        throw new AssertionError("TLS proxy not listening on " + port);
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
}
