package dev.hubprobe.cli;

import dev.hubprobe.config.ConfigException;
import dev.hubprobe.config.Durations;
import dev.hubprobe.config.Secret;
import dev.hubprobe.jupyter.Deadline;
import dev.hubprobe.jupyter.JupyterException;
import dev.hubprobe.jupyter.hub.HubClient;
import dev.hubprobe.jupyter.hub.HubClientSettings;
import dev.hubprobe.load.LoadHtmlReport;
import dev.hubprobe.load.LoadPlan;
import dev.hubprobe.load.LoadResults;
import dev.hubprobe.load.LoadTest;
import dev.hubprobe.probe.ProbeClock;
import dev.hubprobe.probe.ProbeDefinition;
import dev.hubprobe.probe.ProbeRunner;
import dev.hubprobe.probe.ProbeTarget;
import dev.hubprobe.tls.TrustStores;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.IntFunction;
import okhttp3.HttpUrl;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code hubprobe load}: many simulated users on one hub at once, before a class starts (incident 4
 * broke "at the start of class"). Each user runs the probe again and again; the result is per-phase
 * percentiles, failures by reason, and optionally one HTML file. Users it had to create are deleted
 * at the end; each run stops its own server and deletes its own token, on every path.
 */
@Command(name = "load", sortOptions = false, mixinStandardHelpOptions = true,
        description = "Simulate N users spawning and running code on a hub at once; exit 0 when the failure rate is within "
                + "--max-error-rate, 1 when it is not, 2 on a usage error.")
public final class LoadCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--hub-url", required = true, paramLabel = "URL", description = "The hub's public URL.")
    String hubUrl;

    @Option(names = "--hub-name", paramLabel = "NAME", description = "Name to report the hub as (default: its host).")
    String hubName;

    @CommandLine.ArgGroup(exclusive = true, multiplicity = "1")
    Auth auth;

    static final class Auth {
        @Option(names = "--token-env", paramLabel = "VAR", description = "Environment variable holding an admin token "
                + "(admin:users, tokens, servers): users are <prefix><i>, created when missing and deleted afterwards.")
        String tokenEnv;

        @CommandLine.ArgGroup(exclusive = false)
        Form form;
    }

    static final class Form {
        @Option(names = "--username-pattern", required = true, paramLabel = "PATTERN", description = "Log in through the hub's "
                + "form as PATTERN with {i} replaced by the user's number (1..N), e.g. student{i}.")
        String pattern;

        @Option(names = "--password-env", required = true, paramLabel = "VAR", description = "Environment variable holding the "
                + "users' password.")
        String passwordEnv;
    }

    @Option(names = "--users", required = true, paramLabel = "N", description = "Simulated users.")
    int users;

    @Option(names = "--concurrency", paramLabel = "C", description = "At most C runs at once (default: N).")
    Integer concurrency;

    @Option(names = "--ramp", paramLabel = "DURATION", defaultValue = "0s", description = "Start the users evenly over this "
            + "time (default: all at once).")
    String ramp;

    @Option(names = "--duration", required = true, paramLabel = "DURATION", description = "Start runs for this long; the "
            + "last ones finish.")
    String duration;

    @Option(names = "--user-prefix", paramLabel = "PREFIX", defaultValue = "hubprobe-load-", description = "With --token-env: "
            + "user names are PREFIX1..PREFIXN (default: ${DEFAULT-VALUE}).")
    String userPrefix;

    @CommandLine.Mixin
    ProbeOptions probeOptions;

    @Option(names = "--browsers", paramLabel = "N", defaultValue = "4", description = "With --ui: at most N Chromiums at once "
            + "(a run waits for one before its UI phases, untimed; default ${DEFAULT-VALUE}).")
    int browsers;

    @Option(names = "--ca-file", paramLabel = "FILE", description = "Also trust the CAs in this PEM file.")
    Path caFile;

    @Option(names = "--format", paramLabel = "text|json", defaultValue = "text", description = "Output format: ${COMPLETION-CANDIDATES}.")
    CheckCommand.Format format;

    @Option(names = "--report", paramLabel = "FILE.html", description = "Also write a self-contained HTML report.")
    Path report;

    @Option(names = "--max-error-rate", paramLabel = "F", defaultValue = "0", description = "Exit 1 when more than this share "
            + "of runs fail (0 to 1; default: ${DEFAULT-VALUE}).")
    double maxErrorRate;

    @Option(names = {"-q", "--quiet"}, description = "No progress lines (for CI); the result is still printed.")
    boolean quiet;

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter out = spec.commandLine().getOut();
        LoadPlan plan;
        ProbeDefinition probe;
        Function<String, ProbeTarget> targets;
        HttpUrl url;
        Secret token;
        try {
            url = HttpUrl.parse(hubUrl);
            if (url == null) {
                throw new ConfigException(null, 0, "--hub-url", "'" + hubUrl + "' is not an http:// or https:// URL");
            }
            plan = plan();
            probe = probeOptions.resolve();
            if (browsers < 1) {
                throw new ConfigException(null, 0, "--browsers", "'" + browsers + "' must be 1 or more");
            }
            if (maxErrorRate < 0 || maxErrorRate > 1) {
                throw new ConfigException(null, 0, "--max-error-rate", "'" + maxErrorRate + "' must be between 0 and 1");
            }
            if (caFile != null) {
                try {
                    TrustStores.check(caFile);
                } catch (IOException e) {
                    throw new ConfigException(caFile.toString(), 0, "--ca-file", e.getMessage());
                }
            }
            String name = hubName != null ? hubName : url.host() + (url.port() == HttpUrl.defaultPort(url.scheme()) ? "" : ":" + url.port());
            ProbeTarget.Tls tls = new ProbeTarget.Tls(caFile, 0);
            if (auth.tokenEnv != null) {
                token = secret("--token-env", auth.tokenEnv);
                ProbeTarget.Token credentials = new ProbeTarget.Token(token);
                targets = user -> new ProbeTarget(name, url.toString(), user, credentials, tls);
            } else {
                token = null;
                Secret password = secret("--password-env", auth.form.passwordEnv);
                targets = user -> new ProbeTarget(name, url.toString(), null, new ProbeTarget.Password(user, password), tls);
            }
        } catch (ConfigException e) {
            err.println("hubprobe: " + e.getMessage());
            return Main.USAGE;
        }
        // one line per failed run would drown the progress line and the result: the report has every run
        ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("dev.hubprobe")).setLevel(ch.qos.logback.classic.Level.ERROR);
        HubClientSettings settings = HubClientSettings.defaults("hubprobe/" + Main.version());
        if (caFile != null) {
            settings = settings.withTrust(TrustStores.with(caFile));
        }
        // users that exist before the test are left as they are; those the runs create are deleted after it
        List<String> existed = new ArrayList<>();
        if (token != null) {
            try (HubClient admin = HubClient.create(url, settings, new Deadline(System::nanoTime))) {
                admin.useToken(token.reveal());
                for (int i = 1; i <= plan.users(); i++) {
                    String user = plan.userName().apply(i);
                    if (admin.user(user).isPresent()) {
                        existed.add(user);
                    }
                }
            } catch (JupyterException e) {
                err.println("hubprobe: --token-env: cannot read the hub's users (the token needs admin:users): " + e.getMessage());
                return Main.USAGE;
            }
        }

        LoadTest test = new LoadTest(new ProbeRunner(ProbeClock.SYSTEM, settings).withBrowsers(browsers), probe, targets, plan);
        // the runs' cleanup, the report, then the users' deletion: each within its budget (StopBounds.load)
        Duration grace = dev.hubprobe.probe.StopBounds.load(probe.timeouts());
        ScheduledExecutorService progress = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "hubprobe-load-progress");
            t.setDaemon(true);
            return t;
        });
        boolean terminal = System.console() != null;
        if (!quiet) {
            long every = terminal ? 2 : 15;
            progress.scheduleAtFixedRate(() -> {
                err.print((terminal ? "\r" : "") + test.results().progressLine(test.running()) + (terminal ? "\033[K" : "\n"));
                err.flush();
            }, every, every, TimeUnit.SECONDS);
        }
        int exit;
        // Ctrl-C or SIGTERM: no new runs, running ones abort and clean up, the report is still written
        StopSignal signal = new StopSignal(test::stop, grace);
        try {
            LoadResults results = test.run();
            progress.shutdownNow();
            if (!quiet && terminal) {
                err.println();
            }
            // the report first: a stop that runs out of time while users are deleted never loses it
            if (format == CheckCommand.Format.json) {
                out.println(results.toJson().toPrettyString());
            } else {
                out.print(results.toText());
            }
            out.flush();
            if (report != null) {
                try {
                    LoadHtmlReport.write(results, targets.apply(plan.userName().apply(1)).hub(), report);
                } catch (IOException e) {
                    err.println("hubprobe: --report " + report + ": " + e.getMessage());
                }
            }
            err.flush();
            deleteCreatedUsers(url, settings, token, plan, existed, probe.timeouts().hub(), err);
            double rate = results.errorRate();
            if (results.counted().isEmpty()) {
                err.println("hubprobe: no run finished");
            }
            exit = rate > maxErrorRate ? Main.FAILED : Main.PASSED;
            if (exit == Main.FAILED && !results.counted().isEmpty()) {
                err.printf(Locale.ROOT, "hubprobe: %.1f%% of runs failed, more than --max-error-rate %s%n", 100 * rate, maxErrorRate);
            }
        } finally {
            progress.shutdownNow();
            signal.close();
        }
        return exit;
    }

    /**
     * Deletes the users the test created, a few at once, all within one {@code budget}: a hub that hangs
     * on a delete cannot hold the process past its stop bound. The users not deleted are named.
     */
    private void deleteCreatedUsers(HttpUrl url, HubClientSettings settings, Secret token, LoadPlan plan, List<String> existed,
                                    Duration budget, PrintWriter err) {
        if (token == null) {
            return;
        }
        List<String> created = new ArrayList<>();
        for (int i = 1; i <= plan.users(); i++) {
            String user = plan.userName().apply(i);
            if (!existed.contains(user)) {
                created.add(user);
            }
        }
        if (created.isEmpty()) {
            return;
        }
        long deadline = System.nanoTime() + budget.toNanos();
        java.util.concurrent.ExecutorService pool = Executors.newFixedThreadPool(Math.min(8, created.size()), r -> {
            Thread t = new Thread(r, "hubprobe-load-cleanup");
            t.setDaemon(true);
            return t;
        });
        java.util.Map<String, java.util.concurrent.Future<?>> deletes = new java.util.LinkedHashMap<>();
        for (String user : created) {
            deletes.put(user, pool.submit(() -> {
                Deadline d = new Deadline(System::nanoTime);
                d.set(deadline); // every call within what is left of the budget
                try (HubClient admin = HubClient.create(url, settings, d)) {
                    admin.useToken(token.reveal());
                    admin.deleteUser(user);
                }
                return null;
            }));
        }
        pool.shutdown();
        String late = " within " + Durations.format(budget) + " (timeouts.hub); delete it by hand";
        for (java.util.Map.Entry<String, java.util.concurrent.Future<?>> e : deletes.entrySet()) {
            try {
                // a moment past the deadline: a call that hangs ends at the deadline itself, with its own reason
                e.getValue().get(Math.max(0, deadline - System.nanoTime()) + TimeUnit.SECONDS.toNanos(1), TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.ExecutionException failed) {
                err.println("hubprobe: could not delete load user " + e.getKey() + ": " + failed.getCause().getMessage()
                        + (System.nanoTime() - deadline >= 0 ? late : ""));
            } catch (java.util.concurrent.TimeoutException timedOut) {
                err.println("hubprobe: could not delete load user " + e.getKey() + late);
            } catch (InterruptedException stop) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        pool.shutdownNow();
        err.flush();
    }

    private LoadPlan plan() throws ConfigException {
        if (users < 1) {
            throw new ConfigException(null, 0, "--users", "'" + users + "' must be 1 or more");
        }
        int c = concurrency == null ? users : concurrency;
        if (c < 1) {
            throw new ConfigException(null, 0, "--concurrency", "'" + c + "' must be 1 or more");
        }
        Duration r = duration("--ramp", ramp);
        Duration d = duration("--duration", duration);
        if (d.isZero()) {
            throw new ConfigException(null, 0, "--duration", "must be more than 0");
        }
        IntFunction<String> names;
        if (auth.tokenEnv != null) {
            if (!userPrefix.matches("[a-zA-Z0-9][a-zA-Z0-9._-]{0,200}")) {
                throw new ConfigException(null, 0, "--user-prefix", "'" + userPrefix + "' is not a hub user name prefix (letters, digits, . _ -)");
            }
            names = i -> userPrefix + i;
        } else {
            if (spec.commandLine().getParseResult().hasMatchedOption("--user-prefix")) {
                throw new ConfigException(null, 0, "--user-prefix", "goes with --token-env; with --username-pattern the pattern names the users");
            }
            String p = auth.form.pattern;
            names = p.contains("{i}") ? i -> p.replace("{i}", Integer.toString(i)) : i -> p + i;
        }
        return new LoadPlan(users, c, r, d, names);
    }

    private static Duration duration(String option, String text) throws ConfigException {
        if (text.matches("0+(ms|s|m|h)?")) {
            return Duration.ZERO; // no ramp; Durations refuses zero, as a timeout of zero is a mistake
        }
        try {
            return Durations.parse(text);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(null, 0, option, e.getMessage());
        }
    }

    private static Secret secret(String option, String var) throws ConfigException {
        try {
            return Secret.fromEnv(var);
        } catch (ConfigException e) {
            throw new ConfigException(e.file(), 0, option, e.problem());
        }
    }
}
