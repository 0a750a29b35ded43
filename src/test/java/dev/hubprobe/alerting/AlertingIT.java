package dev.hubprobe.alerting;

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
import dev.hubprobe.testhub.Cli;
import dev.hubprobe.testhub.PromStack;
import dev.hubprobe.testhub.RealHub;
import dev.hubprobe.testhub.RealHubExtension;
import dev.hubprobe.testhub.Service;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.MatchResult;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Alerts end to end: the real hub breaks and recovers at runtime, hubprobe tells a real Alertmanager
 * (and a webhook, to count pages) exactly once per outage, across a restart of hubprobe; and a spawn
 * made three times slower at runtime fires a regression that resolves when it is fast again.
 */
@ExtendWith(RealHubExtension.class)
class AlertingIT {
    private final RealHub hub = RealHub.shared();

    @TempDir
    Path dir;

    private static List<JsonNode> alertsOf(PromStack am, String hubName) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        am.alerts().forEach(a -> {
            if (a.path("labels").path("hub").asText().equals(hubName)) {
                out.add(a);
            }
        });
        return out;
    }

    private static int webhooks(WireMockServer hook, String status) {
        return webhooks(hook, status, "");
    }

    /** The webhooks of this status whose body also has {@code also} in it. */
    private static int webhooks(WireMockServer hook, String status, String also) {
        return (int) hook.findAll(postRequestedFor(urlEqualTo("/hook"))).stream().map(r -> r.getBodyAsString())
                .filter(b -> b.contains("\"status\":\"" + status + "\"") && b.contains(also)).count();
    }

    private static boolean isPull(JsonNode alert) {
        return alert.path("labels").path("phase").asText().equals("spawn_image_pull");
    }

    /** The spawn_image_pull regression alerts among the service's alerts. */
    private static List<JsonNode> pullAlerts(JsonNode alerts) {
        List<JsonNode> out = new ArrayList<>();
        alerts.forEach(a -> {
            if (isPull(a)) {
                out.add(a);
            }
        });
        return out;
    }

    /**
     * The alerts beside the pull's that the real hub's noise may raise: latency regressions, each still at least
     * resolve_factor (1.5) times its baseline by its own figures (it fired at 2.5 and 1 s over; the figures are
     * refreshed each run while it fires, and one under 1.5 resolves it). Anything else (a failing probe, an
     * alert of another kind, a regression its figures do not bear out) is the service's bug, not the
     * machine's, and fails the test: filtering on the pull alone let those through.
     */
    private static void assertOthersAreRegressionsTheRuleCallsFor(JsonNode alerts) {
        alerts.forEach(a -> {
            if (isPull(a)) {
                return;
            }
            assertEquals("HubprobeLatencyRegression", a.path("labels").path("alertname").asText(), () -> "only noise may fire: " + alerts);
            double baseline = a.path("annotations").path("baseline_seconds").asDouble(Double.NaN);
            double current = a.path("annotations").path("current_seconds").asDouble(Double.NaN);
            assertTrue(current >= 1.5 * baseline && current > baseline, () -> "a regression the rule does not call for: " + a);
        });
    }

    private static final Pattern REGRESSED = Pattern.compile(
            "(?m)^REGRESSED: (\\S+) took ([0-9.]+) s against a baseline of ([0-9.]+) s");

    /**
     * A one-run check whose pull is fast passes with exit 0, unless another phase of the real hub (a stop of
     * 3.7 s against 1.1 s, once on this machine while the service spawned beside it) was slow in that one
     * run: then exit 3, and each phase it names is one the rule (2.5x and 1 s over) calls for by the figures
     * printed. The pull is never named, and an exit 3 names at least one phase.
     */
    private static void assertAFastPullIsNotFlagged(Cli.Result r) {
        List<MatchResult> flagged = REGRESSED.matcher(r.stdout()).results().toList();
        assertEquals(flagged.isEmpty() ? 0 : 3, r.exit(), () -> r.stdout() + r.stderr());
        for (MatchResult m : flagged) {
            double took = Double.parseDouble(m.group(2));
            double usual = Double.parseDouble(m.group(3));
            assertTrue(!m.group(1).equals("spawn_image_pull") && took >= 2.5 * usual && took - usual >= 1,
                    () -> "a regression the rule does not call for: " + m.group() + "\n" + r.stdout());
        }
    }

    private static int pullWebhooks(WireMockServer hook, String status) {
        return webhooks(hook, status, "\"phase\":\"spawn_image_pull\"");
    }

    @Test
    void failingHubRaisesOneAlertInAlertmanagerAcrossARestartAndResolvesWhenFixed() throws Exception {
        WireMockServer hook = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        hook.start();
        hook.stubFor(post(urlEqualTo("/hook")).willReturn(aResponse().withStatus(200)));
        String user = RealHub.user("ok");
        Path amDir = Files.createDirectories(dir.resolve("am"));
        try (PromStack am = PromStack.alertmanager(amDir)) {
            Path cfg = dir.resolve("hubprobe.yml");
            Files.writeString(cfg, """
                    probes_dir: %s
                    history: {path: data/h}
                    defaults: {interval: 5s}
                    scheduler: {jitter: 1s}
                    alerting:
                      failure: {fire_after: 2, resolve_after: 2, confirm_after: 5s}
                      resend: 2s
                      external_url: http://hubprobe.test:8080
                      notifiers:
                        - alertmanager: {urls: ["%s"]}
                        - webhook: {url: "${env:HOOK_URL}"}
                    hubs:
                      - {name: flaky, url: %s, auth: {token: "${env:HUB_TOKEN}"}, user: %s, probes: [{probe: kernel-smoke}]}
                    """.formatted(RealHub.basedir().resolve("probes"), am.url(), hub.url(), user));
            Map<String, String> env = Map.of("HUB_TOKEN", hub.serviceToken(), "HOOK_URL", hook.baseUrl() + "/hook");
            hub.control("fail-" + user, "1");
            try (Service s = Service.start(cfg, env, dir.resolve("svc.log"))) {
                Await.until("the alert in Alertmanager", 90, () -> alertsOf(am, "flaky").size() == 1);
                JsonNode alert = alertsOf(am, "flaky").get(0);
                assertEquals("HubprobeProbeFailing", alert.path("labels").path("alertname").asText());
                assertEquals("kernel-smoke", alert.path("labels").path("probe").asText());
                assertEquals("page", alert.path("labels").path("severity").asText());
                assertEquals("spawn", alert.path("annotations").path("phase").asText());
                assertEquals("spawn_failed", alert.path("annotations").path("reason").asText());
                assertTrue(alert.path("annotations").path("message").asText().contains("switched to failing"), alert::toString);
                assertTrue(alert.path("annotations").path("run_url").asText().startsWith("http://hubprobe.test:8080/api/v1/runs/"));
                assertEquals(1, s.json("/api/v1/alerts").size());
            }
            // hubprobe restarts while the hub is still broken: no new page, still one alert
            try (Service s = Service.start(cfg, env, dir.resolve("svc.log"))) {
                int before = s.json("/api/v1/runs?hub=flaky").size();
                Await.until("two more failed runs", 60, () -> s.json("/api/v1/runs?hub=flaky").size() >= before + 2);
                assertEquals(1, alertsOf(am, "flaky").size());
                assertEquals(1, webhooks(hook, "firing"), "paged again after the restart");

                hub.clearControl("fail-" + user);
                Await.until("the alert resolved in Alertmanager", 120, () -> alertsOf(am, "flaky").isEmpty());
                Await.until("the resolution delivered", 10, () -> webhooks(hook, "resolved") == 1);
                assertEquals(1, webhooks(hook, "firing"));
                assertEquals(0, s.json("/api/v1/alerts").size());
                String scrape = s.get("/metrics").body();
                assertTrue(scrape.contains("hubprobe_notifications_total{notifier=\"alertmanager\",result=\"success\"}"), "counted");
            }
        } finally {
            hub.clearControl("fail-" + user);
            hook.stop();
        }
    }

    @Test
    void spawnThreeTimesSlowerFiresARegressionThatResolves() throws Exception {
        WireMockServer hook = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        hook.start();
        hook.stubFor(post(urlEqualTo("/hook")).willReturn(aResponse().withStatus(200)));
        String user = RealHub.user("ok");
        Path probes = Files.createDirectories(dir.resolve("probes"));
        Files.writeString(probes.resolve("k8s.yml"), "user_options: {fault: k8s, pull: 1}\ncells: [{code: print(1)}]\n");
        Path cfg = dir.resolve("hubprobe.yml");
        Files.writeString(cfg, """
                probes_dir: probes
                history: {path: data/h}
                defaults: {interval: 4s}
                scheduler: {jitter: 1s}
                alerting:
                  regression: {min_samples: 4, recent: 2, factor: 2.5, min_delta: 1s, resolve_factor: 1.5}
                  notifiers: [{webhook: {url: "${env:HOOK_URL}"}}]
                hubs:
                  - {name: slow, url: %s, auth: {token: "${env:HUB_TOKEN}"}, user: %s, probes: [{probe: k8s}]}
                """.formatted(hub.url(), user));
        Map<String, String> env = Map.of("HUB_TOKEN", hub.serviceToken(), "HOOK_URL", hook.baseUrl() + "/hook");
        try (Service s = Service.start(cfg, env, dir.resolve("svc.log"))) {
            Await.until("a baseline", 120, () -> s.json("/api/v1/runs?hub=slow").size() >= 6);
            // only the pull is the test's to hold steady. The other phases are the real hub's and vary with the
            // machine: one of 5-700 ms (hub_api, login, kernel_connect) crosses min_delta and 2.5x with a 1 s
            // stall in two runs in a row, and once did on CI's 2 cores. So the pull's alerts are asserted on,
            // and a failure shows every alert
            JsonNode steady = s.json("/api/v1/alerts");
            assertEquals(List.of(), pullAlerts(steady), () -> "a steady pull has no regression: " + steady);
            assertOthersAreRegressionsTheRuleCallsFor(steady);
            // the image pull gets 3x slower; factor 2.5 over the last 2 runs fires only when both are slow
            // (one slow and one fast run average 2x), so the alert reports the slow pull itself
            hub.control("pull-" + user, "3");
            Await.until("the regression alert", 120, () -> pullWebhooks(hook, "firing") == 1);
            JsonNode firing = s.json("/api/v1/alerts");
            assertEquals(1, pullAlerts(firing).size(), firing::toString);
            assertOthersAreRegressionsTheRuleCallsFor(firing);
            JsonNode alert = pullAlerts(firing).get(0);
            assertEquals("HubprobeLatencyRegression", alert.path("labels").path("alertname").asText());
            assertEquals("spawn_image_pull", alert.path("labels").path("phase").asText(), alert::toString);
            double baseline = alert.path("annotations").path("baseline_seconds").asDouble();
            double current = alert.path("annotations").path("current_seconds").asDouble();
            assertEquals(1.0, baseline, 0.1, alert::toString);
            assertEquals(3.0, current, 0.2, alert::toString);
            assertTrue(s.get("/metrics").body().contains("hubprobe_regression_active{hub=\"slow\",phase=\"spawn_image_pull\",probe=\"k8s\"} 1.0"));

            // a post-deploy check against the service's baseline: it passes, but slower, so exit 3
            String other = RealHub.user("ok");
            hub.control("pull-" + other, "3");
            try {
                Cli.Result slow = Cli.run(Map.of("HUB_TOKEN", hub.serviceToken()), "check", "--hub-url", hub.url(),
                        "--hub-name", "slow", "--token-env", "HUB_TOKEN", "--user", other, "--probe", probes.resolve("k8s.yml").toString(),
                        "--baseline-from", s.url());
                assertEquals(3, slow.exit(), () -> slow.stdout() + slow.stderr());
                assertTrue(slow.stdout().contains("REGRESSED: spawn_image_pull took 3."), slow.stdout());
            } finally {
                hub.clearControl("pull-" + other);
            }
            Cli.Result fast = Cli.run(Map.of("HUB_TOKEN", hub.serviceToken()), "check", "--hub-url", hub.url(),
                    "--hub-name", "slow", "--token-env", "HUB_TOKEN", "--user", RealHub.user("ok"),
                    "--probe", probes.resolve("k8s.yml").toString(), "--baseline-from", s.url());
            assertAFastPullIsNotFlagged(fast);
            hub.clearControl("pull-" + user);
            Await.until("the regression resolved", 120, () -> pullWebhooks(hook, "resolved") >= 1);
            assertEquals(1, pullWebhooks(hook, "firing"), "paged once for the slow pull");
        } finally {
            hub.clearControl("pull-" + user);
            hook.stop();
        }
    }
}
