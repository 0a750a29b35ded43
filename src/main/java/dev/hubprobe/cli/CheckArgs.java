package dev.hubprobe.cli;

import java.io.BufferedWriter;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/**
 * {@code check}'s command line read without picocli, for the plain case a CI job gives: options it
 * knows, each once, each group's rule kept (one credential, a form login's name with one password, one
 * baseline token). Anything else (help, version, an unknown or repeated option, a value that is not
 * one, an {@code @file}, {@code --}, a broken group) returns null, and picocli parses the whole line
 * as before, with its own messages: so what this accepts, picocli would have accepted the same way
 * (CheckArgsTest holds the two equal, option by option).
 *
 * <p>Why (issue 25): picocli's model of {@code check}, built by reflection over its annotations, was
 * about 0.1 s of a 0.37 s check's CPU. picocli's classes are Java 5 bytecode, which the class-data
 * archive cannot hold, so all 180 of them were read from the jar and verified by the old verifier on
 * every start; its annotation reflection and interpreted model building came on top.
 */
final class CheckArgs {
    private CheckArgs() {
    }

    /** The check these arguments ({@code check ...}, as given to {@link Main}) describe, or null: picocli must read them. */
    static CheckCommand parse(String[] args) {
        if (args.length == 0 || !args[0].equals("check")) {
            return null;
        }
        CheckCommand c = new CheckCommand();
        c.probeOptions = new ProbeOptions(); // a mixin is always made
        c.tlsMinDays = 7; // the annotations' defaultValue
        c.format = CheckCommand.Format.text;
        String tokenEnv = null;
        Path tokenFile = null;
        String username = null;
        String passwordEnv = null;
        Path passwordFile = null;
        String baselineEnv = null;
        Path baselineFile = null;
        Set<String> seen = new HashSet<>();
        for (int i = 1; i < args.length; i++) {
            String arg = args[i];
            if (arg.startsWith("@")) {
                return null; // picocli reads an argument file
            }
            String name = arg;
            String value = null;
            if (arg.equals("-v")) {
                name = "--verbose";
            } else if (!arg.startsWith("--")) {
                return null;
            } else if (arg.indexOf('=') > 0) {
                name = arg.substring(0, arg.indexOf('='));
                value = arg.substring(arg.indexOf('=') + 1);
                if (value.startsWith("@") || value.startsWith("-")) {
                    // picocli refuses an attached value that looks like an option ("--code=-v", "--hub-url=--token-env":
                    // "Expected parameter for option ... but found ...") as it does a separate one; it decides
                    return null;
                }
            }
            if (!seen.add(name)) {
                return null; // picocli: "should be specified only once"
            }
            if (name.equals("--verbose") || name.equals("--expect-saved-outputs")) {
                if (value != null) {
                    return null;
                }
                if (name.equals("--verbose")) {
                    c.verbose = true;
                } else {
                    c.probeOptions.expectSavedOutputs = true;
                }
                continue;
            }
            if (value == null) {
                if (i + 1 >= args.length || args[i + 1].startsWith("-") || args[i + 1].startsWith("@")) {
                    return null; // a missing value, or one picocli may take for an option
                }
                value = args[++i];
            }
            try {
                switch (name) {
                    case "--hub-url": c.hubUrl = value; break;
                    case "--binder-url": c.binderUrl = value; break;
                    case "--repo": c.repo = value; break;
                    case "--build-timeout": c.buildTimeout = value; break;
                    case "--launch-timeout": c.launchTimeout = value; break;
                    case "--hub-name": c.hubName = value; break;
                    case "--token-env": tokenEnv = value; break;
                    case "--token-file": tokenFile = Path.of(value); break;
                    case "--username": username = value; break;
                    case "--password-env": passwordEnv = value; break;
                    case "--password-file": passwordFile = Path.of(value); break;
                    case "--user": c.user = value; break;
                    case "--probe": c.probeOptions.probeFile = Path.of(value); break;
                    case "--notebook": c.probeOptions.notebook = Path.of(value); break;
                    case "--code": c.probeOptions.code = value; break;
                    case "--expect": c.probeOptions.expect = value; break;
                    case "--kernel": c.probeOptions.kernel = value; break;
                    case "--server-name": c.probeOptions.serverName = value; break;
                    case "--spawn-timeout": c.probeOptions.spawnTimeout = value; break;
                    case "--ui": c.probeOptions.ui = value; break;
                    case "--browser": c.probeOptions.browser = value; break;
                    case "--ca-file": c.caFile = Path.of(value); break;
                    case "--tls-min-days": c.tlsMinDays = Double.parseDouble(value); break;
                    case "--format": c.format = CheckCommand.Format.valueOf(value); break;
                    case "--junit": c.junit = Path.of(value); break;
                    case "--baseline-from": c.baselineFrom = value; break;
                    case "--baseline-token-env": baselineEnv = value; break;
                    case "--baseline-token-file": baselineFile = Path.of(value); break;
                    default: return null; // --help, --version, or one picocli will name as unknown
                }
            } catch (IllegalArgumentException badValue) {
                return null; // picocli says why (a bad --format, --tls-min-days or path)
            }
        }
        boolean form = username != null || passwordEnv != null || passwordFile != null;
        int credentials = (tokenEnv != null ? 1 : 0) + (tokenFile != null ? 1 : 0) + (form ? 1 : 0);
        if (credentials > 1 || form && (username == null || (passwordEnv == null) == (passwordFile == null))) {
            return null; // the groups' "mutually exclusive" and "missing" messages are picocli's
        }
        if (credentials == 1) {
            c.auth = new CheckCommand.Auth();
            c.auth.tokenEnv = tokenEnv;
            c.auth.tokenFile = tokenFile;
            if (form) {
                c.auth.form = new CheckCommand.Form();
                c.auth.form.username = username;
                c.auth.form.password = new CheckCommand.PasswordSource();
                c.auth.form.password.env = passwordEnv;
                c.auth.form.password.file = passwordFile;
            }
        }
        if (baselineEnv != null && baselineFile != null) {
            return null;
        }
        if (baselineEnv != null || baselineFile != null) {
            c.baselineToken = new CheckCommand.BaselineToken();
            c.baselineToken.env = baselineEnv;
            c.baselineToken.file = baselineFile;
        }
        return c;
    }

    /** Runs a parsed check as picocli's execute would: its exit code, or 1 with the stack trace for an exception. */
    static int execute(CheckCommand check) {
        PrintWriter out = writer(System.out, "sun.stdout.encoding");
        PrintWriter err = writer(System.err, "sun.stderr.encoding");
        try {
            return check.call(out, err);
        } catch (RuntimeException e) {
            e.printStackTrace(err);
            return 1;
        } finally {
            out.flush();
            err.flush();
        }
    }

    /** The writer picocli would make: the stream's encoding as the JVM names it, else the default; flushed per line. */
    private static PrintWriter writer(OutputStream stream, String property) {
        String name = System.getProperty(property);
        Charset charset = Charset.defaultCharset();
        if (name != null) {
            try {
                charset = Charset.forName(name.equalsIgnoreCase("cp65001") ? "UTF-8" : name);
            } catch (IllegalArgumentException unknown) {
                // picocli falls back the same way
            }
        }
        return new PrintWriter(new BufferedWriter(new OutputStreamWriter(stream, charset)), true);
    }
}
