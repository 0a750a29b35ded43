package dev.hubprobe.service;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.hubprobe.alerting.AlertEngine;
import dev.hubprobe.alerting.AlertStore;
import dev.hubprobe.alerting.notify.Dispatcher;
import dev.hubprobe.alerting.notify.Outbox;
import dev.hubprobe.history.HistoryStore;
import dev.hubprobe.metrics.ProbeMetrics;
import dev.hubprobe.probe.Phase;
import dev.hubprobe.probe.PhaseResult;
import dev.hubprobe.probe.Reason;
import dev.hubprobe.probe.RunResult;
import dev.hubprobe.schedule.ProbeScheduler;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reloads: one that changes nothing changes nothing (no job is rescheduled); a hub taken out of the
 * config takes its series off /metrics and resolves its open alerts, which are then no longer re-sent.
 */
class ReloadTest {
    @TempDir
    Path dir;
    private WireMockServer receiver;
    private HistoryStore history;
    private ProbeMetrics metrics;
    private AlertEngine alerts;
    private ProbeScheduler scheduler;

    @BeforeEach
    void start() {
        receiver = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        receiver.start();
        receiver.stubFor(post(urlEqualTo("/hook")).willReturn(aResponse().withStatus(200)));
    }

    @AfterEach
    void stop() {
        scheduler.close(Duration.ofSeconds(5));
        alerts.close();
        metrics.close();
        history.close();
        receiver.stop();
    }

    private Path config(String... hubs) throws Exception {
        Files.createDirectories(dir.resolve("probes"));
        Files.writeString(dir.resolve("probes/smoke.yml"), "cells: [{code: print(1)}]\n");
        Files.writeString(dir.resolve("hook-url"), receiver.baseUrl() + "/hook\n");
        StringBuilder yaml = new StringBuilder("""
                history: {path: data/h}
                probes_dir: probes
                defaults: {interval: 1h}
                alerting:
                  failure: {fire_after: 1, resolve_after: 1}
                  notifiers: [{webhook: {url: "${file:hook-url}"}}]
                hubs:
                """);
        for (String hub : hubs) {
            yaml.append("  - {name: ").append(hub).append(", url: 'http://127.0.0.1:9/', auth: {token: '${env:PATH}'}, user: bot,")
                    .append(" probes: [{probe: smoke}]}\n");
        }
        Path f = dir.resolve("hubprobe.yml");
        Files.writeString(f, yaml);
        return f;
    }

    private ServiceState service(Path file) throws Exception {
        LoadedConfig c = ServiceConfigLoader.load(file);
        history = HistoryStore.open(dir.resolve("data/h"));
        metrics = new ProbeMetrics("test", Duration.ZERO);
        AtomicReference<ServiceState> state = new AtomicReference<>();
        alerts = new AlertEngine(new AlertStore(history.dataSource()),
                new Dispatcher(c.notifiers(), new Outbox(history.dataSource(), "test", Clock.systemUTC()), metrics.registry(),
                        new Dispatcher.Retry(Duration.ofMillis(20), Duration.ofMillis(200), Duration.ofMinutes(1))), history,
                hub -> state.get().config().policy(hub), metrics.registry(), Clock.systemUTC(), null, Duration.ofHours(1));
        // nothing runs on a schedule in this test: results are fed in by hand
        scheduler = new ProbeScheduler(2, (p, abort) -> { throw new AssertionError("no run expected"); }, List.of(), metrics.registry());
        state.set(new ServiceState(c, scheduler, history, metrics, alerts));
        state.get().apply(c);
        return state.get();
    }

    private static RunResult failed(String hub) {
        return new RunResult(UUID.randomUUID().toString(), hub, "smoke", "bot", Instant.now(), Duration.ofSeconds(3),
                List.of(new PhaseResult(Phase.HUB_API, PhaseResult.Status.FAILED, Duration.ofSeconds(1), Reason.HUB_UNREACHABLE, "refused")),
                List.of(), null, Phase.HUB_API, Reason.HUB_UNREACHABLE, "refused", Map.of(), List.of());
    }

    @Test
    void aReloadThatChangesNothingReschedulesNothing() throws Exception {
        Path file = config("alpha", "beta");
        ServiceState s = service(file);
        // the file is read again: new objects, new Secret instances, same values
        ProbeScheduler.Changes changes = s.apply(ServiceConfigLoader.load(file));
        assertTrue(changes.none(), changes::toString);
        assertEquals(2, changes.unchanged());
        assertEquals(ServiceConfigLoader.load(file).probes(), ServiceConfigLoader.load(file).probes());
    }

    @Test
    void aRemovedHubsSeriesGoAndItsOpenAlertsResolve() throws Exception {
        Path file = config("alpha", "beta");
        ServiceState s = service(file);
        RunResult r = failed("beta");
        history.accept(r);
        metrics.accept(r);
        alerts.accept(r);
        assertEquals(1, alerts.firing().size());
        assertTrue(metrics.scrape(null).contains("hub=\"beta\""));

        config("alpha");
        assertTrue(s.reload().isEmpty(), "reload accepted");
        String scrape = metrics.scrape(null);
        assertFalse(scrape.contains("hub=\"beta\""), "series of the removed hub still exported:\n" + scrape);
        assertTrue(scrape.contains("hub=\"alpha\""));
        assertTrue(alerts.firing().isEmpty(), "the removed hub's alert still firing: " + alerts.firing());
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (receiver.findAll(postRequestedFor(urlEqualTo("/hook"))).size() < 2 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        receiver.verify(1, postRequestedFor(urlEqualTo("/hook")).withRequestBody(matchingJsonPath("$.status", com.github.tomakehurst.wiremock.client.WireMock.equalTo("resolved"))));
    }

    @Test
    void aRunOfAHubRemovedWhileItRanIsRecordedAndNothingElse() throws Exception {
        Path file = config("alpha", "beta");
        LoadedConfig c = ServiceConfigLoader.load(file);
        history = HistoryStore.open(dir.resolve("data/h"));
        metrics = new ProbeMetrics("test", Duration.ZERO);
        AtomicReference<ServiceState> state = new AtomicReference<>();
        alerts = new AlertEngine(new AlertStore(history.dataSource()),
                new Dispatcher(c.notifiers(), new Outbox(history.dataSource(), "test", Clock.systemUTC()), metrics.registry(), new Dispatcher.Retry(Duration.ofMillis(20), Duration.ofMillis(200), Duration.ofMinutes(1))), history,
                hub -> state.get().config().policy(hub), metrics.registry(), Clock.systemUTC(), null, Duration.ofHours(1));
        java.util.concurrent.CountDownLatch running = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        // the run of beta is in flight (a spawn) while the reload removes beta; it then fails
        scheduler = new ProbeScheduler(2, (p, abort) -> {
            running.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return failed(p.hub());
        }, List.of(history, metrics, alerts), metrics.registry());
        state.set(new ServiceState(c, scheduler, history, metrics, alerts));
        state.get().apply(c);
        java.util.concurrent.CompletableFuture<RunResult> run = state.get().runNow(new dev.hubprobe.probe.ProbeKey("beta", "smoke")).orElseThrow();
        running.await();
        config("alpha");
        assertTrue(state.get().reload().isEmpty(), "reload accepted");
        release.countDown();
        RunResult r = run.get(10, java.util.concurrent.TimeUnit.SECONDS);

        assertEquals(r.runId(), history.run(r.runId()).orElseThrow().runId(), "the finishing run is in the history");
        assertTrue(alerts.firing().isEmpty(), "the removed hub's run fired an alert: " + alerts.firing());
        String scrape = metrics.scrape(null);
        assertFalse(scrape.contains("hub=\"beta\""), "the removed hub's series came back:\n" + scrape);
        Thread.sleep(300);
        receiver.verify(0, postRequestedFor(urlEqualTo("/hook")));
    }

    @Test
    void anEndpointTakenOutOfTlsEndpointsResolvesItsAlert() throws Exception {
        Files.createDirectories(dir.resolve("probes"));
        Files.writeString(dir.resolve("probes/smoke.yml"), "cells: [{code: print(1)}]\n");
        Files.writeString(dir.resolve("hook-url"), receiver.baseUrl() + "/hook\n");
        String head = """
                history: {path: data/h}
                probes_dir: probes
                defaults: {interval: 1h}
                alerting:
                  notifiers: [{webhook: {url: "${file:hook-url}"}}]
                hubs:
                  - name: alpha
                    url: 'http://127.0.0.1:9/'
                    auth: {token: '${env:PATH}'}
                    user: bot
                    probes: [{probe: smoke}]
                """;
        Path file = dir.resolve("hubprobe.yml");
        Files.writeString(file, head + "    tls_endpoints: [{name: k8s-api, address: '127.0.0.1:6443'}]\n");
        ServiceState s = service(file);
        RunResult r = new RunResult(UUID.randomUUID().toString(), "alpha", "smoke", "bot", Instant.now(), Duration.ofSeconds(3),
                List.of(new PhaseResult(Phase.HUB_API, PhaseResult.Status.PASSED, Duration.ofSeconds(1), null, null)), List.of(), null,
                null, null, null, Map.of("tls.endpoint.k8s-api.not_after", Instant.now().minus(Duration.ofDays(1)).toString()), List.of());
        history.accept(r);
        alerts.accept(r);
        assertEquals(1, alerts.firing().size(), "the expired endpoint certificate fires");

        Files.writeString(file, head); // the endpoint is no longer listed
        assertTrue(s.reload().isEmpty(), "reload accepted");
        assertTrue(alerts.firing().isEmpty(), "the alert of an endpoint no longer listed still fires: " + alerts.firing());
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (receiver.findAll(postRequestedFor(urlEqualTo("/hook"))).size() < 2 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        receiver.verify(1, postRequestedFor(urlEqualTo("/hook")).withRequestBody(matchingJsonPath("$.status", com.github.tomakehurst.wiremock.client.WireMock.equalTo("resolved"))));
    }
}
