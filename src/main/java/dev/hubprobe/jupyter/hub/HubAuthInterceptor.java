package dev.hubprobe.jupyter.hub;

import dev.hubprobe.jupyter.JupyterHttp;
import java.io.IOException;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import okhttp3.CookieJar;
import okhttp3.HttpUrl;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Adds what a hub expects on every request: a constant User-Agent (the anonymous xsrf value is bound
 * to it), the token, or, for cookie sessions, {@code X-XSRFToken} on writes: the value of the
 * {@code _xsrf} cookie the hub (or the user's server) set for that path, never one of our own making.
 * The token goes only to the hub's own origin, so a redirect elsewhere can never carry it away.
 */
final class HubAuthInterceptor implements Interceptor {
    private static final Set<String> WRITES = Set.of("POST", "PUT", "PATCH", "DELETE");
    private static final Pattern XSRF_REFUSAL = Pattern.compile(
            "XSRF cookie does not match|'_xsrf' argument (missing|invalid)");
    private static final long MAX_PEEK = 16 * 1024;

    private final Supplier<String> token;
    private final HttpUrl origin;
    private final CookieJar cookies;
    private final String userAgent;

    HubAuthInterceptor(Supplier<String> token, HttpUrl origin, CookieJar cookies, String userAgent) {
        this.token = token;
        this.origin = origin;
        this.cookies = cookies;
        this.userAgent = userAgent;
    }

    @Override
    public Response intercept(Chain chain) throws IOException {
        Request request = chain.request();
        Request.Builder b = request.newBuilder().header("User-Agent", userAgent);
        boolean sameOrigin = HubClient.sameOrigin(origin, request.url());
        String t = token.get();
        if (sameOrigin && t != null && request.header("Authorization") == null) {
            b.header("Authorization", "token " + t);
        } else if (sameOrigin && t == null && WRITES.contains(request.method())) {
            String sent = xsrf(cookies, request.url()).orElse(null);
            if (sent != null) {
                b.header("X-XSRFToken", sent);
            }
            Response response = chain.proceed(b.build());
            // A hub (4.1+) or single-user server that finds the session's xsrf cookie stale refuses the
            // write with 403 and, in the same answer, sets the cookie it now expects (the jar has it by
            // now). The write did nothing, so it is sent once more with that value; a second refusal stands.
            // Only a refusal in the xsrf check's own words: any other 403 (a pre_spawn_start hook's "over
            // quota", a missing scope) may have done something, or will say the same again, and a hub may
            // set a new _xsrf cookie on any answer; sending a spawn twice would ask for two.
            String fresh = response.code() == 403 && xsrfRefusal(response) ? xsrf(cookies, request.url()).orElse(null) : null;
            if (fresh != null && !fresh.equals(sent)) {
                response.close();
                return chain.proceed(b.header("X-XSRFToken", fresh).build());
            }
            return response;
        }
        return chain.proceed(b.build());
    }

    /**
     * Whether a 403 is the xsrf check's refusal, in the words of JupyterHub's {@code _xsrf_utils} (4.1 to
     * 6.x: "'_xsrf' argument missing from POST", "'_xsrf' argument invalid", "XSRF cookie does not match
     * POST argument") and of tornado's own check, which the single-user servers use: in the JSON
     * {@code message} of an API answer, or anywhere in an HTML error page.
     */
    static boolean xsrfRefusal(Response response) {
        String message = JupyterHttp.errorMessage(response);
        if (message != null && XSRF_REFUSAL.matcher(message).find()) {
            return true;
        }
        try {
            return XSRF_REFUSAL.matcher(response.peekBody(MAX_PEEK).string()).find();
        } catch (IOException e) {
            return false;
        }
    }

    static Optional<String> xsrf(CookieJar cookies, HttpUrl url) {
        // The jar returns the most specific path first, so /user/NAME/'s _xsrf wins over /hub/'s.
        return HubClient.cookie(cookies, url, "_xsrf").map(c -> c.value());
    }
}
