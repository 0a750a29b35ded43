package dev.hubprobe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hubprobe.testhub.Cli;
import dev.hubprobe.testhub.FakeBinderHub;
import dev.hubprobe.testhub.RealHub;
import dev.hubprobe.testhub.RealHubExtension;
import dev.hubprobe.testhub.Service;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code hubprobe check --binder-url} against a BinderHub double that launches into the real hub:
 * each way a Binder launch goes gives its exit code, phase and reason; the happy path runs code in
 * the launched server, which is shut down through its own API and gone from the hub afterwards.
 */
@ExtendWith(RealHubExtension.class)
class BinderIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static FakeBinderHub binder;

    @BeforeAll
    static void start() throws Exception {
        binder = new FakeBinderHub(RealHub.shared());
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            // the hub notices a server that shut itself down at its next poll (5 s in the test hub)
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (!binder.serversLeft().isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(500);
            }
            List<String> left = binder.serversLeft();
            assertEquals(List.of(), left, () -> "servers launched by Binder probes still running:" + binder.stories(left));
        } finally {
            binder.close();
        }
    }

    private static JsonNode check(String repo, int exit, String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("check", "--binder-url", binder.url(), "--repo", repo,
                "--hub-name", "pythia-binder", "--code", "print(6 * 7)", "--expect", "42", "--format", "json"));
        args.addAll(List.of(extra));
        Cli.Result r = Cli.run(Map.of(), args.toArray(String[]::new));
        assertEquals(exit, r.exit(), () -> r.stdout() + r.stderr());
        JsonNode json = JSON.readTree(r.stdout());
        assertEquals("pythia-binder", json.path("hub").asText());
        return json;
    }

    private static void assertFailed(JsonNode run, String phase, String reason, String messagePart) {
        assertEquals(phase, run.path("failed_phase").asText(), run::toString);
        assertEquals(reason, run.path("reason").asText(), run::toString);
        assertTrue(run.path("message").asText().contains(messagePart), run::toString);
    }

    private static List<String> names(JsonNode phases) {
        List<String> out = new ArrayList<>();
        phases.forEach(p -> out.add(p.path("name").asText()));
        return out;
    }

    @Test
    void theServiceProbesBinderHubsLikeAnyHub(@TempDir Path dir) throws Exception {
        binder.health = FakeBinderHub.Health.OK;
        // a second BinderHub whose Kubernetes client raises (incident 3): a bare 500 from /health
        FakeBinderHub sick = new FakeBinderHub(RealHub.shared());
        sick.health = FakeBinderHub.Health.BARE_500;
        Path cfg = dir.resolve("hubprobe.yml");
        Files.writeString(cfg, """
                history: {path: data/history}
                probes_dir: %1$s
                defaults: {interval: 8s}
                scheduler: {jitter: 2s}
                hubs:
                  - name: pythia-binder
                    binder: {url: "%2$s", repo: gh/hubprobe/cached/main}
                    probes: [{probe: kernel-smoke}]
                  - name: broken-binder
                    binder: {url: "%2$s", repo: gh/hubprobe/buildfail/main}
                    probes: [{probe: kernel-smoke}]
                  - name: endless-binder
                    binder: {url: "%2$s", repo: gh/hubprobe/forever/main}
                    probes: [{probe: kernel-smoke, timeouts: {build: 3s}}]
                  - name: nolaunch-binder
                    binder: {url: "%2$s", repo: gh/hubprobe/launchfail/main}
                    probes: [{probe: kernel-smoke}]
                  - name: sick-binder
                    binder: {url: "%3$s", repo: gh/hubprobe/cached/main}
                    probes: [{probe: kernel-smoke}]
                """.formatted(RealHub.basedir().resolve("probes"), binder.url(), sick.url()));
        try (sick; Service s = Service.start(cfg, Map.of(), dir.resolve("service.log"))) {
            long deadline = System.nanoTime() + 90_000_000_000L;
            JsonNode hubs = s.json("/api/v1/hubs");
            while (!(status(hubs, "pythia-binder").equals("passed") && status(hubs, "broken-binder").equals("failed")
                    && status(hubs, "endless-binder").equals("failed") && status(hubs, "nolaunch-binder").equals("failed")
                    && status(hubs, "sick-binder").equals("failed"))) {
                String seen = hubs.toString();
                assertTrue(System.nanoTime() < deadline, () -> "no passing and failing Binder runs in 90 s: " + seen);
                Thread.sleep(1000);
                hubs = s.json("/api/v1/hubs");
            }
            for (String[] want : new String[][] {{"broken-binder", "build", "build_failed"}, {"endless-binder", "build", "build_timeout"},
                    {"nolaunch-binder", "launch", "launch_failed"}, {"sick-binder", "binder_health", "binder_unhealthy"}}) {
                assertFailed(latest(hubs, want[0]), want[1], want[2], "");
            }
            String metrics = s.get("/metrics").body();
            assertTrue(metrics.contains("hubprobe_probe_success{hub=\"pythia-binder\",probe=\"kernel-smoke\"} 1.0"), metrics);
            assertTrue(metrics.contains("hubprobe_failures_total{hub=\"broken-binder\",phase=\"build\",probe=\"kernel-smoke\",reason=\"build_failed\"}"),
                    metrics);
        }
    }

    private static JsonNode latest(JsonNode hubs, String hub) {
        for (JsonNode h : hubs) {
            if (h.path("hub").asText().equals(hub)) {
                return h.path("last_run");
            }
        }
        return JSON.nullNode();
    }

    private static String status(JsonNode hubs, String hub) {
        return latest(hubs, hub).path("status").asText("");
    }

    @Test
    void aCachedImageLaunchesAndRunsCode() throws Exception {
        binder.health = FakeBinderHub.Health.OK;
        JsonNode json = check("gh/hubprobe/cached/main", 0);
        assertEquals(List.of("binder_health", "build", "launch", "kernel_start", "kernel_connect", "execute", "kernel_shutdown", "stop"),
                names(json.path("phases")));
        json.path("phases").forEach(p -> assertEquals("passed", p.path("status").asText(), p::toString));
        assertEquals("false", json.path("facts").path("build_needed").asText(), json::toString);
        assertTrue(json.path("facts").path("image").asText().contains("hubprobe-cached"), json::toString);
        assertTrue(json.path("notes").toString().contains("Pod quota"), "the ignored check is noted: " + json);
        assertEquals(0, json.path("spawn_phases").size());
    }

    @Test
    void aFullBuildIsBrokenDownIntoItsPhases() throws Exception {
        binder.health = FakeBinderHub.Health.OK;
        JsonNode json = check("gh/hubprobe/build/main", 0);
        assertEquals("true", json.path("facts").path("build_needed").asText(), json::toString);
        assertEquals(List.of("build_waiting", "build_fetching", "build_building", "build_pushing"), names(json.path("spawn_phases")));
        double sub = 0;
        for (JsonNode p : json.path("spawn_phases")) {
            assertTrue(p.path("duration_seconds").asDouble() > 0.1, p::toString);
            sub += p.path("duration_seconds").asDouble();
        }
        assertTrue(sub <= json.path("phases").get(1).path("duration_seconds").asDouble() + 1e-6, "sub-phases within the build");
    }

    @Test
    void aFailedBuildIsBuildFailedWithItsMessage() throws Exception {
        binder.health = FakeBinderHub.Health.OK;
        JsonNode json = check("gh/hubprobe/buildfail/main", 1);
        assertFailed(json, "build", "build_failed", "conda env update");
    }

    /** repo2docker's word for a failed build is {@code failure}: it ends the build at once, though the stream stays open. */
    @Test
    void aBuildFailureInRepo2dockersWordsEndsTheBuildAtOnce() throws Exception {
        binder.health = FakeBinderHub.Health.OK;
        JsonNode json = check("gh/hubprobe/buildfailure/main", 1, "--build-timeout", "60s");
        assertFailed(json, "build", "build_failed", "conda env update");
        double build = json.path("phases").get(1).path("duration_seconds").asDouble();
        assertTrue(build < 10, "the build ended at the failure, not at its timeout: " + build + " s");
    }

    /** Phases in capitals are the same phases: the sub-phases are timed and the launch is found. */
    @Test
    void eventPhasesAreReadWhateverTheirCase() throws Exception {
        binder.health = FakeBinderHub.Health.OK;
        JsonNode json = check("gh/hubprobe/loud/main", 0);
        assertEquals(List.of("build_waiting", "build_fetching", "build_building", "build_pushing"), names(json.path("spawn_phases")));
        assertTrue(json.path("facts").path("image").asText().contains("hubprobe-loud"), json::toString);
    }

    /** A log line without a phase, in the middle of building, is part of building: one sub-phase, timed whole. */
    @Test
    void aLogLineWithoutAPhaseDoesNotEndABuildSubPhase() throws Exception {
        binder.health = FakeBinderHub.Health.OK;
        JsonNode json = check("gh/hubprobe/buildlogs/main", 0);
        assertEquals(List.of("build_waiting", "build_fetching", "build_building", "build_pushing"), names(json.path("spawn_phases")));
        double building = json.path("spawn_phases").get(2).path("duration_seconds").asDouble();
        assertTrue(building >= 0.85, "building lasts from its first event to pushing (0.9 s): " + building);
    }

    @Test
    void aBuildThatNeverEndsTimesOut() throws Exception {
        binder.health = FakeBinderHub.Health.OK;
        long t0 = System.nanoTime();
        JsonNode json = check("gh/hubprobe/forever/main", 1, "--build-timeout", "3s");
        assertFailed(json, "build", "build_timeout", "");
        double build = json.path("phases").get(1).path("duration_seconds").asDouble();
        assertTrue(build >= 3 && build < 6, "build phase took " + build);
        assertTrue((System.nanoTime() - t0) / 1e9 < 30);
    }

    /**
     * A launch that outlasts its timeout goes on at BinderHub, and only the token of its ready event stops
     * the server: check reads on to it in the stop phase and shuts it down, rather than leave it to the culler.
     */
    @Test
    void aLaunchThatOutlastsItsTimeoutHasItsServerShutDownAllTheSame() throws Exception {
        binder.health = FakeBinderHub.Health.OK;
        java.util.Set<String> before = binder.launchedUsers();
        long t0 = System.nanoTime();
        JsonNode json = check("gh/hubprobe/slowlaunch/main", 1, "--launch-timeout", "2s");
        assertFailed(json, "launch", "launch_timeout", "");
        JsonNode stop = json.path("phases").get(json.path("phases").size() - 1);
        assertEquals("stop", stop.path("name").asText(), json::toString);
        assertEquals("passed", stop.path("status").asText(), json::toString);
        assertTrue(json.path("notes").toString().contains("the launch ended after the run stopped waiting for it, its server was shut down"),
                json::toString);
        java.util.Set<String> launched = new java.util.HashSet<>(binder.launchedUsers());
        launched.removeAll(before);
        assertEquals(1, launched.size(), launched::toString);
        String user = launched.iterator().next();
        assertTrue(!binder.culled().contains(user), () -> "the server was left for the culler:" + binder.stories(launched));
        assertServerGone(user, launched);
        assertTrue((System.nanoTime() - t0) / 1e9 < 60);
    }

    /** SIGTERM (a CI job cancelled) while BinderHub launches: check waits for the server, shuts it down, then exits. */
    @Test
    void aStopDuringALaunchStillShutsItsServerDown(@TempDir Path dir) throws Exception {
        binder.health = FakeBinderHub.Health.OK;
        java.util.Set<String> before = binder.launchedUsers();
        ProcessBuilder pb = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                Cli.jar().toString(), "check", "--binder-url", binder.url(), "--repo", "gh/hubprobe/slowlaunch/main",
                "--hub-name", "pythia-binder", "--format", "json"))
                .redirectOutput(dir.resolve("out.json").toFile()).redirectError(dir.resolve("err.txt").toFile());
        Process p = pb.start();
        try {
            dev.hubprobe.testhub.Await.until("BinderHub to start launching", 60, () -> binder.launchedUsers().size() > before.size());
            p.destroy(); // SIGTERM, while the launch waits for its node
            assertTrue(p.waitFor(90, java.util.concurrent.TimeUnit.SECONDS), "check did not stop within 90 s of SIGTERM");
            JsonNode json = JSON.readTree(dir.resolve("out.json").toFile());
            assertFailed(json, "launch", "aborted", "");
            assertTrue(json.path("notes").toString().contains("its server was shut down"), json::toString);
            java.util.Set<String> launched = new java.util.HashSet<>(binder.launchedUsers());
            launched.removeAll(before);
            String user = launched.iterator().next();
            assertTrue(!binder.culled().contains(user), () -> "the server was left for the culler:" + binder.stories(launched));
            assertServerGone(user, launched);
        } finally {
            p.destroyForcibly();
        }
    }

    /** The launched server shut itself down; the hub sees it at its next poll (5 s in the test hub). */
    private static void assertServerGone(String user, java.util.Collection<String> users) throws Exception {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!binder.serversLeft().stream().filter(user::equals).toList().isEmpty()) {
            assertTrue(System.nanoTime() < deadline, () -> "the launched server still runs 30 s after check:" + binder.stories(users));
            Thread.sleep(500);
        }
    }

    @Test
    void aFailedLaunchIsLaunchFailed() throws Exception {
        binder.health = FakeBinderHub.Health.OK;
        JsonNode json = check("gh/hubprobe/launchfail/main", 1);
        assertFailed(json, "launch", "launch_failed", "Launch attempt 1 failed");
    }

    @Test
    void anUnhealthyBinderHubNamesTheFailingCheckOrItsBareError() throws Exception {
        binder.health = FakeBinderHub.Health.FAILING_CHECK;
        JsonNode check = check("gh/hubprobe/cached/main", 1);
        assertFailed(check, "binder_health", "binder_unhealthy", "503, failing: Kubernetes API");
        // incident 3: with the cluster's certificates expired BinderHub's Kubernetes client raises
        binder.health = FakeBinderHub.Health.BARE_500;
        JsonNode bare = check("gh/hubprobe/cached/main", 1);
        assertFailed(bare, "binder_health", "binder_unhealthy", "500: 500: Internal Server Error");
        binder.health = FakeBinderHub.Health.OK;
    }
}
