package dev.hubprobe.probe;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hubprobe.config.ConfigException;
import dev.hubprobe.config.StrictYaml;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
 * @param notebook    instead of {@code cells}: a notebook file (relative to the probe file) whose code cells
 *                    {@link #load} reads into {@code cells}, see {@link NotebookCells}
 * @param expectSavedOutputs with {@code notebook}: each cell's text output must equal the one saved in the file
 * @param normalize   regular expressions whose matches are blanked in both outputs before that comparison
 * @param cleanup     cells run after the cells in the same kernel whatever happened (see CleanupCellsStep)
 * @param measurements bounds on what the cells report by {@code hubprobe-measure:} lines, by name
 * @param apps        after the cells, pages under the user's server to fetch (jupyter-server-proxy apps such
 *                    as RStudio), each its own phase {@code app_<name>}; empty by default
 * @param ui          the UI journey in headless Chromium after the cells; null: none
 */
public record ProbeDefinition(String name, String description, String kernel, String server,
                              ObjectNode userOptions, Boolean expectScaleUp, Timeouts timeouts, List<Cell> cells,
                              Boolean captureEnvironment, String notebook, Boolean expectSavedOutputs, List<String> normalize,
                              List<Cell> cleanup, Map<String, MeasureBound> measurements, List<App> apps, Ui ui) {
    /** Apps per probe, at most: each is a phase label, and so a histogram per (hub, probe). */
    public static final int MAX_APPS = 8;
    public static final String AUTO_SERVER = "auto";
    /** A probe file's name, or a series name {@code probe@profile} of a probe run on a KubeSpawner profile (see ProbeKey). */
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}(@[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)?");
    private static final Pattern SERVER = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");

    public ProbeDefinition {
        if (name != null && !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("name '" + name + "' must be lower-case letters, digits and '-' (it becomes the probe label)");
        }
        if (server != null && !server.isEmpty() && !SERVER.matcher(server).matches()) {
            throw new IllegalArgumentException("server '" + server + "' is not a valid server name (letters, digits, . _ -)");
        }
        if ((cells == null || cells.isEmpty()) && notebook == null) {
            throw new IllegalArgumentException("cells: a probe needs at least one cell of code to run (or a notebook)");
        }
        cells = cells == null ? List.of() : List.copyOf(cells);
        expectSavedOutputs = expectSavedOutputs != null && expectSavedOutputs;
        normalize = normalize == null ? List.of() : List.copyOf(normalize);
        for (int i = 0; i < normalize.size(); i++) {
            try {
                Pattern.compile(normalize.get(i));
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException("normalize[" + i + "]: '" + normalize.get(i) + "' is not a valid regular expression: "
                        + e.getDescription());
            }
        }
        cleanup = cleanup == null ? List.of() : List.copyOf(cleanup);
        measurements = measurements == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(measurements));
        if (measurements.size() > Measurement.MAX_PER_PROBE) {
            throw new IllegalArgumentException("measurements: at most " + Measurement.MAX_PER_PROBE + " per probe, not "
                    + measurements.size());
        }
        for (Map.Entry<String, MeasureBound> e : measurements.entrySet()) {
            if (!Measurement.NAME.matcher(e.getKey()).matches()) {
                throw new IllegalArgumentException("measurements." + e.getKey() + ": a name must match " + Measurement.NAME.pattern());
            }
            if (e.getValue() == null) {
                throw new IllegalArgumentException("measurements." + e.getKey() + ": give min, max or histogram");
            }
        }
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
                           Boolean expectScaleUp, Timeouts timeouts, List<Cell> cells) {
        this(name, description, kernel, server, userOptions, expectScaleUp, timeouts, cells, (Boolean) null);
    }

    public ProbeDefinition(String name, String description, String kernel, String server, ObjectNode userOptions,
                           Boolean expectScaleUp, Timeouts timeouts, List<Cell> cells, Boolean captureEnvironment, Ui ui) {
        this(name, description, kernel, server, userOptions, expectScaleUp, timeouts, cells, captureEnvironment, null, null, null,
                null, null, null, ui);
    }

    public ProbeDefinition(String name, String description, String kernel, String server, ObjectNode userOptions,
                           Boolean expectScaleUp, Timeouts timeouts, List<Cell> cells, Boolean captureEnvironment) {
        this(name, description, kernel, server, userOptions, expectScaleUp, timeouts, cells, captureEnvironment, null, null, null,
                null, null, null, null);
    }

    /** A probe of cells or a notebook, with cleanup cells and measurement bounds, no apps and no UI journey. */
    public ProbeDefinition(String name, String description, String kernel, String server, ObjectNode userOptions,
                           Boolean expectScaleUp, Timeouts timeouts, List<Cell> cells, Boolean captureEnvironment, String notebook,
                           Boolean expectSavedOutputs, List<String> normalize, List<Cell> cleanup, Map<String, MeasureBound> measurements) {
        this(name, description, kernel, server, userOptions, expectScaleUp, timeouts, cells, captureEnvironment, notebook,
                expectSavedOutputs, normalize, cleanup, measurements, null, null);
    }

    /** Loads and checks one probe file; the probe's name defaults to the file's name. */
    public static ProbeDefinition load(Path file) throws ConfigException {
        ProbeDefinition d = StrictYaml.read(file, ProbeDefinition.class);
        if (d.notebook() != null && !d.cells().isEmpty()) {
            throw new ConfigException(file.toString(), 0, "notebook", "a probe runs either its cells or a notebook, not both");
        }
        if (d.expectSavedOutputs() && d.notebook() == null) {
            throw new ConfigException(file.toString(), 0, "expect_saved_outputs", "only a notebook has saved outputs (no notebook: given)");
        }
        if (d.notebook() != null) {
            // relative to the probe file, so a probe and its notebook move together
            Path parent = file.toAbsolutePath().getParent();
            d = d.withNotebook(NotebookCells.read(parent.resolve(d.notebook()).normalize(), d.expectSavedOutputs()));
        }
        if (d.name() == null) {
            String stem = file.getFileName().toString().replaceFirst("\\.ya?ml$", "");
            try {
                d = d.withName(stem);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(file.toString(), 0, "name", e.getMessage());
            }
        }
        int at = d.name().indexOf(ProbeKey.PROFILE_SEPARATOR);
        if (at >= 0) {
            // '@' is kept for the series of a probe on a profile, which only the service config makes (with the profile in
            // user_options): a file named so would be labelled with a profile its runs never spawned on
            throw new ConfigException(file.toString(), 0, "name", "'" + d.name() + "': a probe's name is lower-case letters,"
                    + " digits and '-'; to run it on a KubeSpawner profile, list it so in the service config: probes: [{probe: "
                    + d.name().substring(0, at) + ", profile: " + d.name().substring(at + 1) + "}]");
        }
        return d;
    }

    /**
     * An app's {@code expect.selector} is looked for in the run's Chromium, which only a probe with {@code ui:}
     * has: otherwise an error naming the file, the key (and its line) and the selector.
     *
     * @param howToAdd how this command gives a probe its browser, for the message
     */
    public static void requireUiForSelectors(ProbeDefinition d, Path file, String howToAdd) throws ConfigException {
        if (d.ui() != null) {
            return;
        }
        for (int i = 0; i < d.apps().size(); i++) {
            String selector = d.apps().get(i).expect().selector();
            if (selector == null) {
                continue;
            }
            String key = "apps[" + i + "].expect.selector";
            String problem = "'" + dev.hubprobe.json.Json.abbreviate(selector, 100) + "' is looked for in the run's Chromium, and the probe has"
                    + " no ui: (" + howToAdd + ")";
            String text = null;
            try {
                text = file == null ? null : java.nio.file.Files.readString(file);
            } catch (java.io.IOException | RuntimeException e) {
                // the line is a help, not the error: the key path still names the place
            }
            throw text != null ? StrictYaml.error(file.toString(), text, key, problem)
                    : new ConfigException(file == null ? null : file.toString(), 0, key, problem);
        }
    }

    public ProbeDefinition withName(String newName) {
        return new ProbeDefinition(newName, description, kernel, server, userOptions, expectScaleUp, timeouts, cells, captureEnvironment,
                notebook, expectSavedOutputs, normalize, cleanup, measurements, apps, ui);
    }

    /** The same probe spawning with these user_options (a profile of the service config's probe entry added to the file's). */
    public ProbeDefinition withUserOptions(ObjectNode newUserOptions) {
        return new ProbeDefinition(name, description, kernel, server, newUserOptions, expectScaleUp, timeouts, cells, captureEnvironment,
                notebook, expectSavedOutputs, normalize, cleanup, measurements, apps, ui);
    }

    public ProbeDefinition withServer(String newServer) {
        return new ProbeDefinition(name, description, kernel, newServer, userOptions, expectScaleUp, timeouts, cells, captureEnvironment,
                notebook, expectSavedOutputs, normalize, cleanup, measurements, apps, ui);
    }

    public ProbeDefinition withTimeouts(Timeouts newTimeouts) {
        return new ProbeDefinition(name, description, kernel, server, userOptions, expectScaleUp, newTimeouts, cells, captureEnvironment,
                notebook, expectSavedOutputs, normalize, cleanup, measurements, apps, ui);
    }

    public ProbeDefinition withKernel(String newKernel) {
        return new ProbeDefinition(name, description, newKernel, server, userOptions, expectScaleUp, timeouts, cells, captureEnvironment,
                notebook, expectSavedOutputs, normalize, cleanup, measurements, apps, ui);
    }

    public ProbeDefinition withCaptureEnvironment(boolean capture) {
        return new ProbeDefinition(name, description, kernel, server, userOptions, expectScaleUp, timeouts, cells, capture,
                notebook, expectSavedOutputs, normalize, cleanup, measurements, apps, ui);
    }

    /** The notebook's code cells as the cells to run, and its kernelspec unless the probe names one. */
    public ProbeDefinition withNotebook(NotebookCells nb) {
        return new ProbeDefinition(name, description, kernel != null ? kernel : nb.kernel(), server, userOptions, expectScaleUp,
                timeouts, nb.cells(), captureEnvironment, notebook != null ? notebook : nb.file().toString(), expectSavedOutputs,
                normalize, cleanup, measurements, apps, ui);
    }

    /** Whether the bound of this name asks for a histogram beside the gauge. */
    public boolean histogram(String measurement) {
        MeasureBound b = measurements.get(measurement);
        return b != null && b.histogram();
    }

    public ProbeDefinition withUi(Ui newUi) {
        return new ProbeDefinition(name, description, kernel, server, userOptions, expectScaleUp, timeouts, cells, captureEnvironment,
                notebook, expectSavedOutputs, normalize, cleanup, measurements, apps, newUi);
    }

    public ProbeDefinition withApps(List<App> newApps) {
        return new ProbeDefinition(name, description, kernel, server, userOptions, expectScaleUp, timeouts, cells, captureEnvironment,
                notebook, expectSavedOutputs, normalize, cleanup, measurements, newApps, ui);
    }

    public boolean autoServerName() {
        return AUTO_SERVER.equals(server);
    }

    /**
     * How long a UI run may wait for a browser slot (ui.max_browsers, load --browsers) before its UI
     * phases are skipped: one whole journey at its budgets, so that a slot held to the end of its budgets
     * frees in time. Zero without {@code ui:}.
     */
    public Duration browserWait() {
        return ui == null ? Duration.ZERO : timeouts.ui().multipliedBy(3);
    }

    /**
     * The whole run's budget (the minted token's lifetime, the per-run server's age before it counts as
     * abandoned, a waiting API call's patience): {@link Timeouts#total()}, with {@code ui:} the wait
     * for a browser and the three UI phases, and each of the probe's apps at its budget: all run while the
     * token must still be valid.
     */
    public Duration budget() {
        Duration d = ui == null ? timeouts.total() : timeouts.total().plus(browserWait()).plus(timeouts.ui().multipliedBy(3));
        for (App a : apps) {
            d = d.plus(a.budget(timeouts));
        }
        return d;
    }

    /**
     * The UI journey: Chromium opens the app at {@code /user/NAME/<app>}, waits for its shell, opens a new
     * notebook and runs the probe's first cell in it (phases ui_load, ui_kernel, ui_execute; tree: ui_load only).
     *
     * @param app     {@code lab} (JupyterLab), {@code notebook} (Notebook 7) or {@code tree} (Notebook 7's file
     *                browser, the page a {@code /tree} default URL opens)
     * @param browser the Chromium binary; null: Debian's {@code /usr/bin/chromium}
     */
    public record Ui(String app, String browser) {
        public static final List<String> APPS = List.of("lab", "notebook", "tree");
        public static final String DEFAULT_BROWSER = "/usr/bin/chromium";

        public Ui {
            if (app == null) {
                app = "lab";
            }
            if (!APPS.contains(app)) {
                throw new IllegalArgumentException("app '" + app + "' is not one of " + String.join(", ", APPS));
            }
            if (browser != null && browser.isBlank()) {
                throw new IllegalArgumentException("browser: an empty path; leave it out for " + DEFAULT_BROWSER);
            }
        }

        public String browserOrDefault() {
            return browser == null ? DEFAULT_BROWSER : browser;
        }
    }

    /**
     * One cell of code and what its output must show.
     *
     * @param savedOutput a notebook cell's saved text output, to compare with when {@code expect_saved_outputs}; else null
     * @param where       how a failure names the cell ("check.ipynb cell 4"), null for a probe file's own cells
     */
    public record Cell(String code, Expect expect, String savedOutput, String where) {
        public Cell {
            if (code == null || code.isBlank()) {
                throw new IllegalArgumentException("code: a cell needs code to run");
            }
            expect = expect == null ? Expect.NONE : expect;
        }

        /** The keys a probe file may give: the notebook's two are set by the reader only. */
        @com.fasterxml.jackson.annotation.JsonCreator
        public Cell(@com.fasterxml.jackson.annotation.JsonProperty("code") String code,
                    @com.fasterxml.jackson.annotation.JsonProperty("expect") Expect expect) {
            this(code, expect, null, null);
        }

        /** The first line of the cell's code, as a failure quotes it. */
        public String firstLine() {
            String line = code.strip().lines().findFirst().orElse("");
            return dev.hubprobe.json.Json.abbreviate(line, 80);
        }
    }

    /**
     * What a cell must produce. Output is stdout plus the text/plain of results, as a person sees it
     * under the cell. Any error fails the cell unless {@code allowError} is set.
     */
    public record Expect(String outputContains, String outputMatches, Boolean allowError, List<String> measure) {
        static final Expect NONE = new Expect(null, null, false);

        public Expect(String outputContains, String outputMatches, Boolean allowError) {
            this(outputContains, outputMatches, allowError, null);
        }

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
            measure = measure == null ? List.of() : List.copyOf(measure);
            for (String m : measure) {
                if (m == null || !Measurement.NAME.matcher(m).matches()) {
                    throw new IllegalArgumentException("measure: '" + m + "' is not a measurement name (" + Measurement.NAME.pattern() + ")");
                }
            }
        }
    }

    /**
     * What one measurement must stay within, in base units ({@code max: 5s}, {@code min: 10GiB}); out of
     * range fails the run with {@code measure_out_of_range}. {@code histogram: true} adds a histogram to the gauge.
     */
    public record MeasureBound(Measurement.Quantity min, Measurement.Quantity max, Boolean histogram) {
        public MeasureBound {
            histogram = histogram != null && histogram;
            if (min != null && max != null && !min.unit().equals(max.unit())) {
                throw new IllegalArgumentException("min and max are in different units (" + min.display() + ", " + max.display() + ")");
            }
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
     * text its first {@link #MAX_READ} bytes contain; with the probe's {@code ui:}, a CSS {@code selector}
     * that must match an element of the page once the run's Chromium has opened it (an app that renders
     * in the browser: a blank frame answers 200 with the app's name in its head all the same).
     */
    public record AppExpect(Integer status, String contains, String selector) {
        /** How much of an app's body is read: a hostile app may stream forever. */
        public static final int MAX_READ = 1 << 20;
        static final AppExpect DEFAULT = new AppExpect(200, null);

        public AppExpect(Integer status, String contains) {
            this(status, contains, null);
        }

        public AppExpect {
            if (selector != null && (selector.isBlank() || selector.length() > 500 || selector.chars().anyMatch(Character::isISOControl))) {
                throw new IllegalArgumentException("selector: a CSS selector of 1 to 500 characters on one line, like \"#app-root\"");
            }
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
     * of kernel_start and of kernel_connect each, {@code cleanup} of the cleanup cells, of kernel_shutdown and of stop each, and
     * {@code environment} of the environment capture after the cells (not a phase: it never fails a run);
     * {@code tls} that of each listed {@code tls_endpoints} inspection, made beside the run (not a phase either);
     * {@code app} that of each of the probe's {@code apps:} without a {@code timeout:} of its own (30 s: a
     * proxied app's first page, RStudio's included, comes in seconds once its server is up; the hub budget's size);
     * {@code ui} that of ui_load, ui_kernel and ui_execute each.
     */
    public record Timeouts(Duration hub, Duration spawn, Duration kernel, Duration execute, Duration cleanup,
                           Duration build, Duration launch, Duration environment, Duration tls, Duration app, Duration ui) {
        public static final Timeouts DEFAULTS = new Timeouts(Duration.ofSeconds(30), Duration.ofMinutes(10),
                Duration.ofMinutes(2), Duration.ofMinutes(2), Duration.ofMinutes(2), Duration.ofMinutes(30), Duration.ofMinutes(10),
                Duration.ofSeconds(10), Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(60));

        public Timeouts(Duration hub, Duration spawn, Duration kernel, Duration execute, Duration cleanup,
                        Duration build, Duration launch, Duration environment, Duration tls) {
            this(hub, spawn, kernel, execute, cleanup, build, launch, environment, tls, null, null);
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
                    tls == null ? DEFAULTS.tls : tls, app == null ? DEFAULTS.app : app, ui == null ? DEFAULTS.ui : ui);
        }

        public Timeouts withSpawn(Duration newSpawn) {
            return new Timeouts(hub, newSpawn, kernel, execute, cleanup, build, launch, environment, tls, app, ui);
        }

        public Timeouts withBuild(Duration newBuild, Duration newLaunch) {
            return new Timeouts(hub, spawn, kernel, execute, cleanup, newBuild == null ? build : newBuild,
                    newLaunch == null ? launch : newLaunch, environment, tls, app, ui);
        }

        public Timeouts withUi(Duration newUi) {
            return new Timeouts(hub, spawn, kernel, execute, cleanup, build, launch, environment, tls, app, newUi);
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
                case KERNEL_SHUTDOWN, STOP, CLEANUP -> cleanup;
                case APP -> app;
                case UI_LOAD, UI_KERNEL, UI_EXECUTE -> ui;
                default -> throw new IllegalArgumentException("no budget of its own: " + phase);
            };
        }

        /** The longest a whole run can take, every phase at its budget: a minted token's lifetime, a per-run server's. */
        public Duration total() {
            return hub.multipliedBy(2).plus(spawn).plus(kernel.multipliedBy(2)).plus(execute).plus(environment)
                    .plus(cleanup.multipliedBy(3));
        }
    }
}
