package dev.hubprobe.cli;

import dev.hubprobe.config.ConfigException;
import dev.hubprobe.config.Durations;
import dev.hubprobe.config.StrictYaml;
import dev.hubprobe.probe.ProbeDefinition;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Option;

/** What to run, as {@code check} and {@code load} both take it: a probe file or code, and its overrides. */
public final class ProbeOptions {
    private static final String DEFAULT_PROBE = "probes/kernel-smoke.yml";

    @Option(names = "--probe", paramLabel = "FILE", description = "Probe definition (default: the built-in kernel-smoke probe).")
    Path probeFile;

    @Option(names = "--notebook", paramLabel = "FILE", description = "Run this notebook's code cells in order (nbformat 4; each"
            + " cell's hubprobe.expect metadata applies; its kernelspec unless --kernel).")
    Path notebook;

    @Option(names = "--expect-saved-outputs", description = "With --notebook: each cell's output must equal the saved one.")
    boolean expectSavedOutputs;

    @Option(names = "--code", paramLabel = "CODE", description = "Run this code instead of a probe file's cells.")
    String code;

    @Option(names = "--expect", paramLabel = "TEXT", description = "With --code: the output must contain TEXT.")
    String expect;

    @Option(names = "--kernel", paramLabel = "NAME", description = "Kernelspec to start (default: the probe's, else the server's default).")
    String kernel;

    @Option(names = "--server-name", paramLabel = "NAME", description = "Use this named server instead of the default one; 'auto' picks a fresh name per run.")
    String serverName;

    @Option(names = "--spawn-timeout", paramLabel = "DURATION", description = "How long the spawn may take, e.g. 90s or 10m.")
    String spawnTimeout;

    /** A probe of the notebook alone, named after its file (as a label: lower case, digits and '-'). */
    static ProbeDefinition notebookProbe(Path file, boolean savedOutputs) throws ConfigException {
        String stem = file.getFileName().toString().replaceFirst("\\.ipynb$", "").toLowerCase(java.util.Locale.ROOT)
                .replaceAll("[^a-z0-9-]+", "-").replaceAll("^-+|-+$", "");
        String name = stem.isEmpty() ? "notebook" : stem.length() > 63 ? stem.substring(0, 63).replaceAll("-+$", "") : stem;
        dev.hubprobe.probe.NotebookCells cells = dev.hubprobe.probe.NotebookCells.read(file.toAbsolutePath(), savedOutputs);
        return new ProbeDefinition(name, "notebook " + file.getFileName(), null, null, null, null, null, null, null,
                file.toString(), savedOutputs, null, null, null, null, null).withNotebook(cells);
    }
    @Option(names = "--ui", paramLabel = "APP", description = "After the cells, run the UI journey in headless Chromium: open "
            + "/user/NAME/APP (lab, notebook or tree), open a notebook, run the first cell in the page (tree: its file browser only).")
    String ui;

    @Option(names = "--browser", paramLabel = "PATH", description = "With --ui (or a probe's ui:): the Chromium to run "
            + "(default: the probe's ui.browser, else /usr/bin/chromium).")
    String browser;

    /** The probe these options describe; a bad combination or file is a {@link ConfigException} naming the option. */
    ProbeDefinition resolve() throws ConfigException {
        if (expect != null && code == null) {
            throw new ConfigException(null, 0, "--expect", "goes with --code");
        }
        if (code != null && probeFile != null) {
            throw new ConfigException(null, 0, "--code", "give either --code or --probe, not both");
        }
        if (notebook != null && (code != null || probeFile != null)) {
            throw new ConfigException(null, 0, "--notebook", "give one of --notebook, --probe and --code");
        }
        if (expectSavedOutputs && notebook == null) {
            throw new ConfigException(null, 0, "--expect-saved-outputs", "goes with --notebook");
        }
        ProbeDefinition probe;
        if (notebook != null) {
            probe = notebookProbe(notebook, expectSavedOutputs);
        } else if (code != null) {
            probe = new ProbeDefinition("adhoc", "code given on the command line", null, null, null, null, null,
                    List.of(new ProbeDefinition.Cell(code, new ProbeDefinition.Expect(expect, null, false))));
        } else if (probeFile != null) {
            probe = ProbeDefinition.load(probeFile);
        } else {
            probe = builtIn();
        }
        if (kernel != null) {
            probe = probe.withKernel(kernel);
        }
        if (serverName != null) {
            try {
                probe = probe.withServer(serverName);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(null, 0, "--server-name", e.getMessage());
            }
        }
        if (spawnTimeout != null) {
            try {
                probe = probe.withTimeouts(probe.timeouts().withSpawn(Durations.parse(spawnTimeout)));
            } catch (IllegalArgumentException e) {
                throw new ConfigException(null, 0, "--spawn-timeout", e.getMessage());
            }
        }
        if (browser != null && ui == null && probe.ui() == null) {
            throw new ConfigException(null, 0, "--browser", "goes with --ui (or a probe file with ui:)");
        }
        if (ui != null || browser != null) {
            try {
                String app = ui != null ? ui : probe.ui().app();
                String binary = browser != null ? browser : probe.ui() != null ? probe.ui().browser() : null;
                probe = probe.withUi(new ProbeDefinition.Ui(app, binary));
            } catch (IllegalArgumentException e) {
                throw new ConfigException(null, 0, ui != null ? "--ui" : "--browser", e.getMessage());
            }
        }
        ProbeDefinition.requireUiForSelectors(probe, probeFile, "give it ui: {app: lab}, or run check --ui lab");
        return probe;
    }

    /**
     * The built-in probe, {@code probes/kernel-smoke.yml} (shipped in the jar and in the image beside the
     * other probes), built in code: reading it through {@link StrictYaml} cost a default {@code check}
     * a YAML mapper, SnakeYAML and Jackson's record binding, some 330 classes and about 25 ms of a
     * 0.35 s start (issue 25). ProbeOptionsTest holds it equal to the file, so the two cannot drift.
     */
    static ProbeDefinition builtIn() {
        return new ProbeDefinition("kernel-smoke", "Start the default kernel and run one line of Python.", null, null, null, null,
                new ProbeDefinition.Timeouts(null, Duration.ofMinutes(10), Duration.ofMinutes(2), Duration.ofMinutes(1), null),
                List.of(new ProbeDefinition.Cell("print(6 * 7)", new ProbeDefinition.Expect("42", null, null))));
    }

    /** The built-in probe as its file says it, read as a {@code --probe} file is (for the test that holds the two equal). */
    static ProbeDefinition builtInFromFile() throws ConfigException {
        try (InputStream in = ProbeOptions.class.getClassLoader().getResourceAsStream(DEFAULT_PROBE)) {
            if (in == null) {
                throw new ConfigException(DEFAULT_PROBE, 0, null, "built-in probe missing from the build");
            }
            return StrictYaml.read(DEFAULT_PROBE, new String(in.readAllBytes(), StandardCharsets.UTF_8), ProbeDefinition.class)
                    .withName("kernel-smoke");
        } catch (IOException e) {
            throw new ConfigException(DEFAULT_PROBE, 0, null, e.getMessage());
        }
    }
}
