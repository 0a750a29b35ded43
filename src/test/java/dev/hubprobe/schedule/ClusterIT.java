package dev.hubprobe.schedule;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import dev.hubprobe.testhub.Await;
import dev.hubprobe.testhub.Postgres;
import dev.hubprobe.testhub.RealHub;
import dev.hubprobe.testhub.RealHubExtension;
import dev.hubprobe.testhub.Service;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replicas sharing one schedule and one history in a real PostgreSQL, probing the real test hub: the
 * work is shared and done once per interval, a replica killed mid-run is carried by the others, and
 * an outage pages once.
 */
@ExtendWith(RealHubExtension.class)
class ClusterIT {
    private final RealHub hub = RealHub.shared();

    @TempDir
    Path dir;

    private Path config(String url, String interval, String hubs, String extra) throws Exception {
        Path cfg = dir.resolve("hubprobe.yml");
        Files.writeString(cfg, """
                probes_dir: %s
                history: {url: "%s", user: %s, password: "${env:PG_PASSWORD}"}
                defaults: {interval: %s}
                scheduler: {jitter: 5s}
                %s
                hubs:
                %s
                """.formatted(RealHub.basedir().resolve("probes"), url, Postgres.USER, interval, extra, hubs));
        return cfg;
    }

    private String hubEntry(String name, String user) {
        return "  - {name: %s, url: %s, auth: {token: \"${env:HUB_TOKEN}\"}, user: %s, probes: [{probe: kernel-smoke}]}\n"
                .formatted(name, hub.url(), user);
    }

    private Map<String, String> env(String hook) {
        return Map.of("HUB_TOKEN", hub.serviceToken(), "PG_PASSWORD", Postgres.PASSWORD, "HOOK_URL", hook);
    }

    private static double sample(String metrics, String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(metrics);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    @Test
    void threeReplicasShareTheScheduleRunEachPairOncePerIntervalAndCarryAKilledOne() throws Exception {
        String url = Postgres.shared().newDatabase();
        List<String> users = List.of(RealHub.user("ok"), RealHub.user("ok"), RealHub.user("ok"));
        Path cfg = config(url, "20s", hubEntry("one", users.get(0)) + hubEntry("two", users.get(1)) + hubEntry("three", users.get(2)), "");
        List<Service> replicas = new ArrayList<>();
        Instant start = Instant.now();
        try {
            for (int i = 0; i < 3; i++) {
                replicas.add(Service.start(cfg, env("http://127.0.0.1:9/"), dir.resolve("replica-" + i + ".log")));
            }
            Await.until("three replicas in the cluster", 30, () -> sample(replicas.get(0).get("/metrics").body(), "hubprobe_cluster_members") == 3);
            // kill -9 a replica while it runs a probe, a minute in
            Thread.sleep(60_000);
            Service victim = null;
            for (int tries = 0; victim == null && tries < 400; tries++) {
                for (Service s : replicas) {
                    if (s.json("/health").path("running").asInt() > 0) {
                        victim = s;
                        break;
                    }
                }
                Thread.sleep(50);
            }
            assertTrue(victim != null, "a replica was running a probe");
            int working = 1; // the victim was running a probe: it had its share of the work
            victim.crash();
            replicas.remove(victim);
            Instant killed = Instant.now();
            Await.until("the cluster noticing", 40, () -> sample(replicas.get(0).get("/metrics").body(), "hubprobe_cluster_members") == 2);
            Thread.sleep(Math.max(0, Duration.ofMinutes(3).toMillis() - Duration.between(start, Instant.now()).toMillis()));
            Instant end = Instant.now();

            // every pair ran once per interval (one interval may be lost to the kill), never two at once
            JsonNode runs = replicas.get(0).json("/api/v1/runs?limit=1000");
            long intervals = Duration.between(start, end).toSeconds() / 20;
            for (String name : List.of("one", "two", "three")) {
                List<JsonNode> mine = new ArrayList<>();
                runs.forEach(r -> {
                    if (r.path("hub").asText().equals(name)) {
                        mine.add(r);
                    }
                });
                assertTrue(Math.abs(mine.size() - intervals) <= 2, name + ": " + mine.size() + " runs in " + intervals + " intervals");
                // before the kill, with three replicas up: exactly once per interval, give or take the edge
                long beforeKill = mine.stream().filter(r -> Instant.parse(r.path("started_at").asText()).isBefore(killed)).count();
                long intervalsBeforeKill = Duration.between(start, killed).toSeconds() / 20;
                assertTrue(Math.abs(beforeKill - intervalsBeforeKill) <= 1, name + ": " + beforeKill + " runs in the "
                        + intervalsBeforeKill + " intervals before the kill");
                mine.sort((a, b) -> a.path("started_at").asText().compareTo(b.path("started_at").asText()));
                for (int i = 1; i < mine.size(); i++) {
                    Instant prevEnd = Instant.parse(mine.get(i - 1).path("started_at").asText())
                            .plusMillis(Math.round(mine.get(i - 1).path("duration_seconds").asDouble() * 1000));
                    Instant next = Instant.parse(mine.get(i).path("started_at").asText());
                    assertTrue(!next.isBefore(prevEnd), name + ": two runs at once at " + next);
                    assertTrue(Duration.between(prevEnd, next).toSeconds() <= 45, name + ": more than one interval missed before " + next
                            + " (killed at " + killed + ")");
                }
            }
            // the work was shared, and every replica reads the same history and the same state
            for (Service s : replicas) {
                String metrics = s.get("/metrics").body();
                double mineRan = 0;
                for (String name : List.of("one", "two", "three")) {
                    mineRan += sample(metrics, "hubprobe_runs_total{hub=\"" + name + "\",probe=\"kernel-smoke\",result=\"success\"}");
                }
                working += mineRan > 0 ? 1 : 0;
                assertEquals(runs.size(), s.json("/api/v1/runs?limit=1000").size(), "one history for all");
                assertEquals(1.0, sample(metrics, "hubprobe_probe_success{hub=\"two\",probe=\"kernel-smoke\"}"), "state gauges from the history");
            }
            assertTrue(working >= 2, "at least two replicas ran probes, not one for all: " + working);
        } finally {
            for (Service s : replicas) {
                s.close();
            }
        }
        for (String user : users) {
            assertTrue(hub.userModel(user).path("servers").isEmpty(), user + " has no server left");
        }
    }

    @Test
    void anOutageSeenByTwoReplicasPagesOnceAndResolvesOnce() throws Exception {
        WireMockServer hook = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        hook.start();
        hook.stubFor(post(urlEqualTo("/hook")).willReturn(aResponse().withStatus(200)));
        String user = RealHub.user("ok");
        hub.control("fail-" + user, "1");
        Path cfg = config(Postgres.shared().newDatabase(), "4s", hubEntry("flaky", user),
                "alerting: {failure: {fire_after: 2, resolve_after: 2, confirm_after: 5s}, notifiers: [{webhook: {url: \"${env:HOOK_URL}\"}}]}");
        try (Service a = Service.start(cfg, env(hook.baseUrl() + "/hook"), dir.resolve("a.log"));
             Service b = Service.start(cfg, env(hook.baseUrl() + "/hook"), dir.resolve("b.log"))) {
            Await.until("a page", 60, () -> count(hook, "firing") >= 1);
            Await.until("more failed runs", 60, () -> a.json("/api/v1/runs?hub=flaky&status=failed").size() >= 6);
            assertEquals(1, count(hook, "firing"), "one page for one outage");
            hub.clearControl("fail-" + user);
            Await.until("the resolve", 60, () -> count(hook, "resolved") >= 1);
            Thread.sleep(10_000);
            assertEquals(1, count(hook, "resolved"));
            assertEquals(1, count(hook, "firing"));
        } finally {
            hub.clearControl("fail-" + user);
            hook.stop();
        }
    }

    private static int count(WireMockServer hook, String status) {
        return (int) hook.findAll(postRequestedFor(urlEqualTo("/hook"))).stream()
                .filter(r -> r.getBodyAsString().contains("\"status\":\"" + status + "\"")).count();
    }
}
