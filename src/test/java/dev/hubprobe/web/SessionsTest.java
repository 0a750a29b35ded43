package dev.hubprobe.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hubprobe.config.Secret;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The parts of the operator's session and the sign-in throttle that take hours or a minute to see. */
class SessionsTest {
    /** A clock the test moves. */
    private static final class Manual extends Clock {
        Instant now = Instant.parse("2026-12-01T08:00:00Z");

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
            return now;
        }
    }

    private static final Secret READ = Secret.of("sessions-test-read-token");
    private static final Secret API = Secret.of("sessions-test-api-token");

    @Test
    void aSessionEndsAfterEightHoursAtSignOutAndWhenItsTokenIsNoLongerConfigured() {
        Manual clock = new Manual();
        Sessions s = new Sessions(clock);
        String id = s.open(READ);
        String other = s.open(API);
        assertTrue(s.valid(id, List.of(READ, API)));
        assertFalse(s.valid(id + "x", List.of(READ, API)), "an id is a key, not a pattern");
        assertFalse(s.valid(null, List.of(READ, API)));

        clock.now = clock.now.plus(Duration.ofHours(8)).minusSeconds(1);
        assertTrue(s.valid(id, List.of(READ, API)), "still within 8 h");
        clock.now = clock.now.plusSeconds(1);
        assertFalse(s.valid(id, List.of(READ, API)), "8 h after sign-in");
        assertFalse(s.valid(other, List.of(READ, API)));
        assertEquals(0, s.size(), "an expired session is forgotten, not kept");

        String a = s.open(READ);
        String b = s.open(API);
        s.close(a);
        assertFalse(s.valid(a, List.of(READ, API)), "signed out");
        assertTrue(s.valid(b, List.of(READ, API)), "only that session");
        // the API token rotated by a reload: its sessions end with it
        assertFalse(s.valid(b, List.of(READ, Secret.of("sessions-test-api-token-2"))));
    }

    @Test
    void sessionsAreBoundedTheOldestGoingFirst() {
        Manual clock = new Manual();
        Sessions s = new Sessions(clock);
        String first = s.open(READ);
        clock.now = clock.now.plusSeconds(1);
        for (int i = 1; i < Sessions.MAX; i++) {
            s.open(READ);
        }
        assertEquals(Sessions.MAX, s.size());
        String last = s.open(READ);
        assertEquals(Sessions.MAX, s.size());
        assertFalse(s.valid(first, List.of(READ)));
        assertTrue(s.valid(last, List.of(READ)));
    }

    @Test
    void fiveWrongTokensAMinutePerAddressThenWaitUntilTheOldestIsAMinuteOld() throws Exception {
        Manual clock = new Manual();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Counter wrong = registry.counter("wrong");
        Counter throttled = registry.counter("throttled");
        LoginThrottle t = new LoginThrottle(clock, wrong, throttled);
        InetAddress a = InetAddress.getByName("192.0.2.1");
        InetAddress b = InetAddress.getByName("192.0.2.2");
        for (int i = 0; i < LoginThrottle.LIMIT; i++) {
            assertEquals(Optional.empty(), t.check(a));
            t.failed(a);
            clock.now = clock.now.plusSeconds(10);
        }
        assertEquals(Optional.of(Duration.ofSeconds(10)), t.check(a), "the first failure is 50 s old");
        assertEquals(Optional.empty(), t.check(b), "another address is not held up");
        clock.now = clock.now.plusSeconds(10);
        assertEquals(Optional.empty(), t.check(a), "a minute after the first failure, one more attempt");
        t.failed(a);
        assertTrue(t.check(a).isPresent());
        assertEquals(6, wrong.count());
        assertEquals(2, throttled.count());

        // an IPv6 host has a /64 to pick addresses from: it counts as one
        InetAddress v6 = InetAddress.getByName("2001:db8:1:2::1");
        for (int i = 0; i < LoginThrottle.LIMIT; i++) {
            t.failed(InetAddress.getByName("2001:db8:1:2::" + Integer.toHexString(100 + i)));
        }
        assertTrue(t.check(v6).isPresent());
        assertEquals(Optional.empty(), t.check(InetAddress.getByName("2001:db8:1:3::1")));
    }
}
