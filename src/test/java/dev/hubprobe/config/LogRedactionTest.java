package dev.hubprobe.config;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Every log line, message and stack trace, goes through the process's redactor (LogRedaction). */
class LogRedactionTest {
    @Test
    void configuredSecretsAndARunsOwnTokenNeverReachTheLog() {
        Secret configured = Secret.of("configured-canary-" + System.nanoTime());
        // a token minted for one run is known to that run's redactor, attached while the run lasts
        String mintedValue = "minted-canary-value-" + System.nanoTime();
        Redactor run = new Redactor().add(mintedValue);
        Logger log = LoggerFactory.getLogger("dev.hubprobe.test");
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        Redactor.process().attach(run);
        try {
            log.warn("hub said: bad token {} (and {})", configured.reveal(), mintedValue,
                    new IllegalStateException("GET /user/bot/api?token=" + mintedValue + " failed with " + configured.reveal()));
        } finally {
            Redactor.process().detach(run);
            System.setErr(err);
        }
        String out = captured.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("hub said: bad token ****"), out);
        assertTrue(out.contains("IllegalStateException"), "the stack trace is still logged: " + out);
        assertFalse(out.contains(configured.reveal()), out);
        assertFalse(out.contains(mintedValue), out);
    }
}
