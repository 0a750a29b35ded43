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
        String user = RealHub.user("apps");
        Path probes = Files.createDirectories(dir.resolve("probes"));
        // holder takes the one browser first and keeps it: after its UI journey, its app (the hang app's /slow,
        // which never answers) runs for its 25 s budget with the browser still its own
        Files.writeString(probes.resolve("holder.yml"), """
                ui: {app: lab}
                cells: [{code: "print('ok')", expect: {output_contains: ok}}]
                apps: [{path: /hang/slow, timeout: 25s}]
                """);
        // waiter, on a server of its own that starts 8 s later, asks for the browser while holder has it and
        // may wait 3 x 2 s
        Files.writeString(probes.resolve("waiter.yml"), """
                server: auto
                user_options: {fault: slow, delay: 8}
                timeouts: {ui: 2s}
                ui: {app: lab}
                cells: [{code: "print('ok')", expect: {output_contains: ok}}]
                """);
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
        try (Service s = Service.start(cfg, Map.of("HUB_TOKEN", hub.serviceToken(), "API_TOKEN", API_TOKEN), dir.resolve("svc.log"))) {
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
