package dev.hubprobe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Usage and configuration mistakes exit 2 with a message that names the option, before any network call. */
class CheckUsageTest {
    private record Run(int exit, String err) {
    }

    private static Run run(String... args) {
        PrintStream oldErr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int exit = Main.execute(args);
            return new Run(exit, err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setErr(oldErr);
        }
    }

    @Test
    void missingCredentialsIsAUsageError() {
        Run r = run("check", "--hub-url", "http://127.0.0.1:1/");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("--token-env"), r.err());
    }

    @Test
    void unsetTokenVariableIsNamed() {
        Run r = run("check", "--hub-url", "http://127.0.0.1:1/", "--token-env", "HUBPROBE_SURELY_UNSET_VAR");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("--token-env: environment variable HUBPROBE_SURELY_UNSET_VAR is not set"), r.err());
    }

    @Test
    void badSpawnTimeoutIsNamed() {
        Run r = run("check", "--hub-url", "http://127.0.0.1:1/", "--token-env", "PATH", "--spawn-timeout", "soon");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("--spawn-timeout: 'soon' is not a duration"), r.err());
    }

    @Test
    void credentialsInTheUrlAreRefused() {
        Run r = run("check", "--hub-url", "http://bot:pw@127.0.0.1:1/", "--token-env", "PATH");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("--hub-url"), r.err());
        assertTrue(!r.err().contains("pw@"), r.err());
    }

    @Test
    void badProbeFileIsAConfigurationError() {
        Run r = run("check", "--hub-url", "http://127.0.0.1:1/", "--token-env", "PATH", "--probe", "does/not/exist.yml");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("does/not/exist.yml: file does not exist"), r.err());
    }
}
