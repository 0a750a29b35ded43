package dev.hubprobe.probe.steps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hubprobe.config.Redactor;
import dev.hubprobe.config.Secret;
import dev.hubprobe.jupyter.Deadline;
import dev.hubprobe.probe.ProbeClock;
import dev.hubprobe.probe.ProbeContext;
import dev.hubprobe.probe.ProbeDefinition;
import dev.hubprobe.probe.ProbeFailure;
import dev.hubprobe.probe.ProbeTarget;
import dev.hubprobe.probe.Reason;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What no real proxied app can be made to do on the test hub (jupyter-server-proxy buffers a whole
 * answer before passing it on): an app that streams forever, one that redirects in a loop, one that
 * sends the session to another host. A raw socket server plays the user's server.
 */
class AppStepTest {
    private ServerSocket server;
    private Thread acceptor;

    @BeforeEach
    void start() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        acceptor = new Thread(() -> {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    Thread t = new Thread(() -> serve(s));
                    t.setDaemon(true);
                    t.start();
                } catch (IOException e) {
                    return;
                }
            }
        });
        acceptor.setDaemon(true);
        acceptor.start();
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
        acceptor.join(5000);
    }

    private static void serve(Socket s) {
        try (s; OutputStream out = s.getOutputStream()) {
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
            String line = in.readLine();
            String path = line == null ? "" : line.split(" ")[1];
            if (path.startsWith("/user/u/echo/")) {
                // a debug error page that shows the request's headers, the session's cookies among them
                StringBuilder headers = new StringBuilder("debug: ");
                for (String h = in.readLine(); h != null && !h.isEmpty(); h = in.readLine()) {
                    headers.append(h).append("; ");
                }
                byte[] page = headers.toString().getBytes(StandardCharsets.ISO_8859_1);
                out.write(("HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\nContent-Length: " + page.length
                        + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(page);
                return;
            }
            if (path.startsWith("/user/u/parsed/")) {
                // a debug page that shows the request's cookies as the server parsed them: Python (tornado's
                // parse_cookie, SimpleCookie) takes the double quotes off a quoted value
                StringBuilder shown = new StringBuilder("cookies: ");
                for (String h = in.readLine(); h != null && !h.isEmpty(); h = in.readLine()) {
                    if (h.regionMatches(true, 0, "Cookie:", 0, 7)) {
                        for (String pair : h.substring(7).split(";")) {
                            String[] nv = pair.trim().split("=", 2);
                            String v = nv.length < 2 ? "" : nv[1];
                            shown.append(nv[0]).append(": ").append(v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")
                                    ? v.substring(1, v.length() - 1) : v).append(", ");
                        }
                    }
                }
                byte[] page = shown.toString().getBytes(StandardCharsets.ISO_8859_1);
                out.write(("HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\nContent-Length: " + page.length
                        + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(page);
                return;
            }
            if (path.startsWith("/user/u/trickle/")) {
                // headers at once, then a byte now and then: each read is quick, the body never ends
                out.write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                while (true) {
                    out.write('x');
                    out.flush();
                    Thread.sleep(200);
                }
            }
            if (path.startsWith("/user/u/slowhead/")) {
                // slowloris: the status line and headers a byte at a time, never ending
                out.write("HTTP/1.1 200 OK\r\n".getBytes(StandardCharsets.US_ASCII));
                while (true) {
                    out.write("X-A: b\r\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    Thread.sleep(200);
                }
            }
            if (path.startsWith("/user/u/liar/")) {
                // a status line that is none: OkHttp quotes it, escape sequence, override and all
                out.write(("HTTP/1.1 2000 \u001b[31m\u202eKO" + "y".repeat(5000) + "\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
                        .getBytes(StandardCharsets.UTF_8));
                return;
            }
            if (path.startsWith("/user/u/lt/") || path.startsWith("/user/u/script/")) {
                // a megabyte of '<' (or of '<script') as an HTML error page
                String unit = path.startsWith("/user/u/lt/") ? "<" : "<script";
                byte[] page = unit.repeat((1 << 20) / unit.length()).getBytes(StandardCharsets.US_ASCII);
                out.write(("HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/html\r\nContent-Length: " + page.length
                        + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(page);
                return;
            }
            if (path.startsWith("/user/u/stream/")) {
                out.write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                byte[] chunk = "x".repeat(8192).getBytes(StandardCharsets.US_ASCII);
                while (true) {
                    out.write(chunk); // until the prober hangs up
                }
            }
            String location = path.startsWith("/user/u/loop/") ? "/user/u/loop/"
                    : path.startsWith("/user/u/login/") ? "/hub/login?next=%2Fuser%2Fu%2Flogin%2F%3Ftoken%3Ds3cr3t"
                    : path.startsWith("/user/u/gone/") ? "/hub/user/u/gone/"
                    : path.startsWith("/user/u/long/") ? "/hub/" + "z".repeat(6000)
                    : path.startsWith("/user/u/other/") ? "http://elsewhere.invalid/sso?token=s3cr3t"
                    : path.equals("/user/u/next") ? "/user/u/next/" : null;
            String head = location != null ? "HTTP/1.1 302 Found\r\nLocation: " + location + "\r\nContent-Length: 0\r\n"
                    : "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n";
            out.write((head + "Connection: close\r\n\r\n" + (location == null ? "ok" : "")).getBytes(StandardCharsets.US_ASCII));
        } catch (IOException | RuntimeException | InterruptedException e) {
            // the prober hung up
        }
    }

    private ProbeFailure fails(String path) {
        return assertThrows(ProbeFailure.class, () -> run(path));
    }

    private void run(String path) {
        runExpecting(path, null);
    }

    @Test
    void anEndlessBodyIsReadOnlyToTheCap() {
        long t0 = System.nanoTime();
        ProbeFailure f = assertThrows(ProbeFailure.class, () -> runExpecting("/stream/", "never there"));
        assertEquals(Reason.APP_FAILED, f.reason(), f.getMessage());
        assertTrue(f.getMessage().contains("without 'never there' in its first " + ProbeDefinition.AppExpect.MAX_READ + " bytes"),
                f.getMessage());
        assertTrue(f.getMessage().length() < 400, "the message shows the body's head only: " + f.getMessage().length());
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(15), "cut at the cap, not at the 20 s budget");
    }

    private void runExpecting(String path, String contains) {
        runExpecting(path, contains, Duration.ofSeconds(20));
    }

    private void runExpecting(String path, String contains, Duration budget) {
        runExpecting(path, contains, budget, okhttp3.CookieJar.NO_COOKIES, Redactor.forRun());
    }

    private void runExpecting(String path, String contains, Duration budget, okhttp3.CookieJar cookies, Redactor redactor) {
        ProbeDefinition probe = new ProbeDefinition("p", null, null, null, null, null, null,
                List.of(new ProbeDefinition.Cell("1", null)), null)
                .withApps(List.of(new ProbeDefinition.App(path, "a", new ProbeDefinition.AppExpect(null, contains), budget)));
        ProbeTarget target = new ProbeTarget("h", "http://127.0.0.1:" + server.getLocalPort() + "/", "u",
                new ProbeTarget.Token(Secret.of("t")));
        ProbeContext ctx = new ProbeContext("run", target, probe, null, null, new Deadline(System::nanoTime), ProbeClock.SYSTEM,
                redactor);
        ctx.serverUrl = HttpUrl.get("http://127.0.0.1:" + server.getLocalPort() + "/user/u/");
        ctx.serverClient = new OkHttpClient.Builder().readTimeout(30, TimeUnit.SECONDS).cookieJar(cookies).build();
        AppStep step = (AppStep) AppStep.of(probe).get(0);
        ctx.startPhase(step.budget(probe.timeouts()));
        try {
            step.run(ctx);
        } finally {
            ctx.serverClient.dispatcher().executorService().shutdown();
            ctx.serverClient.connectionPool().evictAll();
        }
    }

    @Test
    void aTricklingBodyIsCutByTheAppsBudget() {
        long t0 = System.nanoTime();
        ProbeFailure f = assertThrows(ProbeFailure.class, () -> runExpecting("/trickle/", "never there", Duration.ofSeconds(2)));
        assertEquals(Reason.APP_TIMEOUT, f.reason(), f.getMessage());
        assertTrue(f.getMessage().contains("(the app's budget: 2s)"), f.getMessage());
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(6), "the budget bounds the body's read");
    }

    @Test
    void headersThatNeverEndAreCutByTheAppsBudget() {
        long t0 = System.nanoTime();
        ProbeFailure f = assertThrows(ProbeFailure.class, () -> runExpecting("/slowhead/", null, Duration.ofSeconds(2)));
        assertEquals(Reason.APP_TIMEOUT, f.reason(), f.getMessage());
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(6), "the budget bounds the headers' read");
    }

    @Test
    void aStatusLineThatIsNoneIsShownCutAndCleaned() {
        ProbeFailure f = fails("/liar/");
        assertEquals(Reason.APP_FAILED, f.reason());
        assertTrue(f.getMessage().startsWith("GET /user/u/liar/: ProtocolException Unexpected status line: HTTP/1.1 2000"),
                f.getMessage());
        assertTrue(f.getMessage().length() < 400, "the peer's line is cut: " + f.getMessage().length());
        assertFalse(f.getMessage().contains("\u001b") || f.getMessage().contains("\u202e"), "escape and override replaced: " + f.getMessage());
    }

    @Test
    void aMegabyteOfOpenTagsIsShownInLinearTime() {
        for (String app : List.of("/lt/", "/script/")) {
            // the regular expressions this replaced took over an hour of CPU on the first, minutes on the second
            ProbeFailure f = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> fails(app), app);
            assertEquals(Reason.APP_FAILED, f.reason());
            assertTrue(f.getMessage().contains(" answered 500 (expected 200): page text '"), f.getMessage());
            assertTrue(f.getMessage().length() < 400, f.getMessage());
        }
    }

    /** A session holding one cookie (made for the request's URL) that it sends with every request, and keeping nothing set. */
    private static okhttp3.CookieJar session(java.util.function.Function<HttpUrl, okhttp3.Cookie> cookie) {
        return new okhttp3.CookieJar() {
            @Override
            public void saveFromResponse(HttpUrl url, List<okhttp3.Cookie> cookies) {
            }

            @Override
            public List<okhttp3.Cookie> loadForRequest(HttpUrl url) {
                return List.of(cookie.apply(url));
            }
        };
    }

    @Test
    void theSessionsCookiesEchoedByAnErrorPageAreRedacted() {
        String secret = "2f1c0ffee5e55101d0c0ffee5e55101d";
        okhttp3.CookieJar jar = session(url -> new okhttp3.Cookie.Builder().name("jupyterhub-user-u").value(secret).domain(url.host())
                .path("/user/u/").build());
        Redactor redactor = Redactor.forRun();
        ProbeFailure f = assertThrows(ProbeFailure.class, () -> runExpecting("/echo/", null, Duration.ofSeconds(20), jar, redactor));
        assertTrue(f.getMessage().contains("jupyterhub-user-u=" + secret), "the page echoed it: " + f.getMessage());
        // what the runner stores, shows and alerts with: the message through the run's redactor
        String shown = redactor.redact(f.getMessage());
        assertFalse(shown.contains(secret), shown);
        assertTrue(shown.contains("jupyterhub-user-u=" + Redactor.MASK), shown);
    }

    @Test
    void aQuotedSessionCookieShownUnquotedByAnErrorPageIsRedacted() {
        // tornado quotes a signed cookie's value (its base64 has '='); the session keeps it as sent, quotes and
        // all, as a browser does, and an app that shows the cookies it parsed shows the value without them
        String signed = "2|1:0|10:1796197170|17:jupyterhub-user-u|44:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=|f5a574cb6afa3cda";
        okhttp3.CookieJar jar = session(url -> okhttp3.Cookie.parse(url, "jupyterhub-user-u=\"" + signed + "\"; Path=/user/u/; HttpOnly"));
        Redactor redactor = Redactor.forRun();
        ProbeFailure f = assertThrows(ProbeFailure.class, () -> runExpecting("/parsed/", null, Duration.ofSeconds(20), jar, redactor));
        assertTrue(f.getMessage().contains("jupyterhub-user-u: " + signed.substring(0, 40)), "the page showed it: " + f.getMessage());
        String shown = redactor.redact(f.getMessage());
        assertFalse(shown.contains("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY"), shown);
        assertTrue(shown.contains("jupyterhub-user-u: " + Redactor.MASK), shown);
    }

    @Test
    void aRedirectToTheHubsSignInOrServerPageSaysWhatThatMeans() {
        ProbeFailure login = fails("/login/");
        assertEquals(Reason.APP_FAILED, login.reason());
        assertTrue(login.getMessage().contains("to /hub/login: not followed (the hub's sign-in: it did not take the run's session"),
                login.getMessage());
        assertFalse(login.getMessage().contains("s3cr3t"), login.getMessage());
        ProbeFailure gone = fails("/gone/");
        assertTrue(gone.getMessage().contains("to /hub/user/u/gone/: not followed (the hub's page for the server: the proxy has no route"),
                gone.getMessage());
        ProbeFailure elsewhere = fails("/long/");
        assertTrue(elsewhere.getMessage().length() < 400, "a long Location is cut: " + elsewhere.getMessage().length());
        assertFalse(elsewhere.getMessage().contains("(the hub's"), elsewhere.getMessage());
    }

    @Test
    void aRedirectLoopEndsAfterTenRedirects() {
        ProbeFailure f = fails("/loop/");
        assertEquals(Reason.APP_FAILED, f.reason());
        assertTrue(f.getMessage().contains("still redirecting after 10 redirects"), f.getMessage());
    }

    @Test
    void aRedirectToAnotherHostIsNotFollowedAndItsQueryNotShown() {
        ProbeFailure f = fails("/other/");
        assertEquals(Reason.APP_FAILED, f.reason());
        assertTrue(f.getMessage().contains("redirecting outside the user's server, to http://elsewhere.invalid:80/sso: not followed"),
                f.getMessage());
        assertFalse(f.getMessage().contains("s3cr3t"), f.getMessage());
    }

    @Test
    void aRedirectWithinTheServerIsFollowed() {
        run("/next"); // 302 to /user/u/next/, which answers 200
    }

    @Test
    void pageTextLeavesOutTheHeadAndTags() {
        assertEquals("page text '500 : Internal Server Error could not start x in time & more'", AppStep.shown(
                "<!DOCTYPE html><html><head><title>Jupyter Server</title><script>var a=1;</script></head><body>"
                        + "<h1>500 : Internal Server Error</h1>\n<p>could not start x in time &amp; more</p></body></html>", true));
        assertEquals("'a\uFFFDb'", AppStep.shown("a\u0007b", false));
        assertEquals("'a\uFFFDb\uFFFDc'", AppStep.shown("a\u202eb\u2028c", false), "a right-to-left override, a line separator");
        assertEquals("page text 'x < y x'", AppStep.shown("x < y<SCRIPT type=a>1</script ><Script>2</sCrIpt> <header>x</header><!-- c", true));
        assertEquals("page text 'a <b'", AppStep.shown("a <b", true), "a '<' never closed is text");
        assertEquals("(empty body)", AppStep.shown("", false));
    }
}
