package dev.hubprobe.jupyter.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
}
