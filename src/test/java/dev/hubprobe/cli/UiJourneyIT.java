package dev.hubprobe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hubprobe.testhub.Cli;
import dev.hubprobe.testhub.RealHub;
import dev.hubprobe.testhub.RealHubExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The UI journey (check --ui lab) in Debian's headless Chromium against the real hub, which serves
 * JupyterLab at /lab: a healthy run by token and by form login, a server without JupyterLab
 * (nolab: ui_not_found), a JupyterLab whose labextension fails to activate (brokenlab: ui_failed).
 * After every test: no Chromium or chromedriver of the run, no server, no notebook file, no token.
 */
@ExtendWith(RealHubExtension.class)
class UiJourneyIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final RealHub hub = RealHub.shared();
    private final List<String> users = new ArrayList<>();
    private Set<Long> driversBefore;

    @TempDir
    Path dir;

    @BeforeEach
    void before() {
        driversBefore = Set.copyOf(browserProcesses());
    }

    @AfterEach
    void nothingLeft() throws Exception {
        List<Long> left = browserProcesses().stream().filter(p -> !driversBefore.contains(p)).toList();
        assertTrue(left.isEmpty(), () -> "browser processes left: " + left.stream()
                .map(p -> ProcessHandle.of(p).flatMap(h -> h.info().commandLine()).orElse("?")).toList());
        for (String user : users) {
            JsonNode model = hub.userModel(user);
            assertTrue(model == null || model.path("servers").isEmpty(), () -> "server left behind: " + model);
            assertTrue(hub.tokens(user).isEmpty(), () -> "token left behind for " + user);
            Path home = hub.home(user);
            if (Files.isDirectory(home)) {
                try (Stream<Path> files = Files.list(home)) {
                    List<Path> notebooks = files.filter(f -> f.getFileName().toString().startsWith("hubprobe-ui-")).toList();
                    assertTrue(notebooks.isEmpty(), () -> "notebook left behind: " + notebooks);
                }
            }
        }
    }

    /** The run's Chromium (its profile is a hubprobe-chromium-* directory) and chromedriver processes. */
    static List<Long> browserProcesses() {
        try (Stream<ProcessHandle> all = ProcessHandle.allProcesses()) {
            return all.filter(ProcessHandle::isAlive).filter(h -> h.info().commandLine().map(c -> c.contains("hubprobe-chromium-")
                    || c.contains("chromedriver") && c.contains("--allowed-ips=127.0.0.1")).orElse(false)).map(ProcessHandle::pid).toList();
        }
    }

    private String user(String prefix) {
        String u = RealHub.user(prefix);
        users.add(u);
        return u;
    }

    private Cli.Result byToken(String user, String... more) throws Exception {
        return byTokenUi("lab", user, more);
    }

    private Cli.Result byTokenUi(String app, String user, String... more) throws Exception {
        List<String> args = new ArrayList<>(List.of("check", "--hub-url", hub.url(), "--token-env", "HUB_TOKEN", "--user", user,
                "--format", "json", "--ui", app));
        args.addAll(List.of(more));
        return Cli.run(Map.of("HUB_TOKEN", hub.serviceToken()), args.toArray(String[]::new));
    }

    private Cli.Result byForm(String user) throws Exception {
        return Cli.run(Map.of("HUB_PASSWORD", hub.password()), "check", "--hub-url", hub.url(), "--username", user,
                "--password-env", "HUB_PASSWORD", "--format", "json", "--ui", "lab");
    }

    private static JsonNode passed(Cli.Result r) throws Exception {
        assertEquals(0, r.exit(), () -> "exit code; stdout:\n" + r.stdout() + "\nstderr:\n" + r.stderr());
        JsonNode json = JSON.readTree(r.stdout());
        for (String phase : List.of("ui_load", "ui_kernel", "ui_execute")) {
            JsonNode p = phase(json, phase);
            assertEquals("passed", p.path("status").asText(), json::toString);
            assertTrue(p.path("duration_seconds").asDouble() > 0, () -> phase + " timed: " + p);
        }
        String ran = json.path("transcript").path("cells").toString();
        assertTrue(ran.contains("typed in the page"), ran);
        return json;
    }

    private static JsonNode failed(Cli.Result r, String phase, String reason) throws Exception {
        assertEquals(1, r.exit(), () -> "exit code; stdout:\n" + r.stdout() + "\nstderr:\n" + r.stderr());
        JsonNode json = JSON.readTree(r.stdout());
        assertEquals(phase, json.path("failed_phase").asText(), json::toString);
        assertEquals(reason, json.path("reason").asText(), json::toString);
        return json;
    }

    private static JsonNode phase(JsonNode json, String name) {
        for (JsonNode p : json.path("phases")) {
            if (p.path("name").asText().equals(name)) {
                return p;
            }
        }
        throw new AssertionError("no phase " + name + " in " + json);
    }

    private static String events(JsonNode json) {
        StringBuilder b = new StringBuilder();
        json.path("transcript").path("events").forEach(e -> b.append(e.path("message").asText()).append('\n'));
        return b.toString();
    }

    @Test
    void aHealthyJupyterLabPassesTheUiJourneyByToken() throws Exception {
        JsonNode json = passed(byToken(user("uitoken")));
        String events = events(json);
        assertTrue(events.contains("ui: lab loaded at /user/"), events);
        assertTrue(events.contains("closed and deleted"), events);
    }

    @Test
    void aHealthyJupyterLabPassesByFormLoginAndTheBrowserMakesTheOAuthHop() throws Exception {
        JsonNode json = passed(byForm(user("uiform")));
        String events = events(json);
        assertTrue(events.matches("(?s).*ui: browser OAuth hop: /user/[^ ]+/lab -> /hub/api/oauth2/authorize -> /user/[^ ]+/oauth_callback"
                + " -> /user/[^ ]+/lab.*"), events);
        assertTrue(!events.contains("code=") && !events.contains("state="), "the hop's query (code, state) is never kept: " + events);
    }

    @Test
    void aServerWithoutJupyterLabFailsUiLoadWithUiNotFound() throws Exception {
        JsonNode json = failed(byToken(user("nolab")), "ui_load", "ui_not_found");
        String message = json.path("message").asText();
        assertTrue(message.contains("answered 404"), message);
        assertEquals("passed", phase(json, "execute").path("status").asText(), "the API part of the run passed: " + json);
    }

    /** Notebook 7 (in the harness's lock beside JupyterLab): its own shell at /tree, then a notebook at /notebooks/. */
    @Test
    void aHealthyNotebook7PassesTheUiJourneyInItsOwnShell() throws Exception {
        String user = user("uinb");
        JsonNode json = passed(byTokenUi("notebook", user));
        String events = events(json);
        assertTrue(events.contains("ui: browser opened /user/" + user + "/tree"), events);
        assertTrue(events.contains("ui: notebook loaded at /user/" + user + "/tree"), events);
        assertTrue(events.matches("(?s).*ui: notebook hubprobe-ui-[0-9a-f]{8}\\.ipynb open, kernel Python 3 \\(ipykernel\\) idle.*"), events);
        assertTrue(events.contains("ui: cell ran in the page: 42"), events);
        assertTrue(events.contains("closed and deleted"), events);
    }

    /** tree is Notebook 7's file browser alone: ui_load (shell and listing), no notebook of its own. */
    @Test
    void theTreeAppPassesUiLoadAloneOnNotebook7sFileBrowser() throws Exception {
        String user = user("uitree");
        Cli.Result r = byTokenUi("tree", user);
        assertEquals(0, r.exit(), () -> "exit code; stdout:\n" + r.stdout() + "\nstderr:\n" + r.stderr());
        JsonNode json = JSON.readTree(r.stdout());
        JsonNode load = phase(json, "ui_load");
        assertEquals("passed", load.path("status").asText(), json::toString);
        assertTrue(load.path("duration_seconds").asDouble() > 0, load::toString);
        for (JsonNode p : json.path("phases")) {
            assertTrue(!p.path("name").asText().equals("ui_kernel") && !p.path("name").asText().equals("ui_execute"),
                    () -> "a file browser has no notebook phases: " + json);
        }
        assertTrue(events(json).contains("ui: tree loaded at /user/" + user + "/tree"), events(json));
    }

    /** An image without JupyterLab has no Notebook 7 either (it is built on JupyterLab): /tree is a 404. */
    @Test
    void aServerWithoutJupyterLabFailsTheNotebookAndTreeAppsWithUiNotFound() throws Exception {
        for (String app : List.of("notebook", "tree")) {
            String user = user("nolab");
            JsonNode json = failed(byTokenUi(app, user), "ui_load", "ui_not_found");
            String message = json.path("message").asText();
            assertTrue(message.contains("GET /user/" + user + "/tree answered 404") && message.contains("no " + app + " app"), message);
        }
    }

    @Test
    void aLabextensionThatFailsToActivateFailsUiLoadWithTheConsoleErrorInTheMessage() throws Exception {
        JsonNode json = failed(byToken(user("brokenlab")), "ui_load", "ui_failed");
        String message = json.path("message").asText();
        assertTrue(message.contains("Plugin 'hubprobe-broken-ui:plugin' failed to activate"), message);
        assertTrue(events(json).contains("ui: console error:"), events(json));
    }

    @Test
    void aUiPhaseOutOfTimeFailsWithUiTimeoutAndLeavesNoBrowser() throws Exception {
        Path probe = dir.resolve("quick.yml");
        // 1 s is enough to start Chromium, never to load JupyterLab's bundle and shell
        Files.writeString(probe, "timeouts: {ui: 1s}\nui: {app: lab}\ncells:\n  - code: print(1)\n");
        JsonNode json = failed(Cli.run(Map.of("HUB_TOKEN", hub.serviceToken()), "check", "--hub-url", hub.url(), "--token-env",
                "HUB_TOKEN", "--user", user("uitimeout"), "--format", "json", "--probe", probe.toString()), "ui_load", "ui_timeout");
        assertTrue(json.path("message").asText().contains("timeouts.ui (1.0 s)"), json::toString);
    }

    /** SIGTERM of check while its Chromium is open: the run is aborted, and the browser goes with it. */
    @Test
    void aSigtermWhileTheBrowserIsOpenLeavesNoBrowserNorServer() throws Exception {
        String user = user("uisigterm");
        ProcessBuilder pb = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                Cli.jar().toString(), "check", "--hub-url", hub.url(), "--token-env", "HUB_TOKEN", "--user", user, "--ui", "lab",
                "--format", "json"))
                .redirectOutput(dir.resolve("out.json").toFile()).redirectError(dir.resolve("err.txt").toFile());
        pb.environment().put("HUB_TOKEN", hub.serviceToken());
        Process p = pb.start();
        try {
            dev.hubprobe.testhub.Await.until("the run's Chromium", 120, () -> browserProcesses().stream()
                    .anyMatch(pid -> !driversBefore.contains(pid)));
            p.destroy(); // SIGTERM
            assertTrue(p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS), "check did not stop within 120 s of SIGTERM");
            JsonNode json = JSON.readTree(Files.readString(dir.resolve("out.json")));
            assertEquals("aborted", json.path("reason").asText(), json::toString);
        } finally {
            p.destroyForcibly();
        }
    }

    /** A check without --ui loads nothing of the browser: issue 25 counts check's start-up classes. */
    @Test
    void aCheckWithoutUiLoadsNoBrowserClass() throws Exception {
        ProcessBuilder pb = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-verbose:class",
                "-jar", Cli.jar().toString(), "check", "--hub-url", hub.url(), "--token-env", "HUB_TOKEN", "--user", user("uinone"),
                "--format", "json")).redirectErrorStream(true).redirectOutput(dir.resolve("classes.txt").toFile());
        pb.environment().put("HUB_TOKEN", hub.serviceToken());
        Process p = pb.start();
        p.getOutputStream().close();
        pb(p);
        String loaded = Files.readString(dir.resolve("classes.txt"));
        assertTrue(loaded.contains("dev.hubprobe.probe.steps.ExecuteStep"), "the run got as far as its cells");
        assertTrue(!loaded.contains("dev.hubprobe.browser.") && !loaded.contains("dev.hubprobe.probe.steps.Ui"),
                () -> loaded.lines().filter(l -> l.contains("browser.") || l.contains("steps.Ui")).toList().toString());
    }

    private static void pb(Process p) throws InterruptedException {
        assertTrue(p.waitFor(300, java.util.concurrent.TimeUnit.SECONDS), "check did not end");
    }
}
