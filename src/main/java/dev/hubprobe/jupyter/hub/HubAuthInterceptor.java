package dev.hubprobe.jupyter.hub;

import java.io.IOException;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
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
            String fresh = response.code() == 403 ? xsrf(cookies, request.url()).orElse(null) : null;
            if (fresh != null && !fresh.equals(sent)) {
                response.close();
                return chain.proceed(b.header("X-XSRFToken", fresh).build());
            }
            return response;
        }
        return chain.proceed(b.build());
    }

    static Optional<String> xsrf(CookieJar cookies, HttpUrl url) {
        // The jar returns the most specific path first, so /user/NAME/'s _xsrf wins over /hub/'s.
        return HubClient.cookie(cookies, url, "_xsrf").map(c -> c.value());
    }
}
