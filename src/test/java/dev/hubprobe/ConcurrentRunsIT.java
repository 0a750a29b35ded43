package dev.hubprobe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hubprobe.probe.ProbeDefinition;
import dev.hubprobe.probe.RunResult;
import dev.hubprobe.testhub.Cli;
import dev.hubprobe.testhub.Probes;
import dev.hubprobe.testhub.RealHub;
import dev.hubprobe.testhub.RealHubExtension;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Runs that share one robot user never stop each other's servers: two {@code server: auto} probes of
 * the service and a CI check, at once, on slow spawns, all pass.
 */
@ExtendWith(RealHubExtension.class)
class ConcurrentRunsIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final RealHub hub = RealHub.shared();

    @Test
    void twoAutoProbesAndACiCheckOnOneUserAllPass() throws Exception {
        String user = RealHub.user("ok");
        hub.control("delay-" + user, "3"); // each spawn takes 3 s: every run logs in while the others' servers live
        try {
            String cell = "cells: [{code: 'import time; time.sleep(2); print(6 * 7)', expect: {output_contains: '42'}}]\n";
            ProbeDefinition a = Probes.probe("server: auto\n" + cell).withName("probe-a");
            ProbeDefinition b = Probes.probe("server: auto\n" + cell).withName("probe-b");
            CompletableFuture<RunResult> ra = CompletableFuture.supplyAsync(() -> Probes.run(hub, user, a));
            Thread.sleep(1500);
            CompletableFuture<RunResult> rb = CompletableFuture.supplyAsync(() -> Probes.run(hub, user, b));
            Thread.sleep(1500);
            Cli.Result ci = Cli.run(Map.of("HUB_TOKEN", hub.serviceToken()), "check", "--hub-url", hub.url(), "--token-env",
                    "HUB_TOKEN", "--user", user, "--server-name", "auto", "--code", "import time; time.sleep(2); print(6 * 7)",
                    "--expect", "42", "--format", "json");
            for (RunResult r : new RunResult[] {ra.join(), rb.join()}) {
                assertTrue(r.passed(), () -> r.probe() + ": " + r.failedPhase() + " " + r.reason() + " " + r.message());
                assertTrue(r.notes().stream().noneMatch(n -> n.contains("left running")), r.notes()::toString);
            }
            assertEquals(0, ci.exit(), () -> ci.stdout() + ci.stderr());
            JsonNode json = JSON.readTree(ci.stdout());
            assertTrue(!json.path("notes").toString().contains("left running"), json::toString);
            JsonNode model = hub.userModel(user);
            assertTrue(model.path("servers").isEmpty(), () -> "servers left: " + model);
        } finally {
            hub.clearControl("delay-" + user);
        }
    }
}
