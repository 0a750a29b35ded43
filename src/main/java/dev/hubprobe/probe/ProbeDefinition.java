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
 * @param ui          the UI journey in headless Chromium after the cells; null: none
 */
public record ProbeDefinition(String name, String description, String kernel, String server,
                              ObjectNode userOptions, Boolean expectScaleUp, Timeouts timeouts, List<Cell> cells,
                              Boolean captureEnvironment, Ui ui) {
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
    }

    public ProbeDefinition(String name, String description, String kernel, String server, ObjectNode userOptions,
                           Boolean expectScaleUp, Timeouts timeouts, List<Cell> cells) {
        this(name, description, kernel, server, userOptions, expectScaleUp, timeouts, cells, null, null);
    }

    public ProbeDefinition(String name, String description, String kernel, String server, ObjectNode userOptions,
                           Boolean expectScaleUp, Timeouts timeouts, List<Cell> cells, Boolean captureEnvironment) {
        this(name, description, kernel, server, userOptions, expectScaleUp, timeouts, cells, captureEnvironment, null);
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
        return new ProbeDefinition(newName, description, kernel, server, userOptions, expectScaleUp, timeouts, cells, captureEnvironment, ui);
    }

    public ProbeDefinition withServer(String newServer) {
        return new ProbeDefinition(name, description, kernel, newServer, userOptions, expectScaleUp, timeouts, cells, captureEnvironment, ui);
    }

    public ProbeDefinition withTimeouts(Timeouts newTimeouts) {
        return new ProbeDefinition(name, description, kernel, server, userOptions, expectScaleUp, newTimeouts, cells, captureEnvironment, ui);
    }

    public ProbeDefinition withKernel(String newKernel) {
        return new ProbeDefinition(name, description, newKernel, server, userOptions, expectScaleUp, timeouts, cells, captureEnvironment, ui);
    }

    public ProbeDefinition withCaptureEnvironment(boolean capture) {
        return new ProbeDefinition(name, description, kernel, server, userOptions, expectScaleUp, timeouts, cells, capture, ui);
    }

    public ProbeDefinition withUi(Ui newUi) {
        return new ProbeDefinition(name, description, kernel, server, userOptions, expectScaleUp, timeouts, cells, captureEnvironment, newUi);
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
     * abandoned, a waiting API call's patience): {@link Timeouts#total()}, and with {@code ui:} the wait
     * for a browser and the three UI phases, which run while the token must still be valid.
     */
    public Duration budget() {
        return ui == null ? timeouts.total() : timeouts.total().plus(browserWait()).plus(timeouts.ui().multipliedBy(3));
    }

    /**
     * The UI journey: Chromium opens the app at {@code /user/NAME/<app>}, waits for its shell, opens a new
     * notebook and runs the probe's first cell in it (phases ui_load, ui_kernel, ui_execute).
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
     * How long each phase may take: {@code hub} is the budget of hub_api, login and binder_health each, {@code build}
     * and {@code launch} those of a BinderHub's build and launch, {@code kernel}
     * of kernel_start and of kernel_connect each, {@code cleanup} of kernel_shutdown and of stop each, and
     * {@code environment} of the environment capture after the cells (not a phase: it never fails a run);
     * {@code tls} that of each listed {@code tls_endpoints} inspection, made beside the run (not a phase either);
     * {@code ui} that of ui_load, ui_kernel and ui_execute each.
     */
    public record Timeouts(Duration hub, Duration spawn, Duration kernel, Duration execute, Duration cleanup,
                           Duration build, Duration launch, Duration environment, Duration tls, Duration ui) {
        public static final Timeouts DEFAULTS = new Timeouts(Duration.ofSeconds(30), Duration.ofMinutes(10),
                Duration.ofMinutes(2), Duration.ofMinutes(2), Duration.ofMinutes(2), Duration.ofMinutes(30), Duration.ofMinutes(10),
                Duration.ofSeconds(10), Duration.ofSeconds(10), Duration.ofSeconds(60));

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
                    tls == null ? DEFAULTS.tls : tls, ui == null ? DEFAULTS.ui : ui);
        }

        public Timeouts withSpawn(Duration newSpawn) {
            return new Timeouts(hub, newSpawn, kernel, execute, cleanup, build, launch, environment, tls, ui);
        }

        public Timeouts withBuild(Duration newBuild, Duration newLaunch) {
            return new Timeouts(hub, spawn, kernel, execute, cleanup, newBuild == null ? build : newBuild,
                    newLaunch == null ? launch : newLaunch, environment, tls, ui);
        }

        public Timeouts withUi(Duration newUi) {
            return new Timeouts(hub, spawn, kernel, execute, cleanup, build, launch, environment, tls, newUi);
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
                case UI_LOAD, UI_KERNEL, UI_EXECUTE -> ui;
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
