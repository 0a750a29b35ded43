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

    /** 5a: the run's own token inside a configured secret: all forms are masked together, longest first. */
    @Test
    void aRunsOwnSecretInsideAConfiguredOneDoesNotUnmaskTheRest() {
        Secret.of("hooks-prefix-run-token-inside-it-9876");
        Redactor run = Redactor.forRun().add("run-token-inside");
        assertEquals("url ****", run.redact("url hooks-prefix-run-token-inside-it-9876"));
    }

    /** 5b: Python's json.dumps writes non-ASCII as \u00e4; quote_plus and encodeURIComponent leave ~ (and !) as is. */
    @Test
    void masksPythonAndJavaScriptFormsOfASecret() {
        Redactor r = new Redactor().add("p\u00e4ss~word!x");
        assertEquals("{\"p\": \"****\"}", r.redact("{\"p\": \"p\\u00e4ss~word!x\"}"));
        assertEquals("{\"p\": \"****\"}", r.redact("{\"p\": \"p\\u00E4ss~word!x\"}"));
        assertEquals("q=****", r.redact("q=p%C3%A4ss~word%21x"), "quote_plus");
        assertEquals("q=****", r.redact("q=p%c3%a4ss~word%21x"), "quote_plus, lower hex");
        assertEquals("q=****", r.redact("q=p%C3%A4ss~word!x"), "encodeURIComponent");
    }

    /** 3: a cut through a secret leaves its start before the cut marker; that start is masked too. */
    @Test
    void theStartOfASecretThatACutLeftIsMasked() {
        String token = "0123456789abcdef0123456789abcdef";
        Redactor r = new Redactor().add(token);
        String message = "x".repeat(170) + " token " + token;
        String cut = r.redact(dev.hubprobe.json.Json.abbreviate(message, 200));
        assertEquals("x".repeat(170) + " token ****...", cut);
        // a text that merely ends in a cut marker keeps its words
        assertEquals("a long message...", r.redact("a long message..."));
        // and a start shorter than MIN_PREFIX is left: 3 characters say nothing of the secret
        assertEquals("see 012...", r.redact("see 012..."));
    }
}
