package dev.hubprobe.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hubprobe.config.Secret;
import dev.hubprobe.history.Database;
import dev.hubprobe.service.LoadedConfig;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import okhttp3.HttpUrl;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What signing in through the hub decides without a hub: the OAuth state is single use and bound to
 * the browser, the page to return to stays under the base path, the access rule, and a hub session's
 * life between re-checks. The flow itself runs against the real hub in HubSignInIT.
 */
class HubSignInTest {
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

    private static final Secret SECRET = Secret.of("hub-sign-in-test-client-secret");
    private static final LoadedConfig.HubOAuth HUB = new LoadedConfig.HubOAuth("http://127.0.0.1:1", "service-hubprobe", "hubprobe",
            SECRET, Set.of("ops"), Set.of("carol"), Duration.ofMinutes(4));

    @TempDir
    java.nio.file.Path dir;
    private Database db;

    /** The history's database: H2 here, PostgreSQL in HubSignInPostgresIT (replicas share the states and sessions there). */
    protected Database database() {
        return Database.h2(dir.resolve("history"));
    }

    @BeforeEach
    void open() {
        db = database();
        db.migrate();
    }

    @AfterEach
    void close() {
        db.close();
        Html.basePath("/");
    }

    @Test
    void aStateIsGoodOnceInTheBrowserThatStartedItAndForTenMinutes() {
        Manual clock = new Manual();
        OAuthStates states = new OAuthStates(db.dataSource(), clock, OAuthStates.MAX_PENDING);
        OAuthStates.Started a = states.start("/services/hubprobe/hubs/prod");
        assertEquals(Optional.of("/services/hubprobe/hubs/prod"), states.take(a.state(), a.browser()));
        assertEquals(Optional.empty(), states.take(a.state(), a.browser()), "replayed");

        OAuthStates.Started b = states.start("/x");
        OAuthStates.Started c = states.start("/y");
        assertEquals(Optional.empty(), states.take(b.state(), c.browser()), "another browser's cookie");
        assertEquals(Optional.empty(), states.take(b.state(), b.browser()), "a state tried from another browser is used up");
        assertEquals(Optional.empty(), states.take(c.state() + "x", c.browser()), "forged");
        assertEquals(Optional.empty(), states.take(null, c.browser()), "missing");
        assertEquals(Optional.empty(), states.take(c.state(), null), "no cookie");
        assertEquals(Optional.of("/y"), states.take(c.state(), c.browser()), "the failed tries did not use up another state");

        OAuthStates.Started late = states.start("/z");
        clock.now = clock.now.plus(OAuthStates.TTL);
        assertEquals(Optional.empty(), states.take(late.state(), late.browser()), "expired");
        assertNotEquals(a.state(), b.state());
        assertNotEquals(a.state(), a.browser());
    }

    @Test
    void aBrowsersSecondSignInKeepsItsValueSoBothComeBack() {
        OAuthStates states = new OAuthStates(db.dataSource(), new Manual(), OAuthStates.MAX_PENDING);
        OAuthStates.Started one = states.start("/one");
        OAuthStates.Started two = states.start("/two", one.browser());
        assertEquals(one.browser(), two.browser());
        assertEquals(Optional.of("/one"), states.take(one.state(), two.browser()));
        assertEquals(Optional.of("/two"), states.take(two.state(), two.browser()));
        assertNotEquals("not-a-value-this-class-makes", states.start("/x", "not-a-value-this-class-makes").browser(), "replaced");
    }

    @Test
    void signInsUnderWayAreBoundedAndAFloodDoesNotLockTheNextOneOut() {
        Manual clock = new Manual();
        OAuthStates states = new OAuthStates(db.dataSource(), clock, 3);
        OAuthStates.Started first = states.start("/a");
        // anyone may ask for GET /login in a loop: the table stays at its bound, and the newest sign-in still works
        for (int i = 0; i < 10; i++) {
            clock.now = clock.now.plusMillis(1);
            states.start("/flood");
        }
        clock.now = clock.now.plusMillis(1);
        OAuthStates.Started operator = states.start("/b");
        assertEquals(3, pending(), "at most 3 sign-ins kept");
        assertEquals(Optional.of("/b"), states.take(operator.state(), operator.browser()), "the newest sign-in is kept");
        assertEquals(Optional.empty(), states.take(first.state(), first.browser()), "the oldest made room");
        clock.now = clock.now.plus(OAuthStates.TTL);
        states.start("/d"); // the expired ones are gone first
        assertEquals(1, pending());
    }

    private int pending() {
        try (java.sql.Connection c = db.dataSource().getConnection();
             java.sql.ResultSet rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM oauth_states")) {
            rs.next();
            return rs.getInt(1);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A hub that answers every request on its port with {@code json} (200). */
    private static java.net.ServerSocket hubAnswering(String json) throws java.io.IOException {
        java.net.ServerSocket server = new java.net.ServerSocket(0, 5, java.net.InetAddress.getLoopbackAddress());
        Thread t = new Thread(() -> {
            while (!server.isClosed()) {
                try (java.net.Socket s = server.accept()) {
                    java.io.InputStream in = s.getInputStream();
                    byte[] buf = new byte[8192];
                    int n = in.read(buf); // the request's head: small, one read on loopback
                    byte[] body = json.getBytes(java.nio.charset.StandardCharsets.UTF_8);
                    s.getOutputStream().write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + body.length
                            + "\r\nConnection: close\r\n\r\n").getBytes());
                    s.getOutputStream().write(body);
                } catch (java.io.IOException closed) {
                    // closed by the test
                }
            }
        }, "fake-hub");
        t.setDaemon(true);
        t.start();
        return server;
    }

    @Test
    void aUserNameAHubCouldNotHaveIsRefused() throws Exception {
        // a broken or hostile hub: a name with a line break would forge log lines, one past 255 characters
        // would not fit the session row (a misleading "database does not answer" page)
        for (String name : List.of("alice\\nhub sign-in: mallory signed in", "a".repeat(256), "bob\\u0000")) {
            try (java.net.ServerSocket hub = hubAnswering("{\"kind\": \"user\", \"name\": \"" + name + "\", \"groups\": [\"ops\"],"
                    + " \"scopes\": [\"access:services!service=hubprobe\"]}")) {
                LoadedConfig.HubOAuth o = new LoadedConfig.HubOAuth("http://127.0.0.1:" + hub.getLocalPort(), HUB.clientId(),
                        HUB.serviceName(), SECRET, HUB.groups(), HUB.users(), HUB.recheck());
                HubSignIn.Refused e = org.junit.jupiter.api.Assertions.assertThrows(HubSignIn.Refused.class, () -> HubSignIn.user(o, "t"),
                        name);
                assertTrue(e.getMessage().contains("not a user name"), e.getMessage());
            }
        }
        try (java.net.ServerSocket hub = hubAnswering("{\"kind\": \"user\", \"name\": \"\u00e9lise@example.org\", \"groups\": [\"ops\"],"
                + " \"scopes\": [\"access:services!service=hubprobe\"]}")) {
            LoadedConfig.HubOAuth o = new LoadedConfig.HubOAuth("http://127.0.0.1:" + hub.getLocalPort(), HUB.clientId(),
                    HUB.serviceName(), SECRET, HUB.groups(), HUB.users(), HUB.recheck());
            assertEquals("\u00e9lise@example.org", HubSignIn.user(o, "t").name(), "an ordinary name, accents and all");
        }
    }

    @Test
    void aHubThatAnswersWithoutEndIsCutOffAtOneMegabyte() throws Exception {
        // a hostile or broken hub: 200, then bytes for ever; the answer must not be read whole into memory
        try (java.net.ServerSocket server = new java.net.ServerSocket(0, 5, java.net.InetAddress.getLoopbackAddress())) {
            Thread t = new Thread(() -> {
                try (java.net.Socket s = server.accept(); java.io.OutputStream out = s.getOutputStream()) {
                    out.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n[".getBytes());
                    byte[] chunk = "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",".repeat(2048).getBytes();
                    while (!Thread.currentThread().isInterrupted()) {
                        out.write(chunk);
                        Thread.sleep(10);
                    }
                } catch (Exception closed) {
                    // the client hung up
                }
            }, "endless-hub");
            t.setDaemon(true);
            t.start();
            LoadedConfig.HubOAuth hostile = new LoadedConfig.HubOAuth("http://127.0.0.1:" + server.getLocalPort(), HUB.clientId(),
                    HUB.serviceName(), SECRET, HUB.groups(), HUB.users(), HUB.recheck());
            long started = System.nanoTime();
            HubSignIn.Unreachable e = org.junit.jupiter.api.Assertions.assertThrows(HubSignIn.Unreachable.class,
                    () -> HubSignIn.exchange(hostile, "a-code"));
            long seconds = (System.nanoTime() - started) / 1_000_000_000L;
            t.interrupt();
            assertTrue(e.getMessage().contains("more than 1 MB"), e.getMessage());
            assertTrue(seconds < 8, "cut off after 1 MB, not at the 15 s deadline: " + seconds + " s");
            assertFalse(e.getMessage().contains("a-code") || e.getMessage().contains(SECRET.reveal()), e.getMessage());
        }
    }

    @Test
    void thePageToReturnToIsUnderTheBasePath() {
        Html.basePath("/services/hubprobe/");
        assertEquals("/services/hubprobe/hubs/prod?page=2", LoginPage.safeNext("/services/hubprobe/hubs/prod?page=2"));
        assertEquals("/services/hubprobe", LoginPage.safeNext("/services/hubprobe"));
        for (String bad : List.of("/", "/hub/admin", "/services/other/", "/services/hubprobex/", "/services/hubprobe/../../hub/admin",
                "/services/hubprobe/%2e%2e/x", "//evil.example/services/hubprobe/", "https://evil.example/services/hubprobe/",
                "/services/hubprobe/\r\nSet-Cookie:x=1",
                // a browser resolves a trailing ".." before a query or fragment too: one level out of the base path
                "/services/hubprobe/..?x=1", "/services/hubprobe/..#top", "/services/hubprobe/hubs/../..?x", "/services/hubprobe/..;/..;/hub/admin")) {
            assertEquals("/services/hubprobe/", LoginPage.safeNext(bad), bad);
        }
    }

    @Test
    void theAuthorizeUrlAsksForACodeBackAtJupyterHubsDefaultRedirect() {
        Html.basePath("/services/hubprobe/");
        HttpUrl u = HttpUrl.get(HubSignIn.authorizeUrl(HUB, "st4te"));
        assertEquals("/hub/api/oauth2/authorize", u.encodedPath());
        assertEquals("service-hubprobe", u.queryParameter("client_id"));
        assertEquals("/services/hubprobe/oauth_callback", u.queryParameter("redirect_uri"));
        assertEquals("code", u.queryParameter("response_type"));
        assertEquals("st4te", u.queryParameter("state"));
        assertFalse(u.toString().contains(SECRET.reveal()));
    }

    @Test
    void accessNeedsTheServicesScopeAndAListedGroupOrUser() {
        String scope = "access:services!service=hubprobe";
        assertEquals(Optional.empty(), HubSignIn.refusal(HUB, new HubSignIn.Identity("alice", List.of("ops"), List.of(scope))));
        assertEquals(Optional.empty(), HubSignIn.refusal(HUB, new HubSignIn.Identity("carol", List.of(), List.of(scope))));
        assertTrue(HubSignIn.refusal(HUB, new HubSignIn.Identity("dave", List.of("viewers"), List.of(scope))).isPresent(),
                "the scope without a listed group");
        assertTrue(HubSignIn.refusal(HUB, new HubSignIn.Identity("alice", List.of("ops"),
                List.of("access:services!service=other"))).get().contains(scope), "another service's scope");
    }

    @Test
    void aHubSessionLivesWhileTheHubKeepsConfirmingIt() {
        Manual clock = new Manual();
        Sessions s = new Sessions(db.dataSource(), clock);
        String id = s.openForHubUser("alice", "hub-token-of-alice", HUB);
        assertTrue(s.valid(id, List.of(), HUB));
        assertFalse(s.valid(id, List.of(SECRET), null), "without server.hub_oauth no hub session is good");
        LoadedConfig.HubOAuth rotated = new LoadedConfig.HubOAuth(HUB.hubUrl(), HUB.clientId(), HUB.serviceName(),
                Secret.of("another-client-secret"), HUB.groups(), HUB.users(), HUB.recheck());
        assertFalse(s.valid(id, List.of(), rotated), "the client secret changed");

        List<String> asked = new ArrayList<>();
        clock.now = clock.now.plus(Duration.ofMinutes(1));
        assertEquals(0, s.recheck(HUB, t -> {
            asked.add(t);
            return Sessions.Verdict.ALLOWED;
        }));
        assertEquals(List.of(), asked, "confirmed less than half a recheck ago: not asked yet");
        clock.now = clock.now.plus(Duration.ofMinutes(1));
        assertEquals(0, s.recheck(HUB, t -> {
            asked.add(t);
            return Sessions.Verdict.ALLOWED;
        }));
        assertEquals(List.of("hub-token-of-alice"), asked, "the hub is asked with the user's own token");
        clock.now = clock.now.plus(Duration.ofMinutes(3));
        assertTrue(s.valid(id, List.of(), HUB), "confirmed 3 min ago, recheck 4 min");

        // the hub does not answer: the session stands until its last confirmation is a recheck old, then ends
        assertEquals(0, s.recheck(HUB, t -> Sessions.Verdict.UNKNOWN));
        clock.now = clock.now.plus(Duration.ofMinutes(1));
        assertFalse(s.valid(id, List.of(), HUB), "not confirmed for a whole recheck");

        String bob = s.openForHubUser("bob", "hub-token-of-bob", HUB);
        clock.now = clock.now.plus(Duration.ofMinutes(2));
        assertEquals(1, s.recheck(HUB, t -> t.equals("hub-token-of-bob") ? Sessions.Verdict.REFUSED : Sessions.Verdict.UNKNOWN));
        assertFalse(s.valid(bob, List.of(), HUB), "removed from the group: the session is gone");
    }

    @Test
    void theKeptHubTokenIsSealedWithTheClientSecret() {
        String sealed = HubTokens.seal("hub-token-of-alice", SECRET);
        assertFalse(sealed.contains("hub-token-of-alice"));
        assertEquals("hub-token-of-alice", HubTokens.open(sealed, SECRET));
        assertNull(HubTokens.open(sealed, Secret.of("another-client-secret")));
        assertNotEquals(sealed, HubTokens.seal("hub-token-of-alice", SECRET), "a fresh nonce each time");
    }
}
