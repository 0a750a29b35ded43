package dev.hubprobe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hubprobe.alerting.AlertEvent;
import dev.hubprobe.probe.Phase;
import dev.hubprobe.probe.ProbeDefinition;
import dev.hubprobe.probe.Reason;
import dev.hubprobe.probe.RunResult;
import dev.hubprobe.testhub.Cli;
import dev.hubprobe.testhub.Probes;
import dev.hubprobe.testhub.RealHub;
import dev.hubprobe.testhub.RealHubExtension;
import dev.hubprobe.testhub.RecordedAlerts;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The five outages of ../shared/docs/incidents.md, replayed on the real test hub (and, for the hub
 * that is gone, on a real configurable-http-proxy with no routes). Each asserts the phase and reason,
 * and that with the shipped alert policy the outage pages at the next interval's run, with them on
 * the alert.
 */
@ExtendWith(RealHubExtension.class)
class IncidentReplayIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final RealHub hub = RealHub.shared();

    @TempDir
    Path dir;

    /** A probe run that may throw, for the next interval's run of the same outage. */
    private interface NextRun {
        RunResult run() throws Exception;
    }

    /**
     * With the shipped policy the outage pages at the next interval's run (two failures in a row): the
     * first run does not page, the second does, with the failing phase and reason as annotations.
     */
    private void assertPaged(RunResult first, NextRun next) throws Exception {
        RunResult r = next.run();
        assertEquals(first.reason(), r.reason(), () -> "the outage goes on: " + r.message());
        try (RecordedAlerts alerts = new RecordedAlerts(dir.resolve(r.runId()))) {
            AlertEvent page = alerts.page(first, r);
            assertEquals(AlertEvent.Type.FIRING, page.type());
            assertEquals("HubprobeProbeFailing", page.labels().get("alertname"));
            assertEquals(r.hub(), page.labels().get("hub"));
            assertEquals(r.failedPhase().label(), page.alert().annotations().get("phase"));
            assertEquals(r.reason().label(), page.alert().annotations().get("reason"));
        }
    }

    private static ProbeDefinition code(String userOptions, String code) throws Exception {
        return Probes.probe("user_options: " + userOptions + "\ncells: [{code: '" + code + "'}]\n");
    }

    @Test
    void incident1_brokenUserImage() throws Exception {
        // the server itself dies at start: spawn fails with the spawner's message
        String image = RealHub.user("brokenimage");
        RunResult spawn = Probes.run(hub, image, code("{}", "1"));
        assertEquals(Phase.SPAWN, spawn.failedPhase());
        assertEquals(Reason.SPAWN_FAILED, spawn.reason());
        assertPaged(spawn, () -> Probes.run(hub, image, code("{}", "1")));
        // the image runs but its sqlite is broken: the environment probe fails execute with the exception
        String imports = RealHub.user("brokenimport");
        ProbeDefinition environment = ProbeDefinition.load(RealHub.basedir().resolve("probes/environment.yml"));
        RunResult env = Probes.run(hub, imports, environment);
        assertEquals(Phase.EXECUTE, env.failedPhase());
        assertEquals(Reason.EXECUTE_ERROR, env.reason());
        assertTrue(env.message().contains("ImportError"), env.message());
        assertPaged(env, () -> Probes.run(hub, imports, environment));
    }

    @Test
    void incident2_namespaceDeletedHubDown() throws Exception {
        // every hub pod gone, the proxy answers 404: a real configurable-http-proxy with no routes
        Path chp = RealHub.install(RealHub.basedir()).resolve("node_modules/.bin/configurable-http-proxy");
        int port = RealHub.freePort();
        Process proxy = new ProcessBuilder(chp.toString(), "--ip", "127.0.0.1", "--port", Integer.toString(port),
                "--api-ip", "127.0.0.1", "--api-port", Integer.toString(RealHub.freePort()))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            awaitListening(port);
            RunResult down = Probes.run("http://127.0.0.1:" + port + "/", "bot", "any-token", code("{}", "1"));
            assertEquals(Phase.HUB_API, down.failedPhase());
            assertEquals(Reason.HUB_UNREACHABLE, down.reason());
            assertTrue(down.message().contains("404"), down.message());
            assertPaged(down, () -> Probes.run("http://127.0.0.1:" + port + "/", "bot", "any-token", code("{}", "1")));
        } finally {
            proxy.destroy();
            proxy.waitFor();
        }
        // and each other kind of breakage has a reason of its own
        RunResult login = Probes.run(hub.url(), null, "not-a-valid-token", code("{}", "1"));
        assertEquals(Reason.AUTH_ERROR, login.reason());
        assertPaged(login, () -> Probes.run(hub.url(), null, "not-a-valid-token", code("{}", "1")));
        String failing = RealHub.user("fail");
        RunResult spawn = Probes.run(hub, failing, code("{}", "1"));
        assertEquals(Reason.SPAWN_FAILED, spawn.reason());
        assertPaged(spawn, () -> Probes.run(hub, failing, code("{}", "1")));
    }

    @Test
    void incident3_buildPodsCannotBeScheduled() throws Exception {
        // expired certificates left the cluster unable to schedule pods: the events say so
        String user = RealHub.user("ok");
        ProbeDefinition probe = code("{fault: k8s, unschedulable: true, start_timeout: 2}", "1");
        RunResult r = Probes.run(hub, user, probe);
        assertEquals(Phase.SPAWN, r.failedPhase());
        assertEquals(Reason.UNSCHEDULABLE, r.reason());
        assertTrue(r.message().contains("NotTriggerScaleUp"), r.message());
        assertTrue(hub.userModel(user).path("servers").isEmpty());
        assertPaged(r, () -> Probes.run(hub, user, probe));
    }

    @Test
    void incident4_kernelsDieWhileServersLookFine() throws Exception {
        // the post-deploy check CI runs: servers come up, kernels die; exit 1 for an automatic rollback
        Cli.Result r = Cli.run(Map.of("HUB_TOKEN", hub.serviceToken()), "check", "--hub-url", hub.url(),
                "--token-env", "HUB_TOKEN", "--user", RealHub.user("deadkernel"), "--format", "json");
        assertEquals(1, r.exit(), r::stderr);
        JsonNode json = JSON.readTree(r.stdout());
        assertEquals("passed", json.path("phases").get(2).path("status").asText(), "the server came up");
        assertEquals("kernel_died", json.path("reason").asText(), json::toString);
        String dead = RealHub.user("deadkernel");
        RunResult again = Probes.run(hub, dead, code("{}", "1"));
        assertEquals(Reason.KERNEL_DIED, again.reason());
        assertPaged(again, () -> Probes.run(hub, dead, code("{}", "1")));
    }

    @Test
    void incident5_imagePullBrokenOnlyOnNewNodes() throws Exception {
        String options = "{fault: k8s, node_capacity: 2, pull_fails_on_new_node: true}";
        ProbeDefinition probe = code(options, "1");
        List<String> others = List.of(RealHub.user("ok"), RealHub.user("ok"));
        // while the warm nodes have room, spawns pass
        RunResult first = Probes.run(hub, RealHub.user("ok"), probe);
        assertTrue(first.passed(), () -> first.reason() + " " + first.message());
        try {
            for (String other : others) {
                hub.startServer(other, "{\"fault\": \"k8s\", \"node_capacity\": 2, \"pull_fails_on_new_node\": true}");
            }
            // the warm nodes are full: the next spawn needs a new node, where the pull fails
            RunResult next = Probes.run(hub, RealHub.user("ok"), probe);
            assertEquals(Phase.SPAWN, next.failedPhase());
            assertEquals(Reason.IMAGE_PULL_FAILED, next.reason());
            assertTrue(next.message().contains("pull access denied"), next.message());
            assertEquals(Boolean.TRUE, next.scaleUpObserved());
            assertPaged(next, () -> Probes.run(hub, RealHub.user("ok"), probe));
        } finally {
            for (String other : others) {
                hub.stopServer(other);
            }
        }
    }

    private static void awaitListening(int port) throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        for (int i = 0; i < 100; i++) {
            try {
                http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/")).timeout(Duration.ofSeconds(1)).build(),
                        HttpResponse.BodyHandlers.discarding());
                return;
            } catch (java.io.IOException notYet) {
                Thread.sleep(100);
            }
        }
        throw new AssertionError("proxy not listening on " + port);
    }
}
