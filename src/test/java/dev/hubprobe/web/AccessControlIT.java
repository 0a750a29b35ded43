package dev.hubprobe.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hubprobe.testhub.Await;
import dev.hubprobe.testhub.RealHub;
import dev.hubprobe.testhub.RealHubExtension;
import dev.hubprobe.testhub.Service;
import io.micronaut.context.ApplicationContext;
import io.micronaut.http.HttpMethod;
import io.micronaut.http.uri.UriMatchTemplate;
import io.micronaut.web.router.Router;
import io.micronaut.web.router.UriRouteInfo;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Who may read what, against the packaged service probing two hubs of the real test hub (one healthy
 * and listed on the public page, one whose spawns fail and which the public page hides): every route
 * the router serves is refused without a token unless it is one of the few public ones, whatever the
 * method or a trailing slash; the operator's session is a random, revocable, expiring id; failed
 * sign-ins are throttled; a shared cache is never told it may keep an operator's view.
 */
@ExtendWith(RealHubExtension.class)
class AccessControlIT {
    private static final String API_TOKEN = "access-it-api-token-5b1c";
    private static final String READ_TOKEN = "access-it-read-token-93ad";
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Open whatever the mode: liveness, and signing in and out. */
    private static final Set<String> ALWAYS_OPEN = Set.of("/health", "/login", "/logout");
    /** Open to everyone in public mode (each handler then shows only the listed hubs). */
    private static final Set<String> PUBLIC_PAGE = Set.of("/", "/status/fragment", "/status/series/{hub}", "/status/days/{file}",
            "/badges/{file}", "/badges/{hub}/{file}");

    private final RealHub hub = RealHub.shared();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;

    private Service start(String healthy, String broken, String server) throws Exception {
        Path cfg = dir.resolve("hubprobe-" + System.nanoTime() + ".yml");
        // one run of each hub (at start, within the jitter), then nothing for the rest of the test
        Files.writeString(cfg, """
                probes_dir: %s
                history: {path: data/h-%d}
                defaults: {interval: 30m}
                scheduler: {jitter: 1s}
                %s
                hubs:
                  - {name: healthy, url: %s, auth: {token: "${env:HUB_TOKEN}"}, user: %s, probes: [{probe: kernel-smoke}]}
                  - {name: broken, url: %s, auth: {token: "${env:HUB_TOKEN}"}, user: %s, probes: [{probe: kernel-smoke}]}
                """.formatted(RealHub.basedir().resolve("probes"), System.nanoTime(), server, hub.url(), healthy, hub.url(), broken));
        return Service.start(cfg, Map.of("HUB_TOKEN", hub.serviceToken(), "API_TOKEN", API_TOKEN, "READ_TOKEN", READ_TOKEN),
                dir.resolve("svc.log"));
    }

    private HttpResponse<String> send(Service s, String method, String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(s.url() + path)).timeout(Duration.ofSeconds(30))
                .method(method, HttpRequest.BodyPublishers.noBody());
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> login(Service s, String token, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(s.url() + "/login")).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("token=" + URLEncoder.encode(token, StandardCharsets.UTF_8) + "&next=/hubs/broken"));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void awaitRuns(Service s, String bearer, String hubName) throws Exception {
        Await.until("a run of " + hubName, 120, () -> {
            try {
                return s.json("/api/v1/runs?hub=" + hubName, "Authorization", "Bearer " + bearer).size() >= 1;
            } catch (Exception e) {
                return false;
            }
        });
    }

    /** Every (method, URI template) Micronaut's router serves, read from the router itself. */
    private static List<UriRouteInfo<?, ?>> routes() {
        try (ApplicationContext ctx = ApplicationContext.builder().banner(false).start()) {
            List<UriRouteInfo<?, ?>> out = new ArrayList<>(ctx.getBean(Router.class).uriRoutes().toList());
            assertTrue(out.size() > 10, "the router lists the service's routes: " + out);
            return out;
        }
    }

    private static String path(UriMatchTemplate t, Map<String, Object> values) {
        Map<String, Object> v = new LinkedHashMap<>();
        t.getVariableNames().forEach(n -> v.put(n, values.getOrDefault(n, "x")));
        if (v.containsKey("hub") && v.containsKey("file")) {
            v.put("file", values.get("probe") + ".svg"); // /badges/{hub}/{file}: the probe's badge
        }
        return t.expand(v);
    }

    /**
     * Every route but the open ones answers 401 without a token, for its own method and, for a GET,
     * HEAD, with and without a trailing slash: a route added later is covered without touching this.
     */
    private void assertEveryRouteGuarded(Service s, Set<String> open, Map<String, Object> values, String hiddenUser) throws Exception {
        List<String> leaks = new ArrayList<>();
        Set<String> templates = new java.util.HashSet<>();
        int checked = 0;
        for (UriRouteInfo<?, ?> r : routes()) {
            String template = r.getUriMatchTemplate().toString();
            templates.add(template);
            if (open.contains(template) || r.getHttpMethod() == HttpMethod.OPTIONS) {
                continue;
            }
            String p = path(r.getUriMatchTemplate(), values);
            List<String> methods = r.getHttpMethod() == HttpMethod.GET ? List.of("GET", "HEAD") : List.of(r.getHttpMethodName());
            for (String m : methods) {
                for (String variant : p.endsWith("/") ? List.of(p) : List.of(p, p + "/")) {
                    HttpResponse<String> got = send(s, m, variant);
                    checked++;
                    if (got.statusCode() != 401) {
                        leaks.add(m + " " + variant + " -> " + got.statusCode());
                    } else if (got.body().contains(hiddenUser) || got.body().contains("simulated spawner failure")) {
                        leaks.add(m + " " + variant + " -> 401 with what it guards: " + got.body());
                    }
                }
            }
        }
        assertTrue(leaks.isEmpty(), "answered without a token: " + leaks);
        assertTrue(checked >= 30, "requests checked: " + checked);
        for (String o : open) {
            assertTrue(templates.contains(o), "the open route " + o + " is one the router serves: " + templates);
        }
        // a method no route takes is refused too, not told apart from a real one
        assertEquals(401, send(s, "DELETE", "/api/v1/runs").statusCode());
        assertEquals(401, send(s, "PUT", "/metrics/").statusCode());
    }

    private static Map<String, Object> values(String hubName, String runId) {
        return Map.of("hub", hubName, "probe", "kernel-smoke", "file", hubName + ".svg", "id", runId,
                "fingerprint", "0123456789abcdef");
    }

    @Test
    void aPublicPageWithOnlyTheApiTokenGuardsEveryReadButThePublicPages() throws Exception {
        String healthy = RealHub.user("ok");
        String broken = RealHub.user("fail");
        try (Service s = start(healthy, broken, """
                server: {api_token: "${env:API_TOKEN}"}
                status_page: {public: true, hubs: [healthy]}
                """)) {
            awaitRuns(s, API_TOKEN, "broken");
            awaitRuns(s, API_TOKEN, "healthy");
            String runId = s.json("/api/v1/runs?hub=broken", "Authorization", "Bearer " + API_TOKEN).get(0).path("run_id").asText();

            // the review's finding: every hub's runs, user names and messages, to anyone
            HttpResponse<String> runs = send(s, "GET", "/api/v1/runs?limit=1000");
            assertEquals(401, runs.statusCode(), runs::body);
            assertFalse(runs.body().contains(broken) || runs.body().contains("broken"), runs::body);
            assertEquals(401, send(s, "GET", "/metrics").statusCode());
            assertEquals(401, send(s, "GET", "/api/v1/hubs", "Authorization", "Bearer wrong").statusCode());
            // the token Prometheus is given still scrapes
            HttpResponse<String> scrape = send(s, "GET", "/metrics", "Authorization", "Bearer " + API_TOKEN);
            assertEquals(200, scrape.statusCode());
            assertTrue(scrape.body().contains("hub=\"broken\""), "the operator's scrape has every hub");

            Set<String> open = new java.util.HashSet<>(ALWAYS_OPEN);
            open.addAll(PUBLIC_PAGE);
            assertEveryRouteGuarded(s, open, values("broken", runId), broken);

            // the public pages stay open, for the listed hub only
            for (UriRouteInfo<?, ?> r : routes()) {
                if (PUBLIC_PAGE.contains(r.getUriMatchTemplate().toString())) {
                    String p = path(r.getUriMatchTemplate(), values("healthy", runId));
                    assertEquals(200, send(s, "GET", p).statusCode(), p);
                    assertEquals(200, send(s, "HEAD", p).statusCode(), "HEAD " + p);
                }
            }
            assertEquals(404, send(s, "GET", "/badges/broken.svg").statusCode());
            HttpResponse<String> fragment = send(s, "GET", "/status/fragment");
            assertFalse(fragment.body().contains("broken") || fragment.body().contains(broken), fragment::body);
        }
    }

    @Test
    void theReadTokenGuardsEveryRouteWithATrailingSlashAndForHead() throws Exception {
        String healthy = RealHub.user("ok");
        String broken = RealHub.user("fail");
        try (Service s = start(healthy, broken, """
                server: {api_token: "${env:API_TOKEN}", read_token: "${env:READ_TOKEN}"}
                """)) {
            awaitRuns(s, READ_TOKEN, "broken");
            String runId = s.json("/api/v1/runs?hub=broken", "Authorization", "Bearer " + READ_TOKEN).get(0).path("run_id").asText();
            // the review's examples
            assertEquals(401, send(s, "GET", "/metrics/").statusCode());
            assertEquals(401, send(s, "HEAD", "/metrics").statusCode());
            assertEquals(401, send(s, "HEAD", "/api/v1/runs").statusCode());
            assertEveryRouteGuarded(s, ALWAYS_OPEN, values("broken", runId), broken);
            assertEquals(200, send(s, "GET", "/health").statusCode());
            assertEquals(200, send(s, "HEAD", "/metrics", "Authorization", "Bearer " + READ_TOKEN).statusCode());
            // the sign-in form's own style and script load without a token; nothing else under a look-alike path does
            assertEquals(200, send(s, "GET", "/static/web/status.css").statusCode());
            assertEquals(200, send(s, "GET", "/login").statusCode());
            assertEquals(401, send(s, "GET", "/static/../api/v1/runs").statusCode());
            assertEquals(401, send(s, "GET", "/nothing-here").statusCode(), "not a 404 that tells routes apart");
            // a browser asking for a page is sent to the sign-in form
            HttpResponse<String> page = send(s, "GET", "/hubs/broken", "Accept", "text/html");
            assertEquals(401, page.statusCode());
            assertTrue(page.body().contains("action=\"/login\""), page::body);
        }
    }

    @Test
    void aSharedCacheMayKeepAPublicHubsBadgeButNeverAHiddenHubsOrTheOperatorsView() throws Exception {
        String healthy = RealHub.user("ok");
        String broken = RealHub.user("fail");
        try (Service s = start(healthy, broken, """
                server: {read_token: "${env:READ_TOKEN}"}
                status_page: {public: true, hubs: [healthy]}
                """)) {
            awaitRuns(s, READ_TOKEN, "broken");
            String runId = s.json("/api/v1/runs?hub=broken", "Authorization", "Bearer " + READ_TOKEN).get(0).path("run_id").asText();
            // caching: a public hub's badge and day strip may be kept by a shared cache, keyed on the credentials
            for (String p : List.of("/badges/healthy.svg", "/badges/healthy/kernel-smoke.svg", "/status/days/healthy.svg",
                    "/status/fragment")) {
                HttpResponse<String> anon = send(s, "GET", p);
                String cc = anon.headers().firstValue("Cache-Control").orElse("");
                assertFalse(cc.contains("private"), p + ": " + cc);
                String vary = String.join(",", anon.headers().allValues("Vary"));
                assertTrue(vary.contains("Authorization") && vary.contains("Cookie"), p + " Vary: " + vary);
            }
            // ...a hidden hub's, and the operator's view of the page, never
            for (String p : List.of("/badges/broken.svg", "/badges/broken/kernel-smoke.svg", "/status/days/broken.svg",
                    "/status/fragment", "/status/series/broken", "/hubs/broken", "/runs/" + runId)) {
                HttpResponse<String> op = send(s, "GET", p, "Authorization", "Bearer " + READ_TOKEN);
                assertEquals(200, op.statusCode(), p);
                assertEquals("private, no-store", op.headers().firstValue("Cache-Control").orElse(""), p);
            }
            // a refusal is not kept either, or an operator could be handed a visitor's 404
            HttpResponse<String> hidden = send(s, "GET", "/badges/broken.svg");
            assertEquals(404, hidden.statusCode());
            assertEquals("private, no-store", hidden.headers().firstValue("Cache-Control").orElse(""));
        }
    }

    private static String cookie(HttpResponse<String> r) {
        return r.headers().allValues("Set-Cookie").stream().filter(c -> c.startsWith(WebController.SESSION + "="))
                .findFirst().orElseThrow(() -> new AssertionError("no session cookie: " + r.headers().map()));
    }

    private static String value(String setCookie) {
        return setCookie.substring(setCookie.indexOf('=') + 1, setCookie.contains(";") ? setCookie.indexOf(';') : setCookie.length());
    }

    private static double metric(String scrape, String series) {
        Matcher m = Pattern.compile("^" + Pattern.quote(series) + " ([0-9.eE+-]+)$", Pattern.MULTILINE).matcher(scrape);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    @Test
    void theOperatorSessionIsARandomRevocableIdAndFailedSignInsAreThrottled() throws Exception {
        String healthy = RealHub.user("ok");
        String broken = RealHub.user("fail");
        try (Service s = start(healthy, broken, """
                server: {read_token: "${env:READ_TOKEN}"}
                status_page: {public: true, hubs: [healthy]}
                """)) {
            HttpResponse<String> in = login(s, READ_TOKEN);
            assertEquals(303, in.statusCode(), in::body);
            assertEquals("/hubs/broken", in.headers().firstValue("Location").orElse(""));
            String set = cookie(in);
            String lower = set.toLowerCase(java.util.Locale.ROOT);
            assertTrue(lower.contains("httponly") && lower.contains("samesite=strict"), set);
            assertTrue(lower.contains("max-age=28800"), "8 hours: " + set);
            assertFalse(lower.contains("secure"), "plain http: no Secure flag, or the browser would drop it: " + set);
            String id = value(set);

            // not something anyone who knows (or guesses the scheme around) the token can make
            String digest = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(("hubprobe-session\0" + READ_TOKEN).getBytes(StandardCharsets.UTF_8)));
            assertNotEquals(digest, id);
            assertEquals(401, send(s, "GET", "/hubs/broken", "Cookie", WebController.SESSION + "=" + digest).statusCode(),
                    "a cookie made from the token is no session");
            String second = value(cookie(login(s, READ_TOKEN)));
            assertNotEquals(id, second, "a new id for every sign-in");
            assertTrue(id.length() >= 32, id);

            assertEquals(200, send(s, "GET", "/hubs/broken", "Cookie", WebController.SESSION + "=" + id).statusCode());
            assertEquals(200, send(s, "GET", "/api/v1/runs", "Cookie", WebController.SESSION + "=" + id).statusCode(),
                    "the operator's links to the JSON work in the browser");

            // behind a TLS-terminating proxy, or over https, the cookie is Secure
            String proxied = cookie(login(s, READ_TOKEN, "X-Forwarded-Proto", "https"));
            assertTrue(proxied.toLowerCase(java.util.Locale.ROOT).contains("secure"), proxied);

            // signing out ends the session on the server, not only in this browser
            HttpResponse<String> out = send(s, "GET", "/logout", "Cookie", WebController.SESSION + "=" + id);
            assertEquals(303, out.statusCode());
            assertTrue(cookie(out).toLowerCase(java.util.Locale.ROOT).contains("max-age=0"), cookie(out));
            assertEquals(401, send(s, "GET", "/hubs/broken", "Cookie", WebController.SESSION + "=" + id).statusCode(),
                    "a copy of the cookie is no use after /logout");
            assertEquals(200, send(s, "GET", "/hubs/broken", "Cookie", WebController.SESSION + "=" + second).statusCode(),
                    "another sign-in is not ended with it");

            // five wrong tokens a minute from one address, then even the right one waits
            String before = send(s, "GET", "/metrics", "Authorization", "Bearer " + READ_TOKEN).body();
            assertTrue(before.contains("hubprobe_login_failures_total{reason=\"wrong_token\"} 0.0"),
                    "in /metrics before the first failure, for a rule's increase()");
            for (int i = 0; i < 5; i++) {
                HttpResponse<String> wrong = login(s, "wrong-" + i);
                assertEquals(401, wrong.statusCode(), "attempt " + (i + 1));
                assertTrue(wrong.body().contains("not the one configured"), wrong::body);
            }
            HttpResponse<String> throttled = login(s, READ_TOKEN);
            assertEquals(429, throttled.statusCode(), "the sixth attempt in a minute, right token or not");
            assertTrue(throttled.headers().firstValue("Retry-After").isPresent(), throttled.headers().map().toString());
            assertTrue(noSession(throttled), "no session for a throttled attempt");
            // the address is the connection's: a forwarded-for header does not buy more attempts
            assertEquals(429, login(s, "wrong", "X-Forwarded-For", "203.0.113.7").statusCode());
            assertEquals(429, login(s, "wrong", "Forwarded", "for=203.0.113.8").statusCode());
            // an operator already signed in is not locked out
            assertEquals(200, send(s, "GET", "/hubs/broken", "Cookie", WebController.SESSION + "=" + second).statusCode());

            String after = send(s, "GET", "/metrics", "Authorization", "Bearer " + READ_TOKEN).body();
            double failures = metric(after, "hubprobe_login_failures_total{reason=\"wrong_token\"}")
                    - metric(before, "hubprobe_login_failures_total{reason=\"wrong_token\"}");
            assertEquals(5, failures, 0.0, after);
            assertTrue(metric(after, "hubprobe_login_failures_total{reason=\"throttled\"}") >= 3, after);
            for (String line : after.split("\n")) {
                if (line.startsWith("hubprobe_login_failures")) {
                    assertFalse(line.contains("127.0.0.1") || line.contains("203.0.113"), "no address in a label: " + line);
                }
            }
        }
    }

    private static boolean noSession(HttpResponse<String> r) {
        return r.headers().allValues("Set-Cookie").stream().noneMatch(c -> c.startsWith(WebController.SESSION + "=") && !value(c).isEmpty());
    }
}
