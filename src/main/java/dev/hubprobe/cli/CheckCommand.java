package dev.hubprobe.cli;

import ch.qos.logback.classic.Level;
import dev.hubprobe.config.CheckLogging;
import dev.hubprobe.config.ConfigException;
import dev.hubprobe.config.Durations;
import dev.hubprobe.config.Secret;
import dev.hubprobe.json.Json;
import dev.hubprobe.jupyter.hub.HubClientSettings;
import dev.hubprobe.probe.ProbeClock;
import dev.hubprobe.probe.ProbeDefinition;
import dev.hubprobe.probe.ProbeRunner;
import dev.hubprobe.probe.ProbeTarget;
import dev.hubprobe.probe.RunResult;
import dev.hubprobe.report.JUnitReport;
import dev.hubprobe.report.JsonReport;
import dev.hubprobe.report.TextReport;
import dev.hubprobe.tls.TrustStores;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import okhttp3.HttpUrl;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code hubprobe check}: one probe, now, for CI right after a deploy. Exit 0 passed, 1 failed,
 * 2 usage or configuration error; fit for an automatic rollback (incident 4).
 */
@Command(name = "check", sortOptions = false, mixinStandardHelpOptions = true,
        description = "Run one probe against a hub (or a BinderHub launch) now and exit 0 (passed), 1 (failed), 2 (usage error) "
                + "or 3 (passed, but slower than its baseline).")
public final class CheckCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--hub-url", paramLabel = "URL", description = "The hub's public URL.")
    String hubUrl;

    @Option(names = "--binder-url", paramLabel = "URL", description = "Probe a BinderHub launch instead: the BinderHub's URL.")
    String binderUrl;

    @Option(names = "--repo", paramLabel = "PROVIDER/SPEC", description = "With --binder-url: what to launch, as BinderHub "
            + "spells it (gh/org/repo/ref, gl/..., git/..., zenodo/...).")
    String repo;

    @Option(names = "--build-timeout", paramLabel = "DURATION", description = "With --binder-url: how long the build may take.")
    String buildTimeout;

    @Option(names = "--launch-timeout", paramLabel = "DURATION", description = "With --binder-url: how long the launch may take.")
    String launchTimeout;

    @Option(names = "--hub-name", paramLabel = "NAME", description = "Name to report the hub as (default: its host).")
    String hubName;

    @CommandLine.ArgGroup(exclusive = true, multiplicity = "0..1")
    Auth auth;

    static final class Auth {
        @Option(names = "--token-env", paramLabel = "VAR", description = "Environment variable holding a hub API token.")
        String tokenEnv;

        @Option(names = "--token-file", paramLabel = "FILE", description = "File holding a hub API token.")
        Path tokenFile;

        @CommandLine.ArgGroup(exclusive = false)
        Form form;
    }

    static final class Form {
        @Option(names = "--username", required = true, paramLabel = "NAME", description = "Log in through the hub's form as NAME.")
        String username;

        @CommandLine.ArgGroup(exclusive = true, multiplicity = "1")
        PasswordSource password;
    }

    static final class PasswordSource {
        @Option(names = "--password-env", paramLabel = "VAR", description = "Environment variable holding the password.")
        String env;

        @Option(names = "--password-file", paramLabel = "FILE", description = "File holding the password.")
        Path file;
    }

    @Option(names = "--user", paramLabel = "NAME", description = "User to probe as (default: the token's or login's user).")
    String user;

    @CommandLine.Mixin
    ProbeOptions probeOptions;

    @Option(names = "--ca-file", paramLabel = "FILE", description = "Also trust the CAs in this PEM file (a hub behind an "
            + "internal CA); the JVM's trust store stays in use.")
    Path caFile;

    @Option(names = "--tls-min-days", paramLabel = "DAYS", defaultValue = "7", description = "Fail (tls_expiring) when the hub's "
            + "certificate has fewer days left (default: ${DEFAULT-VALUE}).")
    double tlsMinDays;

    @Option(names = "--format", paramLabel = "text|json", defaultValue = "text", description = "Output format: ${COMPLETION-CANDIDATES}.")
    Format format;

    @Option(names = "--junit", paramLabel = "FILE", description = "Also write a JUnit XML report, one testcase per phase.")
    Path junit;

    @Option(names = "--baseline-from", paramLabel = "URL", description = "A running hubprobe service: print what changed in the user "
            + "environment since its last passing run of this hub (--hub-name), and exit 3 if the run "
            + "passed but a phase is slower than that service's baseline for this hub (--hub-name) and probe. A service with "
            + "server.read_token set needs --baseline-token-env or --baseline-token-file.")
    String baselineFrom;

    @CommandLine.ArgGroup(exclusive = true, multiplicity = "0..1")
    BaselineToken baselineToken;

    /** The read token of a service whose reads are guarded ({@code server.read_token}); never an argument's value. */
    static final class BaselineToken {
        @Option(names = "--baseline-token-env", paramLabel = "VAR", description = "With --baseline-from: environment variable "
                + "holding the service's read token (its server.read_token, or server.api_token).")
        String env;

        @Option(names = "--baseline-token-file", paramLabel = "FILE", description = "With --baseline-from: file holding the "
                + "service's read token.")
        Path file;
    }

    @Option(names = {"-v", "--verbose"}, description = "Log progress to stderr.")
    boolean verbose;

    enum Format { text, json }

    @Override
    public Integer call() {
        return call(spec.commandLine().getOut(), spec.commandLine().getErr());
    }

    /** The check with these options set, as picocli or {@link CheckArgs} (which sets them without picocli) parsed them. */
    int call(PrintWriter out, PrintWriter err) {
        if (verbose) {
            if (CheckLogging.active()) {
                CheckLogging.verbose();
            } else {
                logbackDebug();
            }
        }
        ProbeTarget target;
        ProbeDefinition probe;
        Secret serviceToken;
        try {
            target = target();
            probe = probe();
            serviceToken = baselineToken();
        } catch (ConfigException e) {
            err.println("hubprobe: " + e.getMessage());
            return Main.USAGE;
        }
        ProbeRunner runner = new ProbeRunner(ProbeClock.SYSTEM, HubClientSettings.defaults("hubprobe/" + Main.version()));
        ProbeRunner.Abort abort = new ProbeRunner.Abort();
        Duration grace = dev.hubprobe.probe.StopBounds.run(probe).plusSeconds(5); // the token delete's budget too
        String longStop = dev.hubprobe.probe.StopBounds.overContainerStop(grace, "check's stop");
        if (longStop != null) {
            err.println("hubprobe: warning: " + longStop);
        }
        // SIGTERM mid-run (a CI job cancelled): cancel what is in flight, let cleanup finish, print the report
        // (the aborted run's phases say what was cut short), then exit: the JVM is held until the report is out
        try (StopSignal ignored = new StopSignal(abort::request, grace)) {
            return runAndReport(runner, target, probe, abort, serviceToken, out, err);
        }
    }

    /** --verbose when slf4j is bound to logback (check run in another command's JVM, a test's). */
    private static void logbackDebug() {
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("dev.hubprobe")).setLevel(Level.DEBUG);
    }

    private int runAndReport(ProbeRunner runner, ProbeTarget target, ProbeDefinition probe, ProbeRunner.Abort abort, Secret serviceToken,
                             PrintWriter out, PrintWriter err) {
        RunResult result = runner.run(target, probe, abort);
        List<String> regressions = List.of();
        if (baselineFrom != null && result.passed() && !abort.requested()) {
            try {
                regressions = Baselines.regressions(baselineFrom, serviceToken, result);
            } catch (Baselines.Unauthorized e) {
                err.println("hubprobe: --baseline-from: " + e.getMessage());
                return Main.USAGE;
            } catch (IOException | RuntimeException e) {
                err.println("hubprobe: --baseline-from: cannot read baselines: " + e.getMessage());
                return Main.USAGE;
            }
        }
        // what the deploy changed in the user image, shown whether the run passed or not (a failure most of all)
        Optional<Baselines.EnvironmentChange> envChange = Optional.empty();
        if (baselineFrom != null && result.environment() != null) {
            try {
                envChange = Baselines.environmentChange(baselineFrom, serviceToken, result);
            } catch (Baselines.Unauthorized e) {
                // a usage error, as for the baselines; a failed run still exits 1 (that is what a rollback needs)
                err.println("hubprobe: --baseline-from: " + e.getMessage());
                if (result.passed()) {
                    return Main.USAGE;
                }
            } catch (IOException | RuntimeException e) {
                err.println("hubprobe: --baseline-from: cannot read the service's environments: " + e.getMessage());
            }
        }
        if (format == Format.json) {
            com.fasterxml.jackson.databind.node.ObjectNode json = JsonReport.toJson(result);
            if (baselineFrom != null) {
                regressions.forEach(json.putArray("regressions")::add);
                envChange.ifPresent(c -> {
                    com.fasterxml.jackson.databind.node.ObjectNode b = json.putObject("baseline_environment")
                            .put("run_id", c.runId()).put("started_at", c.at().toString()).put("fingerprint", c.fingerprint())
                            .put("changed", !c.diff().empty()).put("summary", c.line());
                    b.set("diff", JsonReport.diff(c.diff()));
                });
            }
            out.println(Json.pretty(json));
        } else {
            out.print(TextReport.render(result));
            regressions.forEach(r -> out.println("REGRESSED: " + r));
            envChange.ifPresent(c -> out.println(c.line()));
        }
        out.flush();
        reported();
        if (junit != null) {
            try {
                JUnitReport.write(result, junit);
            } catch (IOException e) {
                err.println("hubprobe: " + e.getMessage());
                return Main.USAGE;
            }
        }
        return !result.passed() ? Main.FAILED : regressions.isEmpty() ? Main.PASSED : Main.REGRESSED;
    }

    /**
     * The launcher's first check records the class-data archive (bin/hubprobe) and keeps it only when the
     * check exits 0 or 3 having run its probe to a report: {@code check --help} and {@code --version} exit 0
     * too, having loaded next to nothing, and the archive they recorded was kept for good (every later check
     * of that build then read most of its classes from the jar: 0.55 s of CPU instead of 0.3 s). So the
     * launcher names a file in this property, made here once the report is out.
     */
    static final String REPORTED_MARK = "hubprobe.archive.reported";

    private static void reported() {
        String mark = System.getProperty(REPORTED_MARK);
        if (mark == null) {
            return;
        }
        try {
            // a new file or none: never through a link, never emptying one that is there
            java.nio.file.Files.createFile(Path.of(mark));
        } catch (IOException | RuntimeException e) {
            // no mark, no archive kept: the next check records one again
        }
    }

    private ProbeTarget target() throws ConfigException {
        if ((hubUrl == null) == (binderUrl == null)) {
            throw new ConfigException(null, 0, "--hub-url", "give either --hub-url (with --token-env, --token-file or --username "
                    + "and --password-env) or --binder-url with --repo");
        }
        String option = hubUrl != null ? "--hub-url" : "--binder-url";
        String given = hubUrl != null ? hubUrl : binderUrl;
        HttpUrl url = HttpUrl.parse(given);
        if (url == null) {
            throw new ConfigException(null, 0, option, "'" + given + "' is not an http:// or https:// URL");
        }
        if (!url.username().isEmpty() || !url.password().isEmpty()) {
            throw new ConfigException(null, 0, option, "credentials in the URL are not accepted; use --token-env or --password-env");
        }
        String name = hubName != null ? hubName : url.host() + (url.port() == HttpUrl.defaultPort(url.scheme()) ? "" : ":" + url.port());
        if (binderUrl != null) {
            if (repo == null || !repo.matches("[a-z]+/\\S+")) {
                throw new ConfigException(null, 0, "--repo", repo == null ? "--binder-url needs --repo PROVIDER/SPEC, e.g. gh/org/repo/main"
                        : "'" + repo + "' is not PROVIDER/SPEC, e.g. gh/org/repo/main");
            }
            if (auth != null || user != null) {
                throw new ConfigException(null, 0, "--binder-url", "a BinderHub launch needs no --user or credentials");
            }
            return ProbeTarget.binder(name, url.toString(), repo, tls());
        }
        if (repo != null || buildTimeout != null || launchTimeout != null) {
            throw new ConfigException(null, 0, repo != null ? "--repo" : buildTimeout != null ? "--build-timeout" : "--launch-timeout",
                    "goes with --binder-url");
        }
        if (auth == null) {
            throw new ConfigException(null, 0, "--hub-url", "needs credentials: --token-env, --token-file, or --username with "
                    + "--password-env or --password-file");
        }
        ProbeTarget.Credentials credentials;
        if (auth.tokenEnv != null) {
            credentials = new ProbeTarget.Token(named("--token-env", () -> Secret.fromEnv(auth.tokenEnv)));
        } else if (auth.tokenFile != null) {
            credentials = new ProbeTarget.Token(named("--token-file", () -> Secret.fromFile(auth.tokenFile)));
        } else {
            PasswordSource p = auth.form.password;
            Secret secret = p.env != null ? named("--password-env", () -> Secret.fromEnv(p.env))
                    : named("--password-file", () -> Secret.fromFile(p.file));
            credentials = new ProbeTarget.Password(auth.form.username, secret);
        }
        return new ProbeTarget(name, url.toString(), user, credentials, tls());
    }

    /** The service's read token, read before the run so that a missing variable or file stops at once. */
    private Secret baselineToken() throws ConfigException {
        if (baselineToken == null) {
            return null;
        }
        String option = baselineToken.env != null ? "--baseline-token-env" : "--baseline-token-file";
        if (baselineFrom == null) {
            throw new ConfigException(null, 0, option, "goes with --baseline-from URL");
        }
        return baselineToken.env != null ? named(option, () -> Secret.fromEnv(baselineToken.env))
                : named(option, () -> Secret.fromFile(baselineToken.file));
    }

    private ProbeTarget.Tls tls() throws ConfigException {
        if (caFile != null) {
            try {
                TrustStores.check(caFile);
            } catch (IOException e) {
                throw new ConfigException(caFile.toString(), 0, "--ca-file", e.getMessage());
            }
        }
        if (tlsMinDays < 0) {
            throw new ConfigException(null, 0, "--tls-min-days", "'" + tlsMinDays + "' must be 0 or more");
        }
        return new ProbeTarget.Tls(caFile, tlsMinDays);
    }

    private interface SecretSource {
        Secret get() throws ConfigException;
    }

    private static Secret named(String option, SecretSource source) throws ConfigException {
        try {
            return source.get();
        } catch (ConfigException e) {
            throw new ConfigException(e.file(), 0, option, e.problem());
        }
    }

    private ProbeDefinition probe() throws ConfigException {
        ProbeDefinition probe = probeOptions.resolve();
        if (buildTimeout != null || launchTimeout != null) {
            try {
                probe = probe.withTimeouts(probe.timeouts().withBuild(buildTimeout == null ? null : Durations.parse(buildTimeout),
                        launchTimeout == null ? null : Durations.parse(launchTimeout)));
            } catch (IllegalArgumentException e) {
                throw new ConfigException(null, 0, buildTimeout != null ? "--build-timeout" : "--launch-timeout", e.getMessage());
            }
        }
        return probe;
    }
}
