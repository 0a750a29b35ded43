package dev.hubprobe.cli;

import dev.hubprobe.config.ConfigException;
import dev.hubprobe.config.Durations;
import dev.hubprobe.config.StrictYaml;
import dev.hubprobe.probe.ProbeDefinition;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
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
                file.toString(), savedOutputs, null, null, null).withNotebook(cells);
    }

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
        return probe;
    }

    private static ProbeDefinition builtIn() throws ConfigException {
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
