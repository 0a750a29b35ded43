package dev.hubprobe.alerting;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.hubprobe.alerting.notify.AlertmanagerNotifier;
import dev.hubprobe.alerting.notify.Dispatcher;
import dev.hubprobe.alerting.notify.Outbox;
import dev.hubprobe.alerting.notify.Notifier;
import dev.hubprobe.alerting.notify.PagerDutyNotifier;
import dev.hubprobe.alerting.notify.SlackNotifier;
import dev.hubprobe.alerting.notify.WebhookNotifier;
import dev.hubprobe.config.Secret;
import dev.hubprobe.history.HistoryStore;
import dev.hubprobe.probe.Phase;
import dev.hubprobe.probe.PhaseResult;
import dev.hubprobe.probe.ProbeKey;
import dev.hubprobe.probe.Reason;
import dev.hubprobe.probe.RunResult;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import dev.hubprobe.environment.Environment;
import dev.hubprobe.environment.Package;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Failure and regression alerts, their state across restarts, and the payloads each receiver gets. */
class AlertEngineTest {
    @TempDir
    Path dir;
    private WireMockServer receivers;
    private HistoryStore history;
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private Instant now = Instant.parse("2026-11-22T10:00:00Z");
    private AlertPolicy policy = AlertPolicy.DEFAULTS;

    /** H2 here; a real PostgreSQL, shared-store mode, in {@link AlertEnginePostgresIT}. */
    protected dev.hubprobe.history.Database database() {
        return dev.hubprobe.history.Database.h2(dir.resolve("db"));
    }

    @BeforeEach
    void start() throws Exception {
        receivers = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        receivers.start();
        for (String path : List.of("/pd", "/slack/T0/B0/secret", "/hook", "/api/v2/alerts")) {
            receivers.stubFor(post(urlEqualTo(path)).willReturn(aResponse().withStatus(202)));
        }
        history = HistoryStore.open(database());
    }

    @AfterEach
    void stop() {
        history.close();
        receivers.stop();
    }

    private AlertEngine engine() {
        return engine(Duration.ofHours(1));
    }

    private AlertEngine engine(Duration resend) {
        return engine(resend, hub -> policy);
    }

    private AlertEngine engine(java.util.function.Function<String, AlertPolicy> policies) {
        return engine(Duration.ofHours(1), policies);
    }

    private AlertEngine engine(Duration resend, java.util.function.Function<String, AlertPolicy> policies) {
        String base = receivers.baseUrl();
        List<Notifier> notifiers = List.of(
                new AlertmanagerNotifier(List.of(base), "http://hubprobe.example:8080"),
                new PagerDutyNotifier(Secret.of("pd-routing-key"), base + "/pd"),
                new SlackNotifier(Secret.of(base + "/slack/T0/B0/secret")),
                new WebhookNotifier(Secret.of(base + "/hook")));
        Supplier<Instant> clock = () -> now;
        return new AlertEngine(new AlertStore(history.dataSource(), history.database().shared()), new Dispatcher(notifiers,
                new Outbox(history.dataSource(), "test", Clock.systemUTC()), registry,
                new Dispatcher.Retry(Duration.ofMillis(50), Duration.ofMillis(200), Duration.ofMinutes(1))),
                history, policies, registry, new Clock() {
                    @Override
                    public java.time.ZoneId getZone() {
                        return ZoneOffset.UTC;
                    }

                    @Override
                    public Clock withZone(java.time.ZoneId zone) {
                        return this;
                    }

                    @Override
                    public Instant instant() {
                        return clock.get();
                    }
                }, "http://hubprobe.example:8080", resend);
    }

    private RunResult run(boolean passed, double spawnSeconds) {
        now = now.plusSeconds(60);
        Duration spawn = Duration.ofMillis(Math.round(spawnSeconds * 1000));
        RunResult r = new RunResult(UUID.randomUUID().toString(), "staging", "kernel-smoke", "bot", now, spawn.plusSeconds(2),
                List.of(new PhaseResult(Phase.HUB_API, PhaseResult.Status.PASSED, Duration.ofMillis(10), null, null),
                        passed ? new PhaseResult(Phase.SPAWN, PhaseResult.Status.PASSED, spawn, null, null)
                                : new PhaseResult(Phase.SPAWN, PhaseResult.Status.FAILED, spawn, Reason.SPAWN_FAILED, "Spawn failed: boom")),
                List.of(), null, passed ? null : Phase.SPAWN, passed ? null : Reason.SPAWN_FAILED, passed ? null : "Spawn failed: boom",
                Map.of(), List.of());
        history.accept(r);
        return r;
    }

    private List<LoggedRequest> requests(String path) {
        return receivers.findAll(postRequestedFor(urlEqualTo(path)));
    }

    private void awaitRequests(String path, int n) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (requests(path).size() < n && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        Thread.sleep(200); // and no more than that
        assertEquals(n, requests(path).size(), () -> path + ": " + requests(path));
    }

    @Test
    void oneAlertPerOutageThatSurvivesARestartAndResolvesOnce() throws Exception {
        try (AlertEngine e = engine()) {
            e.accept(run(false, 1));
            assertTrue(e.firing().isEmpty(), "one failure does not page");
            for (int i = 0; i < 4; i++) {
                e.accept(run(false, 1));
            }
            assertEquals(1, e.firing().size());
            awaitRequests("/hook", 1);
        }
        try (AlertEngine restarted = engine()) {
            restarted.accept(run(false, 1));
            restarted.accept(run(true, 1));
            assertEquals(1, restarted.firing().size(), "one pass does not resolve");
            restarted.accept(run(true, 1));
            assertTrue(restarted.firing().isEmpty());
            awaitRequests("/hook", 2);
        }
        List<LoggedRequest> hook = requests("/hook");
        assertTrue(hook.get(0).getBodyAsString().contains("\"status\":\"firing\""), hook.get(0).getBodyAsString());
        assertTrue(hook.get(1).getBodyAsString().contains("\"status\":\"resolved\""), hook.get(1).getBodyAsString());
        receivers.verify(postRequestedFor(urlEqualTo("/hook"))
                .withRequestBody(matchingJsonPath("$.labels", equalToJson("{\"alertname\": \"HubprobeProbeFailing\", \"hub\": \"staging\", \"probe\": \"kernel-smoke\", \"severity\": \"page\"}")))
                .withRequestBody(matchingJsonPath("$.annotations.phase", equalTo("spawn")))
                .withRequestBody(matchingJsonPath("$.annotations.reason", equalTo("spawn_failed"))));

        // PagerDuty: trigger then resolve, on one dedup key
        awaitRequests("/pd", 2);
        receivers.verify(postRequestedFor(urlEqualTo("/pd"))
                .withRequestBody(matchingJsonPath("$.event_action", equalTo("trigger")))
                .withRequestBody(matchingJsonPath("$.routing_key", equalTo("pd-routing-key")))
                .withRequestBody(matchingJsonPath("$.dedup_key", equalTo("hubprobe/failure/staging/kernel-smoke")))
                .withRequestBody(matchingJsonPath("$.payload.summary", equalTo("probe kernel-smoke is failing on hub staging"))));
        receivers.verify(postRequestedFor(urlEqualTo("/pd"))
                .withRequestBody(matchingJsonPath("$.event_action", equalTo("resolve")))
                .withRequestBody(matchingJsonPath("$.dedup_key", equalTo("hubprobe/failure/staging/kernel-smoke"))));

        // Slack: a message each way
        awaitRequests("/slack/T0/B0/secret", 2);
        assertTrue(requests("/slack/T0/B0/secret").get(0).getBodyAsString().contains("is failing on hub staging"));

        // Alertmanager: firing with labels and annotations, then the same alert with endsAt
        awaitRequests("/api/v2/alerts", 2);
        receivers.verify(postRequestedFor(urlEqualTo("/api/v2/alerts"))
                .withRequestBody(matchingJsonPath("$[0].labels.alertname", equalTo("HubprobeProbeFailing")))
                .withRequestBody(matchingJsonPath("$[0].annotations.run_url"))
                .withRequestBody(matchingJsonPath("$[0].generatorURL", equalTo("http://hubprobe.example:8080"))));
        assertTrue(requests("/api/v2/alerts").get(1).getBodyAsString().contains("endsAt"));
    }

    private RunResult withSqlite(boolean passed, String version) {
        now = now.plusSeconds(60);
        RunResult r = new RunResult(UUID.randomUUID().toString(), "staging", "kernel-smoke", "bot", now, Duration.ofSeconds(5),
                List.of(new PhaseResult(Phase.EXECUTE, passed ? PhaseResult.Status.PASSED : PhaseResult.Status.FAILED, Duration.ofMillis(50),
                        passed ? null : Reason.EXECUTE_ERROR, passed ? null : "ImportError: libsqlite3.so.0")), List.of(), null,
                passed ? null : Phase.EXECUTE, passed ? null : Reason.EXECUTE_ERROR, passed ? null : "ImportError: libsqlite3.so.0",
                Map.of(), List.of(), Environment.captured("img:latest", null, "3.12.7",
                        List.of(new Package("libsqlite", version, "h1", "conda-forge")), false));
        r = history.environments().compare(r);
        history.accept(r);
        return r;
    }

    @Test
    void aFailureAfterTheEnvironmentChangedSaysWhatChangedToEveryReceiver() throws Exception {
        try (AlertEngine e = engine()) {
            e.accept(withSqlite(true, "3.45.3"));
            e.accept(withSqlite(false, "3.46.0"));
            RunResult second = withSqlite(false, "3.46.0");
            e.accept(second);
            awaitRequests("/hook", 1);
            String line = "environment changed since the last passing run (2026-11-22 10:01 UTC): libsqlite 3.45.3 → 3.46.0";
            String url = "http://hubprobe.example:8080/api/v1/hubs/staging/environments/diff?from="
                    + history.runs("staging", null, null, true, 1).get(0).environment().fingerprint() + "&to="
                    + second.environment().fingerprint();
            receivers.verify(postRequestedFor(urlEqualTo("/hook"))
                    .withRequestBody(matchingJsonPath("$.annotations.environment_change", equalTo(line)))
                    .withRequestBody(matchingJsonPath("$.annotations.environment_diff_url", equalTo(url))));
            awaitRequests("/pd", 1);
            assertTrue(requests("/pd").get(0).getBodyAsString().contains(line), requests("/pd").get(0)::getBodyAsString);
            awaitRequests("/slack/T0/B0/secret", 1);
            assertTrue(requests("/slack/T0/B0/secret").get(0).getBodyAsString().contains(line));
            awaitRequests("/api/v2/alerts", 1);
            assertTrue(requests("/api/v2/alerts").get(0).getBodyAsString().contains(line));
        }
    }

    @Test
    void deliveryIsRetriedOnServerErrors() throws Exception {
        receivers.stubFor(post(urlEqualTo("/hook")).inScenario("flaky").whenScenarioStateIs(Scenario.STARTED)
                .willReturn(aResponse().withStatus(503)).willSetStateTo("ok"));
        receivers.stubFor(post(urlEqualTo("/hook")).inScenario("flaky").whenScenarioStateIs("ok")
                .willReturn(aResponse().withStatus(200)));
        try (AlertEngine e = engine()) {
            e.accept(run(false, 1));
            e.accept(run(false, 1));
            awaitRequests("/hook", 2);
        }
        assertEquals(1.0, registry.get("hubprobe.notifications").tags("notifier", "webhook", "result", "success").counter().count());
    }

    @Test
    void nothingPagesDuringMaintenance() throws Exception {
        policy = new AlertPolicy(2, 2, Duration.ofHours(4), "page", true, Duration.ofDays(30), 10, 3, 2.0, Duration.ofSeconds(30),
                1.5, List.of(new AlertPolicy.Window(now, now.plus(Duration.ofHours(2)), "upgrade")));
        try (AlertEngine e = engine()) {
            for (int i = 0; i < 5; i++) {
                e.accept(run(false, 1));
            }
            assertTrue(e.firing().isEmpty());
        }
        awaitRequests("/hook", 0);
    }

    @Test
    void nothingPagesWhileTheHubIsSilencedAndPagingResumesAfter() throws Exception {
        try (AlertEngine e = engine()) {
            e.store().silence("staging", now.plus(Duration.ofMinutes(10)), "planned upgrade");
            for (int i = 0; i < 5; i++) {
                e.accept(run(false, 1));   // 5 minutes of failures inside the silence
            }
            assertTrue(e.firing().isEmpty());
            for (int i = 0; i < 7; i++) {
                e.accept(run(false, 1));   // past the silence: counting starts again, and pages
            }
            assertEquals(1, e.firing().size());
        }
        awaitRequests("/hook", 1);
    }

    @Test
    void slowerSpawnFiresARegressionWithBaselineAndCurrentThenResolves() throws Exception {
        policy = new AlertPolicy(2, 2, Duration.ofHours(4), "page", true, Duration.ofDays(30), 10, 3, 2.0, Duration.ofSeconds(5),
                1.5, List.of());
        try (AlertEngine e = engine()) {
            for (int i = 0; i < 12; i++) {
                e.accept(run(true, 10 + (i % 3) * 0.5));   // noise around 10.5 s does not fire
            }
            assertTrue(e.firing().isEmpty(), "noise must not fire");
            for (int i = 0; i < 3; i++) {
                e.accept(run(true, 31));  // 3x slower
            }
            Alert a = e.firing().stream().filter(x -> x.kind() == Alert.Kind.REGRESSION).findFirst().orElseThrow();
            assertEquals("spawn", a.phase());
            assertEquals("10.500", a.annotations().get("baseline_seconds"));
            assertEquals("31.000", a.annotations().get("current_seconds"));
            assertEquals(1.0, registry.get("hubprobe.regression.active").tags("hub", "staging", "phase", "spawn").gauge().value());
            for (int i = 0; i < 3; i++) {
                e.accept(run(true, 10.5));
            }
            assertTrue(e.firing().isEmpty(), "recovered");
            assertEquals(0.0, registry.get("hubprobe.regression.active").tags("hub", "staging", "phase", "spawn").gauge().value());
            assertTrue(registry.get("hubprobe.phase.baseline.seconds").tags("phase", "spawn").gauge().value() > 10);
        }
        awaitRequests("/hook", 2);
        assertTrue(requests("/hook").get(0).getBodyAsString().contains("HubprobeLatencyRegression"));
    }

    /** A run whose app phase app_rstudio (one of the probe's apps:) passed in {@code seconds}, or failed. */
    private RunResult appRun(boolean passed, double seconds) {
        return appRun(passed, seconds, "rstudio");
    }

    private RunResult appRun(boolean passed, double seconds, String name) {
        now = now.plusSeconds(60);
        Duration d = Duration.ofMillis(Math.round(seconds * 1000));
        PhaseResult app = passed ? new PhaseResult(Phase.APP, PhaseResult.Status.PASSED, d, null, null, name)
                : new PhaseResult(Phase.APP, PhaseResult.Status.FAILED, d, Reason.APP_FAILED, "GET /user/bot/" + name + "/ answered 502", name);
        RunResult r = new RunResult(UUID.randomUUID().toString(), "staging", "kernel-smoke", "bot", now, d.plusSeconds(2),
                List.of(new PhaseResult(Phase.HUB_API, PhaseResult.Status.PASSED, Duration.ofMillis(10), null, null), app),
                List.of(), null, passed ? null : Phase.APP, passed ? null : Reason.APP_FAILED, passed ? null : app.message(),
                Map.of(), List.of());
        history.accept(r);
        return r;
    }

    @Test
    void anAppPhaseRegressesAndFailsUnderItsOwnLabel() throws Exception {
        policy = new AlertPolicy(2, 2, Duration.ofHours(4), "page", true, Duration.ofDays(30), 10, 3, 2.0, Duration.ofSeconds(1),
                1.5, List.of());
        try (AlertEngine e = engine()) {
            for (int i = 0; i < 12; i++) {
                e.accept(appRun(true, 1 + (i % 3) * 0.1));
            }
            for (int i = 0; i < 3; i++) {
                e.accept(appRun(true, 6));
            }
            Alert a = e.firing().stream().filter(x -> x.kind() == Alert.Kind.REGRESSION).findFirst().orElseThrow();
            assertEquals("app_rstudio", a.phase(), "the baseline is the app's own, read back from the history");
            assertEquals(1.0, registry.get("hubprobe.regression.active").tags("hub", "staging", "phase", "app_rstudio").gauge().value());
            e.accept(appRun(false, 0.2));
            e.accept(appRun(false, 0.2));
            Alert failing = e.firing().stream().filter(x -> x.kind() == Alert.Kind.FAILURE).findFirst().orElseThrow();
            assertEquals("app rstudio of probe kernel-smoke is failing on hub staging (its server started and ran the cells)",
                    failing.annotations().get("summary"), "the headline says it is the app, not the hub");
        }
        receivers.verify(postRequestedFor(urlEqualTo("/hook"))
                .withRequestBody(matchingJsonPath("$.annotations.phase", equalTo("app_rstudio")))
                .withRequestBody(matchingJsonPath("$.annotations.reason", equalTo("app_failed"))));
    }

    @Test
    void anAppRenamedBetweenRunsTakesItsOldGaugesOffTheRegistry() throws Exception {
        policy = new AlertPolicy(2, 2, Duration.ofHours(4), "page", true, Duration.ofDays(30), 10, 3, 2.0, Duration.ofSeconds(1),
                1.5, List.of());
        try (AlertEngine e = engine()) {
            for (int i = 0; i < 15; i++) {
                e.accept(appRun(true, 1 + (i % 3) * 0.1));
            }
            assertNotNull(registry.find("hubprobe.phase.baseline.seconds").tags("phase", "app_rstudio").gauge());
            assertNotNull(registry.find("hubprobe.regression.active").tags("phase", "app_rstudio").gauge());
            e.accept(appRun(true, 1, "r")); // the probe file renamed rstudio to r
            assertNull(registry.find("hubprobe.phase.baseline.seconds").tags("phase", "app_rstudio").gauge(),
                    "the old name's baseline is not left frozen");
            assertNull(registry.find("hubprobe.regression.active").tags("phase", "app_rstudio").gauge());
            assertNotNull(registry.find("hubprobe.phase.baseline.seconds").tags("phase", "hub_api").gauge(), "the other phases' stay");
        }
    }

    @Test
    void oneDeadAlertmanagerDoesNotFailTheDelivery() throws Exception {
        int dead;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            dead = s.getLocalPort();
        }
        Alert a = Alert.fresh("failure/staging/kernel-smoke", Alert.Kind.FAILURE, "staging", "kernel-smoke", null).fire(now, Map.of());
        AlertEvent event = new AlertEvent(AlertEvent.Type.FIRING, a, a.labels("page"));
        // one instance of the pair is down: the alert still reached the cluster
        new AlertmanagerNotifier(List.of("http://127.0.0.1:" + dead, receivers.baseUrl()), null).deliver(event);
        receivers.verify(1, postRequestedFor(urlEqualTo("/api/v2/alerts")));
        // every instance down: a failure, for the dispatcher to retry and count
        org.junit.jupiter.api.Assertions.assertThrows(Notifier.RetryableException.class,
                () -> new AlertmanagerNotifier(List.of("http://127.0.0.1:" + dead), null).deliver(event));
    }

    private RunResult withCertificate(Instant notAfter, Instant endpointNotAfter) {
        now = now.plusSeconds(60);
        return new RunResult(UUID.randomUUID().toString(), "staging", "kernel-smoke", "bot", now, Duration.ofSeconds(5),
                List.of(new PhaseResult(Phase.HUB_API, PhaseResult.Status.PASSED, Duration.ofMillis(20), null, null)), List.of(), null,
                null, null, null, Map.of("tls.not_after", notAfter.toString(), "tls.endpoint.k8s-api.not_after", endpointNotAfter.toString()),
                List.of());
    }

    @Test
    void certificatesWarnThenPageThenResolveWhenRenewed() throws Exception {
        AlertEngine engine = engine();
        try {
            Instant far = now.plus(Duration.ofDays(90));
            engine.accept(withCertificate(now.plus(Duration.ofDays(20)), far)); // 20 days: a warning
            awaitRequests("/hook", 1);
            String warning = requests("/hook").get(0).getBodyAsString();
            assertTrue(warning.contains("\"alertname\":\"HubprobeTlsCertificateExpiring\"") && warning.contains("\"severity\":\"warning\"")
                    && warning.contains("\"endpoint\":\"hub\"") && warning.contains("\"status\":\"firing\""), warning);
            engine.accept(withCertificate(now.plus(Duration.ofDays(19)), far)); // still a warning: nothing new
            engine.accept(withCertificate(now.plus(Duration.ofDays(6)), far)); // under 7 days: the warning gives way to a page
            awaitRequests("/hook", 3);
            assertTrue(requests("/hook").get(1).getBodyAsString().contains("\"status\":\"resolved\""), requests("/hook").get(1)::getBodyAsString);
            String page = requests("/hook").get(2).getBodyAsString();
            assertTrue(page.contains("\"severity\":\"page\"") && page.contains("\"status\":\"firing\""), page);
            assertEquals(1, engine.firing().size(), "one alert per (hub, endpoint)");
            // a listed endpoint (the Kubernetes API) expired: its own alert, named by its endpoint
            engine.accept(withCertificate(now.plus(Duration.ofDays(6)), now.minus(Duration.ofHours(1))));
            awaitRequests("/hook", 4);
            String k8s = requests("/hook").get(3).getBodyAsString();
            assertTrue(k8s.contains("\"endpoint\":\"k8s-api\"") && k8s.contains("has expired"), k8s);
            // both renewed: both resolve, once resolve_after (2) runs in a row saw the new certificates
            engine.accept(withCertificate(now.plus(Duration.ofDays(90)), far));
            assertEquals(2, engine.firing().size(), "resolved after one run with the renewed certificates");
            engine.accept(withCertificate(now.plus(Duration.ofDays(90)), far));
            awaitRequests("/hook", 6);
            assertTrue(engine.firing().isEmpty(), engine.firing()::toString);
        } finally {
            engine.close();
        }
    }

    /** A run cut short by a stop of the prober (SIGTERM mid-spawn). */
    private RunResult aborted() {
        now = now.plusSeconds(60);
        RunResult r = new RunResult(UUID.randomUUID().toString(), "staging", "kernel-smoke", "bot", now, Duration.ofSeconds(4),
                List.of(new PhaseResult(Phase.HUB_API, PhaseResult.Status.PASSED, Duration.ofMillis(10), null, null),
                        new PhaseResult(Phase.SPAWN, PhaseResult.Status.FAILED, Duration.ofSeconds(3), Reason.ABORTED,
                                "the prober was asked to stop during the spawn")),
                List.of(), null, Phase.SPAWN, Reason.ABORTED, "the prober was asked to stop during the spawn", Map.of(), List.of());
        history.accept(r);
        return r;
    }

    @Test
    void runsCutShortByAStopCountForNothing() throws Exception {
        try (AlertEngine e = engine()) {
            // two rolling restarts (and a third) with fire_after 2: nothing pages
            e.accept(aborted());
            e.accept(aborted());
            e.accept(aborted());
            assertTrue(e.firing().isEmpty(), "aborted runs paged: " + e.firing());
            // not a pass either: a failure, aborts, a failure is two failures in a row
            e.accept(run(false, 1));
            e.accept(aborted());
            e.accept(run(false, 1));
            assertEquals(1, e.firing().size());
            assertEquals("spawn_failed", e.firing().get(0).annotations().get("reason"));
            // and an abort between two passes does not keep the alert open
            e.accept(run(true, 1));
            e.accept(aborted());
            e.accept(run(true, 1));
            assertTrue(e.firing().isEmpty(), "two passes around an abort resolve: " + e.firing());
        }
        awaitRequests("/hook", 2);
        assertTrue(requests("/hook").stream().noneMatch(q -> q.getBodyAsString().contains("aborted")), "an abort reached a receiver");
    }

    private int amRequests() {
        return requests("/api/v2/alerts").size();
    }

    @Test
    void maintenanceSendsNothingNewAndLetsAnOpenAlertResolve() throws Exception {
        Instant start = now.plus(Duration.ofMinutes(10));
        policy = new AlertPolicy(2, 2, Duration.ofMinutes(30), "page", true, Duration.ofDays(30), 10, 3, 2.0, Duration.ofSeconds(30),
                1.5, List.of(new AlertPolicy.Window(start, start.plus(Duration.ofHours(6)), "upgrade")));
        try (AlertEngine e = engine(Duration.ofMillis(100))) {
            e.accept(run(false, 1));
            e.accept(run(false, 1));
            assertEquals(1, e.firing().size(), "fires before the window");
            awaitRequests("/hook", 1);
            now = start.plusSeconds(1); // the window begins with the alert open
            Thread.sleep(400); // the resender's rounds: nothing re-sent to Alertmanager in the window
            int am = amRequests();
            for (int i = 0; i < 40; i++) {
                e.accept(run(false, 1)); // 40 minutes of failures, past the 30 min reminder: no reminder
            }
            Thread.sleep(500);
            assertEquals(am, amRequests(), "re-sent to Alertmanager during maintenance");
            awaitRequests("/hook", 1);
            // the hub comes back inside the window: the open alert resolves as usual
            e.accept(run(true, 1));
            e.accept(run(true, 1));
            assertTrue(e.firing().isEmpty(), "the open alert did not resolve in maintenance: " + e.firing());
            awaitRequests("/hook", 2);
            assertTrue(requests("/hook").get(1).getBodyAsString().contains("\"status\":\"resolved\""));
            // still inside the window: a new outage does not page
            for (int i = 0; i < 5; i++) {
                e.accept(run(false, 1));
            }
            assertTrue(e.firing().isEmpty(), "a new alert fired in maintenance");
        }
        awaitRequests("/hook", 2);
    }

    @Test
    void aSilenceStopsRemindersAndReSendsButNotTheResolve() throws Exception {
        try (AlertEngine e = engine(Duration.ofMillis(100))) {
            e.accept(run(false, 1));
            e.accept(run(false, 1));
            awaitRequests("/hook", 1);
            e.store().silence("staging", now.plus(Duration.ofHours(1)), "planned upgrade");
            Thread.sleep(300);
            int am = amRequests();
            Thread.sleep(600);
            assertEquals(am, amRequests(), "re-sent to Alertmanager while silenced");
            e.accept(run(true, 1));
            e.accept(run(true, 1));
            assertTrue(e.firing().isEmpty());
            awaitRequests("/hook", 2);
        }
    }

    /** A passing run whose spawn had (or not) a scale-up of this many seconds. */
    private RunResult withScaleUp(Double scaleUpSeconds) {
        now = now.plusSeconds(60);
        List<PhaseResult> spawn = scaleUpSeconds == null ? List.of()
                : List.of(new PhaseResult(Phase.SPAWN_SCALE_UP, PhaseResult.Status.PASSED, Duration.ofMillis(Math.round(scaleUpSeconds * 1000)),
                null, null));
        RunResult r = new RunResult(UUID.randomUUID().toString(), "staging", "kernel-smoke", "bot", now, Duration.ofSeconds(30),
                List.of(new PhaseResult(Phase.HUB_API, PhaseResult.Status.PASSED, Duration.ofMillis(10), null, null),
                        new PhaseResult(Phase.SPAWN, PhaseResult.Status.PASSED, Duration.ofSeconds(20), null, null)),
                spawn, scaleUpSeconds != null, null, null, null, Map.of(), List.of());
        history.accept(r);
        return r;
    }

    private boolean scaleUpFiring(AlertEngine e) {
        return e.firing().stream().anyMatch(a -> a.kind() == Alert.Kind.REGRESSION && "spawn_scale_up".equals(a.phase()));
    }

    @Test
    void aPhaseOnlySomeRunsHaveIsJudgedOnTheRunsThatHaveIt() throws Exception {
        policy = new AlertPolicy(2, 2, Duration.ofHours(4), "page", true, Duration.ofDays(30), 4, 3, 2.0, Duration.ofSeconds(5),
                1.5, List.of());
        try (AlertEngine e = engine()) {
            for (int i = 0; i < 15; i++) {
                e.accept(withScaleUp(i % 3 == 0 ? 10.0 : null)); // a scale-up every third spawn, 10 s
            }
            for (int i = 0; i < 3; i++) {
                e.accept(withScaleUp(60.0)); // three slow scale-ups in a row
            }
            assertTrue(scaleUpFiring(e), "slow scale-ups fire: " + e.firing());
            // fast again, but only every third spawn scales up: judged on the last three that did
            for (int i = 0; i < 9; i++) {
                e.accept(withScaleUp(i % 3 == 0 ? 10.0 : null));
            }
            assertTrue(!scaleUpFiring(e), "the scale-up regression stays firing although its last 3 samples are fast: " + e.firing());
        }
        awaitRequests("/hook", 2);
        assertTrue(requests("/hook").get(1).getBodyAsString().contains("\"status\":\"resolved\""));
    }

    @Test
    void aPhaseWithoutASampleForTheWindowResolves() throws Exception {
        policy = new AlertPolicy(2, 2, Duration.ofHours(4), "page", true, Duration.ofDays(1), 4, 3, 2.0, Duration.ofSeconds(5),
                1.5, List.of());
        try (AlertEngine e = engine()) {
            for (int i = 0; i < 6; i++) {
                e.accept(withScaleUp(10.0));
            }
            for (int i = 0; i < 3; i++) {
                e.accept(withScaleUp(60.0));
            }
            assertTrue(scaleUpFiring(e));
            e.accept(withScaleUp(null));
            assertTrue(scaleUpFiring(e), "resolved before the window passed without a sample");
            now = now.plus(Duration.ofDays(1)); // the cluster no longer scales up: no sample for a whole window
            e.accept(withScaleUp(null));
            assertTrue(!scaleUpFiring(e), "no sample for the window and still firing: " + e.firing());
        }
        awaitRequests("/hook", 2);
    }

    @Test
    void aCertificateAlertResolvesOnlyAfterResolveAfterRunsSawTheRenewedOne() throws Exception {
        Instant far = now.plus(Duration.ofDays(300));
        try (AlertEngine e = engine()) {
            e.accept(withCertificate(now.plus(Duration.ofDays(5)), far)); // under 7 days: a page
            awaitRequests("/hook", 1);
            // behind a load balancer, one backend renewed and one not: each run sees either
            for (int i = 0; i < 4; i++) {
                e.accept(withCertificate(now.plus(Duration.ofDays(i % 2 == 0 ? 89 : 5)), far));
            }
            assertEquals(1, e.firing().size(), "the certificate alert flapped");
            awaitRequests("/hook", 1);
            e.accept(withCertificate(now.plus(Duration.ofDays(89)), far));
            assertEquals(1, e.firing().size(), "one run with the new certificate is not resolve_after (2)");
            e.accept(withCertificate(now.plus(Duration.ofDays(89)), far));
            assertTrue(e.firing().isEmpty(), e.firing()::toString);
            awaitRequests("/hook", 2);
        }
    }

    /**
     * A run of a pair still in flight when a reload removes the pair: it passed the engine's "configured"
     * check before the reload and reaches the pair's lock after retainOnly resolved the alert. It must not
     * fire the alert again; and the resolve counts from zero, so a pair configured again later needs
     * fire_after new failures before it pages.
     */
    @Test
    void aRunThatReachesTheLockAfterItsPairWasRemovedDoesNotFireItAgain() throws Exception {
        java.util.concurrent.CountDownLatch inAccept = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicBoolean hold = new java.util.concurrent.atomic.AtomicBoolean();
        dev.hubprobe.probe.ProbeKey key = new dev.hubprobe.probe.ProbeKey("staging", "kernel-smoke");
        try (AlertEngine e = engine(hub -> {
            if (hold.getAndSet(false)) { // the late run: between the configured check and the lock
                inAccept.countDown();
                try {
                    go.await();
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
            return policy;
        })) {
            e.retainOnly(java.util.Set.of(key));
            e.accept(run(false, 1));
            e.accept(run(false, 1));
            awaitRequests("/hook", 1);
            hold.set(true);
            RunResult late = run(false, 1);
            Thread inFlight = new Thread(() -> e.accept(late));
            inFlight.start();
            assertTrue(inAccept.await(10, java.util.concurrent.TimeUnit.SECONDS));
            e.retainOnly(java.util.Set.of());
            go.countDown();
            inFlight.join(10_000);
            awaitRequests("/hook", 2);
            assertTrue(requests("/hook").get(1).getBodyAsString().contains("resolved"), requests("/hook").get(1).getBodyAsString());
            assertTrue(e.firing().isEmpty(), () -> "fired again after the removal: " + e.firing());

            e.retainOnly(java.util.Set.of(key)); // configured again: one failure is not fire_after (2) failures
            e.accept(run(false, 1));
            awaitRequests("/hook", 2);
            assertTrue(e.firing().isEmpty(), () -> "a single failure paged: " + e.firing());
        }
    }

    /** fire_after 3, resolve_after 2; a regression: the last 3 runs at twice a baseline of 10 or more, 5 s slower at least. */
    private static final AlertPolicy COUNTING = new AlertPolicy(3, 2, Duration.ofHours(4), "page", true, Duration.ofDays(30), 10, 3,
            2.0, Duration.ofSeconds(5), 1.5, List.of());

    private static long failures(AlertEngine e) {
        return e.firing().stream().filter(a -> a.kind() == Alert.Kind.FAILURE).count();
    }

    private static Alert row(AlertEngine e) {
        return e.store().get("failure/staging/kernel-smoke").orElseThrow();
    }

    /**
     * fire_after and resolve_after counted across many passes, a silence, a restart and a reload, now that
     * a healthy pair's passing runs write nothing to the alerts table (issue 25).
     */
    @Test
    void failuresAfterManyPassesStillCountFromOneAcrossQuietRestartAndReload() {
        policy = COUNTING;
        try (AlertEngine e = engine()) {
            for (int i = 0; i < 50; i++) {
                e.accept(run(true, 1));
            }
            assertEquals(0, row(e).consecutiveFail());
            assertEquals(1, row(e).consecutivePass(), "the runs after the first healthy one wrote nothing (the old code saved 50)");
            e.accept(run(false, 1));
            e.accept(run(false, 1));
            assertEquals(0, failures(e), "two of three");
            e.accept(run(true, 1));
            e.accept(run(false, 1));
            e.accept(run(false, 1));
            assertEquals(0, failures(e), "the pass in between reset the count");
            e.accept(run(false, 1));
            assertEquals(1, failures(e));
            e.accept(run(true, 1));
            assertEquals(1, failures(e), "one pass does not resolve");
            e.accept(run(true, 1));
            assertEquals(0, failures(e));
            for (int i = 0; i < 10; i++) {
                e.accept(run(true, 1));
            }
            // silence: a failure resets the count
            e.accept(run(false, 1));
            e.store().silence("staging", now.plusSeconds(90), "x");
            e.accept(run(false, 1));
            assertEquals(0, row(e).consecutiveFail());
            e.accept(run(true, 1)); // silence over
            e.accept(run(false, 1));
            e.accept(run(false, 1));
            assertEquals(0, failures(e));
        }
        try (AlertEngine e = engine()) {
            e.accept(run(false, 1));
            assertEquals(1, failures(e), "the count survives a restart");
            e.retainOnly(Set.of());
            e.retainOnly(Set.of(new ProbeKey("staging", "kernel-smoke")));
            assertEquals(0, failures(e));
            e.accept(run(true, 1));
            e.accept(run(true, 1));
            e.accept(run(false, 1));
            e.accept(run(false, 1));
            assertEquals(0, failures(e));
            e.accept(run(false, 1));
            assertEquals(1, failures(e));
        }
    }

    /** A regression's notes, formatted only when it fires, stays firing or resolves, say the figures of that run. */
    @Test
    void regressionSilencedThenFiresUpdatesAndResolves() {
        policy = COUNTING;
        try (AlertEngine e = engine()) {
            for (int i = 0; i < 12; i++) {
                e.accept(run(true, 10));
            }
            e.store().silence("staging", now.plusSeconds(200), "x");
            for (int i = 0; i < 3; i++) {
                e.accept(run(true, 31));
            }
            assertTrue(e.firing().isEmpty(), "nothing fires in a silence");
            assertTrue(e.store().get("regression/staging/kernel-smoke/spawn").isEmpty(), "and nothing is saved");
            e.accept(run(true, 31));
            Alert a = e.firing().get(0);
            assertEquals("31.000", a.annotations().get("current_seconds"));
            e.accept(run(true, 40));
            e.accept(run(true, 40));
            assertEquals("40.000", e.firing().get(0).annotations().get("current_seconds"), "notes updated while firing");
            for (int i = 0; i < 3; i++) {
                e.accept(run(true, 10));
            }
            assertTrue(e.firing().isEmpty());
            assertEquals("10.000", e.store().get("regression/staging/kernel-smoke/spawn").orElseThrow().annotations().get("current_seconds"));
        }
    }
}
