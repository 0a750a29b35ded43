package dev.hubprobe.alerting;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import dev.hubprobe.testhub.Await;
import dev.hubprobe.testhub.RealHub;
import dev.hubprobe.testhub.RealHubExtension;
import dev.hubprobe.testhub.Service;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The page receiver is down when the hub breaks (a PagerDuty or egress outage): it answers 503 for
 * 45 s, longer than the 5 tries (about 30 s) after which hubprobe used to drop the page, then 200.
 * With the shipped retry settings the page arrives, then its resolve, in that order, and the resolve
 * is never tried while its page waits.
 */
@ExtendWith(RealHubExtension.class)
class ReceiverOutageIT {
    private final RealHub hub = RealHub.shared();

    @TempDir
    Path dir;

    @Test
    void aPageQueuedWhileTheReceiverIsDownArrivesAndThenItsResolve() throws Exception {
        WireMockServer receiver = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        receiver.start();
        receiver.stubFor(post(urlEqualTo("/hook")).willReturn(aResponse().withStatus(503)));
        String user = RealHub.user("ok");
        hub.control("fail-" + user, "the cluster is out of capacity");
        Path cfg = dir.resolve("hubprobe.yml");
        Files.writeString(cfg, """
                history: {path: data/history}
                probes_dir: %s
                defaults: {interval: 5s}
                scheduler: {jitter: 1s}
                alerting:
                  failure: {fire_after: 1, resolve_after: 1, confirm_after: 5s}
                  notifiers: [{webhook: {url: "${env:HOOK_URL}"}}]
                hubs:
                  - {name: breaks, url: %s, auth: {token: "${env:HUB_TOKEN}"}, user: %s, probes: [{probe: kernel-smoke}]}
                """.formatted(RealHub.basedir().resolve("probes"), hub.url(), user));
        try (Service s = Service.start(cfg, Map.of("HUB_TOKEN", hub.serviceToken(), "HOOK_URL", receiver.baseUrl() + "/hook"),
                dir.resolve("service.log"))) {
            Await.until("the page's first attempt", 120, () -> !attempts(receiver, false).isEmpty());
            long firstAttempt = System.nanoTime();
            hub.clearControl("fail-" + user); // the hub recovers: the resolve is decided while the page still waits
            Await.until("the resolve decided", 60, () -> s.json("/api/v1/alerts").isEmpty());
            Await.until("both waiting, on /metrics", 10, () -> s.get("/metrics").body()
                    .contains("hubprobe_notifications_pending{notifier=\"webhook\"} 2.0"));
            Thread.sleep(Math.max(0, 45_000 - (System.nanoTime() - firstAttempt) / 1_000_000));
            assertEquals(List.of(), attempts(receiver, true), "nothing got through the outage");
            receiver.stubFor(post(urlEqualTo("/hook")).willReturn(aResponse().withStatus(200)));
            // the shipped backoff (1 s doubling, at most 5 min) tries the page again some 63 s after its first attempt
            Await.until("the page and its resolve delivered", 120, () -> attempts(receiver, true).size() >= 2);
            Await.until("the backlog gone from /metrics", 30, () -> s.get("/metrics").body()
                    .contains("hubprobe_notifications_pending{notifier=\"webhook\"} 0.0"));
        } finally {
            hub.clearControl("fail-" + user);
            receiver.stop();
        }
        assertEquals(List.of("firing", "resolved"), attempts(receiver, true));
        List<String> tried = attempts(receiver, false);
        assertTrue(tried.size() > 5, "the page was tried more than five times: " + tried);
        assertEquals(List.of("resolved"), tried.subList(tried.indexOf("resolved"), tried.size()),
                "the resolve was tried only once its page got through: " + tried);
    }

    /** The statuses the receiver was sent, in order; only those it took (200) with {@code acceptedOnly}. */
    private static List<String> attempts(WireMockServer receiver, boolean acceptedOnly) {
        List<ServeEvent> events = new ArrayList<>(receiver.getAllServeEvents());
        java.util.Collections.reverse(events); // WireMock lists the newest first; requests within one millisecond keep their order
        events.sort(Comparator.comparing(e -> e.getRequest().getLoggedDate()));
        List<String> out = new ArrayList<>();
        for (ServeEvent e : events) {
            if (!acceptedOnly || e.getResponse().getStatus() == 200) {
                String body = e.getRequest().getBodyAsString();
                out.add(body.contains("\"status\":\"resolved\"") ? "resolved" : body.contains("\"status\":\"firing\"") ? "firing" : body);
            }
        }
        return out;
    }
}
