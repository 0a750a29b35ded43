package dev.hubprobe.probe.steps;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hubprobe.browser.Chromium;
import dev.hubprobe.json.Json;
import dev.hubprobe.probe.Phase;
import dev.hubprobe.probe.ProbeContext;
import dev.hubprobe.probe.ProbeFailure;
import dev.hubprobe.probe.ProbeTarget;
import dev.hubprobe.probe.Reason;
import java.util.ArrayList;
import java.util.List;
import okhttp3.Cookie;
import okhttp3.HttpUrl;

/**
 * ui_load: Chromium, logged in as the run, opens {@code /user/NAME/<app>} and waits until the app's shell
 * is interactive (JupyterLab: the main dock panel and the launcher; Notebook 7's {@code notebook} and {@code tree}:
 * its top and main panels with the file browser's listing, at {@code /tree}) with no error in the console.
 *
 * <p>Logged in as the run: with a form login, the browser gets the hub's session cookies the run holds
 * (not the server's: the browser makes the OAuth hop to the server itself, as a person's does, and the
 * hop's redirects go into the run's events). With an API token, Jupyter Server's hub auth accepts a
 * browser's page only by cookie or by {@code Authorization} header (a token in the URL is refused since
 * JupyterHub 5, and the hub's authorize endpoint takes no token): the browser sends the run's token as
 * that header, to the hub's origin only.
 */
public final class UiLoadStep extends UiStep {
    @Override
    public Phase phase() {
        return Phase.UI_LOAD;
    }

    @Override
    void runInBrowser(ProbeContext ctx) {
        HttpUrl hub = ctx.hub.baseUrl();
        // the browser reaches the hub and the user's server only: the run's token header and the hub's
        // cookies never go to another origin a hostile page sends it to
        List<String> origins = new ArrayList<>(List.of(hub.host() + ":" + hub.port()));
        if (!ctx.serverUrl.host().equals(hub.host()) || ctx.serverUrl.port() != hub.port()) {
            origins.add(ctx.serverUrl.host() + ":" + ctx.serverUrl.port());
        }
        ctx.browser = Chromium.start(ctx.probe.ui().browserOrDefault(), ctx.clock::nanoTime, ctx.phaseDeadline(), origins);
        Chromium b = ctx.browser;
        session(ctx, b);
        String app = ctx.probe.ui().app();
        HttpUrl url = ctx.serverUrl.resolve(UiPage.appPath(app));
        b.navigate(url.toString(), UiPage.remainingMillis(ctx));
        JsonNode nav = b.js("const n = performance.getEntriesByType('navigation')[0];"
                + " return {status: n ? n.responseStatus : 0, url: location.href, title: document.title};");
        hop(ctx, url);
        int status = nav.path("status").asInt();
        String landed = HttpUrl.parse(nav.path("url").asText(url.toString())) == null ? url.encodedPath()
                : HttpUrl.parse(nav.path("url").asText()).encodedPath();
        if (status == 404 || status >= 500) {
            throw new ProbeFailure(Reason.UI_NOT_FOUND, "GET " + landed + " answered " + status + " in the browser: the server has no "
                    + app + " app (an image without it?) or it failed (" + Json.abbreviate(nav.path("title").asText(), 100) + ")");
        }
        if (landed.startsWith(hub.encodedPath() + "hub/login")) {
            throw new ProbeFailure(Reason.UI_FAILED, "the browser was sent to the hub's login page: the run's session did not reach it");
        }
        ctx.facts.put("ui.app", app);
        if (app.equals("lab")) {
            UiPage.await(ctx, "return {dock: !!document.querySelector('#jp-main-dock-panel'), launcher: !!document.querySelector('.jp-Launcher')};",
                    v -> v.path("dock").asBoolean() && v.path("launcher").asBoolean(), "JupyterLab shell (main dock panel and launcher)");
        } else {
            // Notebook 7's own shell (its top panel with the notebook logo, its single main panel: no Lab dock),
            // its file browser in that panel, and the listing of the home folder drawn (the contents API answered)
            UiPage.await(ctx, "return {top: !!document.querySelector('#top-panel #jp-NotebookLogo'),"
                            + " main: !!document.querySelector('#main-panel') && !document.querySelector('#jp-main-dock-panel'),"
                            + " listing: !!document.querySelector('#main-panel .jp-FileBrowser .jp-DirListing-content'),"
                            + " crumbs: !!document.querySelector('#main-panel .jp-FileBrowser .jp-BreadCrumbs'),"
                            // tree on a classic Notebook 6 server (still the single-user app of many JupyterHub 4 images):
                            // its own file list, as the release before accepted; the notebook app needs Notebook 7
                            + " classic: !!document.querySelector('#notebook_list')};",
                    v -> (v.path("top").asBoolean() && v.path("main").asBoolean() && v.path("listing").asBoolean() && v.path("crumbs").asBoolean())
                            || (app.equals("tree") && v.path("classic").asBoolean()),
                    app.equals("tree") ? "Notebook 7 shell (top panel, main panel) and its file browser, or the classic notebook's file list"
                            : "Notebook 7 shell (top panel, main panel) and its file browser");
        }
        // plugins activate around the shell's first paint: a failed one logs just after it
        sleepQuietly(500);
        UiPage.failOnErrors(ctx, "loading " + url.encodedPath());
        UiPage.event(ctx, "ui: " + app + " loaded at " + landed);
    }

    /**
     * Gives the browser's current tab the run's session: the hub's cookies (form login) or the token header,
     * which DevTools sets per tab (an app opened in a tab of its own needs it again, see UiAppPage).
     */
    static void session(ProbeContext ctx, Chromium b) {
        HttpUrl hub = ctx.hub.baseUrl();
        b.cdp("Network.enable", Json.object());
        if (ctx.formLogin()) {
            ArrayNode cookies = Json.array();
            for (Cookie c : ctx.hub.cookiesFor(hub.resolve("hub/"))) {
                ObjectNode o = cookies.addObject();
                o.put("name", c.name()).put("value", c.value()).put("domain", hub.host()).put("path", c.path())
                        .put("secure", c.secure()).put("httpOnly", c.httpOnly());
            }
            ObjectNode params = Json.object();
            params.set("cookies", cookies);
            b.cdp("Network.setCookies", params);
        } else {
            String token = ctx.mintedToken != null ? ctx.mintedToken.value()
                    : ((ProbeTarget.Token) ctx.target.credentials()).secret().reveal();
            ObjectNode params = Json.object();
            params.putObject("headers").put("Authorization", "token " + token);
            b.cdp("Network.setExtraHTTPHeaders", params);
        }
    }

    /** The page's navigations (the OAuth hop's redirects among them), as paths without their query. */
    private static void hop(ProbeContext ctx, HttpUrl start) {
        List<String> chain = new ArrayList<>();
        for (JsonNode e : ctx.browser.log("performance")) {
            try {
                JsonNode m = Json.mapper().readTree(e.path("message").asText()).path("message");
                if (m.path("method").asText().equals("Network.requestWillBeSent") && m.path("params").path("type").asText().equals("Document")) {
                    HttpUrl u = HttpUrl.parse(m.path("params").path("request").path("url").asText());
                    if (u != null) {
                        chain.add(u.encodedPath()); // the query holds the OAuth code and state: never kept
                    }
                }
            } catch (java.io.IOException | RuntimeException ignored) {
                // a log line that is not JSON says nothing about the navigation
            }
        }
        if (chain.size() > 1 || chain.stream().anyMatch(p -> p.contains("oauth"))) {
            UiPage.event(ctx, "ui: browser OAuth hop: " + String.join(" -> ", chain));
        } else {
            UiPage.event(ctx, "ui: browser opened " + start.encodedPath());
        }
    }

    private static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
