package dev.hubprobe.probe.steps;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hubprobe.browser.Chromium;
import dev.hubprobe.config.Durations;
import dev.hubprobe.json.Json;
import dev.hubprobe.probe.ProbeContext;
import dev.hubprobe.probe.ProbeDefinition;
import dev.hubprobe.probe.ProbeFailure;
import dev.hubprobe.probe.Reason;
import java.util.List;
import okhttp3.HttpUrl;

/**
 * An app of the probe opened in the run's Chromium (its {@code expect.selector}), after its page was fetched:
 * the app must render an element matching the selector within what is left of its budget. A page that
 * never loads is {@code app_timeout}; one that loads without the element, {@code app_failed} naming the
 * selector. Loaded only by runs whose apps have a selector, which only runs with {@code ui:} have.
 */
final class UiAppPage {
    /** The fact naming the app whose page the browser shows while its check has not passed. */
    static final String PAGE_FACT = "ui.app_page";

    private UiAppPage() {
    }

    static void check(ProbeContext ctx, ProbeDefinition.App app, HttpUrl url) {
        String selector = app.expect().selector();
        String budget = Durations.format(app.budget(ctx.probe.timeouts()));
        Chromium b = ctx.browser;
        if (b == null || !b.alive()) {
            // the UI phases were skipped for want of a browser (or never ran): the page is still checked over HTTP
            ctx.notes.add("app_" + app.name() + ": selector '" + Json.abbreviate(selector, 100) + "' not looked for: the run had no browser");
            return;
        }
        try {
            // while it is set, a failure of this phase is the page's: the run keeps a screenshot of it (UiCleanup)
            ctx.facts.put(PAGE_FACT, app.name());
            // what the pages before logged is theirs (recorded as events), not this app's
            UiPage.errors(ctx);
            String home = b.newTab();
            UiLoadStep.session(ctx, b);
            try {
                b.navigate(url.toString(), UiPage.remainingMillis(ctx));
            } catch (Chromium.BrowserTimeoutException e) {
                throw new ProbeFailure(Reason.APP_TIMEOUT, "GET " + Json.abbreviate(url.encodedPath(), 200)
                        + " did not load in the browser within the app's budget (" + budget + ")");
            }
            UiPage.event(ctx, "ui: app " + app.name() + " opened at " + url.encodedPath());
            String script = "let found = false, invalid = false;"
                    + " try { found = !!document.querySelector(arguments[0]); } catch (e) { invalid = true; }"
                    + " const n = performance.getEntriesByType('navigation')[0];"
                    + " return {found: found, invalid: invalid, status: n ? n.responseStatus : 0, title: document.title, path: location.pathname,"
                    + " text: document.body ? document.body.innerText.slice(0, 300) : ''};";
            while (true) {
                JsonNode v = b.js(script, selector);
                if (v.path("invalid").asBoolean()) {
                    throw new ProbeFailure(Reason.APP_FAILED, "selector '" + Json.abbreviate(selector, 100) + "' is not a CSS selector the browser takes");
                }
                if (v.path("found").asBoolean()) {
                    ctx.facts.remove(PAGE_FACT);
                    UiPage.event(ctx, "ui: app " + app.name() + " shows '" + Json.abbreviate(selector, 100) + "'");
                    closeTabs(ctx, b, home);
                    return;
                }
                if (ctx.aborted) {
                    throw new ProbeFailure(Reason.ABORTED, "the prober was asked to stop while app " + app.name() + " rendered");
                }
                if (ctx.clock.nanoTime() >= ctx.phaseDeadline()) {
                    List<String> errors = UiPage.errors(ctx);
                    String text = Json.oneLine(v.path("text").asText(""));
                    String landed = v.path("path").asText(url.encodedPath());
                    throw new ProbeFailure(Reason.APP_FAILED, "GET " + Json.abbreviate(url.encodedPath(), 200) + " loaded in the browser"
                            + (landed.equals(url.encodedPath()) ? "" : " at " + Json.abbreviate(Json.printable(landed), 200))
                            + " (status " + v.path("status").asInt() + ", title '" + Json.abbreviate(Json.printable(v.path("title").asText("")), 100)
                            + "') without an element matching '" + Json.abbreviate(selector, 100) + "' within the app's budget (" + budget + ")"
                            + "; page text '" + Json.abbreviate(text, AppStep.SHOWN) + "'"
                            + (errors.isEmpty() ? "" : "; the page logged: " + String.join(" | ", errors.subList(0, Math.min(3, errors.size())))));
                }
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new ProbeFailure(Reason.ABORTED, "interrupted while app " + app.name() + " rendered");
                }
            }
        } catch (Chromium.BrowserTimeoutException e) {
            throw new ProbeFailure(Reason.APP_TIMEOUT, "the browser did not answer within the app's budget (" + budget + "): " + e.getMessage());
        } catch (Chromium.BrowserException e) {
            throw new ProbeFailure(ctx.aborted ? Reason.ABORTED : Reason.APP_FAILED, "the browser failed opening app " + app.name() + ": " + e.getMessage());
        }
    }

    /**
     * A passing app's tab (and any its page opened) is closed: its scripts would otherwise run on beside the
     * next app's check, their console errors counted as that app's. A failing app's tab stays for the
     * run's screenshot; the browser ends with the run either way.
     */
    private static void closeTabs(ProbeContext ctx, Chromium b, String home) {
        try {
            int closed = b.closeTabsBut(home);
            if (closed > 1) {
                UiPage.event(ctx, "ui: the app's page had opened " + (closed - 1) + " more tab(s): closed with it");
            }
        } catch (Chromium.BrowserException e) {
            // the app passed; its tab ends with the browser at the end of the run
            ctx.notes.add("the app's tab could not be closed: " + Json.abbreviate(e.getMessage(), 200));
        }
    }
}
