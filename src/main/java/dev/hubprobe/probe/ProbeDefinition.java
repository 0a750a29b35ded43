package dev.hubprobe.probe;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hubprobe.config.ConfigException;
import dev.hubprobe.config.StrictYaml;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A probe as users write it in {@code probes/NAME.yml}: which kernel, which server and options to
 * spawn with, and the cells to run with what each must print.
 *
 * @param kernel      kernelspec name; null means the server's default
 * @param server      named server to use; null or empty means the default server, {@code auto} a
 *                    fresh name per run ({@code hubprobe-XXXXXXXX}) that never collides with a person's
 * @param userOptions sent with the spawn request (a KubeSpawner profile, for example)
 * @param expectScaleUp the profile is meant to land on a cold node pool: a spawn without a scale-up
 *                    fails with {@code no_scale_up} instead of passing having measured nothing
 * @param captureEnvironment after the cells, record the kernel's packages and image (default true)
 * @param apps        after the cells, pages under the user's server to fetch (jupyter-server-proxy apps such
 *                    as RStudio), each its own phase {@code app_<name>}; empty by default
 */
public record ProbeDefinition(String name, String description, String kernel, String server,
                              ObjectNode userOptions, Boolean expectScaleUp, Timeouts timeouts, List<Cell> cells,
                              Boolean captureEnvironment, List<App> apps) {
    /** Apps per probe, at most: each is a phase label, and so a histogram per (hub, probe). */
    public static final int MAX_APPS = 8;
    public static final String AUTO_SERVER = "auto";
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
    private static final Pattern SERVER = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");

    public ProbeDefinition {
        if (name != null && !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("name '" + name + "' must be lower-case letters, digits and '-' (it becomes the probe label)");
        }
        if (server != null && !server.isEmpty() && !SERVER.matcher(server).matches()) {
            throw new IllegalArgumentException("server '" + server + "' is not a valid server name (letters, digits, . _ -)");
        }
        if (cells == null || cells.isEmpty()) {
            throw new IllegalArgumentException("cells: a probe needs at least one cell of code to run");
        }
        cells = List.copyOf(cells);
        expectScaleUp = expectScaleUp != null && expectScaleUp;
        timeouts = timeouts == null ? Timeouts.DEFAULTS : timeouts.orDefaults();
        captureEnvironment = captureEnvironment == null || captureEnvironment;
        apps = apps == null ? List.of() : List.copyOf(apps);
        if (apps.size() > MAX_APPS) {
            throw new IllegalArgumentException("apps: " + apps.size() + " apps, at most " + MAX_APPS
                    + " (each becomes a phase label of its own)");
        }
        java.util.Set<String> names = new java.util.HashSet<>();
        for (App a : apps) {
            if (!names.add(a.name())) {
                throw new IllegalArgumentException("apps: two apps are named '" + a.name()
                        + "' (a name comes from name: or the path): give each a name: of its own");
            }
        }
    }

    public ProbeDefinition(String name, String description, String kernel, String server, ObjectNode userOptions,
                           Boolean expectScaleUp, Timeouts timeouts, List<Cell> cells, Boolean captureEnvironment) {
        this(name, description, kernel, server, userOptions, expectScaleUp, timeouts, cells, captureEnvironment, null);
    }

    public ProbeDefinition(String name, String description, String kernel, String server, ObjectNode userOptions,
                           Boolean expectScaleUp, Timeouts timeouts, List<Cell> cells) {
        this(name, description, kernel, server, userOptions, expectScaleUp, timeouts, cells, null);
    }

    /** Loads and checks one probe file; the probe's name defaults to the file's name. */
    public static ProbeDefinition load(Path file) throws ConfigException {
        ProbeDefinition d = StrictYaml.read(file, ProbeDefinition.class);
        if (d.name() == null) {
            String stem = file.getFileName().toString().replaceFirst("\\.ya?ml$", "");
            try {
                d = d.withName(stem);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(file.toString(), 0, "name", e.getMessage());
            }
        }
        return d;
    }

    public ProbeDefinition withName(String newName) {
        return new ProbeDefinition(newName, description, kernel, server, userOptions, expectScaleUp, timeouts, cells, captureEnvironment, apps);
    }

    public ProbeDefinition withServer(String newServer) {
        return new ProbeDefinition(name, description, kernel, newServer, userOptions, expectScaleUp, timeouts, cells, captureEnvironment, apps);
    }

    public ProbeDefinition withTimeouts(Timeouts newTimeouts) {
        return new ProbeDefinition(name, description, kernel, server, userOptions, expectScaleUp, newTimeouts, cells, captureEnvironment, apps);
    }

    public ProbeDefinition withKernel(String newKernel) {
        return new ProbeDefinition(name, description, newKernel, server, userOptions, expectScaleUp, timeouts, cells, captureEnvironment, apps);
    }

    public ProbeDefinition withCaptureEnvironment(boolean capture) {
        return new ProbeDefinition(name, description, kernel, server, userOptions, expectScaleUp, timeouts, cells, capture, apps);
    }

    public ProbeDefinition withApps(List<App> newApps) {
        return new ProbeDefinition(name, description, kernel, server, userOptions, expectScaleUp, timeouts, cells, captureEnvironment, newApps);
    }

    /** The longest a run of this probe can take, every phase (each app's included) at its budget. */
    public Duration budget() {
        Duration d = timeouts.total();
        for (App a : apps) {
            d = d.plus(a.budget(timeouts));
        }
        return d;
    }

    public boolean autoServerName() {
        return AUTO_SERVER.equals(server);
    }

    /** One cell of code and what its output must show. */
    public record Cell(String code, Expect expect) {
        public Cell {
            if (code == null || code.isBlank()) {
                throw new IllegalArgumentException("code: a cell needs code to run");
            }
            expect = expect == null ? Expect.NONE : expect;
        }
    }

    /**
     * What a cell must produce. Output is stdout plus the text/plain of results, as a person sees it
     * under the cell. Any error fails the cell unless {@code allowError} is set.
     */
    public record Expect(String outputContains, String outputMatches, Boolean allowError) {
        static final Expect NONE = new Expect(null, null, false);

        public Expect {
            if (outputMatches != null) {
                try {
                    Pattern.compile(outputMatches);
                } catch (PatternSyntaxException e) {
                    throw new IllegalArgumentException("output_matches: '" + outputMatches + "' is not a valid regular expression: "
                            + e.getDescription());
                }
            }
            allowError = allowError != null && allowError;
        }
    }

    /**
     * A page under the user's server to fetch after the cells, as the run's browser session (the form
     * login's cookies, or the run's token), following redirects only within that server.
     *
     * @param path    under the user's server ({@code /rstudio/} is {@code /user/NAME/rstudio/})
     * @param name    the phase is {@code app_<name>}; from the path when not given ({@code /proxy/8080/}: {@code proxy_8080})
     * @param timeout the app's budget; {@code timeouts.app} when not given
     */
    public record App(String path, String name, AppExpect expect, Duration timeout) {
        /** Lower-case letters, digits, '_' and '-': {@code app_} and 28 of them fit the phase columns (32). */
        private static final Pattern APP_NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,27}");
        private static final Pattern PATH = Pattern.compile("/[\\x21-\\x7e]{0,500}");

        public App {
            if (path == null || path.isEmpty()) {
                throw new IllegalArgumentException("path: an app needs the path of its page under the user's server, like /rstudio/");
            }
            if (!PATH.matcher(path).matches() || path.startsWith("//") || path.contains("#") || path.contains("\\")
                    || java.util.Arrays.asList(path.split("[/?]", -1)).contains("..") || dotDotEncoded(path)) {
                throw new IllegalArgumentException("path '" + dev.hubprobe.json.Json.abbreviate(path, 100)
                        + "' must start with one '/' and stay under the user's server (printable, no spaces, '..', '#' or '\\', at most 501 characters)");
            }
            if (name == null) {
                name = derivedName(path);
                if (name.isEmpty()) {
                    throw new IllegalArgumentException("name: no name can be made from path '" + path + "': give the app a name:");
                }
            } else if (!APP_NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("name '" + dev.hubprobe.json.Json.abbreviate(name, 100)
                        + "' must be 1 to 28 lower-case letters, digits, '_' or '-', starting with a letter or digit (the phase is app_<name>)");
            }
            expect = expect == null ? AppExpect.DEFAULT : expect;
            if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
                throw new IllegalArgumentException("timeout '" + timeout + "' must be longer than zero");
            }
        }

        /**
         * Whether a segment of the path (before any query) is {@code ..} spelt with {@code %2e}: OkHttp
         * resolves {@code /%2e%2e/} as {@code /../}, so {@code /%2e%2e/%2e%2e/hub/api/user} would take the
         * run's token to the hub's API, outside the user's server.
         */
        private static boolean dotDotEncoded(String path) {
            String p = path.replaceFirst("\\?.*", "").toLowerCase(java.util.Locale.ROOT).replace("%2e", ".");
            return java.util.Arrays.asList(p.split("/", -1)).contains("..");
        }

        /** The path's letters and digits, lower-cased, each other run of characters one '_', cut to fit. */
        static String derivedName(String path) {
            String n = path.replaceFirst("\\?.*", "").toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9]+", "_")
                    .replaceAll("^_+|_+$", "");
            return n.length() > 28 ? n.substring(0, 28).replaceAll("_+$", "") : n;
        }

        public Duration budget(Timeouts timeouts) {
            return timeout != null ? timeout : timeouts.app();
        }
    }

    /**
     * What an app's page must be: its status (200 unless given), after redirects within the server, and
     * text its first {@link #MAX_READ} bytes contain.
     */
    public record AppExpect(Integer status, String contains) {
        /** How much of an app's body is read: a hostile app may stream forever. */
        public static final int MAX_READ = 1 << 20;
        static final AppExpect DEFAULT = new AppExpect(200, null);

        public AppExpect {
            status = status == null ? 200 : status;
            if (status < 100 || status > 599) {
                throw new IllegalArgumentException("status " + status + " is not an HTTP status (100 to 599)");
            }
            if (contains != null && (contains.isEmpty() || contains.length() > 1000)) {
                throw new IllegalArgumentException("contains: the text to find must be 1 to 1000 characters");
            }
        }
    }

    /**
     * How long each phase may take: {@code hub} is the budget of hub_api, login and binder_health each, {@code build}
     * and {@code launch} those of a BinderHub's build and launch, {@code kernel}
     * of kernel_start and of kernel_connect each, {@code cleanup} of kernel_shutdown and of stop each, and
     * {@code environment} of the environment capture after the cells (not a phase: it never fails a run);
     * {@code tls} that of each listed {@code tls_endpoints} inspection, made beside the run (not a phase either);
     * {@code app} that of each of the probe's {@code apps:} without a {@code timeout:} of its own (30 s: a
     * proxied app's first page, RStudio's included, comes in seconds once its server is up; the hub budget's size).
     */
    public record Timeouts(Duration hub, Duration spawn, Duration kernel, Duration execute, Duration cleanup,
                           Duration build, Duration launch, Duration environment, Duration tls, Duration app) {
        public static final Timeouts DEFAULTS = new Timeouts(Duration.ofSeconds(30), Duration.ofMinutes(10),
                Duration.ofMinutes(2), Duration.ofMinutes(2), Duration.ofMinutes(2), Duration.ofMinutes(30), Duration.ofMinutes(10),
                Duration.ofSeconds(10), Duration.ofSeconds(10), Duration.ofSeconds(30));

        public Timeouts(Duration hub, Duration spawn, Duration kernel, Duration execute, Duration cleanup,
                        Duration build, Duration launch, Duration environment, Duration tls) {
            this(hub, spawn, kernel, execute, cleanup, build, launch, environment, tls, null);
        }

        public Timeouts(Duration hub, Duration spawn, Duration kernel, Duration execute, Duration cleanup) {
            this(hub, spawn, kernel, execute, cleanup, null, null, null, null);
        }

        public Timeouts(Duration hub, Duration spawn, Duration kernel, Duration execute, Duration cleanup,
                        Duration build, Duration launch, Duration environment) {
            this(hub, spawn, kernel, execute, cleanup, build, launch, environment, null);
        }

        Timeouts orDefaults() {
            return new Timeouts(hub == null ? DEFAULTS.hub : hub, spawn == null ? DEFAULTS.spawn : spawn,
                    kernel == null ? DEFAULTS.kernel : kernel, execute == null ? DEFAULTS.execute : execute,
                    cleanup == null ? DEFAULTS.cleanup : cleanup, build == null ? DEFAULTS.build : build,
                    launch == null ? DEFAULTS.launch : launch, environment == null ? DEFAULTS.environment : environment,
                    tls == null ? DEFAULTS.tls : tls, app == null ? DEFAULTS.app : app);
        }

        public Timeouts withSpawn(Duration newSpawn) {
            return new Timeouts(hub, newSpawn, kernel, execute, cleanup, build, launch, environment, tls, app);
        }

        public Timeouts withBuild(Duration newBuild, Duration newLaunch) {
            return new Timeouts(hub, spawn, kernel, execute, cleanup, newBuild == null ? build : newBuild,
                    newLaunch == null ? launch : newLaunch, environment, tls, app);
        }

        /** The budget of one phase. */
        public Duration of(Phase phase) {
            return switch (phase) {
                case HUB_API, LOGIN, BINDER_HEALTH -> hub;
                case BUILD -> build;
                case LAUNCH -> launch;
                case SPAWN -> spawn;
                case KERNEL_START, KERNEL_CONNECT -> kernel;
                case EXECUTE -> execute;
                case KERNEL_SHUTDOWN, STOP -> cleanup;
                case APP -> app;
                default -> throw new IllegalArgumentException("no budget of its own: " + phase);
            };
        }

        /** The longest a whole run can take, every phase at its budget: a minted token's lifetime, a per-run server's. */
        public Duration total() {
            return hub.multipliedBy(2).plus(spawn).plus(kernel.multipliedBy(2)).plus(execute).plus(environment)
                    .plus(cleanup.multipliedBy(2));
        }
    }
}
