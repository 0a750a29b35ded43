package dev.hubprobe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** check's command line read without picocli (issue 25) sets every option as picocli does, and leaves picocli all else. */
class CheckArgsTest {

    private static String[] check(String... rest) {
        String[] args = new String[rest.length + 1];
        args[0] = "check";
        System.arraycopy(rest, 0, args, 1, rest.length);
        return args;
    }

    /** What picocli makes of the same arguments. */
    private static CheckCommand picocli(String... rest) {
        CheckCommand c = new CheckCommand();
        new CommandLine(c).parseArgs(rest);
        return c;
    }

    private static void assertSame(String... rest) throws Exception {
        CheckCommand fast = CheckArgs.parse(check(rest));
        assertNotNull(fast, () -> "not read without picocli: " + Arrays.toString(rest));
        assertFields(picocli(rest), fast, "check " + String.join(" ", rest));
    }

    /** Field by field, into the option groups and the mixin (every class of this package), picocli's spec aside. */
    private static void assertFields(Object expected, Object actual, String where) throws Exception {
        if (expected == null || actual == null) {
            assertEquals(expected, actual, where);
            return;
        }
        for (Field f : expected.getClass().getDeclaredFields()) {
            if (Modifier.isStatic(f.getModifiers()) || f.getName().equals("spec")) {
                continue;
            }
            f.setAccessible(true);
            Object e = f.get(expected);
            Object a = f.get(actual);
            if (f.getType().getPackageName().equals(CheckArgsTest.class.getPackageName()) && !f.getType().isEnum()) {
                assertFields(e, a, where + " ." + f.getName());
            } else {
                assertEquals(e, a, where + " ." + f.getName());
            }
        }
    }

    @Test
    void aPlainCheckIsReadAsPicocliReadsIt() throws Exception {
        assertSame();
        assertSame("--hub-url", "https://hub.example.org/", "--token-env", "HUB_TOKEN");
        assertSame("--hub-url=https://hub.example.org/", "--token-file=/run/token", "--user", "probe-1", "--format", "json", "-v");
        assertSame("--hub-url", "http://h/", "--username", "bot", "--password-env", "PW", "--junit", "out/junit.xml",
                "--tls-min-days", "2.5", "--ca-file", "ca.pem", "--verbose");
        assertSame("--username=bot", "--password-file", "pw.txt", "--hub-url", "http://h/", "--hub-name", "prod");
        assertSame("--binder-url", "https://mybinder.org/", "--repo", "gh/org/repo/main", "--build-timeout", "20m",
                "--launch-timeout=5m");
        assertSame("--hub-url", "http://h/", "--token-env", "T", "--code", "print(1 == 1)", "--expect", "True", "--kernel", "python3",
                "--server-name", "auto", "--spawn-timeout", "90s", "--ui", "lab", "--browser", "/usr/bin/chromium");
        assertSame("--hub-url", "http://h/", "--token-env", "T", "--notebook", "n.ipynb", "--expect-saved-outputs", "--code=a=b=c");
        assertSame("--hub-url", "http://h/", "--token-env", "T", "--probe", "probes/x.yml", "--baseline-from", "http://svc:8080",
                "--baseline-token-env", "READ");
        assertSame("--baseline-token-file", "read.txt", "--hub-url=", "--token-env", "");
    }

    /** Every option picocli knows for check (a new one too) is read here, or this fails: help and version stay picocli's. */
    @Test
    void everyOptionOfCheckIsReadAsPicocliReadsIt() throws Exception {
        CommandLine.Model.CommandSpec spec = new CommandLine(new CheckCommand()).getCommandSpec();
        int options = 0;
        for (CommandLine.Model.OptionSpec o : spec.options()) {
            for (String name : o.names()) {
                if (o.usageHelp() || o.versionHelp()) {
                    assertNull(CheckArgs.parse(check(name)), name);
                    continue;
                }
                List<String> args = new ArrayList<>();
                args.add(name);
                if (o.arity().max() > 0) {
                    Class<?> type = o.type();
                    args.add(type == double.class ? "3" : type == CheckCommand.Format.class ? "json" : type == Path.class ? "some/file" : "value");
                }
                // a form login is a name and one password, or picocli refuses it
                if (name.equals("--username")) {
                    args.addAll(List.of("--password-env", "PW"));
                } else if (name.startsWith("--password-")) {
                    args.addAll(List.of("--username", "bot"));
                }
                assertSame(args.toArray(String[]::new));
                options++;
            }
        }
        assertTrue(options >= 29, "check's options: " + options);
    }

    /** What picocli refuses, or reads in a way of its own, is left to it. */
    @Test
    void anythingElseIsLeftToPicocli() {
        String[][] others = {
            {"--help"}, {"-h"}, {"--version"}, {"--bogus", "x"}, {"extra"}, {"--hub-url"}, {"--hub-url", "--token-env", "T"},
            {"--hub-url", "a", "--hub-url", "b"}, {"-v", "--verbose"}, {"--verbose=true"}, {"-vh"},
            {"--token-env", "A", "--token-file", "f"}, {"--token-env", "A", "--username", "u", "--password-env", "P"},
            {"--username", "u"}, {"--password-env", "P"}, {"--username", "u", "--password-env", "P", "--password-file", "f"},
            {"--baseline-token-env", "A", "--baseline-token-file", "f"}, {"--format", "xml"}, {"--tls-min-days", "soon"},
            {"@args.txt"}, {"--code", "@file"}, {"--code=@file"}, {"--", "--hub-url"}, {"--code", "-1"},
            // picocli refuses an attached value that looks like one of check's options, as it does a separate one
            {"--code=--verbose"}, {"--code=-v"}, {"--code=--"}, {"--hub-url=--token-env", "--token-env", "T"}, {"--expect=-vh"},
        };
        for (String[] rest : others) {
            assertNull(CheckArgs.parse(check(rest)), Arrays.toString(rest));
        }
        assertNull(CheckArgs.parse(new String[] {"load", "--hub-url", "http://h/"}));
        assertNull(CheckArgs.parse(new String[] {"--help"}));
        // and picocli does refuse the broken ones, as before
        assertThrows(CommandLine.ParameterException.class, () -> picocli("--token-env", "A", "--token-file", "f"));
        assertThrows(CommandLine.ParameterException.class, () -> picocli("--hub-url", "a", "--hub-url", "b"));
    }

    /** Through Main: picocli's messages and exit code for what is left to it, the check's own for what is read here. */
    @Test
    void mainGivesPicocliTheLinesItRefuses() {
        PrintStream oldErr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            assertEquals(Main.USAGE, Main.execute("check", "--hub-url", "http://127.0.0.1:1/", "--token-env", "A", "--token-file", "f"));
            assertTrue(err.toString(StandardCharsets.UTF_8).contains("mutually exclusive"), err.toString(StandardCharsets.UTF_8));
            err.reset();
            assertEquals(Main.USAGE, Main.execute("check", "--format", "xml"));
            assertTrue(err.toString(StandardCharsets.UTF_8).contains("--format"), err.toString(StandardCharsets.UTF_8));
            err.reset();
            assertEquals(Main.USAGE, Main.execute("check", "--hub-url", "http://127.0.0.1:1/", "--token-env", "PATH", "--tls-min-days", "-1"));
            assertTrue(err.toString(StandardCharsets.UTF_8).contains("--tls-min-days"), err.toString(StandardCharsets.UTF_8));
            err.reset();
            // "--code=$CODE" with CODE=-v: picocli's usage error (exit 2), never a check run with "-v" as its code
            assertEquals(Main.USAGE, Main.execute("check", "--hub-url", "http://127.0.0.1:1/", "--token-env", "PATH", "--code=-v"));
            assertTrue(err.toString(StandardCharsets.UTF_8).contains("Expected parameter for option '--code' but found '-v'"),
                    err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setErr(oldErr);
        }
    }
}
