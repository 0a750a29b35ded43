package dev.hubprobe.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hubprobe.testhub.RealHub;
import dev.hubprobe.testhub.RealHubExtension;
import dev.hubprobe.testhub.Service;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * ui.max_browsers in the running service, on the real hub: with one browser, a UI run that finds it taken
 * for longer than its bound (3 x timeouts.ui) has its UI phases skipped, stands on its API phases, and is
 * counted as a misfire with reason no_browser.
 */
@ExtendWith(RealHubExtension.class)
class BrowserSlotsIT {
    private static final String API_TOKEN = "browser-slots-it-api-token";
    private final RealHub hub = RealHub.shared();

    @TempDir
    Path dir;

    @Test
    void aUiRunThatFindsTheOnlyBrowserTakenPastItsBoundIsSkippedAndCountedAsNoBrowser() throws Exception {
        // holder's app looks for a selector in its browser: the browser stays its own while the app runs
        try (Service s = start("apps: [{path: /hang/slow, timeout: 25s, expect: {selector: \"#app-root\"}}]", "2s")) {
            JsonNode waiter = awaitRun(s, "waiter");
            assertEquals("passed", waiter.path("status").asText(), "the run stands on its API phases: " + waiter.toPrettyString());
            for (String phase : new String[] {"ui_load", "ui_kernel", "ui_execute"}) {
                assertEquals("skipped", phase(waiter, phase).path("status").asText(), waiter::toPrettyString);
            }
            assertEquals("passed", phase(waiter, "execute").path("status").asText(), waiter::toPrettyString);
            assertEquals("no_browser", waiter.path("facts").path("ui.skipped").asText(), waiter::toPrettyString);
            assertTrue(waiter.path("notes").toString().contains("no browser was free within 6 s"), waiter::toPrettyString);
            String metrics = s.get("/metrics").body();
            assertTrue(Pattern.compile("hubprobe_schedule_misfires_total\\{hub=\"slothub\",probe=\"waiter\",reason=\"no_browser\"} 1(\\.0)?\\b")
                    .matcher(metrics).find(), metrics.lines().filter(l -> l.contains("misfires")).toList().toString());
            JsonNode holder = awaitRun(s, "holder");
            assertEquals("passed", phase(holder, "ui_execute").path("status").asText(), "holder had the browser: " + holder.toPrettyString());
            assertTrue(!metrics.contains("probe=\"holder\",reason=\"no_browser\""), "holder was never skipped");
        }
        assertNoServerLeft();
    }

    /**
     * A run whose apps look for no selector needs no browser after its UI journey: it ends its browser then, and the
     * other UI run gets the one browser while the holder's app still hangs.
     */
    @Test
    void aRunWhoseAppsNeedNoBrowserFreesItsBrowserAfterItsUiJourney() throws Exception {
        try (Service s = start("apps: [{path: /hang/slow, timeout: 25s}]", "60s")) {
            JsonNode waiter = awaitRun(s, "waiter");
            for (String phase : new String[] {"ui_load", "ui_kernel", "ui_execute"}) {
                assertEquals("passed", phase(waiter, phase).path("status").asText(), waiter::toPrettyString);
            }
            assertTrue(!waiter.path("facts").has("ui.skipped"), waiter::toPrettyString);
            // it asked around holder's UI journey: it waited at most for that journey, not for holder's app (25 s) too
            double waited = waiter.path("facts").path("ui.browser_wait_seconds").asDouble(-1);
            assertTrue(waited >= 0 && waited < 12, "waited for the browser: " + waited + " s; " + waiter.path("facts"));
            JsonNode holder = awaitRun(s, "holder");
            assertEquals("passed", phase(holder, "ui_execute").path("status").asText(), holder::toPrettyString);
            assertEquals("app_timeout", phase(holder, "app_hang_slow").path("reason").asText(), holder::toPrettyString);
            assertTrue(!s.get("/metrics").body().contains("reason=\"no_browser\""), "no run was skipped for want of a browser");
        }
        assertNoServerLeft();
    }

    /** The service with ui.max_browsers: 1, a holder probe (its UI journey, then these apps) and a waiter (its timeouts.ui). */
    private Service start(String holderApps, String waiterUi) throws Exception {
        String user = RealHub.user("apps");
        this.user = user;
        Path probes = Files.createDirectories(dir.resolve("probes"));
        // holder takes the one browser first: after its UI journey, its app (the hang app's /slow, which never
        // answers) runs for its 25 s budget
        Files.writeString(probes.resolve("holder.yml"), """
                ui: {app: lab}
                cells: [{code: "print('ok')", expect: {output_contains: ok}}]
                """ + holderApps + "\n");
        // waiter, on a server of its own that starts 8 s later, asks for the browser while holder's app runs and
        // may wait 3 x timeouts.ui
        Files.writeString(probes.resolve("waiter.yml"), """
                server: auto
                user_options: {fault: slow, delay: 8}
                timeouts: {ui: %s}
                ui: {app: lab}
                cells: [{code: "print('ok')", expect: {output_contains: ok}}]
                """.formatted(waiterUi));
        Path cfg = dir.resolve("hubprobe.yml");
        Files.writeString(cfg, """
                probes_dir: %s
                history: {path: data/h}
                server: {api_token: "${env:API_TOKEN}"}
                defaults: {interval: 1h}
                scheduler: {jitter: 1s}
                ui: {max_browsers: 1}
                hubs:
                  - {name: slothub, url: %s, auth: {token: "${env:HUB_TOKEN}"}, user: %s, probes: [{probe: holder}, {probe: waiter}]}
                """.formatted(probes, hub.url(), user));
        return Service.start(cfg, Map.of("HUB_TOKEN", hub.serviceToken(), "API_TOKEN", API_TOKEN), dir.resolve("svc.log"));
    }

    private String user;

    private void assertNoServerLeft() throws Exception {
        JsonNode model = hub.userModel(user);
        assertTrue(model == null || model.path("servers").isEmpty(), () -> "server left behind: " + model);
    }

    private static JsonNode awaitRun(Service s, String probe) throws Exception {
        for (int i = 0; i < 360; i++) {
            for (JsonNode r : s.json("/api/v1/runs?hub=slothub")) {
                if (r.path("probe").asText().equals(probe)) {
                    return r;
                }
            }
            Thread.sleep(500);
        }
        throw new AssertionError("no run of " + probe + " recorded in 180 s");
    }

    private static JsonNode phase(JsonNode run, String name) {
        for (JsonNode p : run.path("phases")) {
            if (p.path("name").asText().equals(name)) {
                return p;
            }
        }
        throw new AssertionError("no phase " + name + " in " + run.toPrettyString());
    }
}
