package dev.hubprobe.probe.steps;

import dev.hubprobe.json.Json;
import dev.hubprobe.probe.Phase;
import dev.hubprobe.probe.ProbeContext;
import dev.hubprobe.probe.ProbeStep;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The UI journey's steps, and its end on every path: a screenshot if a UI phase failed, the notebook's
 * tab closed with the browser, its session (kernel) and file deleted through the run's own REST client,
 * and the browser ended. Loaded only by runs with {@code ui:}.
 */
public final class UiCleanup {
    /** A stored screenshot's cap: a failing JupyterLab at 1280x900 is 100-300 KB. */
    public static final int MAX_SCREENSHOT = 512 * 1024;

    private UiCleanup() {
    }

    /**
     * The run's steps with the UI journey after them. {@code tree} is a file browser only (the page a
     * {@code /tree} default URL opens): ui_load alone; a notebook opens in the {@code notebook} app.
     */
    public static List<ProbeStep> after(List<ProbeStep> steps, String app) {
        List<ProbeStep> out = new ArrayList<>(steps);
        out.add(new UiLoadStep());
        if (!app.equals("tree")) {
            out.add(new UiKernelStep());
            out.add(new UiExecuteStep());
        }
        return List.copyOf(out);
    }

    /**
     * After the UI journey passed: a run whose apps look for no selector needs its browser no more. It ends
     * now, and its slot (ui.max_browsers, load --browsers) is free for the next UI run while this one's apps,
     * each up to its own budget, are fetched over HTTP; the notebook still goes at {@link #close}.
     */
    public static void journeyDone(ProbeContext ctx) {
        if (ctx.probe.apps().stream().anyMatch(a -> a.expect().selector() != null)) {
            return; // UiAppPage opens the apps in this browser
        }
        if (ctx.browser != null) {
            ctx.browser.close();
        }
        if (ctx.browserSlot != null) {
            ctx.browserSlot.run();
            ctx.browserSlot = null;
        }
    }

    /** Idempotent: the runner calls it after the steps and again in its finally. */
    public static void close(ProbeContext ctx, Phase failedPhase, Duration budget) {
        if (ctx.browser != null) {
            try {
                // a UI phase's failure, or an app's whose page the browser was checking (its expect.selector)
                boolean pageFailed = failedPhase != null && (failedPhase.name().startsWith("UI_")
                        || failedPhase == Phase.APP && ctx.facts.containsKey(UiAppPage.PAGE_FACT));
                if (ctx.screenshot == null && pageFailed && ctx.browser.alive()) {
                    byte[] png = ctx.browser.screenshot();
                    if (png.length <= MAX_SCREENSHOT) {
                        ctx.screenshot = png;
                    } else {
                        ctx.notes.add("the failing page's screenshot (" + png.length + " bytes) was over " + MAX_SCREENSHOT + " and not kept");
                    }
                }
            } catch (RuntimeException e) {
                ctx.notes.add("no screenshot of the failing page: " + Json.abbreviate(e.getMessage(), 200));
            } finally {
                ctx.browser.close();
            }
        }
        if (ctx.browserSlot != null) {
            ctx.browserSlot.run(); // the next UI run's browser may start
            ctx.browserSlot = null;
        }
        if (ctx.uiNotebook != null && ctx.kernels != null) {
            String path = ctx.uiNotebook;
            try {
                ctx.startPhase(budget);
                ctx.kernels.deleteSessionsOf(path);
                ctx.kernels.deleteFile(path);
                ctx.uiNotebook = null;
                UiPage.event(ctx, "ui: notebook " + path + " closed and deleted");
            } catch (RuntimeException e) {
                ctx.notes.add("the UI's notebook " + path + " could not be deleted: " + Json.abbreviate(e.getMessage(), 200));
            }
        }
    }
}
