package dev.hubprobe.probe.steps;

import dev.hubprobe.json.Json;
import dev.hubprobe.jupyter.JupyterHttp;
import dev.hubprobe.probe.Phase;
import dev.hubprobe.probe.ProbeContext;
import dev.hubprobe.probe.ProbeDefinition;
import dev.hubprobe.probe.ProbeFailure;
import dev.hubprobe.probe.ProbeStep;
import dev.hubprobe.probe.Reason;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okio.Buffer;
import okio.BufferedSource;

/**
 * Fetches one of the probe's {@code apps:} (RStudio, VS Code, any jupyter-server-proxy app) as a browser
 * opening it would: with the session the kernel steps used (the form login's cookies after the OAuth hop,
 * or the user's token), following redirects only while they stay under the user's server. A proxy's 502,
 * a page without the expected text, or a redirect away (to the hub's login, to another host) fails
 * {@code app_<name>} with {@code app_failed}; no answer within the app's budget, {@code app_timeout}.
 */
public final class AppStep implements ProbeStep {
    /** Redirects followed, at most: a proxy adding a slash, an app sending / to its start page. */
    static final int MAX_REDIRECTS = 10;
    /** How much of a failing page's body the message shows. */
    static final int SHOWN = 200;

    private final ProbeDefinition.App app;

    AppStep(ProbeDefinition.App app) {
        this.app = app;
    }

    /** One step per app of the probe, in the file's order. */
    public static List<ProbeStep> of(ProbeDefinition probe) {
        return probe.apps().stream().<ProbeStep>map(AppStep::new).toList();
    }

    @Override
    public Phase phase() {
        return Phase.APP;
    }

    @Override
    public String app() {
        return app.name();
    }

    @Override
    public Duration budget(ProbeDefinition.Timeouts timeouts) {
        return app.budget(timeouts);
    }

    @Override
    public void run(ProbeContext ctx) {
        if (ctx.serverClient == null || ctx.serverUrl == null) {
            throw new ProbeFailure(Reason.APP_FAILED, "no session to the user's server to fetch the app with");
        }
        // redirects are ours to judge: OkHttp's own would follow one to the hub's login or another host
        OkHttpClient http = ctx.serverClient.newBuilder().followRedirects(false).followSslRedirects(false).build();
        JupyterHttp rest = new JupyterHttp(http, ctx.deadline);
        HttpUrl server = ctx.serverUrl;
        String serverPath = server.encodedPath().endsWith("/") ? server.encodedPath() : server.encodedPath() + "/";
        HttpUrl url = HttpUrl.parse(server.newBuilder().encodedPath("/").query(null).build()
                + serverPath.substring(1) + app.path().substring(1));
        // the session (token or cookies) goes nowhere but the user's server: a path that parses to somewhere
        // else (dot segments OkHttp resolves, the probe file's check aside) is not fetched at all
        if (url == null || !JupyterHttp.sameOrigin(server, url) || !url.encodedPath().startsWith(serverPath)) {
            throw new ProbeFailure(Reason.APP_FAILED, "path " + Json.abbreviate(app.path().replaceFirst("\\?.*", ""), 100)
                    + " does not make a URL under the user's server: not fetched");
        }
        try {
            fetch(ctx, http, rest, server, serverPath, url);
            if (app.expect().selector() != null) {
                // then as a person sees it: the app rendered in the run's browser (loaded only for a selector)
                UiAppPage.check(ctx, app, url);
            }
        } catch (dev.hubprobe.jupyter.DeadlineException e) {
            throw new ProbeFailure(Reason.APP_TIMEOUT, e.getMessage() + " (the app's budget: "
                    + dev.hubprobe.config.Durations.format(app.budget(ctx.probe.timeouts())) + ")", e);
        } catch (dev.hubprobe.jupyter.UnreachableException e) {
            // OkHttp's message quotes what the peer sent (a status line that is no status line, up to
            // 256 KiB of it, escape sequences included): shown cut and cleaned like a body
            throw new ProbeFailure(Reason.APP_FAILED, Json.printable(Json.abbreviate(e.getMessage(), SHOWN + 100)), e);
        }
    }

    private void fetch(ProbeContext ctx, OkHttpClient http, JupyterHttp rest, HttpUrl server, String serverPath, HttpUrl url) {
        int expected = app.expect().status();
        for (int hop = 0; ; hop++) {
            Request request = new Request.Builder().url(url).get().header("Accept", "text/html,*/*").build();
            // an app's error page may echo the request's headers (a debug page, an echo server): the session
            // cookies sent with it are credentials to the user's server, and the message must not carry them
            for (okhttp3.Cookie c : http.cookieJar().loadForRequest(url)) {
                String v = c.value();
                ctx.redactor.add(v);
                // the session keeps a quoted value as the server sent it (tornado quotes its signed cookies: their
                // base64 has '='), quotes and all; a page showing the cookies it parsed shows it without them
                if (v.length() > 2 && v.startsWith("\"") && v.endsWith("\"")) {
                    ctx.redactor.add(v.substring(1, v.length() - 1));
                }
            }
            try (Response response = rest.send(request)) {
                int code = response.code();
                if (code != expected && response.isRedirect()) {
                    String location = response.header("Location");
                    HttpUrl next = location == null ? null : url.resolve(location);
                    if (next == null) {
                        throw new ProbeFailure(Reason.APP_FAILED, describe(request) + " answered " + code
                                + " with no Location to follow");
                    }
                    if (!JupyterHttp.sameOrigin(server, next) || !next.encodedPath().startsWith(serverPath)) {
                        throw new ProbeFailure(Reason.APP_FAILED, describe(request) + " answered " + code
                                + " redirecting outside the user's server, to " + where(server, next) + ": not followed"
                                + hint(ctx, server, next));
                    }
                    if (hop + 1 > MAX_REDIRECTS) {
                        throw new ProbeFailure(Reason.APP_FAILED, describe(request) + " still redirecting after "
                                + MAX_REDIRECTS + " redirects");
                    }
                    url = next;
                    continue;
                }
                String body = firstBytes(rest, request, response);
                boolean html = isHtml(response);
                if (code != expected) {
                    throw new ProbeFailure(Reason.APP_FAILED, describe(request) + " answered " + code + " (expected "
                            + expected + "): " + shown(body, html));
                }
                String contains = app.expect().contains();
                if (contains != null && !body.contains(contains)) {
                    throw new ProbeFailure(Reason.APP_FAILED, describe(request) + " answered " + code + " without '"
                            + Json.abbreviate(contains, 100) + "' in its first " + body.getBytes(StandardCharsets.UTF_8).length
                            + " bytes: " + shown(body, html));
                }
                ctx.facts.put("app_" + app.name() + "_status", Integer.toString(code));
                return;
            }
        }
    }

    /**
     * At most {@link ProbeDefinition.AppExpect#MAX_READ} bytes of the body, as text: an app that streams
     * forever is cut there (and one that trickles is cut by the phase's deadline).
     */
    private static String firstBytes(JupyterHttp rest, Request request, Response response) {
        ResponseBody body = response.body();
        if (body == null) {
            return "";
        }
        try {
            BufferedSource source = body.source();
            source.request(ProbeDefinition.AppExpect.MAX_READ);
            Buffer buffer = source.getBuffer();
            return buffer.readUtf8(Math.min(buffer.size(), ProbeDefinition.AppExpect.MAX_READ));
        } catch (IOException e) {
            throw rest.failure(request, e);
        }
    }

    /**
     * The head of a body for a message: control characters replaced, white space folded, cut short. Of an
     * HTML page, its text (a proxy's or server's error page says what broke in its body, after a head of
     * boilerplate); redacted by the runner, escaped by every page that shows it.
     */
    static String shown(String body, boolean html) {
        String text = Json.printable(html ? pageText(body) : body);
        return text.isBlank() ? "(empty body)" : (html ? "page text '" : "'") + Json.abbreviate(text, SHOWN) + "'";
    }

    /** The elements whose content is no page text: {@code <head>}, {@code <script>}, {@code <style>}. */
    private static final String[] HIDDEN = {"head", "script", "style"};

    /**
     * An HTML page's visible text, roughly: no head, scripts, styles, comments or tags. One pass, in
     * time linear in the page: a hostile page of a megabyte of {@code <} or {@code <script} took a regular
     * expression's backtracking hours of CPU, unbounded by any deadline. An element or comment left open
     * is no text to its end; a {@code <} never closed by {@code >}, or not followed by a tag's first
     * character, is text.
     */
    static String pageText(String html) {
        StringBuilder out = new StringBuilder(Math.min(html.length(), 1 << 16));
        // once a search for a closing mark fails, it fails from every later place too: not searched again
        boolean[] unclosed = new boolean[HIDDEN.length];
        boolean noGt = false;
        int n = html.length();
        int i = 0;
        while (i < n) {
            char c = html.charAt(i);
            // a tag opens with a letter, '/', '!' or '?' after its '<' (as a browser reads it): "a < b" is text
            char next = i + 1 < n ? html.charAt(i + 1) : ' ';
            if (c != '<' || !(Character.isLetter(next) || next == '/' || next == '!' || next == '?')) {
                out.append(c);
                i++;
                continue;
            }
            if (html.startsWith("<!--", i)) {
                int end = html.indexOf("-->", i + 4);
                if (end < 0) {
                    break;
                }
                out.append(' ');
                i = end + 3;
                continue;
            }
            int hidden = hiddenAt(html, i);
            if (hidden >= 0 && !unclosed[hidden]) {
                int end = indexOfIgnoreCase(html, "</" + HIDDEN[hidden] + ">", i);
                if (end >= 0) {
                    out.append(' ');
                    i = end + HIDDEN[hidden].length() + 3;
                    continue;
                }
                unclosed[hidden] = true; // then only its tag goes, as any tag's
            }
            int gt = noGt ? -1 : html.indexOf('>', i + 1);
            if (gt < 0) {
                noGt = true;
                out.append(c);
                i++;
                continue;
            }
            out.append(' ');
            i = gt + 1;
        }
        return out.toString().replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"")
                .replace("&#39;", "'").replace("&amp;", "&");
    }

    /** Which of {@link #HIDDEN} opens at {@code i} ({@code <script} followed by no name character), or -1. */
    private static int hiddenAt(String html, int i) {
        for (int k = 0; k < HIDDEN.length; k++) {
            String name = HIDDEN[k];
            int after = i + 1 + name.length();
            if (html.regionMatches(true, i + 1, name, 0, name.length())
                    && (after >= html.length() || !(Character.isLetterOrDigit(html.charAt(after)) || html.charAt(after) == '_'))) {
                return k;
            }
        }
        return -1;
    }

    private static int indexOfIgnoreCase(String s, String needle, int from) {
        for (int j = from; j + needle.length() <= s.length(); j++) {
            if (s.regionMatches(true, j, needle, 0, needle.length())) {
                return j;
            }
        }
        return -1;
    }

    private static boolean isHtml(Response response) {
        String type = response.header("Content-Type");
        return type != null && type.toLowerCase(java.util.Locale.ROOT).startsWith("text/html");
    }

    /** Where a refused redirect pointed: its path on the hub's host, or its origin elsewhere; never its query. */
    private static String where(HttpUrl server, HttpUrl to) {
        return JupyterHttp.sameOrigin(server, to) ? Json.abbreviate(to.encodedPath(), 200)
                : to.scheme() + "://" + to.host() + ":" + to.port() + Json.abbreviate(to.encodedPath(), 80);
    }

    /**
     * What a redirect to the hub's own pages means, for whoever reads the alert: the hub's sign-in is the
     * session refused (an auth failure, not the app's), the hub's {@code /hub/user/...} is the proxy
     * without a route to the server (it stopped, or the proxy lost it): a hub failure, not the app's.
     */
    private static String hint(ProbeContext ctx, HttpUrl server, HttpUrl to) {
        HttpUrl hubUrl = ctx.hub != null ? ctx.hub.baseUrl() : ctx.binder == null ? HttpUrl.parse(ctx.target.url()) : null;
        if (hubUrl == null || !JupyterHttp.sameOrigin(server, to) || !JupyterHttp.sameOrigin(hubUrl, to)) {
            return "";
        }
        String base = hubUrl.encodedPath().endsWith("/") ? hubUrl.encodedPath() : hubUrl.encodedPath() + "/";
        if (to.encodedPath().startsWith(base + "hub/login")) {
            return " (the hub's sign-in: it did not take the run's session for the app)";
        }
        if (to.encodedPath().startsWith(base + "hub/user/")) {
            return " (the hub's page for the server: the proxy has no route to the user's server, stopped or lost)";
        }
        return "";
    }

    private static String describe(Request request) {
        return "GET " + Json.abbreviate(request.url().encodedPath(), 200);
    }
}
