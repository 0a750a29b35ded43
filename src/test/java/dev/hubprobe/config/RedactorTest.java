package dev.hubprobe.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class RedactorTest {
    @Test
    void masksKnownSecretsAndTokenQueryParameters() {
        Redactor r = new Redactor().add(Secret.of("s3cret-value"));
        assertEquals("bad token ****", r.redact("bad token s3cret-value"));
        assertEquals("GET /user/a/api?token=****&x=1", r.redact("GET /user/a/api?token=abcdef&x=1"));
        assertFalse(Secret.of("s3cret-value").toString().contains("s3cret"));
    }

    /** A hub's error body quotes our request as JSON, a redirect carries it URL-encoded: both are the secret. */
    @Test
    void masksTheJsonEscapedAndUrlEncodedFormsOfASecret() {
        String webhook = "https://hooks.slack.com/services/T0/B0/x\"y z&w";
        Redactor r = new Redactor().add(webhook);
        String json = "https:\\/\\/hooks.slack.com\\/services\\/T0\\/B0\\/x\\\"y z&w";
        assertEquals("{\"echo\": \"****\"}", r.redact("{\"echo\": \"" + json + "\"}"));
        assertEquals("{\"echo\": \"****\"}", r.redact("{\"echo\": \"" + json.replace("\\/", "/") + "\"}"));
        String encoded = URLEncoder.encode(webhook, StandardCharsets.UTF_8);
        assertEquals("next=****", r.redact("next=" + encoded));
        assertEquals("next=****", r.redact("next=" + encoded.replace("+", "%20")));
        assertEquals("next=****", r.redact("next=" + encoded.replace("%3A", "%3a").replace("%2F", "%2f")
                .replace("%22", "%22").replace("%26", "%26").replace("+", "%20")));
    }

    /** A secret inside a longer one must not leave the rest of the longer one in the open. */
    @Test
    void aSecretInsideAnotherDoesNotUnmaskTheRest() {
        Redactor r = new Redactor().add("abcde").add("xxabcdeyy");
        assertEquals("key ****", r.redact("key xxabcdeyy"));
    }

    /** What a run stores is masked with every configured secret, not only the run's own token. */
    @Test
    void aRunsRedactorMasksEveryConfiguredSecret() {
        Secret.of("another-hubs-token-1234");
        Redactor run = Redactor.forRun().add("this-runs-token-5678");
        assertEquals("**** and ****", run.redact("this-runs-token-5678 and another-hubs-token-1234"));
    }
}
