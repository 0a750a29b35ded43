package dev.hubprobe.probe;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.delete;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.hubprobe.config.Secret;
import dev.hubprobe.jupyter.hub.HubClientSettings;
import dev.hubprobe.testhub.Threads;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What a run stores (message, notes, facts, transcript) is masked with every configured secret, not
 * only the run's own token: a hub behind the same proxy, or a misconfigured one, may echo another
 * hub's token or a notifier's webhook URL, JSON-escaped or URL-encoded. A real hub cannot be made to
 * echo a secret it was never given, so a fake one does.
 */
class StoredResultRedactionTest {
    private static final String USER = "probe-bot";
    private static final String OWN_TOKEN = "own-token-of-this-hub-0001";
    private static final String OTHER_HUB_TOKEN = "token-of-another-hub-0002";
    private static final String WEBHOOK = "https://hooks.slack.com/services/T0/B0/webhook-secret-0003";
    private WireMockServer hub;

    @BeforeEach
    void start() {
        hub = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        hub.start();
        // configured elsewhere in the same service: every Secret is a configured secret
        Secret.of(OTHER_HUB_TOKEN);
        Secret.of(WEBHOOK);
    }

    @AfterEach
    void stop() throws InterruptedException {
        String origin = "127.0.0.1:" + hub.port();
        hub.stop();
        Threads.assertNoneLeft("after the run", n -> n.contains(origin) || n.startsWith("OkHttp Dispatcher"));
    }

    @Test
    void aRunsStoredResultMasksEveryConfiguredSecretInEveryForm() {
        String jsonWebhook = WEBHOOK.replace("/", "\\\\/"); // as a JSON body with escaped slashes carries it
        hub.stubFor(get(urlEqualTo("/hub/api/")).willReturn(okJson("{\"version\": \"6.1.1 " + OTHER_HUB_TOKEN + "\"}")));
        hub.stubFor(get(urlEqualTo("/hub/api/user")).willReturn(okJson(
                "{\"kind\": \"user\", \"name\": \"" + USER + "\", \"scopes\": [\"self\"]}")));
        hub.stubFor(get(urlEqualTo("/hub/api/users/" + USER)).willReturn(okJson("{\"name\": \"" + USER + "\", \"servers\": {}}")));
        hub.stubFor(delete(urlEqualTo("/hub/api/users/" + USER + "/server")).willReturn(aResponse().withStatus(204)));
        hub.stubFor(post(urlEqualTo("/hub/api/users/" + USER + "/server")).willReturn(aResponse().withStatus(500)
                .withBody("{\"status\": 500, \"message\": \"proxy said " + jsonWebhook + " and next="
                        + URLEncoder.encode(WEBHOOK, StandardCharsets.UTF_8) + " and " + OTHER_HUB_TOKEN + "\"}")));
        hub.stubFor(get(urlPathEqualTo("/hub/api/users/" + USER + "/server/progress")).willReturn(aResponse().withStatus(400)));

        ProbeDefinition probe = new ProbeDefinition("smoke", null, null, null, null, null,
                ProbeDefinition.Timeouts.DEFAULTS.withSpawn(Duration.ofSeconds(5)), List.of(new ProbeDefinition.Cell("print(1)", null)));
        RunResult r = new ProbeRunner(ProbeClock.SYSTEM, HubClientSettings.defaults("hubprobe-test").withReadTimeout(Duration.ofSeconds(5)))
                .run(new ProbeTarget("wm", hub.baseUrl() + "/", USER, new ProbeTarget.Token(Secret.of(OWN_TOKEN))), probe);

        assertEquals(Reason.HUB_ERROR, r.reason());
        assertTrue(r.message().contains("proxy said ****"), r.message());
        // the version fact keeps only a version's shape (HubReleases.bounded): the hub's text never reaches it
        assertEquals("unknown", r.facts().get("hub_version"), r.facts().toString());
        String everything = r.message() + r.phases() + r.notes() + r.facts() + r.transcript();
        for (String leak : List.of(OTHER_HUB_TOKEN, "webhook-secret-0003", "hooks.slack.com")) {
            assertFalse(everything.contains(leak), leak + " in " + everything);
        }
    }
}
