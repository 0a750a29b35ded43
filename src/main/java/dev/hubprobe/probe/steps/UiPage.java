package dev.hubprobe.probe.steps;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hubprobe.browser.Chromium;
import dev.hubprobe.json.Json;
import dev.hubprobe.jupyter.hub.ProgressEvent;
import dev.hubprobe.probe.ProbeContext;
import dev.hubprobe.probe.ProbeFailure;
import dev.hubprobe.probe.Reason;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * What the three UI steps share: the app's URLs, waiting for a condition in the page while watching its
 * console, and recording what the page said in the run's events (the transcript).
 */
final class UiPage {
    /** Console messages kept in a failure's message; the transcript keeps them all (each cut). */
    private static final int MAX_ERRORS = 5;

    private UiPage() {
    }

    /**
     * Where the app's shell is, under the user's server: Notebook 7's (and the classic) home is tree.
     * JupyterLab opens with {@code ?reset}: the robot user's saved workspace would reopen the tabs of
     * earlier runs, whose notebooks are deleted (each a 404 in the console).
     */
    static String appPath(String app) {
        return app.equals("lab") ? "lab?reset" : "tree";
    }

    /** Where a notebook opens in the app. */
    static String notebookPath(String app, String path) {
        return app.equals("lab") ? "lab/tree/" + path + "?reset" : "notebooks/" + path;
    }

    /** An event of the run's transcript, beside the spawn's (marked as the browser's, never a spawn's). */
    static void event(ProbeContext ctx, String message) {
        String m = ctx.redactor.redact(Json.abbreviate(message, 500));
        ctx.spawnEvents.add(new ProgressEvent(null, m, false, false, null, Json.object().put("message", m).put("source", "ui"), ctx.clock.nanoTime()));
    }

    /**
     * Errors the page logged since the last look (script errors, failed requests, plugins that did not
     * activate), each also recorded as an event of the run.
     */
    static List<String> errors(ProbeContext ctx) {
        List<String> out = new ArrayList<>();
        for (JsonNode e : ctx.browser.log("browser")) {
            if (e.path("level").asText().equals("SEVERE")) {
                String m = explain(Json.abbreviate(e.path("message").asText(), 400));
                if (ctx.probe.ui() != null && ctx.serverUrl != null && knownHarmless(m, ctx.probe.ui().app(), ctx.serverUrl)) {
                    event(ctx, "ui: console error (a known Notebook 7 one, the page works on: not counted): " + m);
                    continue;
                }
                out.add(m);
                event(ctx, "ui: console error: " + m);
            }
        }
        return out;
    }

    /**
     * Notebook 7 (7.6 on JupyterLab 4.6) throws this on every healthy page: its keyboard-shortcut plugin
     * handles another plugin's settings change before its own settings have loaded. The page, its
     * shortcuts included, works on; counting it would fail every Notebook 7 run. Only this message from
     * Notebook 7's own core bundle, as the run's server serves it ({@code <server>static/notebook/}, with
     * its cache-busting {@code ?v=} of the same hash), in a Notebook 7 run, is let through: the same words
     * from a labextension, a file under {@code /files/}, a {@code data:} URL, another user's server, or
     * JupyterLab's own run all still fail.
     */
    static boolean knownHarmless(String consoleMessage, String app, okhttp3.HttpUrl server) {
        if (!app.equals("notebook") && !app.equals("tree")) {
            return false;
        }
        String bundle = server.toString() + "static/notebook/notebook_core.";
        return consoleMessage.startsWith(bundle) && consoleMessage.substring(bundle.length()).matches("([0-9a-f]{8,64})\\.js(\\?v=\\1)? \\d+:\\d+ "
                + "Uncaught TypeError: Cannot read properties of undefined \\(reading 'schema'\\)");
    }

    /**
     * A console message as the on-call engineer needs it: a request to another origin fails at hubprobe's
     * own dead proxy (see {@code Chromium.start}), which is not a proxy of the hub's.
     */
    static String explain(String consoleMessage) {
        return consoleMessage.contains("ERR_PROXY_CONNECTION_FAILED")
                ? consoleMessage + " (refused by hubprobe: its browser reaches only the hub's and the user server's origins)"
                : consoleMessage;
    }

    /** Fails the step with ui_failed when the page logged errors. */
    static void failOnErrors(ProbeContext ctx, String doing) {
        List<String> errors = errors(ctx);
        if (!errors.isEmpty()) {
            throw new ProbeFailure(Reason.UI_FAILED, doing + ": the page logged " + errors.size() + " error(s): "
                    + String.join(" | ", errors.subList(0, Math.min(MAX_ERRORS, errors.size()))));
        }
    }

    /**
     * Polls {@code script} (its {@code return} value) until {@code done} holds, failing with ui_failed as
     * soon as the page logs an error and with ui_timeout at the phase's deadline.
     */
    static JsonNode await(ProbeContext ctx, String script, Predicate<JsonNode> done, String waitingFor) {
        JsonNode last = null;
        while (true) {
            if (ctx.aborted) {
                throw new ProbeFailure(Reason.ABORTED, "the prober was asked to stop while waiting for " + waitingFor);
            }
            failOnErrors(ctx, "waiting for " + waitingFor);
            last = ctx.browser.js(script);
            if (done.test(last)) {
                return last;
            }
            if (ctx.clock.nanoTime() >= ctx.phaseDeadline()) {
                throw new ProbeFailure(Reason.UI_TIMEOUT, "no " + waitingFor + " within timeouts.ui ("
                        + ctx.probe.timeouts().ui().toMillis() / 1000.0 + " s); the page showed: " + Json.abbreviate(String.valueOf(last), 300));
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ProbeFailure(Reason.ABORTED, "interrupted while waiting for " + waitingFor);
            }
        }
    }

    /** What is left of the phase's budget. */
    static long remainingMillis(ProbeContext ctx) {
        return Math.max(0, (ctx.phaseDeadline() - ctx.clock.nanoTime()) / 1_000_000);
    }

    static Chromium browser(ProbeContext ctx) {
        if (ctx.browser == null || !ctx.browser.alive()) {
            throw new ProbeFailure(Reason.UI_FAILED, "the browser is gone (it crashed or was closed)");
        }
        return ctx.browser;
    }
}
