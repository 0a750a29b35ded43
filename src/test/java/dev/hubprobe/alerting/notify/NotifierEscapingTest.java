package dev.hubprobe.alerting.notify;

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
import dev.hubprobe.alerting.Alert;
import dev.hubprobe.alerting.AlertEvent;
import dev.hubprobe.config.Secret;
import dev.hubprobe.json.Json;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What a hub sends ends up in a notification: a student's exception text, a package name from an
 * image. Slack shows it as typed (never a channel-wide mention or a link disguised as another), and
 * every receiver gets it cut to what it takes (PagerDuty refuses a summary over 1,024 characters;
 * Alertmanager keeps and renders every annotation).
 */
class NotifierEscapingTest {
    private static final String HOSTILE = "ZeroDivisionError: <!channel> see <https://evil.example/login|your hub's login> & <@U024BE7LH>";
    private WireMockServer receivers;

    @BeforeEach
    void start() {
        receivers = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        receivers.start();
        receivers.stubFor(post(urlEqualTo("/slack")).willReturn(aResponse().withStatus(200).withBody("ok")));
        receivers.stubFor(post(urlEqualTo("/pd")).willReturn(aResponse().withStatus(202)));
        receivers.stubFor(post(urlEqualTo("/api/v2/alerts")).willReturn(aResponse().withStatus(200)));
    }

    @AfterEach
    void stop() {
        receivers.stop();
    }

    private static AlertEvent firing(Map<String, String> annotations) {
        Alert a = Alert.fresh("failure/one/smoke", Alert.Kind.FAILURE, "one", "smoke", null).fire(Instant.now(), annotations);
        return new AlertEvent(AlertEvent.Type.FIRING, a, a.labels("page"));
    }

    private JsonNode received(String path) throws Exception {
        List<com.github.tomakehurst.wiremock.verification.LoggedRequest> r = receivers.findAll(postRequestedFor(urlEqualTo(path)));
        assertEquals(1, r.size(), path);
        return Json.mapper().readTree(r.get(0).getBodyAsString());
    }

    @Test
    void slackShowsAHubsTextAsTypedNeverAsMarkup() throws Exception {
        new SlackNotifier(Secret.of(receivers.baseUrl() + "/slack")).deliver(firing(Map.of(
                "summary", "probe smoke is failing on hub <!here>",
                "description", "phase execute failed (execute_error): " + HOSTILE
                        + "\nenvironment: numpy 1.26 -> <!everyone>, added pkg&<b>",
                "run_url", "https://hubprobe.example.org/api/v1/runs/1?a=1&b=2")));
        String text = received("/slack").path("text").asText();
        assertFalse(text.contains("<!"), "no mention reaches Slack as markup: " + text);
        assertFalse(text.contains("<https://evil") || text.contains("<@U"), "no link or user mention from the hub: " + text);
        assertTrue(text.contains("&lt;!channel&gt;") && text.contains("&lt;!here&gt;") && text.contains("&lt;!everyone&gt;"), text);
        assertTrue(text.contains(" &amp; ") && text.contains("pkg&amp;&lt;b&gt;"), text);
        // our own link stays one: its address escaped as Slack asks
        assertTrue(text.endsWith("\n<https://hubprobe.example.org/api/v1/runs/1?a=1&amp;b=2|the run>"), text);
        assertEquals(1, text.chars().filter(c -> c == '<').count(), "the only markup is our own link: " + text);
    }

    @Test
    void pagerDutyGetsASummaryItAcceptsAndCutDetails() throws Exception {
        String longSummary = "probe smoke is failing on hub one: " + "x".repeat(5000);
        new PagerDutyNotifier(Secret.of("pd-routing-key-123"), receivers.baseUrl() + "/pd").deliver(firing(Map.of(
                "summary", longSummary, "message", "y".repeat(100_000))));
        JsonNode payload = received("/pd").path("payload");
        String summary = payload.path("summary").asText();
        assertEquals(1024, summary.length(), "PagerDuty refuses a longer summary");
        assertTrue(summary.startsWith("probe smoke is failing on hub one: xxx") && summary.endsWith(" [cut]"), summary);
        String message = payload.path("custom_details").path("message").asText();
        assertTrue(message.length() <= 2048 && message.endsWith(" [cut]"), "message of " + message.length());
    }

    @Test
    void alertmanagerGetsEachAnnotationCut() throws Exception {
        new AlertmanagerNotifier(List.of(receivers.baseUrl()), null).deliver(firing(Map.of(
                "summary", "probe smoke is failing on hub one", "message", "z".repeat(300_000), "description", HOSTILE)));
        JsonNode annotations = received("/api/v2/alerts").path(0).path("annotations");
        String message = annotations.path("message").asText();
        assertTrue(message.length() <= 2048 && message.startsWith("zzz") && message.endsWith(" [cut]"), "message of " + message.length());
        assertEquals("probe smoke is failing on hub one", annotations.path("summary").asText(), "short ones are as they were");
        assertEquals(HOSTILE, annotations.path("description").asText(), "Alertmanager's templates escape; the text is kept as sent");
    }
}
