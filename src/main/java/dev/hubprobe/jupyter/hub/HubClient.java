package dev.hubprobe.jupyter.hub;

import dev.hubprobe.json.Json;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hubprobe.jupyter.Deadline;
import dev.hubprobe.jupyter.DeadlineException;
import dev.hubprobe.jupyter.HttpStatusException;
import dev.hubprobe.jupyter.JupyterHttp;
import dev.hubprobe.jupyter.ProtocolException;
import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.Cookie;
import okhttp3.CookieJar;
import okhttp3.FormBody;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A JupyterHub REST client that behaves like one user: a token, or a browser-like session made by
 * the login form. It knows the hub's protocol and nothing about probes, metrics or alerts.
 *
 * <p>Redirects are never followed automatically: a hub that answers the spawn page by starting a
 * server, or bounces a browser between the login page and a server, must be seen, not obeyed.
 */
public final class HubClient implements AutoCloseable {
    private static final Pattern XSRF_INPUT = Pattern.compile("<input[^>]*name=\"_xsrf\"[^>]*>", Pattern.CASE_INSENSITIVE);
    private static final Pattern VALUE_ATTR = Pattern.compile("value=\"([^\"]*)\"");
    private static final Pattern LOGIN_ERROR = Pattern.compile("class=\"login_error\"[^>]*>\\s*([^<]+?)\\s*<", Pattern.CASE_INSENSITIVE);
    private static final int MAX_REDIRECTS = 10;
    private static final Logger LOG = LoggerFactory.getLogger(HubClient.class);
    private static final long RESTOP_NANOS = Duration.ofSeconds(2).toNanos();

    private final HttpUrl hubUrl;
    private final OkHttpClient http;
    private final OkHttpClient streaming;
    private final JupyterHttp rest;
    private final CookieJar cookies;
    private final LongSupplier nanoTime;
    private final Deadline deadline;
    private volatile String stopPending;
    private volatile String token;

    private HubClient(HttpUrl hubUrl, HubClientSettings settings, Deadline deadline) {
        this.hubUrl = hubUrl;
        this.nanoTime = deadline::now;
        this.deadline = deadline;
        this.cookies = new SessionCookies();
        this.http = settings.clientBuilder(hubUrl.isHttps())
                .cookieJar(cookies)
                .addInterceptor(new HubAuthInterceptor(this::token, hubUrl, cookies, settings.userAgent()))
                .build();
        // The progress stream may legitimately last as long as a spawn: only gaps between events are bounded
        // (the hub sends keep-alives every 8 s), the total is bounded by the caller's deadline.
        this.streaming = http.newBuilder().callTimeout(Duration.ZERO).readTimeout(settings.readTimeout()).build();
        this.rest = new JupyterHttp(http, deadline);
    }

    /** @param deadline the run's phase deadline, which every call of this client obeys */
    public static HubClient create(HttpUrl hubUrl, HubClientSettings settings, Deadline deadline) {
        return new HubClient(normalise(hubUrl), settings, deadline);
    }

    private static HttpUrl normalise(HttpUrl url) {
        HttpUrl.Builder b = url.newBuilder().query(null).fragment(null).username("").password("");
        String path = url.encodedPath();
        // Accept "https://hub/", "https://hub/hub/" or a prefix like "https://host/prefix/": the base is what holds /hub/.
        if (path.endsWith("/hub/") || path.endsWith("/hub")) {
            path = path.substring(0, path.lastIndexOf("/hub"));
        }
        if (!path.endsWith("/")) {
            path = path + "/";
        }
        return b.encodedPath(path).build();
    }

    /** The hub's base URL (the part before {@code hub/} and {@code user/}). */
    public HttpUrl baseUrl() {
        return hubUrl;
    }

    /** The HTTP client carrying this session's auth and cookies, for the kernel client. */
    public OkHttpClient http() {
        return http;
    }

    /**
     * A client for the same hub that authenticates as another token (one minted for the probe user),
     * sharing this one's connections and threads. The token goes to the hub's origin only.
     */
    public OkHttpClient httpWithToken(String otherToken) {
        return http.newBuilder().addInterceptor(chain -> {
            Request r = chain.request();
            return chain.proceed(sameOrigin(hubUrl, r.url()) ? r.newBuilder().header("Authorization", "token " + otherToken).build() : r);
        }).build();
    }

    private String token() {
        return token;
    }

    /** Authenticates every later request with {@code Authorization: token ...}. */
    public void useToken(String token) {
        this.token = token;
    }

    public HttpUrl api(String... segments) {
        HttpUrl.Builder b = hubUrl.newBuilder().addPathSegment("hub").addPathSegment("api");
        for (String s : segments) {
            b.addPathSegment(s);
        }
        return b.build();
    }

    /** {@code GET /hub/api/}: the hub's version, with no authentication. */
    public String version() {
        JsonNode node = rest.json(new Request.Builder().url(api("")).build(), 200);
        if (!node.hasNonNull("version")) {
            throw new ProtocolException("GET /hub/api/ answered JSON without \"version\"");
        }
        return node.get("version").asText();
    }

    /** {@code GET /hub/api/user}: who the current credentials are. */
    public Identity whoami() {
        JsonNode node = rest.json(new Request.Builder().url(api("user")).build(), 200);
        return Identity.of(node);
    }

    public Optional<JsonNode> user(String name) {
        Request request = new Request.Builder().url(api("users", name)).build();
        try (Response response = rest.send(request)) {
            if (response.code() == 404) {
                return Optional.empty();
            }
            JupyterHttp.check(request, response, 200);
            return Optional.of(JupyterHttp.parse(request, rest.body(request, response)));
        }
    }

    public void createUser(String name) {
        rest.call(new Request.Builder().url(api("users", name)).post(JupyterHttp.jsonBody(Json.object())).build(), 201);
    }

    /** Deletes a user (the hub stops its servers first); a user already gone is fine. */
    public void deleteUser(String name) {
        rest.call(new Request.Builder().url(api("users", name)).delete().build(), 204, 404);
    }

    /**
     * Mints a token for {@code user} with only {@code scopes} (the hub refuses scopes the user does not
     * hold); the caller deletes it with {@link #deleteToken}.
     */
    public MintedToken createToken(String user, String note, Duration expiresIn, List<String> scopes) {
        ObjectNode body = Json.object().put("note", note).put("expires_in", Math.max(1, expiresIn.toSeconds()));
        if (!scopes.isEmpty()) {
            ArrayNode array = body.putArray("scopes");
            scopes.forEach(array::add);
        }
        JsonNode node = rest.json(new Request.Builder().url(api("users", user, "tokens"))
                .post(JupyterHttp.jsonBody(body)).build(), 200, 201);
        if (!node.hasNonNull("token") || !node.hasNonNull("id")) {
            throw new ProtocolException("token request answered without \"token\" and \"id\"");
        }
        return new MintedToken(node.get("id").asText(), node.get("token").asText());
    }

    public void deleteToken(String user, String tokenId) {
        rest.call(new Request.Builder().url(api("users", user, "tokens", tokenId)).delete().build(), 204, 404);
    }

    /**
     * Logs in through the hub's own form, as a browser does: GET the form for its {@code _xsrf},
     * POST the credentials with the same cookie and User-Agent, and expect a redirect away from the form.
     */
    public void formLogin(String username, String password) {
        HttpUrl loginUrl = hubUrl.newBuilder().addPathSegment("hub").addPathSegment("login").build();
        Request get = new Request.Builder().url(loginUrl).build();
        String xsrf;
        try (Response response = rest.send(get)) {
            if (response.isRedirect()) {
                throw new LoginRejectedException("the hub has no login form (GET /hub/login redirects to "
                        + redirectPath(response) + "; an OAuth authenticator?): use an API token");
            }
            JupyterHttp.check(get, response, 200);
            xsrf = formXsrf(rest.body(get, response));
        }
        HttpUrl postUrl = loginUrl.newBuilder().addQueryParameter("next", hubUrl.encodedPath() + "hub/home").build();
        FormBody.Builder form = new FormBody.Builder().add("username", username).add("password", password);
        if (xsrf != null) {
            form.add("_xsrf", xsrf);
        }
        Request post = new Request.Builder().url(postUrl).post(form.build()).build();
        try (Response response = rest.send(post)) {
            if (response.isRedirect()) {
                String target = redirectPath(response);
                if (target.contains("/hub/login")) {
                    throw new LoginRejectedException("the hub sent the login back to the login page");
                }
            } else {
                String page = rest.body(post, response);
                Matcher m = LOGIN_ERROR.matcher(page);
                String why = m.find() ? m.group(1) : "no redirect after login";
                throw new LoginRejectedException("login refused (" + response.code() + "): " + why);
            }
        }
        landOnHome();
    }

    /**
     * Opens the hub's home page, where the login sent us ({@code next}), as a browser does. Since 4.1 the hub checks every
     * cookie-authenticated write against an {@code _xsrf} cookie bound to the login session; 4.1 to 5.4
     * set that cookie at login from an id that does not yet hold the new session (the session cookie is
     * in the response, not the request), so it matches nothing, and only the next page view sets the
     * right one. 5.5 and 6.x set the right one at login and leave it alone here. Either way the cookie
     * jar ends up holding what this hub will accept. Only the home page: wherever else a hub's login
     * redirects (its spawn page, a server) a GET may start a server. A home page that fails is no
     * failure here: the API may still work, and a write that the hub refuses says so.
     */
    private void landOnHome() {
        HttpUrl home = hubUrl.newBuilder().addPathSegment("hub").addPathSegment("home").build();
        Request get = new Request.Builder().url(home).header("Accept", "text/html").build();
        try (Response ignored = rest.send(get)) {
            // only its cookies matter
        } catch (DeadlineException e) {
            throw e; // the login's budget is spent: that is the phase's outcome, not a page to shrug off
        } catch (RuntimeException e) {
            // a hub whose home page fails can still answer its API; a later write says so if not
        }
    }

    private static String formXsrf(String page) {
        Matcher input = XSRF_INPUT.matcher(page);
        if (!input.find()) {
            return null; // older hubs and some authenticators render no xsrf field
        }
        Matcher value = VALUE_ATTR.matcher(input.group());
        return value.find() ? value.group(1).replace("&amp;", "&") : null;
    }

    private static String redirectPath(Response response) {
        String location = response.header("Location", "");
        HttpUrl resolved = response.request().url().resolve(location);
        return resolved == null ? location : resolved.encodedPath();
    }

    public HttpUrl serverApi(String user, String serverName, String... more) {
        HttpUrl.Builder b = api("users", user).newBuilder();
        if (serverName == null || serverName.isEmpty()) {
            b.addPathSegment("server");
        } else {
            b.addPathSegment("servers").addPathSegment(serverName);
        }
        for (String s : more) {
            b.addPathSegment(s);
        }
        return b.build();
    }

    /**
     * Asks for a server without waiting: the hub holds this request up to its {@code slow_spawn_timeout},
     * so the caller follows the progress stream meanwhile. Completes with 201 (ready) or 202 (pending);
     * fails with {@link SpawnThrottledException}, {@link HttpStatusException}, {@link dev.hubprobe.jupyter.UnreachableException} or {@link dev.hubprobe.jupyter.DeadlineException}.
     */
    public CompletableFuture<Integer> requestServer(String user, String serverName, JsonNode userOptions,
                                                    String hubVersion) {
        ObjectNode body = Json.object();
        if (majorVersion(hubVersion) >= 6) {
            // always, {} too: without user_options a 6.x hub spawns with the server's last ones, so a probe of no
            // profile would start on whatever profile another probe (or a person) last picked for that server
            body.set("user_options", userOptions != null ? userOptions : Json.object());
        } else if (userOptions != null) {
            // before 6.0 the whole body is the user_options
            userOptions.fields().forEachRemaining(e -> body.set(e.getKey(), e.getValue()));
        }
        Request request = new Request.Builder().url(serverApi(user, serverName)).post(JupyterHttp.jsonBody(body)).build();
        CompletableFuture<Integer> result = new CompletableFuture<>();
        rest.newCall(request).enqueue(new Callback() {
            @Override
            public void onFailure(Call call, IOException e) {
                result.completeExceptionally(rest.failure(request, e));
            }

            @Override
            public void onResponse(Call call, Response response) {
                try (response) {
                    if (response.code() == 429) {
                        String after = response.header("Retry-After");
                        Duration retry = after != null && after.matches("\\d+") ? Duration.ofSeconds(Long.parseLong(after)) : null;
                        throw new SpawnThrottledException(request.method(), request.url().encodedPath(),
                                JupyterHttp.errorMessage(response), retry);
                    }
                    JupyterHttp.check(request, response, 201, 202);
                    result.complete(response.code());
                } catch (RuntimeException e) {
                    result.completeExceptionally(e);
                }
            }
        });
        return result;
    }

    static int majorVersion(String version) {
        return HubReleases.major(version);
    }

    /** Opens the spawn's progress stream; events arrive stamped on this client's clock. */
    public ProgressStream progress(String user, String serverName) {
        Request request = new Request.Builder().url(serverApi(user, serverName, "progress"))
                .header("Accept", "text/event-stream").build();
        return new ProgressStream(streaming, request, nanoTime);
    }

    /**
     * Asks the hub to stop (or cancel a pending spawn of) a server; {@code remove} also deletes a named
     * server's entry, so per-run names do not pile up. Returns 202 while the stop is pending.
     */
    public int stopServer(String user, String serverName, boolean remove) {
        Request.Builder b = new Request.Builder().url(serverApi(user, serverName));
        Request request = remove && serverName != null && !serverName.isEmpty()
                ? b.delete(JupyterHttp.jsonBody(Json.object().put("remove", true))).build()
                : b.delete().build();
        try (Response response = rest.send(request)) {
            // 400 "not running" and 404 "no such server" both mean there is nothing left to stop.
            JupyterHttp.check(request, response, 202, 204, 400, 404);
            return response.code();
        }
    }

    /** The user's entry for that server in {@code servers}, or empty once the hub no longer has it. */
    public Optional<JsonNode> server(String user, String serverName) {
        return servers(user).map(s -> s.get(serverName == null ? "" : serverName)).filter(s -> s != null && !s.isNull());
    }

    /** The user's servers by name ("" is the default server), running or pending; empty when there is no such user. */
    public Map<String, JsonNode> serverModels(String user) {
        return user(user).map(u -> serverModels(user, u)).orElseGet(LinkedHashMap::new);
    }

    /**
     * The servers of a user model already read ({@link #user}), by name: the login reads the model to
     * know the user exists, and looks for leftovers in it rather than asking again (one request a run).
     */
    public static Map<String, JsonNode> serverModels(String user, JsonNode model) {
        Map<String, JsonNode> out = new LinkedHashMap<>();
        serversOf(user, model).fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue()));
        return out;
    }

    /**
     * The {@code servers} of a user's model. The hub leaves the key out, rather than empty, when the token
     * lacks {@code read:servers}: then nothing can be said about the user's servers, and we say so.
     */
    private Optional<JsonNode> servers(String user) {
        return user(user).map(u -> serversOf(user, u));
    }

    private static JsonNode serversOf(String user, JsonNode model) {
        if (!model.has("servers")) {
            throw new MissingScopeException("the hub shows no servers of user " + user
                    + " to this token: its role lacks read:servers (e.g. read:servers!user=" + user + ")");
        }
        JsonNode servers = model.get("servers");
        if (!servers.isObject()) {
            // read as "no servers", a leftover would stay and a stop would seem done: nothing can be said, as above
            throw new ProtocolException("the hub's model says \"servers\" of user " + user + " is no object but "
                    + servers.getNodeType().name().toLowerCase(java.util.Locale.ROOT));
        }
        return servers;
    }

    /**
     * What the hub's model said the server was doing ({@code pending}: "spawn", "stop", ...) at the last
     * look of the last {@link #stopAndWait} that did not see it stop; null if nothing was pending. Says
     * why a stop did not end: on a hub before 5.0 a pending spawn cannot be cancelled.
     */
    public String lastStopPending() {
        return stopPending;
    }

    /**
     * Stops a server and waits until the hub no longer lists it.
     *
     * @return false if it was still there at the deadline
     * @throws HttpStatusException when the hub refused the stop (a 5xx while its spawn was pending, the wait
     *         ending with the server still there and no later ask taken: the refusal is why)
     */
    public boolean stopAndWait(String user, String serverName, boolean remove, long deadlineNanos) {
        stopPending = null;
        // the hub's refusal of the stop, while no ask since has been taken: a wait it ends at the deadline fails
        // with it, so the failure still says the hub refused (its status and message), not a bare time-out
        HttpStatusException refused = null;
        try {
            stopServer(user, serverName, remove);
        } catch (HttpStatusException e) {
            // JupyterHub 5 asked to cancel a spawn that has only just begun waits a second for it and then fails
            // with 500 (an uncaught "<user> pending spawn"): the spawn goes on and its server comes up. Seen in
            // CI when a service stopped right after asking for a spawn; the server was left running. Asked again
            // while the spawn is pending, as for a hub before 5.0; any other refusal stays strict (it says why).
            if (e.status() < 500 || !pendingSpawn(user, serverName)) {
                throw e;
            }
            LOG.debug("the hub could not cancel the pending spawn yet ({}); asking again while it is pending", e.getMessage());
            refused = e;
        }
        long again = nanoTime.getAsLong() + RESTOP_NANOS;
        try {
            while (true) {
                Optional<JsonNode> server;
                try {
                    server = server(user, serverName);
                } catch (DeadlineException e) {
                    // the budget ran out between two looks: the server was still there at the last one
                    return stillThere(refused);
                }
                if (stopped(server)) {
                    stopPending = null;
                    return true;
                }
                stopPending = server.get().path("pending").isTextual() ? server.get().path("pending").asText() : null;
                long now = nanoTime.getAsLong();
                if (now > deadlineNanos) {
                    return stillThere(refused);
                }
                // Before 5.0 the hub refuses (400, "pending spawn, please wait") to stop a server whose spawn
                // is pending: it cannot cancel one. Asked again until the spawn ends, a spawn that then
                // succeeds is stopped rather than left running, and one the hub gives up on is gone.
                if (now >= again && !"stop".equals(server.get().path("pending").asText(""))) {
                    if (reAskStop(user, serverName, remove)) {
                        refused = null;
                    }
                    again = now + RESTOP_NANOS;
                }
                Thread.sleep(200);
            }
        } catch (DeadlineException e) {
            // a 5.x hub holds each re-ask a second before its 500: the deadline often passes inside one
            if (refused != null) {
                refused.addSuppressed(e);
                throw refused;
            }
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** A wait that ended with the server still listed: false, or the hub's refusal of the stop if that stands. */
    private static boolean stillThere(HttpStatusException refused) {
        if (refused != null) {
            throw refused;
        }
        return false;
    }

    /** Whether the hub lists the server with a spawn pending; false when that cannot be read either. */
    private boolean pendingSpawn(String user, String serverName) {
        try {
            return server(user, serverName).map(m -> "spawn".equals(m.path("pending").asText(""))).orElse(false);
        } catch (DeadlineException e) {
            throw e;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /**
     * The stop asked again while waiting. The first ask was strict (a hub that refuses it says why);
     * a re-ask only hurries a stop along, so one that fails (a proxy's 503, a dropped connection) is
     * logged and the wait goes on to its deadline, which is what decides. Only a spent deadline ends it.
     */
    private boolean reAskStop(String user, String serverName, boolean remove) {
        try {
            stopServer(user, serverName, remove);
            return true;
        } catch (DeadlineException e) {
            throw e;
        } catch (RuntimeException e) {
            LOG.debug("stop asked again, failed; still waiting for the server to stop: {}", e.getMessage());
            return false;
        }
    }

    private static boolean stopped(Optional<JsonNode> server) {
        return server.isEmpty() || (!server.get().path("ready").asBoolean(false) && server.get().path("pending").isNull());
    }

    /** What a proxy in front of a restarting hub or server answers; 424: the hub's "server not running". */
    private static final Set<Integer> GATEWAY_ERRORS = Set.of(502, 503, 504, 424);

    /**
     * Reaches a user's server the way a browser does after a form login: the server sends us to the
     * hub's OAuth authorize endpoint, the hub back to the server's {@code oauth_callback}, which sets
     * the server's own cookie. Redirects are followed by hand, on the hub's origin only.
     *
     * <p>The hop starts from {@code files/}: it exists on every Jupyter Server and, unlike the root
     * page of a server without a front end, it requires login, so it always starts the OAuth hop.
     *
     * @throws LoginRejectedException when the chain ends on the hub's login page
     * @throws OAuthFailedException when a step of the hop breaks (authorize, callback, cookie)
     */
    public void authorizeServer(HttpUrl serverUrl) {
        if (!sameOrigin(hubUrl, serverUrl)) {
            // the hop carries the hub's cookies and follows redirects on the hub's origin only: a server
            // elsewhere (a subdomain hub, a url the hub reports wrongly) is refused before any request
            throw new OAuthFailedException("authorize", "the server's URL (origin " + originOf(serverUrl)
                    + ") is off the hub's origin (" + originOf(hubUrl) + "); the hop is not started");
        }
        HttpUrl url = serverUrl.resolve("files/");
        boolean calledBack = false;
        for (int hop = 0; hop < MAX_REDIRECTS; hop++) {
            String step = oauthStep(url);
            Request request = new Request.Builder().url(url).header("Accept", "text/html").build();
            try (Response response = rest.send(request)) {
                if (!response.isRedirect()) {
                    // at every step: a hub restarting or a helm upgrade answers 502/503/504 (a server not up, 424)
                    // mid-hop, which is the server or hub being unreachable, not the OAuth setup being broken. A 500
                    // from authorize or callback is their own handler failing: that is the hop breaking.
                    if (GATEWAY_ERRORS.contains(response.code()) || (step.equals("server") && response.code() >= 500)) {
                        throw new HttpStatusException("GET", url.encodedPath(), response.code(), JupyterHttp.errorMessage(response));
                    }
                    if (!step.equals("server")) {
                        // both always redirect: an answer of their own (an error, a consent page) ends the hop
                        throw new OAuthFailedException(step, "GET " + url.encodedPath() + " answered " + response.code()
                                + " instead of a redirect" + messageOf(response)
                                + (step.equals("callback") && response.code() == 400
                                        // the server checks the state against its own cookie, set before authorize
                                        ? " (the OAuth state cookie may not have come back to the server: a proxy"
                                                + " dropping Cookie, or a cookie path or domain that does not match)"
                                        : ""));
                    }
                    // 200 page, 404 for a server without a front end, 403 for files/ itself (a directory is no
                    // file): the cookies are set either way; a cookie that did not take shows as a loop to authorize
                    return;
                }
                HttpUrl next = url.resolve(response.header("Location", ""));
                if (next == null || !sameOrigin(hubUrl, next)) {
                    throw new ProtocolException("server redirected off the hub's origin");
                }
                if (next.encodedPath().startsWith(hubUrl.encodedPath() + "hub/login")) {
                    throw new LoginRejectedException("opening the server sent the browser back to the hub's login page");
                }
                if (step.equals("authorize") && !oauthStep(next).equals("callback")) {
                    throw new OAuthFailedException("authorize", "the hub's authorize endpoint sent the browser to "
                            + next.encodedPath() + ", not back to the server's oauth_callback");
                }
                if (calledBack && oauthStep(next).equals("authorize")) {
                    // a server that sets its cookie and then asks to be authorized again never got it back
                    // (a proxy dropping Cookie, a cookie path or domain that does not match)
                    throw new OAuthFailedException("cookie", "after its oauth_callback the server sent the browser to"
                            + " authorize again: the cookie it set did not come back to it"
                            + (serverCookie(serverUrl).isEmpty() ? " (the client holds no jupyterhub-user-* cookie for it)" : ""));
                }
                calledBack |= step.equals("callback");
                url = next;
            }
        }
        throw new LoginRejectedException("more than " + MAX_REDIRECTS + " redirects opening the server (a redirect loop)");
    }

    /** Which step of the OAuth hop a URL is: the hub's authorize endpoint, the server's callback, or the server. */
    private String oauthStep(HttpUrl url) {
        String path = url.encodedPath();
        if (path.startsWith(hubUrl.encodedPath() + "hub/api/oauth2/authorize")) {
            return "authorize";
        }
        return path.endsWith("/oauth_callback") ? "callback" : "server";
    }

    /**
     * The server's own session cookie, named after its OAuth client id ({@code jupyterhub-user-NAME}, maybe
     * {@code __Host-}-prefixed). Only for the message: a deployment may name its clients otherwise.
     */
    private Optional<Cookie> serverCookie(HttpUrl serverUrl) {
        return cookies.loadForRequest(serverUrl).stream()
                .filter(c -> c.name().startsWith("jupyterhub-user-") || c.name().startsWith("__Host-jupyterhub-user-")).findFirst();
    }

    private static String originOf(HttpUrl url) {
        return url.scheme() + "://" + url.host() + ":" + url.port();
    }

    private static String messageOf(Response response) {
        String m = JupyterHttp.errorMessage(response);
        return m == null || m.isBlank() ? "" : ": " + m;
    }

    /** The cookies this session would send to {@code url}: a browser logged in as the run starts with them. */
    public java.util.List<Cookie> cookiesFor(HttpUrl url) {
        return cookies.loadForRequest(url);
    }

    /** Cancels every call in flight (used when the process is asked to stop mid-probe). */
    public void cancelAll() {
        http.dispatcher().cancelAll();
    }

    @Override
    public void close() {
        JupyterHttp.shutdown(http);
    }

    /** Who a set of credentials belongs to ({@code GET /hub/api/user}). */
    public record Identity(String kind, String name) {
        static Identity of(JsonNode node) {
            if (!node.hasNonNull("name")) {
                throw new ProtocolException("GET /hub/api/user answered JSON without \"name\"");
            }
            return new Identity(node.path("kind").asText("user"), node.get("name").asText());
        }
    }


    /** A token minted for the probe user: {@code id} to delete it, {@code value} never logged. */
    public record MintedToken(String id, String value) {
        @Override
        public String toString() {
            return "MintedToken[id=" + id + "]";
        }
    }

    /** Whether a URL is on the hub's origin (scheme, host, port): the only place credentials may go. */
    static boolean sameOrigin(HttpUrl hub, HttpUrl url) {
        return JupyterHttp.sameOrigin(hub, url);
    }

    static Optional<Cookie> cookie(CookieJar jar, HttpUrl url, String name) {
        return jar.loadForRequest(url).stream().filter(c -> c.name().equals(name)).findFirst();
    }
}
