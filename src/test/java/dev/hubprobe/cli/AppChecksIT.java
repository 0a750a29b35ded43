package dev.hubprobe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hubprobe.testhub.Cli;
import dev.hubprobe.testhub.RealHub;
import dev.hubprobe.testhub.RealHubExtension;
import dev.hubprobe.testhub.Service;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The probe's {@code apps:} on the real hub: the "apps" users' servers run jupyter-server-proxy with
 * the apps of src/test/hub/apps (hello works; broken answers 500; crashed exits at once, so the proxy
 * answers its own 500; hang never answers its /slow page). Each app is its own phase app_&lt;name&gt;.
 */
@ExtendWith(RealHubExtension.class)
class AppChecksIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String API_TOKEN = "apps-it-api-token";
    private final RealHub hub = RealHub.shared();

    @TempDir
    Path dir;

    private Path probe(String name, String apps) throws Exception {
        Path f = dir.resolve(name + ".yml");
        Files.writeString(f, "cells: [{code: \"print('ok')\", expect: {output_contains: ok}}]\n" + apps);
        return f;
    }

    private Cli.Result byToken(String user, Path probe, String... more) throws Exception {
        List<String> args = new ArrayList<>(List.of("check", "--hub-url", hub.url(), "--token-env", "HUB_TOKEN",
                "--user", user, "--probe", probe.toString(), "--format", "json"));
        args.addAll(List.of(more));
        return Cli.run(Map.of("HUB_TOKEN", hub.serviceToken()), args.toArray(String[]::new));
    }

    private Cli.Result byForm(String user, Path probe, String... more) throws Exception {
        List<String> args = new ArrayList<>(List.of("check", "--hub-url", hub.url(), "--username", user,
                "--password-env", "HUB_PASSWORD", "--probe", probe.toString(), "--format", "json"));
        args.addAll(List.of(more));
        return Cli.run(Map.of("HUB_PASSWORD", hub.password()), args.toArray(String[]::new));
    }

    private static JsonNode phase(JsonNode run, String name) {
        for (JsonNode p : run.path("phases")) {
            if (p.path("name").asText().equals(name)) {
                return p;
            }
        }
        throw new AssertionError("no phase " + name + " in " + run.toPrettyString());
    }

    private static JsonNode failed(Cli.Result r, String phase, String reason) throws Exception {
        assertEquals(1, r.exit(), () -> "exit code; stdout:\n" + r.stdout() + "\nstderr:\n" + r.stderr());
        JsonNode json = JSON.readTree(r.stdout());
        assertEquals(phase, json.path("failed_phase").asText(), json::toPrettyString);
        assertEquals(reason, json.path("reason").asText(), json::toPrettyString);
        JsonNode p = phase(json, phase);
        assertEquals("failed", p.path("status").asText());
        assertEquals(reason, p.path("reason").asText());
        return json;
    }

    private static void assertNoBrowserLeft(List<Long> before) {
        List<Long> left = UiJourneyIT.browserProcesses().stream().filter(p -> !before.contains(p)).toList();
        assertTrue(left.isEmpty(), () -> "browser processes left: " + left);
    }

    private void assertCleanedUp(String user) throws Exception {
        JsonNode model = hub.userModel(user);
        assertTrue(model == null || model.path("servers").isEmpty(), () -> "server left behind: " + model);
        assertTrue(hub.tokenNotes(user).stream().noneMatch(n -> n.startsWith("hubprobe run")), "minted token left behind");
        // the proxy's app processes end with their server (the hang app's stuck request included)
        List<String> apps = List.of();
        for (int i = 0; i < 100; i++) {
            apps = hub.serverProcesses().stream().filter(c -> c.contains("app_server.py") || c.contains("SystemExit(3)")).toList();
            if (apps.isEmpty()) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("app processes left behind: " + apps);
    }

    @Test
    void aWorkingAppPassesTimedInTheReportsByFormLoginAndABrokenOneFailsNamingStatusAndBody() throws Exception {
        // form login: the apps are fetched with the cookies of the OAuth hop to the server, as a browser's
        String user = RealHub.user("apps");
        Path junit = dir.resolve("junit.xml");
        Cli.Result r = byForm(user, probe("two", """
                apps:
                  - {path: /hello/, expect: {status: 200, contains: "hubprobe app ok"}}
                  - {path: /crashed/}
                """), "--junit", junit.toString());
        JsonNode json = failed(r, "app_crashed", "app_failed");
        JsonNode hello = phase(json, "app_hello");
        assertEquals("passed", hello.path("status").asText(), hello::toString);
        assertTrue(hello.path("duration_seconds").asDouble() > 0, hello::toString);
        assertEquals("passed", phase(json, "execute").path("status").asText(), "the cells ran before the apps");
        String message = json.path("message").asText();
        assertTrue(message.contains("/user/" + user + "/crashed/ answered 500 (expected 200)"), message);
        assertTrue(message.contains("page text '") && message.contains("could not start crashed in time"),
                "the proxy's own words, not the page's head: " + message);
        String xml = Files.readString(junit);
        assertTrue(xml.contains("name=\"app_hello\""), xml);
        assertTrue(Pattern.compile("name=\"app_crashed\"[^>]*>\\s*<failure[^>]*app_failed").matcher(xml).find(), xml);
        assertFalse(r.stdout().contains(hub.password()) || r.stderr().contains(hub.password()), "the password leaked");
        assertCleanedUp(user);
    }

    /**
     * With ui:, an app's expect.selector is looked for in the run's Chromium: spa renders #app-root from its script
     * (the HTML has only "loading"), its /broken throws first (an empty frame, 200 all the same).
     */
    @Test
    void anAppsSelectorIsLookedForInTheRunsChromiumAndAPageWithoutItFailsNamingIt() throws Exception {
        List<Long> before = UiJourneyIT.browserProcesses();
        String user = RealHub.user("apps");
        Path probe = probe("spa", """
                ui: {app: lab}
                apps:
                  - {path: /spa/, expect: {contains: loading, selector: "#app-root"}}
                  - {path: /spa/broken, name: blank, timeout: 5s, expect: {contains: loading, selector: "#app-root"}}
                """);
        JsonNode json = failed(byToken(user, probe), "app_blank", "app_failed");
        assertEquals("passed", phase(json, "ui_execute").path("status").asText(), "the UI journey ran first");
        JsonNode spa = phase(json, "app_spa");
        assertEquals("passed", spa.path("status").asText(), spa::toString);
        String message = json.path("message").asText();
        assertTrue(message.contains("GET /user/" + user + "/spa/broken loaded in the browser (status 200, title 'hubprobe spa')"
                + " without an element matching '#app-root' within the app's budget (5s)"), message);
        assertTrue(message.contains("page text 'loading'") && message.contains("hubprobe spa bundle failed"), message);
        StringBuilder events = new StringBuilder();
        json.path("transcript").path("events").forEach(e -> events.append(e.path("message").asText()).append('\n'));
        assertTrue(events.toString().contains("ui: app spa shows '#app-root'"), events.toString());
        // the failing app's page is kept, as a failing UI phase's is
        assertEquals("blank", json.path("facts").path("ui.app_page").asText(), json::toPrettyString);
        assertTrue(json.path("facts").path("ui.screenshot").asText().endsWith(" bytes"), json::toPrettyString);
        assertNoBrowserLeft(before);
        assertCleanedUp(user);
    }

    /**
     * A passing app's tab (and the popup its page opened) is closed: spa/noisy logs a console error every 200 ms,
     * which must not be counted as the next app's, whose failure names only what its own page logged.
     */
    @Test
    void aPassingAppsTabIsClosedSoItsConsoleIsNotTheNextAppsFailure() throws Exception {
        List<Long> before = UiJourneyIT.browserProcesses();
        String user = RealHub.user("apps");
        Path probe = probe("noisy", """
                ui: {app: lab}
                apps:
                  - {path: /spa/noisy, name: noisy, expect: {selector: "#app-root"}}
                  - {path: /spa/broken, name: blank, timeout: 5s, expect: {selector: "#app-root"}}
                """);
        JsonNode json = failed(byToken(user, probe), "app_blank", "app_failed");
        assertEquals("passed", phase(json, "app_noisy").path("status").asText(), json::toPrettyString);
        String message = json.path("message").asText();
        assertTrue(message.contains("hubprobe spa bundle failed"), message);
        assertFalse(message.contains("hubprobe spa noisy page"), "the passed app's page still ran: " + message);
        assertTrue(json.path("transcript").path("events").toString().contains("ui: the app's page had opened 1 more tab(s): closed with it"),
                json::toPrettyString);
        assertNoBrowserLeft(before);
        assertCleanedUp(user);
    }

    /** By form login the app's tab has the session the browser's own OAuth hop to the server gave it. */
    @Test
    void anAppsSelectorIsFoundByFormLoginToo() throws Exception {
        List<Long> before = UiJourneyIT.browserProcesses();
        String user = RealHub.user("apps");
        Cli.Result r = byForm(user, probe("spaform", """
                ui: {app: lab}
                apps: [{path: /spa/, expect: {selector: "#app-root"}}]
                """));
        assertEquals(0, r.exit(), () -> "exit code; stdout:\n" + r.stdout() + "\nstderr:\n" + r.stderr());
        JsonNode json = JSON.readTree(r.stdout());
        assertEquals("passed", phase(json, "app_spa").path("status").asText(), json::toPrettyString);
        assertTrue(json.path("transcript").path("events").toString().contains("ui: app spa shows '#app-root'"), json::toPrettyString);
        assertFalse(json.path("facts").has("ui.app_page"), "a passing app leaves no page fact: " + json.path("facts"));
        assertNoBrowserLeft(before);
        assertCleanedUp(user);
    }

    /** A page whose HTML comes but whose load never ends (an image that never answers): app_timeout in the browser. */
    @Test
    void anAppPageThatNeverLoadsInTheBrowserFailsWithAppTimeout() throws Exception {
        List<Long> before = UiJourneyIT.browserProcesses();
        String user = RealHub.user("apps");
        Path probe = probe("stall", """
                ui: {app: lab}
                apps: [{path: /spa/stall, timeout: 5s, expect: {selector: "#app-root"}}]
                """);
        JsonNode json = failed(byToken(user, probe), "app_spa_stall", "app_timeout");
        String message = json.path("message").asText();
        assertTrue(message.contains("GET /user/" + user + "/spa/stall did not load in the browser within the app's budget (5s)"), message);
        double took = phase(json, "app_spa_stall").path("duration_seconds").asDouble();
        assertTrue(took >= 4 && took < 10, "the app's own 5 s budget: " + took);
        assertNoBrowserLeft(before);
        assertCleanedUp(user);
    }

    /** A page that loads, then hangs its renderer (a script that never returns): app_timeout within the app's budget. */
    @Test
    void anAppPageThatHangsAfterItsLoadFailsWithAppTimeoutWithinItsBudget() throws Exception {
        List<Long> before = UiJourneyIT.browserProcesses();
        String user = RealHub.user("apps");
        Path probe = probe("busy", """
                ui: {app: lab}
                apps: [{path: /spa/busy, timeout: 5s, expect: {selector: "#app-root"}}]
                """);
        long start = System.nanoTime();
        JsonNode json = failed(byToken(user, probe), "app_spa_busy", "app_timeout");
        double took = phase(json, "app_spa_busy").path("duration_seconds").asDouble();
        assertTrue(took >= 4 && took < 9, "the app's own 5 s budget: " + took + "; " + json.path("message").asText());
        assertTrue(json.path("message").asText().contains("the app's budget (5s)"), json.path("message").asText());
        assertNoBrowserLeft(before);
        assertCleanedUp(user);
        double run = (System.nanoTime() - start) / 1e9;
        assertTrue(run < 90, "the whole check took " + run + " s");
    }

    @Test
    void anAppAnswering500FailsWithTheFirstBytesOfItsBodyByToken() throws Exception {
        String user = RealHub.user("apps");
        JsonNode json = failed(byToken(user, probe("broken", "apps: [{path: /broken/, name: backend}]\n")),
                "app_backend", "app_failed");
        String message = json.path("message").asText();
        assertTrue(message.contains("answered 500 (expected 200): 'app backend unavailable: database connection refused'"), message);
        assertCleanedUp(user);
    }

    @Test
    void aPageWithoutTheExpectedTextFails() throws Exception {
        String user = RealHub.user("apps");
        JsonNode json = failed(byToken(user, probe("text", "apps: [{path: /hello/, expect: {contains: RStudio}}]\n")),
                "app_hello", "app_failed");
        String message = json.path("message").asText();
        assertTrue(message.contains("answered 200 without 'RStudio'") && message.contains("hubprobe app ok"), message);
        assertCleanedUp(user);
    }

    @Test
    void aRedirectOutsideTheUsersServerIsNotFollowed() throws Exception {
        String user = RealHub.user("apps");
        JsonNode json = failed(byToken(user, probe("away", "apps: [{path: /away/}]\n")), "app_away", "app_failed");
        String message = json.path("message").asText();
        assertTrue(message.contains("GET /user/" + user + "/away/ answered 302 redirecting outside the user's server, to /hub/login: not followed"),
                message);
        assertCleanedUp(user);
    }

    @Test
    void anAppThatNeverAnswersFailsWithAppTimeoutWithinItsBudget() throws Exception {
        String user = RealHub.user("apps");
        // no name: given: app_hang_slow, from the path
        JsonNode json = failed(byToken(user, probe("hang", "apps: [{path: /hang/slow, timeout: 3s}]\n")),
                "app_hang_slow", "app_timeout");
        assertTrue(json.path("message").asText().contains("GET /user/" + user + "/hang/slow")
                && json.path("message").asText().contains("the app's budget: 3s"), json.path("message").asText());
        double took = phase(json, "app_hang_slow").path("duration_seconds").asDouble();
        assertTrue(took >= 2.9 && took < 6, "the app's own 3 s budget, not timeouts.app's 30 s: " + took);
        assertCleanedUp(user);
    }

    @Test
    void theServiceRecordsAppPhasesInTheApiPagesAndMetricsWithBoundedLabels() throws Exception {
        String user = RealHub.user("apps");
        Path probes = Files.createDirectories(dir.resolve("probes"));
        Files.writeString(probes.resolve("apps.yml"), """
                cells: [{code: "print('ok')", expect: {output_contains: ok}}]
                apps: [{path: /hello, expect: {contains: "hubprobe app ok"}}]
                """);
        // beside it on a server of its own: a probe whose app answers 500
        Files.writeString(probes.resolve("apps-broken.yml"), """
                server: auto
                cells: [{code: "print('ok')", expect: {output_contains: ok}}]
                apps: [{path: /broken/}]
                """);
        Path cfg = dir.resolve("hubprobe.yml");
        Files.writeString(cfg, """
                probes_dir: %s
                history: {path: data/h}
                server: {api_token: "${env:API_TOKEN}"}
                defaults: {interval: 1h}
                scheduler: {jitter: 1s}
                hubs:
                  - {name: apphub, url: %s, auth: {token: "${env:HUB_TOKEN}"}, user: %s, probes: [{probe: apps}, {probe: apps-broken}]}
                """.formatted(probes, hub.url(), user));
        try (Service s = Service.start(cfg, Map.of("HUB_TOKEN", hub.serviceToken(), "API_TOKEN", API_TOKEN),
                dir.resolve("svc.log"))) {
            awaitRuns(s, 2);
            JsonNode run = run(s, "apps");
            assertEquals("passed", run.path("status").asText(), run::toPrettyString);
            JsonNode hello = phase(run, "app_hello");
            // /hello answers the proxy's redirect to /hello/, within the server: followed
            assertEquals("passed", hello.path("status").asText());
            assertTrue(hello.path("duration_seconds").asDouble() > 0, hello::toString);

            String page = s.get("/runs/" + run.path("run_id").asText()).body();
            assertTrue(page.contains("data-phase=\"app_hello\""), page);

            String metrics = s.get("/metrics").body();
            Matcher m = Pattern.compile("hubprobe_phase_duration_seconds_count\\{([^}]*phase=\"app_hello\"[^}]*)} 1").matcher(metrics);
            assertTrue(m.find(), metrics);
            assertTrue(m.group(1).contains("hub=\"apphub\"") && m.group(1).contains("probe=\"apps\""), m.group(1));
            assertFalse(m.group(1).contains(user) || m.group(1).contains("/hello/"), "no user or path in a label: " + m.group(1));
            assertTrue(metrics.contains("hubprobe_phase_duration_seconds_bucket{hub=\"apphub\",phase=\"app_hello\",probe=\"apps\",le=\"30.0\"}"),
                    "the app's buckets reach seconds: " + metrics.lines().filter(l -> l.contains("app_hello")).toList());

            JsonNode broken = run(s, "apps-broken");
            assertEquals("failed", broken.path("status").asText(), broken::toPrettyString);
            assertEquals("app_broken", broken.path("failed_phase").asText());
            assertEquals("app_failed", broken.path("reason").asText());
            assertTrue(Pattern.compile("hubprobe_failures_total\\{hub=\"apphub\",phase=\"app_broken\",probe=\"apps-broken\",reason=\"app_failed\"} 1")
                    .matcher(metrics).find(), metrics.lines().filter(l -> l.startsWith("hubprobe_failures")).toList().toString());
            assertFalse(metrics.contains("phase=\"app_broken\",probe=\"apps-broken\",le="), "a failed app is counted, not timed");
            String status = s.get("/").body();
            assertTrue(status.contains("<span class=\"phase\">app_broken</span> · <code class=\"reason\">app_failed</code>"), status);
        }
        assertCleanedUp(user);
    }

    private static void awaitRuns(Service s, int n) throws Exception {
        for (int i = 0; i < 360; i++) {
            if (s.json("/api/v1/runs?hub=apphub").size() >= n) {
                return;
            }
            Thread.sleep(500);
        }
        throw new AssertionError("fewer than " + n + " runs recorded in 180 s");
    }

    private static JsonNode run(Service s, String probe) throws Exception {
        for (JsonNode r : s.json("/api/v1/runs?hub=apphub")) {
            if (r.path("probe").asText().equals(probe)) {
                return r;
            }
        }
        throw new AssertionError("no run of " + probe);
    }
}
