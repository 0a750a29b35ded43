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
 */
public record ProbeDefinition(String name, String description, String kernel, String server,
                              ObjectNode userOptions, Boolean expectScaleUp, Timeouts timeouts, List<Cell> cells,
                              Boolean captureEnvironment, String notebook, Boolean expectSavedOutputs, List<String> normalize,
                              List<Cell> cleanup, Map<String, MeasureBound> measurements) {
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
    }

    public ProbeDefinition(String name, String description, String kernel, String server, ObjectNode userOptions,
                           Boolean expectScaleUp, Timeouts timeouts, List<Cell> cells) {
        this(name, description, kernel, server, userOptions, expectScaleUp, timeouts, cells, null);
    }

    public ProbeDefinition(String name, String description, String kernel, String server, ObjectNode userOptions,
                           Boolean expectScaleUp, Timeouts timeouts, List<Cell> cells, Boolean captureEnvironment) {
        this(name, description, kernel, server, userOptions, expectScaleUp, timeouts, cells, captureEnvironment, null, null, null,
                null, null);
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

    public ProbeDefinition withName(String newName) {
        return new ProbeDefinition(newName, description, kernel, server, userOptions, expectScaleUp, timeouts, cells, captureEnvironment,
                notebook, expectSavedOutputs, normalize, cleanup, measurements);
    }

    /** The same probe spawning with these user_options (a profile of the service config's probe entry added to the file's). */
    public ProbeDefinition withUserOptions(ObjectNode newUserOptions) {
        return new ProbeDefinition(name, description, kernel, server, newUserOptions, expectScaleUp, timeouts, cells, captureEnvironment,
                notebook, expectSavedOutputs, normalize, cleanup, measurements);
    }

    public ProbeDefinition withServer(String newServer) {
        return new ProbeDefinition(name, description, kernel, newServer, userOptions, expectScaleUp, timeouts, cells, captureEnvironment,
                notebook, expectSavedOutputs, normalize, cleanup, measurements);
    }

    public ProbeDefinition withTimeouts(Timeouts newTimeouts) {
        return new ProbeDefinition(name, description, kernel, server, userOptions, expectScaleUp, newTimeouts, cells, captureEnvironment,
                notebook, expectSavedOutputs, normalize, cleanup, measurements);
    }

    public ProbeDefinition withKernel(String newKernel) {
        return new ProbeDefinition(name, description, newKernel, server, userOptions, expectScaleUp, timeouts, cells, captureEnvironment,
                notebook, expectSavedOutputs, normalize, cleanup, measurements);
    }

    public ProbeDefinition withCaptureEnvironment(boolean capture) {
        return new ProbeDefinition(name, description, kernel, server, userOptions, expectScaleUp, timeouts, cells, capture,
                notebook, expectSavedOutputs, normalize, cleanup, measurements);
    }

    /** The notebook's code cells as the cells to run, and its kernelspec unless the probe names one. */
    public ProbeDefinition withNotebook(NotebookCells nb) {
        return new ProbeDefinition(name, description, kernel != null ? kernel : nb.kernel(), server, userOptions, expectScaleUp,
                timeouts, nb.cells(), captureEnvironment, notebook != null ? notebook : nb.file().toString(), expectSavedOutputs,
                normalize, cleanup, measurements);
    }

    /** Whether the bound of this name asks for a histogram beside the gauge. */
    public boolean histogram(String measurement) {
        MeasureBound b = measurements.get(measurement);
        return b != null && b.histogram();
    }

    public boolean autoServerName() {
        return AUTO_SERVER.equals(server);
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
     * How long each phase may take: {@code hub} is the budget of hub_api, login and binder_health each, {@code build}
     * and {@code launch} those of a BinderHub's build and launch, {@code kernel}
     * of kernel_start and of kernel_connect each, {@code cleanup} of the cleanup cells, of kernel_shutdown and of stop each, and
     * {@code environment} of the environment capture after the cells (not a phase: it never fails a run);
     * {@code tls} that of each listed {@code tls_endpoints} inspection, made beside the run (not a phase either).
     */
    public record Timeouts(Duration hub, Duration spawn, Duration kernel, Duration execute, Duration cleanup,
                           Duration build, Duration launch, Duration environment, Duration tls) {
        public static final Timeouts DEFAULTS = new Timeouts(Duration.ofSeconds(30), Duration.ofMinutes(10),
                Duration.ofMinutes(2), Duration.ofMinutes(2), Duration.ofMinutes(2), Duration.ofMinutes(30), Duration.ofMinutes(10),
                Duration.ofSeconds(10), Duration.ofSeconds(10));

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
                    tls == null ? DEFAULTS.tls : tls);
        }

        public Timeouts withSpawn(Duration newSpawn) {
            return new Timeouts(hub, newSpawn, kernel, execute, cleanup, build, launch, environment, tls);
        }

        public Timeouts withBuild(Duration newBuild, Duration newLaunch) {
            return new Timeouts(hub, spawn, kernel, execute, cleanup, newBuild == null ? build : newBuild,
                    newLaunch == null ? launch : newLaunch, environment, tls);
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
