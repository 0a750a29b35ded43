package dev.hubprobe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** {@code load}'s usage mistakes exit 2 and name the option, before any call to the hub (port 1 answers nothing). */
class LoadUsageTest {
    private record Run(int exit, String err) {
    }

    private static Run run(String... args) {
        PrintStream oldErr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            return new Run(Main.execute(args), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setErr(oldErr);
        }
    }

    private static void refused(String expected, String... args) {
        Run r = run(args);
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains(expected), () -> "wanted '" + expected + "' in: " + r.err());
    }

    @Test
    void everyMistakeNamesItsOption() {
        String hub = "http://127.0.0.1:1/";
        refused("--users", "load", "--hub-url", hub, "--token-env", "PATH", "--duration", "1m");
        refused("--users: '0' must be 1 or more", "load", "--hub-url", hub, "--token-env", "PATH", "--users", "0", "--duration", "1m");
        refused("--concurrency: '0' must be 1 or more", "load", "--hub-url", hub, "--token-env", "PATH", "--users", "2",
                "--concurrency", "0", "--duration", "1m");
        refused("--browsers: '0' must be 1 or more", "load", "--hub-url", hub, "--token-env", "PATH", "--users", "2",
                "--duration", "1m", "--ui", "lab", "--browsers", "0");
        refused("--duration: 'soon' is not a duration", "load", "--hub-url", hub, "--token-env", "PATH", "--users", "2", "--duration", "soon");
        refused("--ramp: 'x' is not a duration", "load", "--hub-url", hub, "--token-env", "PATH", "--users", "2", "--duration", "1m",
                "--ramp", "x");
        refused("--max-error-rate: '1.5' must be between 0 and 1", "load", "--hub-url", hub, "--token-env", "PATH", "--users", "2",
                "--duration", "1m", "--max-error-rate", "1.5");
        refused("--token-env: environment variable HUBPROBE_SURELY_UNSET_VAR is not set", "load", "--hub-url", hub,
                "--token-env", "HUBPROBE_SURELY_UNSET_VAR", "--users", "2", "--duration", "1m");
        refused("--user-prefix: goes with --token-env", "load", "--hub-url", hub, "--username-pattern", "student{i}",
                "--password-env", "PATH", "--user-prefix", "x-", "--users", "2", "--duration", "1m");
        refused("--user-prefix: 'bad prefix/' is not", "load", "--hub-url", hub, "--token-env", "PATH", "--users", "2", "--duration", "1m",
                "--user-prefix", "bad prefix/");
        refused("--code: give either --code or --probe", "load", "--hub-url", hub, "--token-env", "PATH", "--users", "2",
                "--duration", "1m", "--code", "1", "--probe", "probes/kernel-smoke.yml");
        refused("--hub-url: 'nope' is not an http", "load", "--hub-url", "nope", "--token-env", "PATH", "--users", "2", "--duration", "1m");
        // credentials: one kind, whole
        refused("--password-env", "load", "--hub-url", hub, "--username-pattern", "student{i}", "--users", "2", "--duration", "1m");
    }
}
