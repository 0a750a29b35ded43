package dev.hubprobe.jupyter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;
import okhttp3.HttpUrl;
import org.junit.jupiter.api.Test;

/** Where a hub's or BinderHub's ready URL may send the kernel client. */
class FollowPolicyTest {
    private static final Map<String, String> HOSTS = Map.of(
            "hub.example.org", "203.0.113.10", "binder.example.org", "198.51.100.20", "servers.example.org", "198.51.100.30",
            "metadata.attacker.example", "169.254.169.254", "db.attacker.example", "10.0.0.7");
    private final FollowPolicy policy = new FollowPolicy(host -> {
        try {
            String ip = HOSTS.getOrDefault(host, host);
            return List.of(InetAddress.getByName(ip)); // literal addresses only: no look-up leaves the test
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    });

    private static HttpUrl url(String s) {
        return HttpUrl.get(s);
    }

    @Test
    void theHubsOwnPathIsFollowed() {
        assertEquals(url("https://hub.example.org/user/bot/"), policy.follow(url("https://hub.example.org/"), "/user/bot/", "ready"));
    }

    @Test
    void aPublicHubMayLaunchOnAnotherPublicHost() {
        assertEquals("servers.example.org",
                policy.follow(url("https://binder.example.org/"), "https://servers.example.org/user/x/", "ready").host());
    }

    @Test
    void aPublicHubMayNotSendTheServiceToALinkLocalLoopbackOrPrivateAddress() {
        HttpUrl hub = url("https://hub.example.org/");
        for (String to : List.of("http://169.254.169.254/latest/meta-data/", "http://metadata.attacker.example/",
                "http://127.0.0.1:8080/", "http://localhost:9000/", "http://[::1]/", "http://10.1.2.3/", "http://db.attacker.example/",
                "http://192.168.1.1/", "http://172.16.0.1/", "http://[fd00::1]/", "http://[fe80::1]/", "http://100.64.0.1/",
                "http://0.0.0.0/")) {
            UrlRefusedException e = assertThrows(UrlRefusedException.class, () -> policy.follow(hub, to, "the spawn's ready event"), to);
            assertTrue(e.getMessage().contains("not followed") && e.getMessage().contains("the spawn's ready event"), e.getMessage());
        }
    }

    @Test
    void aHubOnAPrivateOrLoopbackAddressMayLaunchOnOne() {
        assertEquals("10.0.0.7", policy.follow(url("http://10.0.0.5:8000/"), "http://10.0.0.7:8888/user/x/", "ready").host());
        assertEquals("127.0.0.1", policy.follow(url("http://localhost:8000/"), "http://127.0.0.1:9999/user/x/", "ready").host());
    }

    @Test
    void onlyHttpAndHttpsAreFollowed() {
        HttpUrl hub = url("http://127.0.0.1:8000/");
        for (String to : List.of("file:///etc/passwd", "javascript:alert(1)", "gopher://127.0.0.1:70/", "ftp://127.0.0.1/")) {
            UrlRefusedException e = assertThrows(UrlRefusedException.class, () -> policy.follow(hub, to, "ready"), to);
            assertTrue(e.getMessage().contains("not an http(s) URL"), e.getMessage());
        }
    }

    @Test
    void aRefusalNeverQuotesTheQueryWhereATokenMayBe() {
        UrlRefusedException e = assertThrows(UrlRefusedException.class,
                () -> policy.follow(url("https://hub.example.org/"), "file:///x?token=abcdef123456", "ready"));
        assertTrue(!e.getMessage().contains("abcdef123456"), e.getMessage());
    }

    /**
     * DNS rebinding: the name answered a public address when the ready URL was judged, and
     * 169.254.169.254 when the kernel client connects (the JVM caches an answer 30 s; a hub can hold
     * its kernel start longer). The client's own look-up refuses the inside address.
     */
    @Test
    void aNameThatResolvesInsideOnlyAfterItWasJudgedIsNotConnectedTo() throws Exception {
        java.util.concurrent.atomic.AtomicInteger asked = new java.util.concurrent.atomic.AtomicInteger();
        FollowPolicy rebinding = new FollowPolicy(host -> {
            try {
                return List.of(InetAddress.getByName(host.equals("rebind.attacker.example")
                        ? asked.getAndIncrement() == 0 ? "198.51.100.40" : "169.254.169.254"
                        : HOSTS.getOrDefault(host, host)));
            } catch (UnknownHostException e) {
                throw new IllegalStateException(e);
            }
        });
        HttpUrl hub = url("https://hub.example.org/");
        HttpUrl server = rebinding.follow(hub, "http://rebind.attacker.example/user/x/", "the spawn's ready event");
        okhttp3.OkHttpClient client = rebinding.guarded(new okhttp3.OkHttpClient(), hub, server);
        UnknownHostException e = assertThrows(UnknownHostException.class, () -> client.dns().lookup(server.host()));
        assertTrue(e.getMessage().contains("link-local") && e.getMessage().contains("not connected"), e.getMessage());
        assertEquals(List.of(InetAddress.getByName("203.0.113.10")), client.dns().lookup("hub.example.org"),
                "the hub's own host is looked up as ever");
    }

    @Test
    void aHubOnAPrivateAddressConnectsToPrivateServersAsBefore() throws Exception {
        HttpUrl hub = url("http://10.0.0.5:8000/");
        okhttp3.OkHttpClient client = policy.guarded(new okhttp3.OkHttpClient(), hub, url("http://db.attacker.example/"));
        assertEquals(List.of(InetAddress.getByName("10.0.0.7")), client.dns().lookup("db.attacker.example"));
    }

    /** IPv6 forms that carry an IPv4 address a host or gateway may take as that address. */
    @Test
    void ipv6FormsOfAnInsideIpv4AddressAreRefusedToo() {
        HttpUrl hub = url("https://hub.example.org/");
        for (String to : List.of("http://[::ffff:169.254.169.254]/", "http://[::169.254.169.254]/", "http://[::a9fe:a9fe]/",
                "http://[64:ff9b::a9fe:a9fe]/", "http://[2002:a9fe:a9fe::1]/", "http://[::127.0.0.1]/", "http://[64:ff9b::10.0.0.1]/")) {
            assertThrows(UrlRefusedException.class, () -> policy.follow(hub, to, "the spawn's ready event"), to);
        }
        assertEquals("64:ff9b::cb00:710a", policy.follow(hub, "http://[64:ff9b::203.0.113.10]/", "ready").host(),
                "NAT64 to a public address is followed");
    }
}
