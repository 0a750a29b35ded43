package dev.hubprobe.web;

import dev.hubprobe.json.Json;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.MutableHttpResponse;

/** The sign-in form, and the answer to a request that needs the operator's token and did not bring it. */
public final class LoginPage {
    private LoginPage() {
    }

    /**
     * 401 with {@code WWW-Authenticate: Bearer}: the sign-in form for a browser (or a page route), JSON
     * for any other client. It names nothing the request asked for beyond its own path.
     */
    public static MutableHttpResponse<?> refusal(HttpRequest<?> request, boolean pageRoute, boolean publicPage, boolean hubSignIn,
                                                 boolean tokens) {
        if (pageRoute || Html.wanted(request)) {
            String query = request.getUri().getRawQuery();
            String next = request.getPath() + (query == null ? "" : "?" + query);
            return (hubSignIn ? viaHub(HttpStatus.UNAUTHORIZED, next, null, publicPage, tokens) : form(HttpStatus.UNAUTHORIZED, next, null, publicPage))
                    .header("WWW-Authenticate", "Bearer").header("Vary", "Authorization, Cookie");
        }
        return HttpResponse.status(HttpStatus.UNAUTHORIZED).header("WWW-Authenticate", "Bearer")
                .header("Cache-Control", "private, no-store").header("Vary", "Authorization, Cookie")
                .contentType(MediaType.APPLICATION_JSON_TYPE)
                .body(Json.object().put("error", "a valid bearer token is required (or sign in at " + Html.url("login") + ")"));
    }

    /** 429 for a bearer request from an address that sent too many wrong tokens: the token is not even looked at. */
    public static MutableHttpResponse<?> throttled(java.time.Duration wait) {
        long seconds = retryAfter(wait);
        return HttpResponse.status(HttpStatus.TOO_MANY_REQUESTS).header("Retry-After", Long.toString(seconds))
                .header("Cache-Control", "private, no-store").contentType(MediaType.APPLICATION_JSON_TYPE)
                .body(Json.object().put("error", "too many wrong tokens from your address: try again in " + seconds + " s"));
    }

    static long retryAfter(java.time.Duration wait) {
        return Math.max(1, (wait.toMillis() + 999) / 1000);
    }

    /**
     * With {@code server.hub_oauth}: no token field, a link that signs in through the hub and comes back to
     * {@code next}. Not a redirect straight to the hub, so an API client or a badge never follows one.
     */
    static MutableHttpResponse<?> viaHub(HttpStatus status, String next, String error, boolean publicPage, boolean tokens) {
        String href = Html.url("login") + "?next=" + java.net.URLEncoder.encode(safeNext(next), java.nio.charset.StandardCharsets.UTF_8);
        String body = "<header class=\"top\"><h1>Sign in</h1></header><main>"
                + (error == null ? "<p>This view is for the hub's operators.</p>" : "<p class=\"failure\" role=\"alert\">" + Html.esc(error) + "</p>")
                + "<p><a id=\"hub-sign-in\" href=\"" + Html.esc(href) + "\">Sign in through the hub</a></p>"
                // the hub down is when the on-call engineer needs this view most: a configured token still signs in
                + (tokens ? "<form method=\"post\" action=\"" + Html.url("login") + "\" class=\"login\">"
                + "<p>The hub not answering? The status page token (server.read_token or server.api_token) signs you in without it.</p>"
                + tokenFields(next) + "</form>" : "")
                + (publicPage ? "<p><a href=\"" + Html.url("") + "\">Back to the public status page</a></p>" : "") + "</main>";
        return WebController.html(status, Html.page("Sign in", body, false));
    }

    private static String tokenFields(String next) {
        return "<input type=\"hidden\" name=\"next\" value=\"" + Html.esc(safeNext(next)) + "\">"
                + "<p><label for=\"token\">Token</label> <input id=\"token\" name=\"token\" type=\"password\" autocomplete=\"current-password\" required>"
                + " <button type=\"submit\">Sign in</button></p>";
    }

    /**
     * Whether the path part (before any query or fragment) has a "." or ".." segment, also with a
     * ";parameters" tail as some servers read it: "/base/..?x" is "/?x" once a browser resolves it.
     */
    private static boolean dotSegment(String next) {
        int end = next.length();
        for (char stop : new char[] {'?', '#'}) {
            int i = next.indexOf(stop);
            if (i >= 0 && i < end) {
                end = i;
            }
        }
        for (String segment : next.substring(0, end).split("/", -1)) {
            String bare = segment.contains(";") ? segment.substring(0, segment.indexOf(';')) : segment;
            if (bare.equals(".") || bare.equals("..")) {
                return true;
            }
        }
        return false;
    }

    static MutableHttpResponse<?> form(HttpStatus status, String next, String error, boolean publicPage) {
        String body = "<header class=\"top\"><h1>Sign in</h1></header><main><form method=\"post\" action=\"" + Html.url("login") + "\" class=\"login\">"
                + (error == null ? "<p>This view is for the hub's operators. Enter the status page token (server.read_token).</p>"
                : "<p class=\"failure\" role=\"alert\">" + Html.esc(error) + "</p>")
                + tokenFields(next) + "</form>"
                + (publicPage ? "<p><a href=\"" + Html.url("") + "\">Back to the public status page</a></p>" : "") + "</main>";
        return WebController.html(status, Html.page("Sign in", body, false));
    }

    /**
     * Where to go after signing in: a path on this service only, never another site, and only in
     * printable ASCII without spaces, so it is a valid {@code Location} as it stands (a tab, space or
     * CR/LF would make it an invalid URI, a 500, or a header injected into the answer), and under
     * {@code server.base_path}: never a path of another service behind the same proxy (the hub's own pages,
     * another service's). Anything else is the status page.
     */
    public static String safeNext(String next) {
        String home = Html.url("");
        if (next == null || !next.startsWith("/") || next.startsWith("//") || next.contains("\\") || next.length() > 2000) {
            return home;
        }
        // "/services/hubprobe" without its slash is the status page too; "/services/hubprobex" is not ours
        if (!next.startsWith(home) && !(next + "/").equals(home)) {
            return home;
        }
        if (next.contains("%2e") || next.contains("%2E") || dotSegment(next)) {
            return home; // a dot segment could climb out of the base path once a browser or proxy resolves it
        }
        for (int i = 0; i < next.length(); i++) {
            char ch = next.charAt(i);
            if (ch <= 0x20 || ch >= 0x7f) {
                return home;
            }
        }
        try {
            java.net.URI u = new java.net.URI(next);
            return u.getScheme() == null && u.getRawAuthority() == null ? next : home;
        } catch (java.net.URISyntaxException e) {
            return home;
        }
    }
}
