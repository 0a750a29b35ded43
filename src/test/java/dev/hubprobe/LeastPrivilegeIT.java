package dev.hubprobe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hubprobe.probe.Phase;
import dev.hubprobe.probe.Reason;
import dev.hubprobe.probe.RunResult;
import dev.hubprobe.testhub.Probes;
import dev.hubprobe.testhub.RealHub;
import dev.hubprobe.testhub.RealHubExtension;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * hubprobe with the least-privilege role the README documents (servers and tokens of its robot
 * users, nothing else), on the real hub: every path works; a role that lacks a scope fails loudly
 * and names it; the prober's own token never reaches a user's server.
 */
@ExtendWith(RealHubExtension.class)
class LeastPrivilegeIT {
    private final RealHub hub = RealHub.shared();

    private void assertNoServer(String user) throws Exception {
        JsonNode m = hub.userModel(user);
        assertTrue(m.path("servers").isEmpty(), () -> "server left behind: " + m);
    }

    @Test
    void everyPathWorksWithTheMinimalRole() throws Exception {
        String token = hub.serviceToken("min");
        String smoke = "cells: [{code: 'print(6 * 7)', expect: {output_contains: '42'}}]\n";
        RunResult first = Probes.run(hub.url(), "probe-bot-1", token, Probes.probe(smoke));
        assertTrue(first.passed(), () -> first.failedPhase() + " " + first.reason() + " " + first.message());

        // a crashed run's server is swept at the next login
        hub.startServer("probe-bot-1", "{}");
        RunResult swept = Probes.run(hub.url(), "probe-bot-1", token, Probes.probe(smoke));
        assertTrue(swept.passed(), () -> swept.reason() + " " + swept.message());
        assertTrue(swept.notes().toString().contains("left running by an earlier run"), swept.notes()::toString);
        assertNoServer("probe-bot-1");

        // per-run servers: one whose run's budget ended an hour ago is swept; the run's token has one scope
        String stale = "hubprobe-" + Long.toString(Instant.now().minus(Duration.ofHours(1)).getEpochSecond(), 36) + "-deadbeef";
        hub.startNamedServer("probe-bot-2", stale);
        java.util.Set<String> scopesSeen = ConcurrentHashMap.newKeySet();
        AtomicBoolean done = new AtomicBoolean();
        CompletableFuture<Void> watcher = CompletableFuture.runAsync(() -> {
            while (!done.get()) {
                try {
                    for (JsonNode t : hub.tokens("probe-bot-2")) {
                        if (t.path("note").asText().startsWith("hubprobe run")) {
                            t.path("scopes").forEach(s -> scopesSeen.add(s.asText()));
                        }
                    }
                    Thread.sleep(200);
                } catch (Exception e) {
                    return;
                }
            }
        });
        RunResult auto = Probes.run(hub.url(), "probe-bot-2", token, Probes.probe(
                "server: auto\ncells: [{code: 'import time; time.sleep(3); print(1)', expect: {output_contains: '1'}}]\n"));
        done.set(true);
        watcher.join();
        assertTrue(auto.passed(), () -> auto.failedPhase() + " " + auto.reason() + " " + auto.message());
        assertTrue(auto.notes().toString().contains("stopped server '" + stale + "'"), auto.notes()::toString);
        // the run's token may use that user's servers; the hub adds only the scopes to identify its owner
        assertTrue(scopesSeen.contains("access:servers!user=probe-bot-2"), scopesSeen::toString);
        assertTrue(scopesSeen.stream().allMatch(s -> s.equals("access:servers!user=probe-bot-2")
                || s.matches("read:users:(name|groups)!user=probe-bot-2")), "the token minted for the run: " + scopesSeen);
        assertNoServer("probe-bot-2");
        assertTrue(hub.tokenNotes("probe-bot-2").stream().noneMatch(n -> n.startsWith("hubprobe run")), "minted token left behind");
    }

    @Test
    void aRoleWithoutReadServersFailsLoudlyInsteadOfCleaningUpNothing() throws Exception {
        hub.startServer("probe-bot-3", "{}");
        try {
            RunResult r = Probes.run(hub.url(), "probe-bot-3", hub.serviceToken("noread"),
                    Probes.probe("cells: [{code: '1'}]\n"));
            assertEquals(Phase.LOGIN, r.failedPhase(), () -> r.reason() + " " + r.message());
            assertEquals(Reason.AUTH_ERROR, r.reason());
            assertTrue(r.message().contains("read:servers"), r.message());
            // it spawned nothing, and the token it minted is gone again
            assertEquals("skipped", r.phases().get(2).status().label(), r.phases()::toString);
            assertTrue(hub.tokenNotes("probe-bot-3").stream().noneMatch(n -> n.startsWith("hubprobe run")), "minted token left");
        } finally {
            hub.stopServer("probe-bot-3");
        }
    }

    @Test
    void aRoleThatMayNotMintFailsAndNeverSendsItsOwnToken() throws Exception {
        long before = hub.logSize();
        RunResult r = Probes.run(hub.url(), "probe-bot-3", hub.serviceToken("nomint"), Probes.probe("cells: [{code: '1'}]\n"));
        assertEquals(Phase.LOGIN, r.failedPhase(), () -> r.reason() + " " + r.message());
        assertEquals(Reason.AUTH_ERROR, r.reason());
        assertTrue(r.message().contains("tokens!user=probe-bot-3"), r.message());
        assertNoServer("probe-bot-3");
        // nothing was asked of the user's server at all
        assertTrue(List.of(hub.logSince(before).split("\n")).stream().noneMatch(l -> l.contains("/user/probe-bot-3/")),
                hub.logSince(before));
    }
}
