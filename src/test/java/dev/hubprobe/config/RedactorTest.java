package dev.hubprobe.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import org.junit.jupiter.api.Test;

class RedactorTest {
    @Test
    void masksKnownSecretsAndTokenQueryParameters() {
        Redactor r = new Redactor().add(Secret.of("s3cret-value"));
        assertEquals("bad token ****", r.redact("bad token s3cret-value"));
        assertEquals("GET /user/a/api?token=****&x=1", r.redact("GET /user/a/api?token=abcdef&x=1"));
        assertFalse(Secret.of("s3cret-value").toString().contains("s3cret"));
    }
}
