package dev.hubprobe.probe.steps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hubprobe.config.Secret;
import dev.hubprobe.probe.ProbeClock;
import dev.hubprobe.probe.ProbeTarget;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Listed TLS endpoints share one pool across hubs: a hub listing many endpoints that hang may have
 * only its share in flight, so it cannot take every thread (and leave the pool's queue to hold every
 * other hub's inspections back).
 */
class EndpointCertificatesTest {
    @Test
    void aHubListingManyHangingEndpointsGetsOnlyItsShareOfThePoolAndAnotherHubIsStillInspected() throws Exception {
        // accepts connections (the backlog) and never answers a ClientHello: every handshake hangs to its timeout
        try (ServerSocket silent = new ServerSocket(0, 100, InetAddress.getLoopbackAddress())) {
            List<ProbeTarget.Endpoint> many = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                many.add(new ProbeTarget.Endpoint("e" + i, "127.0.0.1", silent.getLocalPort()));
            }
            ProbeTarget greedy = new ProbeTarget("greedy", "https://greedy.example.org", "bot",
                    new ProbeTarget.Token(Secret.of("t")), new ProbeTarget.Tls(null, 0, many));
            ProbeTarget other = new ProbeTarget("other", "https://other.example.org", "bot",
                    new ProbeTarget.Token(Secret.of("t")), new ProbeTarget.Tls(null, 0,
                    List.of(new ProbeTarget.Endpoint("api", "127.0.0.1", silent.getLocalPort()))));
            EndpointCertificates first = EndpointCertificates.start(greedy, Duration.ofSeconds(2), ProbeClock.SYSTEM);
            EndpointCertificates second = EndpointCertificates.start(other, Duration.ofSeconds(2), ProbeClock.SYSTEM);
            Map<String, String> facts = new LinkedHashMap<>();
            List<String> notes = new ArrayList<>();
            first.into(facts, notes);
            List<String> otherNotes = new ArrayList<>();
            second.into(facts, otherNotes);
            assertEquals(40 - EndpointCertificates.PER_HUB, notes.stream().filter(n -> n.contains("was not inspected")).count(),
                    notes::toString);
            assertEquals(1, otherNotes.size(), otherNotes::toString);
            assertTrue(otherNotes.get(0).contains("did not"), "the other hub's endpoint was tried: " + otherNotes);
        }
    }
}
