package dev.hubprobe.jupyter.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import okhttp3.Cookie;
import okhttp3.Headers;
import okhttp3.HttpUrl;
import org.junit.jupiter.api.Test;

/** The session's cookie store answers as a browser's would for what a hub sets (login, xsrf, a user's server). */
class SessionCookiesTest {
    private static final HttpUrl HUB = HttpUrl.get("http://127.0.0.1:8000/hub/login");
    private final SessionCookies jar = new SessionCookies();

    private void set(HttpUrl url, String... setCookie) {
        Headers.Builder h = new Headers.Builder();
        for (String s : setCookie) {
            h.add("Set-Cookie", s);
        }
        jar.saveFromResponse(url, Cookie.parseAll(url, h.build()));
    }

    private List<String> sent(String url) {
        return jar.loadForRequest(HttpUrl.get(url)).stream().map(c -> c.name() + "=" + c.value()).toList();
    }

    @Test
    void aCookieGoesToItsPathOnItsHostLongestPathFirst() {
        set(HUB, "_xsrf=hub-x; Path=/hub/", "jupyterhub-session-id=s1; Path=/");
        set(HttpUrl.get("http://127.0.0.1:8000/user/probe/oauth_callback"), "jupyterhub-user-probe=u1; Path=/user/probe/",
                "_xsrf=server-x; Path=/user/probe/");
        assertEquals(List.of("_xsrf=hub-x", "jupyterhub-session-id=s1"), sent("http://127.0.0.1:8000/hub/api/user"));
        assertEquals(List.of("jupyterhub-user-probe=u1", "_xsrf=server-x", "jupyterhub-session-id=s1"),
                sent("http://127.0.0.1:8000/user/probe/api/kernels"));
        assertEquals(List.of("jupyterhub-session-id=s1"), sent("http://127.0.0.1:8000/user/other/api"));
        assertEquals(List.of(), sent("http://127.0.0.2:8000/hub/api/user"), "another host gets none");
        assertEquals(List.of("jupyterhub-session-id=s1"), sent("http://127.0.0.1:8000/hubx/"), "/hub/ is not a prefix of /hubx/");
    }

    @Test
    void aCookieSetAgainReplacesTheOldOneAndAnExpiredOneDeletesIt() {
        set(HUB, "jupyterhub-hub-login=a; Path=/hub/", "jupyterhub-session-id=s1; Path=/");
        set(HUB, "jupyterhub-hub-login=b; Path=/hub/");
        assertEquals(List.of("jupyterhub-hub-login=b", "jupyterhub-session-id=s1"), sent("http://127.0.0.1:8000/hub/home"));
        // the hub's logout clears its cookies with an expiry in the past
        set(HUB, "jupyterhub-hub-login=; expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/hub/", "jupyterhub-session-id=; Max-Age=0; Path=/");
        assertEquals(List.of(), sent("http://127.0.0.1:8000/hub/home"));
    }

    @Test
    void theSameNameOnAnotherPathIsAnotherCookie() {
        set(HUB, "_xsrf=one; Path=/hub/");
        set(HUB, "_xsrf=two; Path=/");
        assertEquals(List.of("_xsrf=one", "_xsrf=two"), sent("http://127.0.0.1:8000/hub/spawn"));
        assertEquals(List.of("_xsrf=two"), sent("http://127.0.0.1:8000/user/probe/"));
    }

    @Test
    void aSecureCookieGoesOverHttpsOnlyAndADomainCookieToItsSubdomains() {
        HttpUrl https = HttpUrl.get("https://hub.example.org/hub/login");
        set(https, "jupyterhub-session-id=s; Path=/; Secure", "wide=w; Domain=example.org; Path=/");
        assertEquals(List.of("jupyterhub-session-id=s", "wide=w"), sent("https://hub.example.org/hub/api"));
        assertEquals(List.of("wide=w"), sent("http://hub.example.org/hub/api"));
        assertEquals(List.of("wide=w"), sent("https://other.example.org/"), "a host-only cookie stays on its host");
    }

    @Test
    void aCookieSetAgainKeepsItsPlaceAmongCookiesOfTheSamePath() {
        // RFC 6265 5.3 11.3: the new cookie takes the old one's creation time, and equal paths go oldest first
        set(HUB, "a=1; Path=/", "b=2; Path=/");
        set(HUB, "a=3; Path=/");
        assertEquals(List.of("a=3", "b=2"), sent("http://127.0.0.1:8000/hub/home"));
    }

    @Test
    void aCookieLargerThanABrowserTakesIsIgnoredAndReplacesNothing() {
        set(HUB, "jupyterhub-session-id=s1; Path=/");
        set(HUB, "jupyterhub-session-id=" + "v".repeat(5000) + "; Path=/", "big=" + "w".repeat(4094) + "; Path=/");
        assertEquals(List.of("jupyterhub-session-id=s1"), sent("http://127.0.0.1:8000/hub/home"));
        set(HUB, "max=" + "w".repeat(4093) + "; Path=/");
        assertEquals(2, sent("http://127.0.0.1:8000/hub/home").size(), "4096 characters of name and value are still a cookie");
    }

    private static String[] flood(String prefix, int n, String attributes) {
        String[] out = new String[n];
        for (int i = 0; i < n; i++) {
            out[i] = prefix + i + "=x; " + attributes;
        }
        return out;
    }

    @Test
    void aHubFloodingCookiesGetsNoMoreKeptOrSentThanABrowserWould() {
        set(HUB, "jupyterhub-session-id=s1; Path=/");
        set(HUB, flood("f", 5000, "Path=/"));
        List<String> sent = sent("http://127.0.0.1:8000/hub/home");
        assertEquals(SessionCookies.MAX_PER_DOMAIN, sent.size(), "a domain keeps at most what Chrome and Firefox keep");
        assertEquals("f4999=x", sent.get(sent.size() - 1), "the newest stay");
        assertTrue(!sent.contains("jupyterhub-session-id=s1") && !sent.contains("f0=x"), "the least recently used go first");
    }

    @Test
    void theCookieASessionUsesOutlivesAFloodItsOldestCookiesDoNot() {
        set(HUB, "jupyterhub-session-id=s1; Path=/");
        set(HUB, flood("f", 170, "Path=/flood/"));
        assertEquals(List.of("jupyterhub-session-id=s1"), sent("http://127.0.0.1:8000/hub/home")); // used: the newest use now
        set(HUB, flood("g", 20, "Path=/flood/"));
        assertEquals(List.of("jupyterhub-session-id=s1"), sent("http://127.0.0.1:8000/hub/home"));
        List<String> flood = sent("http://127.0.0.1:8000/flood/"); // the session's cookie and 179 of the flood's 190
        assertEquals(SessionCookies.MAX_PER_DOMAIN, flood.size());
        assertTrue(flood.contains("jupyterhub-session-id=s1") && !flood.contains("f0=x") && !flood.contains("f10=x")
                && flood.contains("f11=x") && flood.contains("g19=x"), flood::toString);
    }

    @Test
    void manyHostsTogetherKeepNoMoreThanABrowsersWholeStore() {
        for (int h = 0; h < 30; h++) {
            set(HttpUrl.get("http://10.0.0." + h + ":8000/"), flood("c", 150, "Path=/"));
        }
        int kept = 0;
        for (int h = 0; h < 30; h++) {
            kept += sent("http://10.0.0." + h + ":8000/").size();
        }
        assertEquals(SessionCookies.MAX_TOTAL, kept);
        assertEquals(List.of(), sent("http://10.0.0.0:8000/"), "the first host's cookies, least recently used, went first");
        assertEquals(150, sent("http://10.0.0.29:8000/").size());
    }

    @Test
    void aFloodEveryResponseCostsTimeInProportionToItsSizeNotToAllEverSent() {
        // each poll of a stop (5 a second) may carry thousands of Set-Cookie: a store that scans all it ever
        // kept for each one set, and sends them all back, spends minutes of CPU on what here takes milliseconds
        List<Cookie> all = new ArrayList<>();
        for (int r = 0; r < 40; r++) {
            Headers.Builder h = new Headers.Builder();
            for (String s : flood("r" + r + "-", 6000, "Path=/")) {
                h.add("Set-Cookie", s);
            }
            all.addAll(Cookie.parseAll(HUB, h.build()));
        }
        int sent = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            int n = 0;
            for (int r = 0; r < 40; r++) {
                jar.saveFromResponse(HUB, all.subList(r * 6000, (r + 1) * 6000));
                n = jar.loadForRequest(HUB).size(); // the next poll
            }
            return n;
        });
        assertEquals(SessionCookies.MAX_PER_DOMAIN, sent);
    }
}
