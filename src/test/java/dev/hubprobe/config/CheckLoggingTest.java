package dev.hubprobe.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;

/** check's logging without logback (issue 25): logback's lines, on stderr, WARN and above, secrets masked. */
class CheckLoggingTest {
    private static String captured(Runnable logging) {
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            logging.run();
        } finally {
            System.setErr(err);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }

    @Test
    void secretsNeverReachTheLogAndTheStackTraceStays() {
        Secret configured = Secret.of("configured-canary-" + System.nanoTime());
        String mintedValue = "minted-canary-value-" + System.nanoTime();
        Redactor run = new Redactor().add(mintedValue);
        Logger log = new CheckLogging().getLoggerFactory().getLogger("dev.hubprobe.probe.ProbeRunner");
        Redactor.process().attach(run);
        String out;
        try {
            out = captured(() -> log.warn("hub said: bad token {} (and {})", configured.reveal(), mintedValue,
                    new IllegalStateException("GET /user/bot/api?token=" + mintedValue + " failed with " + configured.reveal(),
                            new java.io.IOException("cause with " + mintedValue))));
        } finally {
            Redactor.process().detach(run);
        }
        assertTrue(out.matches("(?s)\\d\\d:\\d\\d:\\d\\d\\.\\d{3} WARN  ProbeRunner - hub said: bad token \\*\\*\\*\\* \\(and \\*\\*\\*\\*\\)\\R"
                + "java.lang.IllegalStateException: GET /user/bot/api\\?token=\\*\\*\\*\\* failed with \\*\\*\\*\\*\\R\\s+at .*"
                + "Caused by: java.io.IOException: cause with \\*\\*\\*\\*.*"), out);
        assertFalse(out.contains(configured.reveal()), out);
        assertFalse(out.contains(mintedValue), out);
    }

    @Test
    void warnAndAboveOnlyAsTheServiceLogs() {
        CheckLogging logging = new CheckLogging();
        Logger ours = logging.getLoggerFactory().getLogger("dev.hubprobe.jupyter.hub.HubClient");
        Logger library = logging.getLoggerFactory().getLogger("okhttp3.OkHttpClient");
        String out = captured(() -> {
            ours.debug("debug line");
            ours.info("info line");
            library.info("library info");
            library.error("library error {}", 42);
            ours.warn("warn line");
        });
        assertEquals(2, out.lines().count(), out);
        assertTrue(out.contains("ERROR OkHttpClient - library error 42"), out);
        assertTrue(out.contains("WARN  HubClient - warn line"), out);
        assertFalse(ours.isDebugEnabled() || ours.isInfoEnabled() || library.isInfoEnabled(), "only WARN and above");
    }

    /** The same line as logback's layout (LogRedaction) writes for the same event, its time aside. */
    @Test
    void theLineIsLogbacks() {
        String ours = captured(() -> new CheckLogging().getLoggerFactory().getLogger("dev.hubprobe.cli.CheckCommand")
                .warn("spawn took {} s on {}", 12.5, "hub-a"));
        LoggerContext context = new LoggerContext();
        LoggingEvent event = new LoggingEvent("x", context.getLogger("dev.hubprobe.cli.CheckCommand"), ch.qos.logback.classic.Level.WARN,
                "spawn took {} s on {}", null, new Object[] {12.5, "hub-a"});
        String logback = new LogRedaction.Layout().doLayout(event);
        assertEquals(logback.substring(12), ours.substring(12));
        assertTrue(ours.startsWith(" WARN  CheckCommand - spawn took 12.5 s on hub-a", 12), ours);
    }
}
