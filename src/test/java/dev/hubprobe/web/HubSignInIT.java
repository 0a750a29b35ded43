package dev.hubprobe.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hubprobe.testhub.RealHub;
import dev.hubprobe.testhub.RealHubExtension;
import dev.hubprobe.testhub.Service;
import java.net.CookieManager;
import java.net.HttpCookie;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;

/**
 * hubprobe as a service of the real test hub: the hub's own configurable-http-proxy sends
 * {@code /services/hubprobe/} to the packaged service (server.base_path), and operators sign in through the
 * hub's OAuth (server.hub_oauth) in headless Chromium, as a person would: the group the config allows gets
 * the operator view; a user with the access scope but not in the group, or without the scope, gets no data;
 * a user taken out of the group loses the view within the re-check time; a forged or replayed state is refused.
 * Everything is asked of the hub's public port, through the proxy, never of hubprobe's own port.
 */
@ExtendWith(RealHubExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HubSignInIT {
    private static final Duration RECHECK = Duration.ofSeconds(4);
    private static final String BASE = "/services/hubprobe/";
    private final RealHub hub = RealHub.shared();
    private Service service;
    private String hubUser;

    @TempDir
    static Path dir;

    @BeforeAll
    void start() throws Exception {
        Path cfg = dir.resolve("hubprobe.yml");
        hubUser = RealHub.user("ok");
        // one run at start (jitter 1s), for the operator view to have something only operators may see
        Files.writeString(cfg, """
                probes_dir: %s
                history: {path: data/h}
                defaults: {interval: 30m}
                scheduler: {jitter: 1s}
                server:
                  base_path: %s
                  hub_oauth:
                    hub_url: %s
                    client_id: service-hubprobe
                    client_secret: "${env:HUB_TOKEN}"
                    allow: {groups: [hubprobe-operators]}
                    recheck: %ds
                hubs:
                  - {name: healthy, url: %s, auth: {token: "${env:HUB_TOKEN}"}, user: %s, probes: [{probe: kernel-smoke}]}
                """.formatted(RealHub.basedir().resolve("probes"), BASE, hub.url(), RECHECK.toSeconds(), hub.url(), hubUser));
        service = Service.startOnPort(cfg, Map.of("HUB_TOKEN", hub.serviceToken()), dir.resolve("svc.log"), hub.signInPort());
    }

    @AfterAll
    void stop() throws Exception {
        if (service != null) {
            service.close();
            String out = service.output();
            assertFalse(out.contains(hub.serviceToken()), "the client secret stays out of the log");
            assertFalse(out.contains("code="), "no OAuth code in the log");
        }
    }

    /** The hub's public URL of a path of hubprobe's: through the proxy. */
    private String viaHub(String path) {
        return hub.uri(BASE.substring(1) + path).toString();
    }

    /** Signs in at the hub's login form, which the sign-in sent the browser to. */
    private static void hubLogin(Browser b, String user, String password) throws Exception {
        b.driver.findElement(By.id("username_input")).sendKeys(user);
        b.driver.findElement(By.id("password_input")).sendKeys(password);
        b.clickAndAwaitNextPage(b.driver.findElement(By.id("login_submit")), 30);
    }

    private static String h1(Browser b) {
        return b.driver.findElement(By.tagName("h1")).getText();
    }

    @Test
    void anOperatorInTheAllowedGroupSignsInThroughTheHubAndSeesTheOperatorView() throws Exception {
        try (Browser b = new Browser()) {
            b.driver.get(viaHub("hubs/healthy"));
            assertEquals("Sign in", h1(b), b.driver.getPageSource());
            b.clickAndAwaitNextPage(b.driver.findElement(By.id("hub-sign-in")), 30);
            assertTrue(b.driver.getCurrentUrl().contains("/hub/login"), "at the hub's own login: " + b.driver.getCurrentUrl());
            hubLogin(b, "op-alice", hub.password());
            // back at the page asked for, under the base path, through the proxy
            assertEquals(viaHub("hubs/healthy"), b.driver.getCurrentUrl());
            assertEquals("Runs of hub healthy", h1(b));
            b.errors(); // the 401 of the first page, before signing in
            b.driver.get(viaHub(""));
            String page = b.driver.getPageSource();
            assertTrue(page.contains("href=\"" + BASE + "hubs/healthy\""), "the operator view links the hub's runs: " + page);
            assertTrue(page.contains("href=\"" + BASE + "metrics\""), page);
            assertEquals(java.util.List.of(), b.errors(), "assets and the page's requests all under the base path");
        }
    }

    @Test
    void aUserWithTheScopeButNotInTheGroupOrWithoutTheScopeSeesNoData() throws Exception {
        try (Browser b = new Browser()) {
            b.driver.get(viaHub("login?next=" + URLEncoder.encode(BASE + "hubs/healthy", StandardCharsets.UTF_8)));
            hubLogin(b, "op-viewer", hub.password());
            String page = b.driver.getPageSource();
            assertTrue(page.contains("this view is not for you"), page);
            assertTrue(page.contains("op-viewer is in none of the groups"), page);
            assertFalse(page.contains("healthy"), "no hub, no run: " + page);
            assertEquals(401, status(b, viaHub("hubs/healthy")), "and no session was opened");
        }
        String outsider = RealHub.user("op-outsider");
        try (Browser b = new Browser()) {
            b.driver.get(viaHub("login"));
            hubLogin(b, outsider, hub.password());
            // the hub itself refuses a user without access:services!service=hubprobe, before any code is issued
            String page = b.driver.getPageSource();
            assertTrue(page.contains("403"), page);
            assertFalse(page.contains("healthy"), page);
            assertEquals(401, status(b, viaHub("hubs/healthy")), "no session");
        }
    }

    /** The status of a same-origin GET from the page, with the browser's cookies (as a link followed would send them). */
    private static long status(Browser b, String url) {
        return (Long) b.driver.executeAsyncScript("var done = arguments[arguments.length - 1];"
                + "fetch(arguments[0], {credentials: 'same-origin', headers: {Accept: 'text/html'}}).then(r => done(r.status), e => done(-1));", url);
    }

    @Test
    void anOperatorTakenOutOfTheGroupLosesTheViewWithinTheRecheck() throws Exception {
        String op = RealHub.user("op-member");
        assertEquals(201, hub.send(HttpRequest.newBuilder(hub.uri("/hub/api/users/" + op)).POST(HttpRequest.BodyPublishers.noBody()))
                .statusCode());
        assertEquals(200, groups(HttpRequest.newBuilder(hub.uri("/hub/api/groups/hubprobe-operators/users"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"users\": [\"" + op + "\"]}"))).statusCode());
        try (Browser b = new Browser()) {
            b.driver.get(viaHub("login?next=" + URLEncoder.encode(BASE + "hubs/healthy", StandardCharsets.UTF_8)));
            hubLogin(b, op, hub.password());
            assertEquals("Runs of hub healthy", h1(b), b.driver.getPageSource());
            // still in after two rechecks: the background re-checks confirm a member
            Thread.sleep(RECHECK.multipliedBy(2).toMillis());
            assertEquals(200, status(b, viaHub("hubs/healthy")));

            assertEquals(200, groups(HttpRequest.newBuilder(hub.uri("/hub/api/groups/hubprobe-operators/users"))
                    .method("DELETE", HttpRequest.BodyPublishers.ofString("{\"users\": [\"" + op + "\"]}"))).statusCode());
            long removed = System.nanoTime();
            long out = -1;
            while (System.nanoTime() - removed < RECHECK.multipliedBy(3).toNanos()) {
                if (status(b, viaHub("hubs/healthy")) == 401) {
                    out = System.nanoTime() - removed;
                    break;
                }
                Thread.sleep(200);
            }
            assertTrue(out >= 0, "still signed in " + RECHECK.multipliedBy(3).toSeconds() + " s after leaving the group");
            System.out.printf("HubSignInIT: access ended %.1f s after the user left the group (recheck %d s)%n", out / 1e9,
                    RECHECK.toSeconds());
            // the recheck, and the time of one request and one poll on a busy machine
            assertTrue(out <= RECHECK.plusSeconds(2).toNanos(), "access ended " + out / 1_000_000 + " ms after leaving the group");
            b.driver.get(viaHub("hubs/healthy"));
            assertEquals("Sign in", h1(b));
            assertFalse(b.driver.getPageSource().contains("Runs of hub"));
        } finally {
            hub.send(HttpRequest.newBuilder(hub.uri("/hub/api/users/" + op)).DELETE());
        }
    }

    /** A call of the hub's REST API as the harness's group admin (the service "test-groups"). */
    private HttpResponse<String> groups(HttpRequest.Builder b) throws Exception {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build().send(b.timeout(Duration.ofSeconds(20))
                .header("Authorization", "token " + hub.serviceToken("groups")).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aForgedMissingOrReplayedStateIsRefused() throws Exception {
        CookieManager jar = new CookieManager();
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).cookieHandler(jar)
                .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(5)).build();
        // signed in at the hub as an allowed operator, by its login form
        HttpResponse<String> form = get(http, hub.uri("/hub/login").toString(), Map.of());
        Matcher xsrf = Pattern.compile("name=\"_xsrf\" value=\"([^\"]+)\"").matcher(form.body());
        assertTrue(xsrf.find(), form.body());
        HttpResponse<String> login = http.send(HttpRequest.newBuilder(hub.uri("/hub/login")).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("username=op-alice&password=" + URLEncoder.encode(hub.password(), StandardCharsets.UTF_8)
                        + "&_xsrf=" + URLEncoder.encode(xsrf.group(1), StandardCharsets.UTF_8))).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(302, login.statusCode(), login.body());

        // no state, and a made-up one: refused, without a session
        HttpResponse<String> none = get(http, viaHub("oauth_callback?code=abc"), Map.of());
        assertEquals(403, none.statusCode());
        assertTrue(none.body().contains("was not started here"), none.body());
        HttpResponse<String> started = get(http, viaHub("login?next=" + URLEncoder.encode(BASE + "hubs/healthy", StandardCharsets.UTF_8)), Map.of());
        assertEquals(303, started.statusCode());
        HttpCookie browser = jar.getCookieStore().getCookies().stream().filter(c -> c.getName().equals("hubprobe_oauth_state")).findFirst()
                .orElseThrow();
        assertEquals(BASE, browser.getPath());
        HttpResponse<String> forged = get(http, viaHub("oauth_callback?code=abc&state=forged-" + browser.getValue()), Map.of());
        assertEquals(403, forged.statusCode());
        assertFalse(forged.body().contains("healthy"), forged.body());

        // the real round: the hub sends a code back to the callback, which signs in once
        String authorize = started.headers().firstValue("Location").orElseThrow();
        assertTrue(authorize.startsWith(hub.url() + "hub/api/oauth2/authorize?"), authorize);
        started = get(http, viaHub("login?next=" + URLEncoder.encode(BASE + "hubs/healthy", StandardCharsets.UTF_8)), Map.of());
        String cookie = jar.getCookieStore().getCookies().stream().filter(c -> c.getName().equals("hubprobe_oauth_state")).findFirst()
                .orElseThrow().getValue();
        HttpResponse<String> code = get(http, started.headers().firstValue("Location").orElseThrow(), Map.of());
        assertEquals(302, code.statusCode(), code.body());
        String callback = URI.create(hub.url()).resolve(code.headers().firstValue("Location").orElseThrow()).toString();
        assertTrue(callback.startsWith(viaHub("oauth_callback?")), callback);
        HttpResponse<String> first = get(http, callback, Map.of());
        assertEquals(303, first.statusCode(), first.body());
        assertEquals(BASE + "hubs/healthy", first.headers().firstValue("Location").orElseThrow());
        assertEquals(200, get(http, viaHub("hubs/healthy"), Map.of()).statusCode(), "signed in");

        // the same callback again, with the browser's state cookie as it was: used, refused
        HttpClient other = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(Duration.ofSeconds(5)).build();
        HttpResponse<String> replayed = get(other, callback, Map.of("Cookie", "hubprobe_oauth_state=" + cookie));
        assertEquals(403, replayed.statusCode(), replayed.body());
        assertTrue(replayed.body().contains("already used"), replayed.body());
        assertFalse(replayed.headers().allValues("Set-Cookie").stream().anyMatch(c -> c.startsWith("hubprobe_session=") && c.length() > 30),
                "no session for the replay");
        assertNotNull(first.headers().allValues("Set-Cookie").stream().filter(c -> c.startsWith("hubprobe_session=")).findFirst().orElse(null));
    }

    /**
     * Two sign-ins under way in one browser (two tabs opened from two alerts at 3 a.m., each asking for its
     * page): the first to come back from the hub is not refused because the second one started after it.
     */
    @Test
    void twoTabsSigningInAtOnceBothComeBack() throws Exception {
        CookieManager jar = new CookieManager();
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).cookieHandler(jar)
                .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(5)).build();
        HttpResponse<String> form = get(http, hub.uri("/hub/login").toString(), Map.of());
        Matcher xsrf = Pattern.compile("name=\"_xsrf\" value=\"([^\"]+)\"").matcher(form.body());
        assertTrue(xsrf.find(), form.body());
        HttpResponse<String> login = http.send(HttpRequest.newBuilder(hub.uri("/hub/login")).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("username=op-alice&password=" + URLEncoder.encode(hub.password(), StandardCharsets.UTF_8)
                        + "&_xsrf=" + URLEncoder.encode(xsrf.group(1), StandardCharsets.UTF_8))).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(302, login.statusCode(), login.body());

        HttpResponse<String> tab1 = get(http, viaHub("login?next=" + URLEncoder.encode(BASE + "hubs/healthy", StandardCharsets.UTF_8)), Map.of());
        HttpResponse<String> tab2 = get(http, viaHub("login?next=" + URLEncoder.encode(BASE, StandardCharsets.UTF_8)), Map.of());
        assertEquals(303, tab1.statusCode());
        assertEquals(303, tab2.statusCode());
        for (Object[] tab : new Object[][] {{tab1, BASE + "hubs/healthy"}, {tab2, BASE}}) {
            @SuppressWarnings("unchecked")
            HttpResponse<String> started = (HttpResponse<String>) tab[0];
            HttpResponse<String> code = get(http, started.headers().firstValue("Location").orElseThrow(), Map.of());
            assertEquals(302, code.statusCode(), code.body());
            String callback = URI.create(hub.url()).resolve(code.headers().firstValue("Location").orElseThrow()).toString();
            HttpResponse<String> back = get(http, callback, Map.of());
            assertEquals(303, back.statusCode(), tab[1] + ": " + back.body());
            assertEquals(tab[1], back.headers().firstValue("Location").orElseThrow());
        }
        assertEquals(200, get(http, viaHub("hubs/healthy"), Map.of()).statusCode(), "signed in");
    }

    private static HttpResponse<String> get(HttpClient http, String url, Map<String, String> headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).header("Accept", "text/html");
        headers.forEach(b::header);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
