package dev.hubprobe.jupyter.hub;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import okhttp3.Cookie;
import okhttp3.CookieJar;
import okhttp3.HttpUrl;

/**
 * One session's cookies, as a browser keeps them (RFC 6265's store): a cookie replaces the one of the
 * same name, domain and path; an expired one deletes it; a request gets the cookies that match its URL,
 * longest path first. OkHttp's {@link Cookie} does the parsing and the domain, path and secure matching.
 *
 * <p>Why not {@code JavaNetCookieJar} over {@code java.net.CookieManager}: every request turned its URL
 * into a {@code java.net.URI}, and every cookie was written out as a header and parsed back on each
 * side (issue 25: a few percent of the service's CPU per run, for the same answers).
 */
final class SessionCookies implements CookieJar {
    private static final Comparator<Cookie> LONGEST_PATH_FIRST = Comparator.comparingInt((Cookie c) -> c.path().length()).reversed();
    private final List<Cookie> cookies = new ArrayList<>();

    @Override
    public synchronized void saveFromResponse(HttpUrl url, List<Cookie> received) {
        long now = System.currentTimeMillis();
        for (Cookie c : received) {
            cookies.removeIf(old -> old.name().equals(c.name()) && old.domain().equals(c.domain()) && old.path().equals(c.path())
                    && old.hostOnly() == c.hostOnly());
            if (c.expiresAt() > now) {
                cookies.add(c);
            }
        }
    }

    @Override
    public synchronized List<Cookie> loadForRequest(HttpUrl url) {
        long now = System.currentTimeMillis();
        cookies.removeIf(c -> c.expiresAt() <= now);
        List<Cookie> out = new ArrayList<>();
        for (Cookie c : cookies) {
            if (c.matches(url)) {
                out.add(c);
            }
        }
        out.sort(LONGEST_PATH_FIRST); // stable: among equal paths, the older cookie first, as RFC 6265 asks
        return out;
    }
}
