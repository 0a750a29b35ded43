package dev.hubprobe.probe.steps;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hubprobe.browser.Chromium;
import dev.hubprobe.json.Json;
import dev.hubprobe.probe.Phase;
import dev.hubprobe.probe.ProbeContext;
import dev.hubprobe.probe.ProbeDefinition;
import dev.hubprobe.probe.ProbeFailure;
import dev.hubprobe.probe.Reason;
import dev.hubprobe.probe.Transcript;
import java.util.regex.Pattern;

/**
 * ui_execute: the probe's first cell is typed into the notebook's first cell and run with Shift+Enter,
 * and the page must show its expected output. The code goes in as one text input (as a paste does), so
 * the editor's auto-closing brackets and auto-indent do not change it.
 */
public final class UiExecuteStep extends UiStep {
    @Override
    public Phase phase() {
        return Phase.UI_EXECUTE;
    }

    @Override
    void runInBrowser(ProbeContext ctx) {
        ProbeDefinition.Cell cell = ctx.probe.cells().get(0);
        Chromium b = UiPage.browser(ctx);
        // the editor renders after the cell (a notebook draws its cells lazily): wait until it can take a click
        JsonNode editor = UiPage.await(ctx, "const e = document.querySelector('.jp-Notebook .jp-Cell .jp-InputArea-editor .cm-content');"
                + " const r = e && e.getBoundingClientRect();"
                + " return {ready: !!r && r.width > 0 && r.height > 0, x: r ? r.left + Math.min(20, r.width / 2) : 0,"
                + " y: r ? r.top + r.height / 2 : 0};",
                v -> v.path("ready").asBoolean(), "the first cell's editor");
        b.clickAt(editor.path("x").asDouble(), editor.path("y").asDouble());
        UiPage.await(ctx, "const a = document.activeElement; return {focused: !!a && !!a.closest('.jp-Notebook .jp-Cell .cm-content')};",
                v -> v.path("focused").asBoolean(), "the cell's editor to take the focus");
        b.cdp("Input.insertText", Json.object().put("text", cell.code()));
        UiPage.await(ctx, "const e = document.querySelector('.jp-Notebook .jp-Cell .cm-content');"
                + " return {typed: e ? e.innerText : ''};", v -> !v.path("typed").asText().isBlank(), "the typed code in the cell");
        // Shift+Enter, as the keyboard sends it (modifiers 8: Shift): JupyterLab's "run cell and select next"
        for (String type : new String[] {"rawKeyDown", "keyUp"}) {
            b.cdp("Input.dispatchKeyEvent", Json.object().put("type", type).put("modifiers", 8).put("key", "Enter")
                    .put("code", "Enter").put("windowsVirtualKeyCode", 13).put("nativeVirtualKeyCode", 13));
        }
        
        JsonNode done = UiPage.await(ctx, "const c = document.querySelector('.jp-Notebook .jp-Cell');"
                        + " const p = c && c.querySelector('.jp-InputPrompt');"
                        + " const o = c && c.querySelector('.jp-OutputArea');"
                        + " const err = c && c.querySelector('[data-mime-type=\"application/vnd.jupyter.stderr\"]');"
                        + " return {prompt: p ? p.innerText : '', code: (c && c.querySelector('.cm-content') || {}).innerText, output: o ? o.innerText : '', error: err ? err.innerText : null,"
                        + " dialog: (document.querySelector('.jp-Dialog') || {}).innerText || null, focus: (document.activeElement || {}).className || null};",
                v -> v.path("prompt").asText().matches("(?s).*\\[\\d+\\].*"), "the cell's output in the page");
        String output = done.path("output").asText();
        String error = done.hasNonNull("error") ? done.path("error").asText() : null;
        ctx.cells.add(new Transcript.Cell("# ui_execute (typed in the page)\n" + cell.code(), output, error));
        ProbeDefinition.Expect expect = cell.expect();
        if (error != null && !expect.allowError()) {
            throw new ProbeFailure(Reason.UI_FAILED, "the cell run in the page showed an error: " + Json.abbreviate(error, 300));
        }
        if (expect.outputContains() != null && !output.contains(expect.outputContains())) {
            throw new ProbeFailure(Reason.UI_FAILED, "the page shows the cell's output '" + Json.abbreviate(output, 200)
                    + "', not containing '" + Json.abbreviate(expect.outputContains(), 100) + "'");
        }
        if (expect.outputMatches() != null && !Pattern.compile(expect.outputMatches()).matcher(output).find()) {
            throw new ProbeFailure(Reason.UI_FAILED, "the page shows the cell's output '" + Json.abbreviate(output, 200)
                    + "', not matching /" + expect.outputMatches() + "/");
        }
        UiPage.failOnErrors(ctx, "running the cell");
        UiPage.event(ctx, "ui: cell ran in the page: " + Json.abbreviate(output, 200));
    }
}
