package dev.hubprobe.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hubprobe.testhub.RealHub;
import dev.hubprobe.testhub.Service;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code server.base_path} without sign-in through the hub, against the packaged service: every endpoint
 * answers under the prefix and no longer at its old path, and every link, asset, form action, redirect and
 * cookie path the pages give stays under it. No hub is needed for that: the one configured refuses
 * connections, so its single run fails at once.
 */
class BasePathIT {
    private static final String READ_TOKEN = "base-path-it-read-token-71c2";
    private static final String BASE = "/services/hubprobe/";
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;

    private HttpResponse<String> send(Service s, String method, String path, String body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(s.url() + path)).timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void everyEndpointLinkRedirectAndCookieIsUnderTheBasePath() throws Exception {
        Path cfg = dir.resolve("hubprobe.yml");
        Files.writeString(cfg, """
                probes_dir: %s
                history: {path: data/h}
                defaults: {interval: 30m}
                server: {base_path: /services/hubprobe, read_token: "${env:READ_TOKEN}"}
                status_page: {public: true}
                hubs:
                  - {name: quiet, url: "http://127.0.0.1:%d/", auth: {token: "${env:HUB_TOKEN}"}, user: robot, probes: [{probe: kernel-smoke}]}
                """.formatted(RealHub.basedir().resolve("probes"), RealHub.freePort()));
        try (Service s = Service.start(cfg, Map.of("READ_TOKEN", READ_TOKEN, "HUB_TOKEN", "base-path-hub-token"), dir.resolve("svc.log"))) {
            String bearer = "Bearer " + READ_TOKEN;
            List<String> wrong = new ArrayList<>();
            for (String p : List.of("health", "metrics", "api/v1/hubs", "api/v1/runs", "api/v1/alerts",
                    "api/v1/baselines?hub=quiet&probe=kernel-smoke", "",
                    "status/fragment", "status/series/quiet", "status/days/quiet.svg", "badges/quiet.svg", "badges/quiet/kernel-smoke.svg",
                    "hubs/quiet", "login", "static/web/status.css", "static/web/status.js", "static/uplot/uPlot.iife.min.js")) {
                int under = send(s, "GET", BASE + p, null, "Authorization", bearer).statusCode();
                int old = send(s, "GET", "/" + p, null, "Authorization", bearer).statusCode();
                if (under != 200 || old != 404) {
                    wrong.add(p + ": " + under + " under the base path, " + old + " at the old path");
                }
            }
            assertTrue(wrong.isEmpty(), String.join("\n", wrong));
            assertEquals(401, send(s, "GET", BASE + "api/v1/runs", null).statusCode(), "the guard holds under the prefix");
            assertEquals(200, send(s, "GET", BASE + "health", null).statusCode(), "and its open routes stay open");
            assertEquals(200, send(s, "GET", BASE + "badges/quiet.svg", null).statusCode(), "the public page's badge");
            // a visitor's path tricks around and inside the prefix reach no guarded answer
            assertEquals(404, send(s, "GET", "/services/hubprobeX/health", null).statusCode(), "a longer prefix is not ours");
            for (String trick : List.of(BASE + "/api/v1/runs", BASE + "static/web/..;/..;/api/v1/runs", BASE + "static/web/%2e%2e/%2e%2e/api/v1/runs",
                    BASE + "static/web/../../api/v1/runs", BASE + "static/..%2fapi/v1/runs", "/services/hubprobe;x=1/api/v1/runs",
                    BASE + "api/v1/runs/", BASE + "hubs/quiet;.css", BASE + "static/web/%2e%2e/%2e%2e/hubs/quiet")) {
                HttpResponse<String> r = send(s, "GET", trick, null, "Accept", "text/html");
                assertTrue(r.statusCode() != 200 || !r.body().contains("kernel-smoke"), trick + ": " + r.statusCode() + " " + r.body());
            }

            // every URL the pages give is under the base path
            Pattern url = Pattern.compile("(?:href|src|action|value)=\"(/[^\"]*)\"");
            for (String p : List.of("", "hubs/quiet")) {
                String page = send(s, "GET", BASE + p, null, "Authorization", bearer, "Accept", "text/html").body();
                Matcher m = url.matcher(page);
                int n = 0;
                while (m.find()) {
                    n++;
                    assertTrue(m.group(1).startsWith(BASE), p + ": " + m.group(1));
                }
                assertTrue(n >= 3, "links checked on " + p + ": " + n);
                assertTrue(page.contains("data-base=\"" + BASE + "\""), "the script's requests go under it too");
            }
            HttpResponse<String> form = send(s, "GET", BASE + "hubs/quiet", null, "Accept", "text/html");
            assertEquals(401, form.statusCode());
            assertTrue(form.body().contains("action=\"" + BASE + "login\""), form.body());
            assertTrue(form.body().contains("name=\"next\" value=\"" + BASE + "hubs/quiet\""), form.body());

            HttpResponse<String> in = send(s, "POST", BASE + "login", "token=" + READ_TOKEN + "&next=" + BASE + "hubs/quiet",
                    "Content-Type", "application/x-www-form-urlencoded");
            assertEquals(303, in.statusCode());
            assertEquals(BASE + "hubs/quiet", in.headers().firstValue("Location").orElse(""));
            String cookie = in.headers().firstValue("Set-Cookie").orElse("");
            assertTrue(cookie.contains("Path=" + BASE + ";") || cookie.endsWith("Path=" + BASE), cookie);
            // a next outside the base path (another service behind the same proxy) goes to the status page instead
            HttpResponse<String> away = send(s, "POST", BASE + "login", "token=" + READ_TOKEN + "&next=/hub/admin",
                    "Content-Type", "application/x-www-form-urlencoded");
            assertEquals(BASE, away.headers().firstValue("Location").orElse(""));
            HttpResponse<String> out = send(s, "GET", BASE + "logout", null);
            assertEquals(BASE, out.headers().firstValue("Location").orElse(""));
            assertFalse(s.output().contains(READ_TOKEN));
        }
    }

    /**
     * The hub stops answering between the authorize page and the callback (a restart, an outage): the
     * callback is a page that says the hub cannot be asked, and there is no session. A real hub cannot be
     * made to vanish mid-sign-in for one test: its URL here is a port nothing listens on.
     */
    @Test
    void aHubThatDoesNotAnswerTheCallbacksQuestionsIsAClearErrorPageWithoutData() throws Exception {
        int nothing = RealHub.freePort();
        Path cfg = dir.resolve("hubprobe-oauth.yml");
        Files.writeString(cfg, """
                probes_dir: %s
                history: {path: data/h2}
                defaults: {interval: 30m}
                server:
                  base_path: /services/hubprobe/
                  read_token: "${env:READ_TOKEN}"
                  hub_oauth: {hub_url: "http://127.0.0.1:%d", client_id: service-hubprobe, client_secret: "${env:HUB_TOKEN}",
                              allow: {groups: [ops]}}
                hubs:
                  - {name: quiet, url: "http://127.0.0.1:%d/", auth: {token: "${env:HUB_TOKEN}"}, user: robot, probes: [{probe: kernel-smoke}]}
                """.formatted(RealHub.basedir().resolve("probes"), nothing, nothing));
        try (Service s = Service.start(cfg, Map.of("HUB_TOKEN", "base-path-hub-token", "READ_TOKEN", READ_TOKEN),
                dir.resolve("svc-oauth.log"))) {
            HttpResponse<String> start = send(s, "GET", BASE + "login?next=" + BASE + "hubs/quiet", null);
            assertEquals(303, start.statusCode());
            String authorize = start.headers().firstValue("Location").orElse("");
            assertTrue(authorize.startsWith("http://127.0.0.1:" + nothing + "/hub/api/oauth2/authorize?"), authorize);
            String state = okhttp3.HttpUrl.get(authorize).queryParameter("state");
            String cookie = start.headers().allValues("Set-Cookie").stream().filter(c -> c.startsWith("hubprobe_oauth_state="))
                    .findFirst().orElseThrow().split(";")[0];
            HttpResponse<String> back = send(s, "GET", BASE + "oauth_callback?code=some-code&state=" + state, null, "Cookie", cookie,
                    "Accept", "text/html");
            assertEquals(502, back.statusCode(), back.body());
            assertTrue(back.body().contains("The hub cannot be asked who you are just now"), back.body());
            assertFalse(back.body().contains("quiet"), "no hub of the history: " + back.body());
            assertFalse(back.headers().allValues("Set-Cookie").stream().anyMatch(c -> c.startsWith("hubprobe_session=")), "no session");
            assertEquals(401, send(s, "GET", BASE + "api/v1/runs", null).statusCode());
            assertFalse(s.output().contains("some-code") || s.output().contains("base-path-hub-token"), "neither code nor secret logged");

            // the hub down is when the on-call engineer needs the view: the configured token still signs a browser in
            assertTrue(back.body().contains("action=\"" + BASE + "login\"") && back.body().contains("name=\"token\""),
                    "the error page offers the token form: " + back.body());
            HttpResponse<String> asked = send(s, "GET", BASE + "hubs/quiet", null, "Accept", "text/html");
            assertEquals(401, asked.statusCode());
            assertTrue(asked.body().contains("id=\"hub-sign-in\"") && asked.body().contains("name=\"next\" value=\"" + BASE + "hubs/quiet\""),
                    asked.body());
            HttpResponse<String> in = send(s, "POST", BASE + "login", "token=" + READ_TOKEN + "&next=" + BASE + "hubs/quiet",
                    "Content-Type", "application/x-www-form-urlencoded");
            assertEquals(303, in.statusCode());
            String session = in.headers().allValues("Set-Cookie").stream().filter(c -> c.startsWith("hubprobe_session="))
                    .findFirst().orElseThrow().split(";")[0];
            assertEquals(200, send(s, "GET", BASE + "hubs/quiet", null, "Cookie", session, "Accept", "text/html").statusCode());
            assertFalse(s.output().contains(READ_TOKEN));
        }
    }
}
