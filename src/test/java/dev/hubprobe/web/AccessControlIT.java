package dev.hubprobe.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hubprobe.testhub.Await;
import dev.hubprobe.testhub.Postgres;
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
    private static final Set<String> ALWAYS_OPEN = Set.of("/health", "/login", "/logout", "/favicon.ico", "/oauth_callback");
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

            // the address is throttled for bearer requests too now: read the counters as the signed-in operator
            assertEquals(429, send(s, "GET", "/metrics", "Authorization", "Bearer " + READ_TOKEN).statusCode());
            String after = send(s, "GET", "/metrics", "Cookie", WebController.SESSION + "=" + second).body();
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

    /**
     * The service with one hub at an address nothing listens on: these tests are about the HTTP guard,
     * which answers the same whatever the hub does, so they spare the shared real hub a spawn each.
     */
    private Service startQuiet(String server, String bind, String history) throws Exception {
        return startQuiet(quietConfig(server, history), bind);
    }

    private Service startQuiet(Path cfg, String bind) throws Exception {
        return Service.start(cfg, Map.of("HUB_TOKEN", "unused-hub-token", "API_TOKEN", API_TOKEN, "READ_TOKEN", READ_TOKEN,
                "PG_PASSWORD", Postgres.PASSWORD), dir.resolve("quiet-" + System.nanoTime() + ".log"), bind);
    }

    /** A config file whose {@code server} (and {@code status_page}) part is {@code server}; history: an H2 file of its own, or {@code history}. */
    private Path quietConfig(String server, String history) throws Exception {
        Path cfg = dir.resolve("quiet-" + System.nanoTime() + ".yml");
        writeQuiet(cfg, server, history == null ? "{path: data/q-" + System.nanoTime() + "}" : history);
        return cfg;
    }

    private static void writeQuiet(Path cfg, String server, String history) throws Exception {
        Files.writeString(cfg, """
                probes_dir: %s
                history: %s
                defaults: {interval: 30m}
                %s
                hubs:
                  - {name: quiet, url: "http://127.0.0.1:9/", auth: {token: "${env:HUB_TOKEN}"}, user: nobody, probes: [{probe: kernel-smoke}]}
                """.formatted(RealHub.basedir().resolve("probes"), history, server));
    }

    private static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }

    private static void awaitOutput(Service s, String what, int times) throws Exception {
        Await.until(times + " x '" + what + "' in the log", 30, () -> {
            try {
                return count(s.output(), what) >= times;
            } catch (Exception e) {
                return false;
            }
        });
    }

    private static String out(Service s) throws Exception {
        return s.output();
    }

    private static HttpResponse<String> reload(Service s) throws Exception {
        HttpResponse<String> r = s.post("/-/reload", API_TOKEN);
        assertEquals(200, r.statusCode(), r::body);
        return r;
    }

    @Test
    void aPublicPageWithOnlyTheApiTokenWarnsAboutPrometheusAndAReloadThatOpensReadsSaysSo() throws Exception {
        String prometheus = "set server.read_token for Prometheus";
        String open = "need no token and the service listens on 0.0.0.0";
        String off = "this reload turned the read guard off";
        String history = "{path: data/q-" + System.nanoTime() + "}";
        Path cfg = dir.resolve("warn.yml");
        writeQuiet(cfg, """
                server: {api_token: "${env:API_TOKEN}"}
                status_page: {public: true}
                """, history);
        try (Service s = startQuiet(cfg, "0.0.0.0")) {
            // the guard stays: /metrics needs a token, and the only one is the write token
            assertEquals(401, send(s, "GET", "/metrics").statusCode());
            assertEquals(200, send(s, "GET", "/metrics", "Authorization", "Bearer " + API_TOKEN).statusCode());
            awaitOutput(s, prometheus, 1);
            assertTrue(s.output().lines().anyMatch(l -> l.contains(prometheus) && l.contains("WARN")), out(s));
            assertEquals(0, count(s.output(), open), "reads are guarded: nothing open to warn about");
            // ...and at every reload while it stays so
            reload(s);
            awaitOutput(s, prometheus, 2);

            // public: false with only api_token: reads are open again, and the log says so, twice over
            writeQuiet(cfg, "server: {api_token: \"${env:API_TOKEN}\"}\nstatus_page: {public: false}\n", history);
            reload(s);
            awaitOutput(s, off, 1);
            awaitOutput(s, open, 1);
            assertEquals(200, send(s, "GET", "/api/v1/runs").statusCode(), "open, as configured: the warning is the remedy");
            assertEquals(2, count(s.output(), prometheus), "no read guard, no scrape with the write token to warn about");
            // the next reload keeps warning that reads are open, but the guard was already off
            reload(s);
            awaitOutput(s, open, 2);
            assertEquals(1, count(s.output(), off), out(s));
            assertFalse(s.output().contains(API_TOKEN), "never the token");
        }
    }

    @Test
    void wrongBearerTokensCountAgainstTheAddressLikeWrongSignInsAndAreThrottled() throws Exception {
        try (Service s = startQuiet("server: {api_token: \"${env:API_TOKEN}\", read_token: \"${env:READ_TOKEN}\"}\n", "127.0.0.1", null)) {
            String session = WebController.SESSION + "=" + value(cookie(login(s, READ_TOKEN)));
            String before = send(s, "GET", "/metrics", "Cookie", session).body();
            for (int i = 0; i < 5; i++) {
                String path = i % 2 == 0 ? "/metrics" : "/api/v1/runs";
                assertEquals(401, send(s, "GET", path, "Authorization", "Bearer guess-" + i).statusCode(), path);
            }
            // the sixth attempt in a minute: refused unchecked, the right token included, by every door
            HttpResponse<String> scrape = send(s, "GET", "/metrics", "Authorization", "Bearer " + READ_TOKEN);
            assertEquals(429, scrape.statusCode(), scrape::body);
            assertTrue(scrape.headers().firstValue("Retry-After").isPresent(), scrape.headers().map().toString());
            assertFalse(scrape.body().contains("hubprobe_"), scrape::body);
            assertEquals(429, s.post("/-/reload", API_TOKEN).statusCode(), "a write with a bearer header too");
            assertEquals(429, login(s, READ_TOKEN).statusCode(), "and the sign-in form: one allowance per address");
            // a signed-in operator is not locked out
            String after = send(s, "GET", "/metrics", "Cookie", session).body();
            assertTrue(before.contains("hubprobe_login_failures_total{reason=\"wrong_bearer\"} 0.0"), "in /metrics before the first failure");
            assertEquals(5, metric(after, "hubprobe_login_failures_total{reason=\"wrong_bearer\"}"), 0.0, after);
            assertEquals(0, metric(after, "hubprobe_login_failures_total{reason=\"wrong_token\"}"), 0.0, after);
            assertTrue(metric(after, "hubprobe_login_failures_total{reason=\"throttled\"}") >= 3, after);
        }
    }

    @Test
    void behindATrustedProxyEachClientHasItsOwnAllowance() throws Exception {
        // the test's connections come from 127.0.0.1: here, the ingress
        try (Service s = startQuiet("server: {read_token: \"${env:READ_TOKEN}\", trusted_proxies: [\"127.0.0.0/8\", \"fd00::/8\"]}\n",
                "127.0.0.1", null)) {
            for (int i = 0; i < 5; i++) {
                assertEquals(401, login(s, "wrong-" + i, "X-Forwarded-For", "203.0.113.7").statusCode());
            }
            assertEquals(429, login(s, READ_TOKEN, "X-Forwarded-For", "203.0.113.7").statusCode(), "the visitor who guessed");
            assertEquals(429, send(s, "GET", "/metrics", "Authorization", "Bearer " + READ_TOKEN, "X-Forwarded-For", "203.0.113.7")
                    .statusCode(), "its bearer requests too");
            // another operator behind the same ingress signs in and scrapes
            assertEquals(303, login(s, READ_TOKEN, "X-Forwarded-For", "203.0.113.9").statusCode());
            assertEquals(200, send(s, "GET", "/metrics", "Authorization", "Bearer " + READ_TOKEN, "X-Forwarded-For", "198.51.100.4")
                    .statusCode());
            assertEquals(303, login(s, READ_TOKEN).statusCode(), "the proxy's own address is not the visitor's");
            // the rightmost untrusted hop counts: what the visitor wrote further left buys nothing
            assertEquals(429, login(s, READ_TOKEN, "X-Forwarded-For", "198.51.100.1, 203.0.113.7").statusCode());
            assertEquals(429, login(s, READ_TOKEN, "X-Forwarded-For", "203.0.113.7, 127.0.0.5").statusCode(), "past a trusted hop");
            assertEquals(303, login(s, READ_TOKEN, "X-Forwarded-For", "203.0.113.7, 203.0.113.9").statusCode());
        }
    }

    @Test
    void everyAnswerOfARouteThatIsNotOpenIsPrivateToTheOperator() throws Exception {
        try (Service s = startQuiet("server: {api_token: \"${env:API_TOKEN}\", read_token: \"${env:READ_TOKEN}\"}\n", "127.0.0.1", null)) {
            List<String> shared = new ArrayList<>();
            int checked = 0;
            for (UriRouteInfo<?, ?> r : routes()) {
                String template = r.getUriMatchTemplate().toString();
                if (ALWAYS_OPEN.contains(template) || r.getHttpMethod() == HttpMethod.OPTIONS
                        || template.equals("/api/v1/hubs/{hub}/probes/{probe}/runs")) {
                    continue; // open, or (run now) it would start a run; its answer goes through the same filter
                }
                String p = path(r.getUriMatchTemplate(), values("quiet", "00000000-0000-0000-0000-000000000000"));
                List<String> methods = r.getHttpMethod() == HttpMethod.GET ? List.of("GET", "HEAD") : List.of(r.getHttpMethodName());
                for (String m : methods) {
                    String bearer = m.equals("POST") ? API_TOKEN : READ_TOKEN;
                    HttpResponse<String> got = send(s, m, p, "Authorization", "Bearer " + bearer);
                    checked++;
                    String cc = got.headers().firstValue("Cache-Control").orElse("");
                    String vary = String.join(",", got.headers().allValues("Vary"));
                    if (!cc.equals("private, no-store") || !vary.contains("Authorization") || !vary.contains("Cookie")) {
                        shared.add(m + " " + p + " -> " + got.statusCode() + " Cache-Control: " + cc + " Vary: " + vary);
                    }
                }
            }
            assertTrue(checked >= 20, "requests checked: " + checked);
            assertTrue(shared.isEmpty(), "an operator's answer a shared cache could keep: " + shared);
            HttpResponse<String> runs = send(s, "GET", "/api/v1/runs", "Authorization", "Bearer " + READ_TOKEN);
            assertEquals(200, runs.statusCode());
            assertEquals("private, no-store", runs.headers().firstValue("Cache-Control").orElse(""));
        }
    }

    @Test
    void theSignInFormAsksForABearerANextWithControlCharactersGoesHomeAndTheIconIsOpen() throws Exception {
        try (Service s = startQuiet("server: {read_token: \"${env:READ_TOKEN}\"}\nstatus_page: {public: true}\n", "127.0.0.1", null)) {
            // each of the three is its own finding: collect them all, so one does not hide the others
            List<String> wrong = new ArrayList<>();
            HttpResponse<String> page = send(s, "GET", "/hubs/quiet", "Accept", "text/html");
            assertEquals(401, page.statusCode());
            assertTrue(page.body().contains("action=\"/login\""), page::body);
            for (HttpResponse<String> r : List.of(page, send(s, "GET", "/hubs/quiet"))) {
                if (!r.headers().firstValue("WWW-Authenticate").orElse("").equals("Bearer")) {
                    wrong.add("401 without WWW-Authenticate: Bearer: " + r.headers().map());
                }
            }

            for (String next : List.of("/\t/x", "/a b", "/\r\nSet-Cookie:x=1", "/\u00e9t\u00e9")) {
                HttpRequest req = HttpRequest.newBuilder(URI.create(s.url() + "/login")).timeout(Duration.ofSeconds(30))
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .POST(HttpRequest.BodyPublishers.ofString("token=" + URLEncoder.encode(READ_TOKEN, StandardCharsets.UTF_8)
                                + "&next=" + URLEncoder.encode(next, StandardCharsets.UTF_8))).build();
                HttpResponse<String> in = http.send(req, HttpResponse.BodyHandlers.ofString());
                String shown = next.replace("\t", "\\t").replace("\r", "\\r").replace("\n", "\\n");
                if (in.statusCode() != 303 || !in.headers().firstValue("Location").orElse("").equals("/")) {
                    wrong.add("next=" + shown + " -> " + in.statusCode() + " Location " + in.headers().firstValue("Location").orElse(""));
                }
                assertTrue(in.headers().allValues("Set-Cookie").stream().noneMatch(c -> c.startsWith("x=")), in.headers().map().toString());
            }
            String log = s.output();
            if (log.contains("Set-Cookie:x=1") || log.contains("\r")) {
                wrong.add("the raw next is in the log");
            }

            // the browser's own request on the public page: no token, no sign-in form
            for (String m : List.of("GET", "HEAD")) {
                HttpResponse<String> icon = send(s, m, "/favicon.ico");
                if (icon.statusCode() != 204 || icon.body().contains("action=\"/login\"")) {
                    wrong.add(m + " /favicon.ico -> " + icon.statusCode());
                }
            }
            assertTrue(wrong.isEmpty(), "" + wrong);
        }
    }

    @Test
    void aSessionOpenedAtOneReplicaIsKnownToTheOtherAndEndsAtBoth() throws Exception {
        String db = Postgres.shared().newDatabase();
        String history = "{url: \"" + db + "\", user: " + Postgres.USER + ", password: \"${env:PG_PASSWORD}\"}";
        String server = "server: {read_token: \"${env:READ_TOKEN}\"}\n";
        try (Service a = startQuiet(server, "127.0.0.1", history); Service b = startQuiet(server, "127.0.0.1", history)) {
            String id = value(cookie(login(a, READ_TOKEN)));
            String other = value(cookie(login(b, READ_TOKEN)));
            String cookie = WebController.SESSION + "=" + id;
            // round-robin: the next request goes to the other replica
            assertEquals(200, send(b, "GET", "/hubs/quiet", "Cookie", cookie).statusCode(), "the replica that did not make it");
            assertEquals(200, send(a, "GET", "/api/v1/runs", "Cookie", cookie).statusCode());
            assertEquals(200, send(a, "GET", "/hubs/quiet", "Cookie", WebController.SESSION + "=" + other).statusCode());

            // the database holds a digest of the id, never the id
            try (var c = java.sql.DriverManager.getConnection(db, Postgres.USER, Postgres.PASSWORD);
                 var rs = c.createStatement().executeQuery("SELECT id_hash, token_fp FROM operator_sessions")) {
                int rows = 0;
                while (rs.next()) {
                    rows++;
                    assertFalse(rs.getString(1).contains(id) || rs.getString(1).contains(other), "the id itself is not kept");
                    assertFalse(rs.getString(2).contains(READ_TOKEN));
                }
                assertEquals(2, rows);
            }

            // signing out at one replica ends it at the other
            assertEquals(303, send(b, "GET", "/logout", "Cookie", cookie).statusCode());
            assertEquals(401, send(a, "GET", "/hubs/quiet", "Cookie", cookie).statusCode(), "signed out everywhere");
            assertEquals(200, send(a, "GET", "/hubs/quiet", "Cookie", WebController.SESSION + "=" + other).statusCode());
        }
    }
}
