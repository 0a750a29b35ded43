package dev.hubprobe.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hubprobe.config.Cidr;
import dev.hubprobe.config.Secret;
import dev.hubprobe.history.Database;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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

    @TempDir
    java.nio.file.Path dir;
    private Database db;

    @BeforeEach
    void open() {
        db = Database.h2(dir.resolve("history"));
        db.migrate();
    }

    @AfterEach
    void close() {
        db.close();
    }

    @Test
    void aSessionEndsAfterEightHoursAtSignOutAndWhenItsTokenIsNoLongerConfigured() {
        Manual clock = new Manual();
        Sessions s = new Sessions(db.dataSource(), clock);
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
    void aSessionIsKeptInTheDatabaseAsADigestSoAnotherReplicaKnowsItAndExpiredRowsArePurged() throws Exception {
        Manual clock = new Manual();
        Sessions here = new Sessions(db.dataSource(), clock);
        Sessions there = new Sessions(db.dataSource(), clock); // another replica on the same history
        String id = here.open(READ);
        assertTrue(there.valid(id, List.of(READ, API)), "known to every replica");
        try (var c = db.dataSource().getConnection(); var rs = c.createStatement().executeQuery("SELECT id_hash, token_fp FROM operator_sessions")) {
            assertTrue(rs.next());
            assertEquals(Sessions.sha256(id), rs.getString(1), "a SHA-256 of the id, not the id");
            assertFalse(rs.getString(2).equals(Sessions.sha256(READ.reveal())), "not a plain digest of the token");
        }
        there.close(id);
        assertFalse(here.valid(id, List.of(READ, API)), "signed out at the other replica");

        here.open(READ);
        here.open(API);
        clock.now = clock.now.plus(Sessions.TTL);
        assertEquals(2, here.size());
        String fresh = there.open(READ);
        assertEquals(1, here.size(), "expired rows are deleted, not kept for ever");
        assertTrue(here.valid(fresh, List.of(READ)));
    }

    @Test
    void fiveWrongTokensAMinutePerAddressThenWaitUntilTheOldestIsAMinuteOld() throws Exception {
        Manual clock = new Manual();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Counter wrong = registry.counter("wrong");
        Counter throttled = registry.counter("throttled");
        LoginThrottle t = new LoginThrottle(clock, wrong, registry.counter("wrong_bearer"), throttled);
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

    @Test
    void wrongBearerTokensShareTheAllowanceOfWrongSignIns() throws Exception {
        Manual clock = new Manual();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        LoginThrottle t = new LoginThrottle(clock, registry.counter("wrong"), registry.counter("wrong_bearer"), registry.counter("throttled"));
        InetAddress a = InetAddress.getByName("192.0.2.1");
        for (int i = 0; i < 3; i++) {
            t.failedBearer(a);
        }
        t.failed(a);
        assertEquals(Optional.empty(), t.check(a));
        t.failedBearer(a);
        assertTrue(t.check(a).isPresent(), "five wrong tokens, by either door");
        assertEquals(4, registry.counter("wrong_bearer").count());
        assertEquals(1, registry.counter("wrong").count());
    }

    @Test
    void forwardedForCountsOnlyFromATrustedProxyAndThenItsRightmostUntrustedHop() throws Exception {
        List<Cidr> trusted = List.of(Cidr.parse("10.0.0.0/8"), Cidr.parse("fd00::/8"));
        InetAddress proxy = InetAddress.getByName("10.1.2.3");
        InetAddress stranger = InetAddress.getByName("198.51.100.1");
        assertEquals(stranger, ClientAddress.of(stranger, List.of("203.0.113.7"), trusted), "from anyone else the header is made up");
        assertEquals(proxy, ClientAddress.of(proxy, List.of("203.0.113.7"), List.of()), "no proxy trusted: the connection");
        assertEquals(InetAddress.getByName("203.0.113.7"), ClientAddress.of(proxy, List.of("203.0.113.7"), trusted));
        assertEquals(InetAddress.getByName("203.0.113.7"), ClientAddress.of(proxy, List.of("198.51.100.9, 203.0.113.7, 10.9.9.9"), trusted),
                "past the trusted hops, not what the client wrote on the left");
        assertEquals(InetAddress.getByName("203.0.113.7"), ClientAddress.of(proxy, List.of("198.51.100.9", "203.0.113.7"), trusted),
                "several headers are one list");
        assertEquals(InetAddress.getByName("2001:db8::1"), ClientAddress.of(InetAddress.getByName("fd00::5"), List.of("2001:db8::1"), trusted));
        assertEquals(proxy, ClientAddress.of(proxy, List.of("evil.example.org"), trusted), "no lookup of a name: the proxy's address");
        assertEquals(proxy, ClientAddress.of(proxy, List.of(), trusted));
    }

    @Test
    void aCidrIsAnAddressAndAPrefixNeverAName() throws Exception {
        assertTrue(Cidr.parse("10.0.0.0/8").contains(InetAddress.getByName("10.255.0.1")));
        assertFalse(Cidr.parse("10.0.0.0/8").contains(InetAddress.getByName("11.0.0.1")));
        assertTrue(Cidr.parse("192.0.2.7").contains(InetAddress.getByName("192.0.2.7")));
        assertFalse(Cidr.parse("192.0.2.7").contains(InetAddress.getByName("192.0.2.8")));
        assertEquals("10.0.0.0/8", Cidr.parse("10.1.2.3/8").toString());
        assertFalse(Cidr.parse("::/0").contains(InetAddress.getByName("127.0.0.1")), "families apart");
        for (String bad : List.of("10.0.0/8", "10.0.0.0/33", "localhost", "fd00::/129", "10.0.0.0/x", "")) {
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> Cidr.parse(bad));
            assertTrue(e.getMessage().contains("'" + bad + "'"), e.getMessage());
        }
    }

    @Test
    void theSignInsNextIsAPathInPrintableAsciiOrHome() {
        assertEquals("/hubs/prod?x=1", LoginPage.safeNext("/hubs/prod?x=1"));
        assertEquals("/a%20b", LoginPage.safeNext("/a%20b"), "already encoded: kept");
        for (String bad : List.of("/\t/x", "/a b", "/\r\nSet-Cookie:x=1", "//evil.example", "/\\evil", "https://evil", "/\u00e9", "/x\u007f")) {
            assertEquals("/", LoginPage.safeNext(bad), bad);
        }
    }
}
