package dev.hubprobe.web;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hubprobe.alerting.Baselines;
import dev.hubprobe.config.Secret;
import dev.hubprobe.history.PageQueries;
import dev.hubprobe.json.Json;
import dev.hubprobe.probe.ProbeKey;
import dev.hubprobe.probe.RunResult;
import dev.hubprobe.schedule.ScheduledProbe;
import dev.hubprobe.service.LoadedConfig;
import dev.hubprobe.service.ServiceState;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Error;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.PathVariable;
import io.micronaut.http.annotation.Post;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.http.cookie.Cookie;
import io.micronaut.http.cookie.SameSite;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import jakarta.inject.Inject;
import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * The pages people open in a browser: the status page, a hub's runs, one run, badges. Everything is
 * read from the history and the alert state, like the API.
 *
 * <p>Who sees what: by default the pages show what the API shows, to whoever the API would (the read
 * token, when one is set, as a bearer header or the session {@code /login} opens; {@link Sessions}).
 * With {@code status_page.public} the status page, its charts and badges of the listed hubs are open to
 * everyone without messages, run links or user names; the operator view needs a token. The guard
 * itself is {@link dev.hubprobe.api.ReadAccessFilter}, in front of every route.
 */
@Controller
@ExecuteOn(TaskExecutors.BLOCKING)
public class WebController {
    /** The uPlot version bundled from its webjar; the pom pins the same. */
    public static final String UPLOT_VERSION = "1.6.30";
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(WebController.class);
    static final String SESSION = Sessions.COOKIE;
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
    private static final Pattern RUN_ID = Pattern.compile("[0-9a-f-]{36}");
    static final String CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            + "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
    private static final Map<String, Duration[]> RANGES = Map.of("24h", new Duration[] {Duration.ofHours(24), Duration.ofMinutes(5)},
            "7d", new Duration[] {Duration.ofDays(7), Duration.ofMinutes(30)}, "30d", new Duration[] {Duration.ofDays(30), Duration.ofHours(2)});
    private static final List<String> CHART_PHASES = List.of("spawn", "spawn_scale_up", "spawn_image_pull", "build", "launch");

    @Inject
    ServiceState state;
    @Inject
    Sessions sessions;
    @Inject
    LoginThrottle throttle;
    /** The lanes badges, strips and charts, and the hub and run pages, read the history in (the API's too). */
    @Inject
    ReadLanes lanes;
    @Inject
    OAuthStates oauthStates;
    /** The browser's half of a sign-in through the hub under way ({@link OAuthStates}). */
    static final String OAUTH_COOKIE = "hubprobe_oauth_state";

    /**
     * The board once per refresh for every viewer (5 s, or 1 s once a run landed), and at most 4 page
     * answers reading the history at once, of the pool's 32 connections: the runs' writes always get one.
     */
    private final BoardCache boards = new BoardCache(Duration.ofSeconds(5), Duration.ofSeconds(1),
            () -> state.history().runsRecorded(), 4, System::nanoTime);
    /**
     * A hub's day strip and chart, read once a minute for every viewer (what their Cache-Control promises a
     * browser anyway): a 1,000-hub page asks for 1,000 strips per viewer.
     */
    private final Kept<List<PageQueries.Day>> strips = new Kept<>(Duration.ofSeconds(60), System::nanoTime);
    private final Kept<Chart> charts = new Kept<>(Duration.ofSeconds(60), System::nanoTime);

    /** A chart as read, and when: its range ends then. */
    private record Chart(Instant at, PageQueries.Series series) {
    }

    /** The status page's view for this viewer: computed by one of them per refresh, rendered once for all. */
    private BoardCache.View view(boolean operator) {
        LoadedConfig config = state.config();
        try {
            return board(operator, config);
        } catch (ReadLanes.Busy e) {
            throw e;
        } catch (RuntimeException e) {
            // the history cannot be read and the last board is too old to pass for current: say the status is unknown
            java.time.Instant since = boards.lastRead(operator);
            LOG.warn("status page: the history could not be read ({})", e.toString());
            String banner = StatusPage.unknown(since == null ? java.time.Instant.now() : since);
            String page = StatusPage.render(banner, "", "unknown", config.statusPage().title(), operator, config.statusPage().isPublic());
            String fragment = Json.object().put("version", "unknown").put("banner", banner)
                    .put("banner_version", StatusPage.bannerVersion(banner)).put("html", "").toString();
            return new BoardCache.View(null, "unknown", banner, "", page, BoardCache.Body.of(page), BoardCache.Body.of(fragment));
        }
    }

    private BoardCache.View board(boolean operator, LoadedConfig config) {
        return boards.get(operator, config, () -> {
            Board b = Board.read(state, visible(operator));
            String banner = StatusPage.banner(b);
            String live = StatusPage.live(b, operator);
            String page = StatusPage.render(banner, live, b.version(), config.statusPage().title(), operator, config.statusPage().isPublic());
            String fragment = Json.object().put("version", b.version()).put("banner", banner)
                    .put("banner_version", StatusPage.bannerVersion(banner)).put("html", live).toString();
            return new BoardCache.View(b, b.version(), banner, live, page, BoardCache.Body.of(page), BoardCache.Body.of(fragment));
        });
    }

    /** A cached answer's bytes, gzipped when the client takes it (browsers do): set here, so nothing compresses it again. */
    private static MutableHttpResponse<?> encoded(HttpRequest<?> request, BoardCache.Body body) {
        String accept = request.getHeaders().get("Accept-Encoding");
        boolean gzip = takesGzip(accept);
        MutableHttpResponse<byte[]> r = HttpResponse.ok(gzip ? body.gzip() : body.plain()).header("Vary", "Accept-Encoding");
        return gzip ? r.header("Content-Encoding", "gzip") : r;
    }

    /** Whether an Accept-Encoding header takes gzip: named (or "*") with a q value above 0 ("gzip;q=0.5" does, "gzip;q=0" does not). */
    static boolean takesGzip(String accept) {
        if (accept == null) {
            return false;
        }
        Double gzip = null;
        Double any = null;
        for (String part : accept.split(",")) {
            String[] p = part.split(";");
            String coding = p[0].trim().toLowerCase(java.util.Locale.ROOT);
            double q = 1;
            for (int i = 1; i < p.length; i++) {
                String param = p[i].trim().toLowerCase(java.util.Locale.ROOT);
                if (param.startsWith("q=")) {
                    try {
                        q = Double.parseDouble(param.substring(2).trim());
                    } catch (NumberFormatException e) {
                        q = 0; // a q value we cannot read: not taken
                    }
                }
            }
            if (coding.equals("gzip") || coding.equals("x-gzip")) {
                gzip = q;
            } else if (coding.equals("*")) {
                any = q;
            }
        }
        double q = gzip != null ? gzip : any != null ? any : 0;
        return q > 0;
    }

    /**
     * Too many page (or API) answers at once: come back in a few seconds (the runs' writes go first). Global:
     * the API's history reads wait in the same lanes ({@link ReadLanes}).
     */
    @Error(global = true, exception = ReadLanes.Busy.class)
    public HttpResponse<?> busy(HttpRequest<?> request, ReadLanes.Busy e) {
        MutableHttpResponse<?> r = Html.wanted(request) ? html(HttpStatus.SERVICE_UNAVAILABLE, Html.problem(HttpStatus.SERVICE_UNAVAILABLE,
                e.getMessage())) : HttpResponse.status(HttpStatus.SERVICE_UNAVAILABLE).contentType(MediaType.APPLICATION_JSON_TYPE)
                .body(Json.object().put("error", e.getMessage()));
        return r.header("Retry-After", "5");
    }

    @Get(uri = "/", produces = MediaType.TEXT_HTML)
    public HttpResponse<?> status(HttpRequest<?> request) {
        LoadedConfig.StatusPage page = state.config().statusPage();
        boolean operator = operator(request);
        if (!operator && !page.isPublic()) {
            return login(HttpStatus.UNAUTHORIZED, Html.url(""), null);
        }
        MutableHttpResponse<?> r = encoded(request, view(operator).pageBody()).contentType(MediaType.TEXT_HTML_TYPE.toString() + ";charset=utf-8")
                .header("Content-Security-Policy", CSP).header("X-Content-Type-Options", "nosniff");
        return cache(r, false, Duration.ZERO);
    }

    /** The live part of the status page and its version, for the page's script to swap in without a reload. */
    @Get(uri = "/status/fragment", produces = MediaType.APPLICATION_JSON)
    public HttpResponse<?> fragment(HttpRequest<?> request) {
        boolean operator = operator(request);
        if (!operator && !state.config().statusPage().isPublic()) {
            return HttpResponse.status(HttpStatus.UNAUTHORIZED).body(Json.object().put("error", "sign in at " + Html.url("login")));
        }
        return cache(encoded(request, view(operator).fragmentBody()).contentType(MediaType.APPLICATION_JSON_TYPE),
                !operator, Duration.ofSeconds(5));
    }

    /** A hub's latency for the chart: buckets of passing runs' mean durations, and the spawn baseline. */
    @Get(uri = "/status/series/{hub}", produces = MediaType.APPLICATION_JSON)
    public HttpResponse<?> series(HttpRequest<?> request, @PathVariable String hub, @QueryValue @Nullable String range) {
        Optional<HttpResponse<?>> refused = refuseHub(request, hub);
        if (refused.isPresent()) {
            return refused.get();
        }
        Duration[] r = RANGES.get(range == null ? "24h" : range);
        if (r == null) {
            return HttpResponse.badRequest(Json.object().put("error", "range must be 24h, 7d or 30d, not '" + Json.abbreviate(range, 20) + "'"));
        }
        String which = range == null ? "24h" : range;
        Chart chart = charts.get(hub + " " + which, () -> lanes.limited(ReadLanes.Lane.HUB, () -> {
            Instant at = Instant.now();
            return new Chart(at, state.history().pages().series(hub, at.minus(r[0]), r[1], CHART_PHASES));
        }));
        // the range as read (a kept chart was read up to a minute ago): its buckets and its ends agree
        Instant now = chart.at();
        PageQueries.Series s = chart.series();
        ObjectNode out = Json.object().put("hub", hub).put("bucket_seconds", s.bucketSeconds())
                .put("from", now.minus(r[0]).getEpochSecond()).put("to", now.getEpochSecond());
        ArrayNode buckets = out.putArray("buckets");
        s.buckets().forEach(buckets::add);
        ObjectNode series = out.putObject("series");
        s.values().forEach((name, values) -> {
            ArrayNode a = series.putArray(name);
            values.forEach(v -> {
                if (v == null) {
                    a.addNull();
                } else {
                    a.add(Math.round(v * 1000) / 1000.0);
                }
            });
        });
        ObjectNode baseline = out.putObject("baseline");
        for (ScheduledProbe p : state.config().probes()) {
            if (p.hub().equals(hub)) {
                // without waiting: the chart holds one of its lane's permits meanwhile, and a line is not worth a 503
                Baselines.Phase spawn = state.alerts().baselines().withoutWaiting(p.key(), state.config().policy(hub)).get("spawn");
                if (spawn != null) {
                    baseline.put("spawn", Math.round(spawn.baseline() * 1000) / 1000.0);
                    break;
                }
            }
        }
        return cache(HttpResponse.ok(out), publicHub(hub), Duration.ofSeconds(60));
    }

    @Get(uri = "/status/days/{file}", produces = "image/svg+xml")
    public HttpResponse<?> days(HttpRequest<?> request, @PathVariable String file) {
        String hub = file.endsWith(".svg") ? file.substring(0, file.length() - 4) : file;
        Optional<HttpResponse<?>> refused = refuseHub(request, hub);
        if (refused.isPresent()) {
            return refused.get();
        }
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        List<PageQueries.Day> days = strips.get(hub + " " + today, () -> lanes.limited(ReadLanes.Lane.HUB,
                () -> state.history().pages().days(hub, today.minusDays(Svg.DAYS - 1))));
        return cache(HttpResponse.ok(Svg.days(hub, days, today)).contentType("image/svg+xml"), publicHub(hub), Duration.ofSeconds(60));
    }

    /** {@code /badges/HUB.svg}: the worst state of the hub's probes; {@code /badges/HUB/PROBE.svg}: one probe. */
    @Get(uri = "/badges/{file}", produces = "image/svg+xml")
    public HttpResponse<?> hubBadge(HttpRequest<?> request, @PathVariable String file) {
        return badge(request, file.replaceFirst("\\.svg$", ""), null);
    }

    @Get(uri = "/badges/{hub}/{file}", produces = "image/svg+xml")
    public HttpResponse<?> probeBadge(HttpRequest<?> request, @PathVariable String hub, @PathVariable String file) {
        return badge(request, hub, file.replaceFirst("\\.svg$", ""));
    }

    private HttpResponse<?> badge(HttpRequest<?> request, String hub, @Nullable String probe) {
        Optional<HttpResponse<?>> refused = refuseHub(request, hub);
        if (refused.isPresent()) {
            return refused.get();
        }
        // the board every viewer of the page gets (at most 5 s old) has the hub's state and uptime: a badge reads nothing more;
        // only when the history could not be read for the board is the hub read alone
        BoardCache.View v = view(operator(request));
        Board board = v.board() != null ? v.board() : lanes.limited(ReadLanes.Lane.HUB, () -> Board.ofHub(state, hub));
        List<Board.Row> rows = board.hubs().getOrDefault(hub, List.of()).stream()
                .filter(r -> probe == null || r.key().probe().equals(probe)).toList();
        if (rows.isEmpty()) {
            return notFound(request, "no probe '" + probe + "' is configured for hub '" + hub + "'");
        }
        int runs = rows.stream().mapToInt(r -> r.uptime().runs()[2]).sum();
        int passed = rows.stream().mapToInt(r -> r.uptime().passed()[2]).sum();
        return cache(HttpResponse.ok(Svg.badge(probe == null ? hub : hub + "/" + probe, Board.hubState(rows),
                runs == 0 ? null : passed / (double) runs)).contentType("image/svg+xml"), publicHub(hub), Duration.ofSeconds(60));
    }

    @Get(uri = "/runs/{id}", produces = MediaType.TEXT_HTML)
    public HttpResponse<?> run(HttpRequest<?> request, @PathVariable String id) {
        if (!operator(request)) {
            return login(HttpStatus.UNAUTHORIZED, Html.url("runs/") + id, null);
        }
        if (!RUN_ID.matcher(id).matches()) {
            return notFound(request, "no run with id '" + Json.abbreviate(id, 40) + "'");
        }
        return lanes.limited(ReadLanes.Lane.HISTORY, () -> {
            Optional<RunResult> r = state.history().run(id);
            if (r.isEmpty()) {
                return notFound(request, "no run with id '" + Json.abbreviate(id, 40) + "'");
            }
            RunResult run = r.get();
            return html(HttpStatus.OK, RunPage.render(run, state.history().pages().neighbours(run.hub(), run.startedAt(), run.runId()),
                    Instant.now()));
        });
    }

    /** A failing UI run's screenshot: guarded as its run page is (it shows a user's notebook). */
    @Get(uri = "/runs/{id}/screenshot.png", produces = "image/png")
    public HttpResponse<?> screenshot(HttpRequest<?> request, @PathVariable String id) {
        if (!operator(request)) {
            return HttpResponse.status(HttpStatus.UNAUTHORIZED);
        }
        Optional<byte[]> png = RUN_ID.matcher(id).matches() ? state.history().screenshot(id) : Optional.empty();
        if (png.isEmpty()) {
            return notFound(request, "no screenshot for run '" + Json.abbreviate(id, 40) + "'");
        }
        return HttpResponse.ok(png.get()).contentType("image/png").header("Cache-Control", "private, max-age=3600")
                .header("X-Content-Type-Options", "nosniff");
    }

    @Get(uri = "/hubs/{hub}", produces = MediaType.TEXT_HTML)
    public HttpResponse<?> hub(HttpRequest<?> request, @PathVariable String hub, @QueryValue @Nullable String page,
                               @QueryValue @Nullable String status) {
        if (!operator(request)) {
            return login(HttpStatus.UNAUTHORIZED, Html.url("hubs/") + hub, null);
        }
        if (!configured(hub)) {
            return notFound(request, "no hub named '" + Json.abbreviate(hub, 63) + "' is configured");
        }
        int n;
        try {
            n = page == null ? 1 : Integer.parseInt(page);
        } catch (NumberFormatException e) {
            n = 0;
        }
        if (n < 1 || n > 100_000) {
            return problem(request, HttpStatus.BAD_REQUEST, "page must be a whole number from 1, not '" + Json.abbreviate(page, 20) + "'");
        }
        if (status != null && !status.equals("passed") && !status.equals("failed")) {
            return problem(request, HttpStatus.BAD_REQUEST, "status must be passed or failed, not '" + Json.abbreviate(status, 20) + "'");
        }
        int pageNo = n;
        // in the history lane: anyone paging deep into a hub waits there, never in front of the runs' writes or the status page
        List<RunResult> runs = lanes.limited(ReadLanes.Lane.HISTORY, () -> state.history().runs(hub, null, null,
                status == null ? null : status.equals("passed"), HubPage.PAGE_SIZE + 1, (pageNo - 1) * HubPage.PAGE_SIZE));
        boolean more = runs.size() > HubPage.PAGE_SIZE;
        return html(HttpStatus.OK, HubPage.render(hub, more ? runs.subList(0, HubPage.PAGE_SIZE) : runs, n, status, more, Instant.now()));
    }

    /**
     * The token form; with {@code server.hub_oauth}, the start of a sign-in through the hub: a fresh
     * single-use state (its browser half in a cookie, {@link OAuthStates}) and the way to the hub's
     * authorize page, which comes back to {@link #oauthCallback}.
     */
    @Get(uri = "/login", produces = MediaType.TEXT_HTML)
    public HttpResponse<?> loginForm(HttpRequest<?> request, @QueryValue @Nullable String next) {
        LoadedConfig.HubOAuth hub = state.config().hubOAuth();
        if (hub == null) {
            return login(HttpStatus.OK, next, null);
        }
        OAuthStates.Started started;
        try {
            // the browser's value of a sign-in still under way (another tab) is kept: both tabs come back
            started = oauthStates.start(LoginPage.safeNext(next),
                    request.getCookies().findCookie(OAUTH_COOKIE).map(Cookie::getValue).orElse(null));
        } catch (IllegalStateException e) {
            LOG.warn("hub sign-in refused: {}", e.getMessage());
            return signInProblem(HttpStatus.SERVICE_UNAVAILABLE, "Sign-in cannot be recorded just now (the history database does not"
                    + " answer): try again in a moment.");
        }
        // Lax, not Strict: the browser comes back from the hub, which may be another site than this service
        Cookie c = Cookie.of(OAUTH_COOKIE, started.browser()).httpOnly(true).sameSite(SameSite.Lax).path(Html.url(""))
                .secure(cookie(request, "").isSecure()).maxAge(OAuthStates.TTL);
        return HttpResponse.seeOther(URI.create(HubSignIn.authorizeUrl(hub, started.state()))).cookie(c)
                .header("Cache-Control", "private, no-store");
    }

    /**
     * Where the hub sends the browser back ({@code <base_path>oauth_callback}, JupyterHub's default
     * redirect URI of a service): the state must be one this service made for this browser and not used;
     * then the code is exchanged for the user's token, the hub says who they are, and only a user with the
     * service's access scope and in an allowed group (or listed) gets an operator session, and goes back to
     * the page they asked for. Every other ending is a page that says why, with nothing of the history on it.
     */
    @Get(uri = "/oauth_callback", produces = MediaType.TEXT_HTML)
    public HttpResponse<?> oauthCallback(HttpRequest<?> request, @QueryValue @Nullable String code, @QueryValue @Nullable String state,
                                         @QueryValue @Nullable String error) {
        LoadedConfig.HubOAuth hub = this.state.config().hubOAuth();
        if (hub == null) {
            return notFound(request, "sign-in through the hub is not configured (server.hub_oauth)");
        }
        // the browser's value is not cleared at the end, whatever the outcome: another tab's sign-in may still
        // need it; without states of its own it is worth nothing, and its cookie ends with OAuthStates.TTL
        String browser = request.getCookies().findCookie(OAUTH_COOKIE).map(Cookie::getValue).orElse(null);
        Optional<String> next;
        try {
            next = oauthStates.take(state, browser);
        } catch (IllegalStateException e) {
            LOG.warn("hub sign-in refused: {}", e.getMessage());
            return signInProblem(HttpStatus.SERVICE_UNAVAILABLE, "Sign-in cannot be checked just now (the history database does not"
                    + " answer): try again in a moment.");
        }
        if (next.isEmpty()) {
            LOG.warn("hub sign-in refused: a callback whose state is missing, unknown, used, expired or another browser's");
            return signInProblem(HttpStatus.FORBIDDEN, "This sign-in was not started here, in this browser, or it was"
                    + " already used or is too old. Start again.");
        }
        if (error != null || code == null || code.isEmpty()) {
            return signInProblem(HttpStatus.FORBIDDEN, "The hub did not sign you in"
                    + (error == null ? "." : " (" + Json.abbreviate(error, 60) + ")."));
        }
        String token;
        HubSignIn.Identity who;
        try {
            token = HubSignIn.exchange(hub, code);
            who = HubSignIn.user(hub, token);
        } catch (HubSignIn.Unreachable e) {
            LOG.warn("hub sign-in failed: {}", e.getMessage());
            return signInProblem(HttpStatus.BAD_GATEWAY, "The hub cannot be asked who you are just now: "
                    + e.getMessage() + ". Try again in a moment.");
        } catch (HubSignIn.Refused e) {
            LOG.warn("hub sign-in refused: {}", e.getMessage());
            return signInProblem(HttpStatus.FORBIDDEN, "The hub did not confirm the sign-in (" + e.getMessage()
                    + "). Start again.");
        }
        Optional<String> refused = HubSignIn.refusal(hub, who);
        if (refused.isPresent()) {
            LOG.info("hub sign-in refused: {}", refused.get());
            return signInProblem(HttpStatus.FORBIDDEN, "You are signed in to the hub, but this view is not for you: "
                    + refused.get() + ".");
        }
        String id;
        try {
            id = sessions.openForHubUser(who.name(), token, hub);
        } catch (IllegalStateException e) {
            LOG.warn("hub sign-in refused: {}", e.getMessage());
            return signInProblem(HttpStatus.SERVICE_UNAVAILABLE, "Sessions cannot be recorded just now (the history database does not"
                    + " answer): try again in a moment.");
        }
        LOG.info("hub sign-in: {} signed in", who.name());
        return HttpResponse.seeOther(URI.create(LoginPage.safeNext(next.get())))
                .cookie(cookie(request, id).maxAge(Sessions.TTL));
    }

    private MutableHttpResponse<?> signInProblem(HttpStatus status, String message) {
        return LoginPage.viaHub(status, Html.url(""), message, state.config().statusPage().isPublic(),
                !Sessions.tokens(state.config()).isEmpty());
    }

    /**
     * Takes the read (or API) token once and opens a session: the cookie holds a random id the history database
     * keeps for 8 h ({@link Sessions}). Wrong tokens are throttled per client address ({@link LoginThrottle}).
     */
    @Post(uri = "/login", consumes = MediaType.APPLICATION_FORM_URLENCODED, produces = MediaType.TEXT_HTML)
    public HttpResponse<?> signIn(HttpRequest<?> request, @Body Map<String, String> form) {
        String token = form.getOrDefault("token", "");
        String next = LoginPage.safeNext(form.get("next"));
        // the connection's address; X-Forwarded-For only from a proxy in server.trusted_proxies
        InetAddress from = ClientAddress.of(request, state.config().trustedProxies());
        Optional<Duration> wait = throttle.check(from);
        if (wait.isPresent()) {
            long seconds = LoginPage.retryAfter(wait.get());
            return LoginPage.form(HttpStatus.TOO_MANY_REQUESTS, next, "Too many wrong tokens from your address: try again in "
                    + seconds + " s.", state.config().statusPage().isPublic()).header("Retry-After", Long.toString(seconds));
        }
        for (Secret s : Sessions.tokens(state.config())) {
            if (MessageDigest.isEqual(token.getBytes(StandardCharsets.UTF_8), s.reveal().getBytes(StandardCharsets.UTF_8))) {
                String id;
                try {
                    id = sessions.open(s);
                } catch (IllegalStateException e) {
                    LOG.warn("sign-in refused: {}", e.getMessage());
                    return LoginPage.form(HttpStatus.SERVICE_UNAVAILABLE, next, "Sessions cannot be recorded just now (the history"
                            + " database does not answer): use a bearer header, or try again.", state.config().statusPage().isPublic());
                }
                return HttpResponse.seeOther(URI.create(next)).cookie(cookie(request, id).maxAge(Sessions.TTL));
            }
        }
        throttle.failed(from);
        return login(HttpStatus.UNAUTHORIZED, next, "That token is not the one configured (server.read_token or server.api_token).");
    }

    /**
     * Browsers ask for it on every page, a visitor of the public page included: an empty answer, open to
     * all, so it is not a 401 (with a sign-in form) in every visitor's log and network tab.
     */
    @Get(uri = "/favicon.ico")
    public HttpResponse<?> favicon() {
        return HttpResponse.noContent().header("Cache-Control", "public, max-age=86400");
    }

    /** Ends the session on the server too: a copy of the cookie is no use afterwards. */
    @Get(uri = "/logout")
    public HttpResponse<?> logout(HttpRequest<?> request) {
        sessions.close(Sessions.id(request));
        return HttpResponse.seeOther(URI.create(Html.url(""))).cookie(cookie(request, "").maxAge(0));
    }

    /** {@code Secure} when the browser came over https, directly or through a proxy that ends TLS and says so. */
    private static Cookie cookie(HttpRequest<?> request, String value) {
        String proto = request.getHeaders().get("X-Forwarded-Proto");
        boolean https = request.isSecure() || (proto != null && proto.split(",")[0].trim().equalsIgnoreCase("https"));
        return Cookie.of(SESSION, value).httpOnly(true).sameSite(SameSite.Strict).path(Html.url("")).secure(https);
    }

    private boolean operator(HttpRequest<?> request) {
        LoadedConfig c = state.config();
        return !Sessions.guarded(c) || sessions.operator(request, c); // unguarded, the pages are as open as the API
    }

    /**
     * A public hub's badge, day strip or chart is the same for everyone and may be kept by a shared
     * cache; anything else (a hidden hub, the operator's view) must never be handed to someone else.
     * Vary either way, so a cache that keeps one keys it on the credentials.
     */
    private static MutableHttpResponse<?> cache(MutableHttpResponse<?> r, boolean shared, Duration maxAge) {
        r.getHeaders().set("Cache-Control", shared ? "public, max-age=" + maxAge.toSeconds() : "private, no-store");
        // beside what the answer already varies on (a gzipped body varies on Accept-Encoding)
        String vary = r.getHeaders().get("Vary");
        r.getHeaders().set("Vary", vary == null || vary.isBlank() ? "Authorization, Cookie" : vary + ", Authorization, Cookie");
        return r;
    }

    private boolean publicHub(String hub) {
        LoadedConfig.StatusPage page = state.config().statusPage();
        return page.isPublic() && page.publicHubs().contains(hub);
    }

    /** The hubs a viewer may see: every configured one for an operator, the listed ones on the public page. */
    private Predicate<String> visible(boolean operator) {
        LoadedConfig.StatusPage page = state.config().statusPage();
        return operator || !page.isPublic() ? h -> true : page.publicHubs()::contains;
    }

    private Optional<HttpResponse<?>> refuseHub(HttpRequest<?> request, String hub) {
        boolean operator = operator(request);
        if (!operator && !state.config().statusPage().isPublic()) {
            return Optional.of(cache(HttpResponse.status(HttpStatus.UNAUTHORIZED).body(Json.object().put("error", "sign in at " + Html.url("login"))),
                    false, Duration.ZERO));
        }
        if (!NAME.matcher(hub).matches() || !configured(hub) || !visible(operator).test(hub)) {
            return Optional.of(cache(problem(request, HttpStatus.NOT_FOUND, "no hub named '" + Json.abbreviate(hub, 63) + "' is shown here"),
                    false, Duration.ZERO));
        }
        return Optional.empty();
    }

    private boolean configured(String hub) {
        return state.config().probes().stream().anyMatch(p -> p.hub().equals(hub));
    }

    private HttpResponse<?> login(HttpStatus status, String next, String error) {
        if (state.config().hubOAuth() != null) {
            return LoginPage.viaHub(status, next, error, state.config().statusPage().isPublic(),
                    !Sessions.tokens(state.config()).isEmpty());
        }
        return LoginPage.form(status, next, error, state.config().statusPage().isPublic());
    }

    private static HttpResponse<?> notFound(HttpRequest<?> request, String message) {
        return problem(request, HttpStatus.NOT_FOUND, message);
    }

    static MutableHttpResponse<?> problem(HttpRequest<?> request, HttpStatus status, String message) {
        if (Html.wanted(request)) {
            return html(status, Html.problem(status, message));
        }
        return HttpResponse.status(status).contentType(MediaType.APPLICATION_JSON_TYPE).body(Json.object().put("error", message));
    }

    static MutableHttpResponse<?> html(HttpStatus status, String body) {
        return HttpResponse.status(status).contentType(MediaType.TEXT_HTML_TYPE.toString() + ";charset=utf-8").body(body)
                .header("Content-Security-Policy", CSP).header("X-Content-Type-Options", "nosniff").header("Cache-Control", "private, no-store");
    }
}
