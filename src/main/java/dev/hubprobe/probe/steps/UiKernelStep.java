package dev.hubprobe.probe.steps;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hubprobe.browser.Chromium;
import dev.hubprobe.probe.Phase;
import dev.hubprobe.probe.ProbeContext;
import dev.hubprobe.probe.ProbeFailure;
import dev.hubprobe.probe.Reason;

/**
 * ui_kernel: a new notebook, made the way a person makes one (JupyterLab: the launcher's first notebook
 * card, the server's default kernel), gets a kernel that the page shows idle. The page starts the kernel
 * itself, over its own websocket. The notebook's path is read from its tab as soon as it opens, so that
 * cleanup deletes that file (and no one else's) on every path.
 */
public final class UiKernelStep extends UiStep {
    private static final String CARD = ".jp-Launcher .jp-LauncherCard[data-category=\"Notebook\"]";

    @Override
    public Phase phase() {
        return Phase.UI_KERNEL;
    }

    @Override
    void runInBrowser(ProbeContext ctx) {
        Chromium b = UiPage.browser(ctx);
        if (!ctx.probe.ui().app().equals("lab")) {
            notebook7(ctx, b);
            return;
        }
        JsonNode card = UiPage.await(ctx, "const c = document.querySelector('" + CARD.replace("'", "\\'") + "');"
                + " const r = c && c.getBoundingClientRect();"
                + " return {ready: !!r && r.width > 0, x: r ? r.left + r.width / 2 : 0, y: r ? r.top + r.height / 2 : 0,"
                + " title: c ? c.getAttribute('title') : null};", v -> v.path("ready").asBoolean(), "the launcher's notebook card");
        b.clickAt(card.path("x").asDouble(), card.path("y").asDouble());
        JsonNode opened = UiPage.await(ctx, "const t = document.querySelector('.lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current');"
                + " const m = t && /Path: ([^\\n]+)/.exec(t.getAttribute('title') || '');"
                + " return {path: m ? m[1] : null, notebook: !!document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell')};",
                v -> v.hasNonNull("path") && v.path("path").asText().endsWith(".ipynb") && v.path("notebook").asBoolean(), "a new notebook's tab");
        String path = opened.path("path").asText();
        if (path.contains("..") || path.startsWith("/")) {
            throw new ProbeFailure(Reason.UI_FAILED, "the new notebook's tab names an odd path: " + path);
        }
        ctx.uiNotebook = path;
        UiPage.await(ctx, "const p = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');"
                        + " const i = p && p.querySelector('.jp-Notebook-ExecutionIndicator');"
                        + " const k = p && p.querySelector('.jp-KernelName');"
                        + " return {status: i ? i.dataset.status : null, kernel: k ? k.innerText : null};",
                v -> "idle".equals(v.path("status").asText()) && v.hasNonNull("kernel") && !v.path("kernel").asText().isBlank()
                        && !v.path("kernel").asText().contains("No Kernel"), "idle kernel in the new notebook " + path);
        UiPage.event(ctx, "ui: new notebook " + path + " open (" + card.path("title").asText("") + "), kernel idle");
    }

    /**
     * Notebook 7 (and its tree): its New menu opens the notebook in another window, which a run does not
     * follow; the run writes a notebook of its own name and opens its page, which starts the kernel it names.
     */
    private static void notebook7(ProbeContext ctx, Chromium b) {
        String path = "hubprobe-ui-" + ctx.runId.substring(0, 8) + ".ipynb";
        ctx.uiNotebook = path; // before it exists: a failed write is still looked for at cleanup
        String kernel = ctx.facts.getOrDefault("kernel", ctx.probe.kernel() != null ? ctx.probe.kernel() : "python3");
        ctx.kernels.createNotebook(path, kernel);
        b.navigate(ctx.serverUrl.resolve(UiPage.notebookPath("notebook", path)).toString(), UiPage.remainingMillis(ctx));
        String state = "const i = document.querySelector('.jp-Notebook-ExecutionIndicator');"
                + " const k = document.querySelector('.jp-KernelName'); const d = document.querySelector('.jp-Dialog');"
                + " return {notebook: !!document.querySelector('#main-panel .jp-Notebook .jp-Cell'), status: i ? i.dataset.status : null,"
                + " kernel: k ? k.innerText : null, dialog: d ? d.innerText : null};";
        java.util.function.Predicate<JsonNode> ready = v -> v.path("notebook").asBoolean() && "idle".equals(v.path("status").asText())
                && v.path("dialog").isNull() && v.hasNonNull("kernel") && !v.path("kernel").asText().isBlank()
                && !v.path("kernel").asText().contains("No Kernel");
        JsonNode v = UiPage.await(ctx, state, x -> ready.test(x) || x.hasNonNull("dialog"), "idle kernel in the notebook " + path);
        if (!ready.test(v)) {
            // Notebook 7 may ask which kernel to start (when the page set up the notebook's session before it had the
            // kernel specs); a person takes the preferred kernel it offers, and so does the run: once
            String asked = v.path("dialog").asText();
            if (!answerKernelDialog(b, path)) {
                throw new ProbeFailure(Reason.UI_FAILED, "the notebook " + path + " opened with a dialog: "
                        + dev.hubprobe.json.Json.abbreviate(dev.hubprobe.json.Json.oneLine(asked), 300));
            }
            UiPage.event(ctx, "ui: the page asked which kernel to start for " + path + ": its preferred one taken");
            v = UiPage.await(ctx, state, x -> ready.test(x) || x.hasNonNull("dialog") && !x.path("dialog").asText().equals(asked),
                    "idle kernel in the notebook " + path);
            if (!ready.test(v)) {
                throw new ProbeFailure(Reason.UI_FAILED, "the notebook " + path + " opened with a dialog: "
                        + dev.hubprobe.json.Json.abbreviate(dev.hubprobe.json.Json.oneLine(v.path("dialog").asText()), 300));
            }
        }
        UiPage.event(ctx, "ui: notebook " + path + " open, kernel " + v.path("kernel").asText(kernel) + " idle");
    }

    /**
     * Accepts the page's kernel-selection dialog, and nothing else: the only dialog open, titled "Select
     * Kernel", with JupyterLab's kernel selector (a select under the label "Select kernel for: "NAME"")
     * naming this run's notebook. Any other dialog (one of the page's own with the same class, one merely
     * mentioning "Select Kernel", a second one beside it) is left alone: the run fails naming it.
     *
     * @return whether the kernel dialog's accept button was clicked
     */
    static boolean answerKernelDialog(Chromium b, String notebook) {
        return b.js("const ds = document.querySelectorAll('.jp-Dialog'); if (ds.length !== 1) { return false; }"
                + " const d = ds[0]; const h = d.querySelector('.jp-Dialog-header'); const l = d.querySelector('.jp-Dialog-body label');"
                + " const a = d.querySelectorAll('.jp-Dialog-footer .jp-Dialog-button.jp-mod-accept');"
                + " if (!h || h.innerText.trim() !== 'Select Kernel' || !d.querySelector('.jp-Dialog-body select') || !l"
                + " || l.textContent.trim() !== 'Select kernel for: \"' + arguments[0] + '\"' || a.length !== 1) { return false; }"
                + " a[0].click(); return true;", notebook).asBoolean();
    }
}
