package dev.hubprobe.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hubprobe.config.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The probe file's {@code apps:}: names bounded and label-safe, paths under the server, mistakes named with their key path. */
class AppsDefinitionTest {
    @TempDir
    Path dir;

    private ProbeDefinition load(String apps) throws Exception {
        Path f = dir.resolve("apps.yml");
        Files.writeString(f, "cells: [{code: print(1)}]\n" + apps);
        return ProbeDefinition.load(f);
    }

    private ConfigException bad(String apps) {
        return assertThrows(ConfigException.class, () -> load(apps));
    }

    @Test
    void appsAreReadWithNamesFromTheKeyOrThePathAndDefaults() throws Exception {
        ProbeDefinition p = load("""
                apps:
                  - {path: /rstudio/, expect: {status: 200, contains: "RStudio"}}
                  - {path: "/proxy/8080/index.html?x=1", name: web, timeout: 5s}
                  - {path: /VS-Code/}
                timeouts: {app: 12s}
                """);
        assertEquals(List.of("rstudio", "web", "vs_code"), p.apps().stream().map(ProbeDefinition.App::name).toList());
        ProbeDefinition.App rstudio = p.apps().get(0);
        assertEquals(200, rstudio.expect().status());
        assertEquals("RStudio", rstudio.expect().contains());
        assertEquals(Duration.ofSeconds(12), rstudio.budget(p.timeouts()), "timeouts.app when the app sets none");
        assertEquals(Duration.ofSeconds(5), p.apps().get(1).budget(p.timeouts()));
        ProbeDefinition.App vs = p.apps().get(2);
        assertEquals(200, vs.expect().status(), "200 unless given");
        assertNull(vs.expect().contains());
        assertEquals(p.timeouts().total().plusSeconds(12 + 5 + 12), p.budget(), "a run's budget counts each app's");
    }

    @Test
    void withoutAppsTheDefaultsHold() throws Exception {
        ProbeDefinition p = load("");
        assertEquals(List.of(), p.apps());
        assertEquals(Duration.ofSeconds(30), p.timeouts().app());
        assertEquals(p.timeouts().total(), p.budget());
        assertEquals("proxy_8080", ProbeDefinition.App.derivedName("/proxy/8080/?token=x"));
        assertEquals(28, ProbeDefinition.App.derivedName("/" + "a".repeat(40) + "/").length());
    }

    @Test
    void aNameThatIsNoLabelIsRefusedNamingFileKeyAndValue() {
        ConfigException e = bad("apps: [{path: /rstudio/, name: \"R Studio!\"}]\n");
        assertTrue(e.getMessage().startsWith(dir.resolve("apps.yml") + ":"), e.getMessage());
        assertTrue(e.getMessage().contains("apps[0]"), e.getMessage());
        assertTrue(e.getMessage().contains("name 'R Studio!'"), e.getMessage());
        assertTrue(bad("apps: [{path: /x/, name: " + "a".repeat(29) + "}]\n").getMessage().contains("1 to 28"));
        assertTrue(bad("apps: [{path: /x/, name: _x}]\n").getMessage().contains("name '_x'"));
    }

    @Test
    void aPathOutsideTheServerIsRefused() {
        for (String path : List.of("rstudio/", "//evil.example/", "/../hub/api", "/a/../../hub/", "\"/a b/\"",
                "http://evil.example/", "/x#y", "\"/a\\\\b\"")) {
            ConfigException e = bad("apps: [{path: " + path + ", name: a}]\n");
            assertTrue(e.getMessage().contains("apps[0]") && e.getMessage().contains("must start with one '/'"),
                    path + ": " + e.getMessage());
        }
        // OkHttp resolves %2e%2e as '..': these took the run's token to the hub's API
        for (String path : List.of("/%2e%2e/%2e%2e/hub/api/user", "/a/.%2E/.%2e/hub/", "/%2E./x/")) {
            ConfigException e = bad("apps: [{path: \"" + path + "\", name: a}]\n");
            assertTrue(e.getMessage().contains("apps[0]") && e.getMessage().contains("must start with one '/'"),
                    path + ": " + e.getMessage());
        }
        // a query is no path: its encoded dots stay
        assertEquals("/a/?next=/%2e%2e/", new ProbeDefinition.App("/a/?next=/%2e%2e/", "a", null, null).path());
        assertTrue(bad("apps: [{name: a}]\n").getMessage().contains("an app needs the path"));
        assertTrue(bad("apps: [{path: /}]\n").getMessage().contains("give the app a name"));
    }

    @Test
    void badExpectationsAndTimeoutsAreRefused() {
        ConfigException status = bad("apps: [{path: /a/, expect: {status: 999}}]\n");
        assertTrue(status.getMessage().contains("apps[0].expect") && status.getMessage().contains("status 999"),
                status.getMessage());
        assertTrue(bad("apps: [{path: /a/, expect: {contains: \"\"}}]\n").getMessage().contains("contains:"));
        ConfigException zero = bad("apps: [{path: /a/, timeout: 0s}]\n");
        assertTrue(zero.getMessage().contains("apps[0].timeout") && zero.getMessage().contains("0s"), zero.getMessage());
        ConfigException key = bad("apps: [{path: /a/, expect: {selectr: \"#main\"}}]\n");
        assertTrue(key.getMessage().contains("apps[0].expect") && key.getMessage().contains("unknown key 'selectr'"),
                key.getMessage());
        // a selector (looked for in the browser: the command then needs ui:, see ProbeOptionsTest) is one CSS line
        ConfigException blank = bad("apps: [{path: /a/, expect: {selector: \" \"}}]\n");
        assertTrue(blank.getMessage().contains("apps[0].expect") && blank.getMessage().contains("selector: a CSS selector"),
                blank.getMessage());
    }

    @Test
    void theNumberOfAppsIsBoundedAndNamesAreUnique() {
        StringBuilder nine = new StringBuilder("apps:\n");
        for (int i = 0; i < 9; i++) {
            nine.append("  - {path: /app").append(i).append("/}\n");
        }
        assertTrue(bad(nine.toString()).getMessage().contains("9 apps, at most 8"));
        ConfigException twice = bad("apps: [{path: /rstudio/}, {path: /x/, name: rstudio}]\n");
        assertTrue(twice.getMessage().contains("two apps are named 'rstudio'"), twice.getMessage());
    }

    @Test
    void anAppPhaseCarriesItsNameIntoItsLabelAndBack() {
        PhaseResult r = new PhaseResult(Phase.APP, PhaseResult.Status.FAILED, Duration.ofMillis(5), Reason.APP_FAILED, "m", "rstudio");
        assertEquals("app_rstudio", r.label());
        assertEquals(r, PhaseResult.ofLabel("app_rstudio", r.status(), r.duration(), r.reason(), r.message()));
        assertEquals("execute", PhaseResult.ofLabel("execute", PhaseResult.Status.PASSED, Duration.ZERO, null, null).label());
        assertThrows(IllegalArgumentException.class, () -> new PhaseResult(Phase.APP, PhaseResult.Status.PASSED, Duration.ZERO, null, null));
        RunResult run = new RunResult("id", "h", "p", "u", java.time.Instant.EPOCH, Duration.ZERO,
                List.of(PhaseResult.skipped(Phase.STOP), r), List.of(), null, Phase.APP, Reason.APP_FAILED, "m",
                java.util.Map.of(), List.of());
        assertEquals("app_rstudio", run.failedPhaseLabel());
    }
}
