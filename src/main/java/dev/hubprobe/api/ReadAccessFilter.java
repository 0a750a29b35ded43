package dev.hubprobe.api;

import dev.hubprobe.config.Secret;
import dev.hubprobe.service.LoadedConfig;
import dev.hubprobe.service.ServiceState;
import dev.hubprobe.web.ClientAddress;
import dev.hubprobe.web.Html;
import dev.hubprobe.web.LoginPage;
import dev.hubprobe.web.LoginThrottle;
import dev.hubprobe.web.Sessions;
import dev.hubprobe.web.WebController;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpMethod;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MediaType;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.annotation.RequestFilter;
import io.micronaut.http.annotation.ResponseFilter;
import io.micronaut.http.annotation.ServerFilter;
import io.micronaut.web.router.RouteAttributes;
import io.micronaut.web.router.RouteInfo;
import io.micronaut.web.router.UriRouteInfo;
import jakarta.inject.Inject;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The one guard in front of everything the service serves: once reads need a token (a
 * {@code server.read_token}, or a public status page, which needs one of the two tokens), every
 * request of every method but {@code OPTIONS}, to every path, needs {@code Authorization: Bearer}
 * with {@code read_token} or {@code api_token}, or the operator's session cookie, unless it is for
 * one of the open routes below. The open routes are an allow-list of the router's own URI templates
 * of the route that matched, not of request paths, so a trailing slash, a HEAD or any other spelling
 * that reaches a handler is judged as that handler, and a route added later is guarded until it is
 * listed here. Writes also need {@code api_token} in their handlers.
 *
 * <p>A bearer header with neither token counts against its address in the same throttle as the
 * sign-in form ({@link LoginThrottle}), wherever a token is asked for; a throttled address gets 429
 * for every bearer request, the right token included, so the header is no faster way to guess.
 *
 * <p>Every answer of a route that is not open carries {@code Cache-Control: private, no-store} and
 * {@code Vary: Authorization, Cookie}, set here after the handler, so no shared cache keyed on the
 * URL hands an operator's answer to someone else, for a route added later too.
 */
@ServerFilter("/**")
public class ReadAccessFilter {
    /** Open whatever the mode: liveness for the orchestrator, signing in and out (the hub's OAuth callback too), and the browser's icon request. */
    static final Set<String> ALWAYS_OPEN = Set.of("/health", "/login", "/logout", "/favicon.ico", "/oauth_callback");
    /** Open to everyone on a public status page; each handler shows only the listed hubs, without messages. */
    static final Set<String> PUBLIC_PAGE = Set.of("/", "/status/fragment", "/status/series/{hub}", "/status/days/{file}",
            "/badges/{file}", "/badges/{hub}/{file}");
    /** The pages' own script, style and uPlot (no route of their own: the static resources answer them). */
    private static final String STATIC = "/static/";

    @Inject
    ServiceState state;
    @Inject
    Sessions sessions;
    @Inject
    LoginThrottle throttle;

    /** The refusal, or null to let the request through. */
    @RequestFilter
    @Nullable
    public HttpResponse<?> check(HttpRequest<?> request) {
        LoadedConfig c = state.config();
        if (request.getMethod() == HttpMethod.OPTIONS || open(request, c)) {
            return null;
        }
        // a token is asked for here: always once reads are guarded, and for a write (its handler wants api_token)
        boolean guarded = Sessions.guarded(c);
        if (!guarded && request.getMethod() != HttpMethod.POST) {
            return null;
        }
        String bearer = Sessions.bearer(request);
        List<Secret> tokens = Sessions.tokens(c);
        if (bearer != null && !tokens.isEmpty()) {
            InetAddress from = ClientAddress.of(request, c.trustedProxies());
            Optional<Duration> wait = throttle.check(from);
            if (wait.isPresent()) {
                return LoginPage.throttled(wait.get());
            }
            if (!Sessions.isToken(bearer, tokens)) {
                throttle.failedBearer(from);
            }
        }
        if (!guarded || sessions.operator(request, c)) {
            return null;
        }
        Optional<RouteInfo<?>> route = RouteAttributes.getRouteInfo(request);
        boolean page = route.map(r -> r.getDeclaringType() == WebController.class && r.getProduces().contains(MediaType.TEXT_HTML_TYPE))
                .orElse(false);
        return LoginPage.refusal(request, page, c.statusPage().isPublic(), c.hubOAuth() != null, !tokens.isEmpty());
    }

    /** No shared cache may keep the answer of a route that is not open to everyone. */
    @ResponseFilter
    public void noSharedCache(HttpRequest<?> request, MutableHttpResponse<?> response) {
        if (request.getMethod() != HttpMethod.OPTIONS && !open(request, state.config())) {
            response.getHeaders().set("Cache-Control", "private, no-store");
            response.getHeaders().set("Vary", "Authorization, Cookie");
        }
    }

    /** Whether the request is for an open route (or a static asset), judged by the route it reached. */
    private static boolean open(HttpRequest<?> request, LoadedConfig c) {
        Optional<RouteInfo<?>> route = RouteAttributes.getRouteInfo(request);
        if (route.isPresent() && route.get() instanceof UriRouteInfo<?, ?> uri) {
            // the router's templates carry the context path (server.base_path); the lists above are without it
            String template = withoutBase(uri.getUriMatchTemplate().toString());
            return ALWAYS_OPEN.contains(template) || (c.statusPage().isPublic() && PUBLIC_PAGE.contains(template));
        }
        return route.isEmpty() && isStatic(request);
    }

    private static boolean isStatic(HttpRequest<?> request) {
        HttpMethod m = request.getMethod();
        return (m == HttpMethod.GET || m == HttpMethod.HEAD) && request.getPath().startsWith(Html.url(STATIC))
                && !request.getPath().contains("..");
    }

    /** A route template without {@code server.base_path}: "/services/hubprobe/health" is "/health", "/services/hubprobe" is "/". */
    static String withoutBase(String template) {
        String base = Html.basePath();
        if (base.equals("/")) {
            return template;
        }
        String bare = base.substring(0, base.length() - 1);
        if (template.equals(bare) || template.equals(base)) {
            return "/";
        }
        return template.startsWith(base) ? template.substring(bare.length()) : template;
    }
}
