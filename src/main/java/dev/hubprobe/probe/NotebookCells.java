package dev.hubprobe.probe;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hubprobe.config.ConfigException;
import dev.hubprobe.config.StrictYaml;
import dev.hubprobe.json.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The code cells of a Jupyter notebook (nbformat 4) as a probe's cells: the expectations of each from
 * its metadata ({@code "hubprobe": {"expect": {...}}}, the keys of a probe cell's {@code expect}), its
 * saved text output when asked for, and its place in the notebook for the failure message. A file
 * that is not such a notebook is refused when the probe is loaded, never when it runs.
 *
 * @param kernel the notebook's {@code metadata.kernelspec.name}, or null when it names none
 */
public record NotebookCells(Path file, String kernel, List<ProbeDefinition.Cell> cells) {
    /** Larger than any course notebook's text; a bigger file is most likely not meant as a probe. */
    private static final long MAX_BYTES = 16L * 1024 * 1024;
    /**
     * Code cells a notebook probe may have. Every cell is a transcript entry of each run: past a few
     * hundred the stored transcript no longer fits (it is then left out, the failing cell's output with
     * it) and each run's page grows by megabytes; a course notebook has dozens.
     */
    static final int MAX_CELLS = 500;

    public NotebookCells {
        cells = List.copyOf(cells);
    }

    /** Reads {@code file}; with {@code savedOutputs} each cell keeps its saved text output to compare with. */
    public static NotebookCells read(Path file, boolean savedOutputs) throws ConfigException {
        String where = file.toString();
        JsonNode nb;
        try {
            if (Files.size(file) > MAX_BYTES) {
                throw new ConfigException(where, 0, null, "not a notebook probe: larger than " + MAX_BYTES / (1024 * 1024) + " MiB");
            }
            nb = Json.mapper().readTree(Files.readString(file));
        } catch (NoSuchFileException e) {
            throw new ConfigException(where, 0, null, "notebook file does not exist");
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new ConfigException(where, e.getLocation() == null ? 0 : e.getLocation().getLineNr(), null,
                    "not a notebook: not valid JSON (" + e.getOriginalMessage() + ")");
        } catch (IOException e) {
            throw new ConfigException(where, 0, null, "cannot read the notebook: " + e.getMessage());
        }
        if (nb == null || !nb.isObject()) {
            throw new ConfigException(where, 0, null, "not a notebook: the JSON is not an object");
        }
        if (nb.path("nbformat").asInt(-1) != 4) {
            throw new ConfigException(where, 0, "nbformat", "not an nbformat 4 notebook (nbformat: "
                    + (nb.has("nbformat") ? Json.abbreviate(nb.get("nbformat").toString(), 20) : "missing") + ")");
        }
        JsonNode all = nb.path("cells");
        if (!all.isArray()) {
            throw new ConfigException(where, 0, "cells", "not a notebook: no list of cells");
        }
        List<ProbeDefinition.Cell> cells = new ArrayList<>();
        String name = file.getFileName().toString();
        for (int i = 0; i < all.size(); i++) {
            JsonNode c = all.get(i);
            if (!"code".equals(c.path("cell_type").asText())) {
                continue;
            }
            String code = text(c.path("source"));
            if (code.isBlank()) {
                continue; // an empty cell runs nothing; the Jupyter UI leaves one at the end of most notebooks
            }
            ProbeDefinition.Expect expect = expect(where, i, c.path("metadata").path("hubprobe"));
            String saved = savedOutputs ? savedOutput(c.path("outputs")) : null;
            // counted from 1, top to bottom, markdown cells included: as a person finds it in JupyterLab
            cells.add(new ProbeDefinition.Cell(code, expect, saved, name + " cell " + (i + 1)));
            if (cells.size() > MAX_CELLS) {
                throw new ConfigException(where, 0, "cells", "the notebook has more than " + MAX_CELLS
                        + " code cells (cell " + (i + 1) + " is the " + cells.size() + "th): a probe runs at most " + MAX_CELLS);
            }
        }
        if (cells.isEmpty()) {
            throw new ConfigException(where, 0, "cells", "the notebook has no code cells to run");
        }
        JsonNode kernel = nb.path("metadata").path("kernelspec").path("name");
        return new NotebookCells(file, kernel.isTextual() && !kernel.asText().isBlank() ? kernel.asText() : null, cells);
    }

    private static ProbeDefinition.Expect expect(String where, int index, JsonNode hubprobe) throws ConfigException {
        String key = "cells[" + index + "].metadata.hubprobe";
        if (hubprobe.isMissingNode() || hubprobe.isNull()) {
            return null;
        }
        if (!hubprobe.isObject()) {
            throw new ConfigException(where, 0, key, "must be an object like {\"expect\": {...}}");
        }
        for (var it = hubprobe.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!f.equals("expect")) {
                throw new ConfigException(where, 0, key + "." + f, "unknown key '" + f + "' (known: expect)");
            }
        }
        JsonNode e = hubprobe.path("expect");
        if (e.isMissingNode() || e.isNull()) {
            return null;
        }
        try {
            // the same strict reader as a probe file's cells: the same keys, the same errors
            return StrictYaml.read(where, e.toString(), ProbeDefinition.Expect.class);
        } catch (ConfigException ce) {
            String path = ce.keyPath() == null ? key + ".expect" : key + ".expect." + ce.keyPath();
            throw new ConfigException(where, 0, path, ce.problem());
        }
    }

    /** What a person saw under the cell: its stdout, then its results' text/plain, as a live run collects them. */
    static String savedOutput(JsonNode outputs) {
        StringBuilder stdout = new StringBuilder();
        List<String> results = new ArrayList<>();
        for (JsonNode o : outputs) {
            switch (o.path("output_type").asText()) {
                case "stream" -> {
                    if ("stdout".equals(o.path("name").asText())) {
                        stdout.append(text(o.path("text")));
                    }
                }
                case "execute_result", "display_data" -> {
                    JsonNode t = o.path("data").path("text/plain");
                    if (!t.isMissingNode()) {
                        results.add(text(t));
                    }
                }
                default -> { }
            }
        }
        return dev.hubprobe.jupyter.kernel.ExecuteResult.output(stdout, results);
    }

    /** nbformat's multiline strings: one string, or a list of lines to join. */
    private static String text(JsonNode node) {
        if (node.isArray()) {
            StringBuilder b = new StringBuilder();
            node.forEach(n -> b.append(n.asText()));
            return b.toString();
        }
        return node.asText("");
    }
}
