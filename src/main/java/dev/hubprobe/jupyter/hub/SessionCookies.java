package dev.hubprobe.jupyter.hub;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import okhttp3.Cookie;
import okhttp3.CookieJar;
import okhttp3.HttpUrl;

/**
 * One session's cookies, as a browser keeps them (RFC 6265's store): a cookie replaces the one of the
 * same name, domain and path, and keeps its creation time; an expired one deletes it; a request gets the
 * cookies that match its URL, longest path first, then oldest first. OkHttp's {@link Cookie} does the
 * parsing and the domain, path and secure matching.
 *
 * <p>Bounded as a browser's is: a hub (or a user's server, on the same origin) may send thousands of
 * {@code Set-Cookie} a response, every response. Unbounded, each run would keep them all, scan them all
 * for every cookie set (quadratic) and send them all with every request. So a cookie of more than
 * {@link #MAX_NAME_AND_VALUE} characters is ignored (RFC 6265bis), and past {@link #MAX_PER_DOMAIN} cookies
 * of one domain or {@link #MAX_TOTAL} in all the expired go first, then the least recently used (RFC 6265
 * 5.3); those limits are Chrome's and Firefox's, so a hub that floods its own session fails here as it
 * fails in its users' browsers.
 *
 * <p>Why not {@code JavaNetCookieJar} over {@code java.net.CookieManager}: every request turned its URL
 * into a {@code java.net.URI}, and every cookie was written out as a header and parsed back on each
 * side (issue 25: a few percent of the service's CPU per run, for the same answers).
 */
final class SessionCookies implements CookieJar {
    static final int MAX_PER_DOMAIN = 180;
    static final int MAX_TOTAL = 3000;
    /** OkHttp refuses non-ASCII names and values, so characters are octets here. */
    static final int MAX_NAME_AND_VALUE = 4096;
    private static final Comparator<Stored> SENT_ORDER = Comparator.comparingInt((Stored s) -> s.cookie.path().length()).reversed()
            .thenComparingLong(s -> s.created);

    /** RFC 6265's identity of a cookie; a host-only cookie and a domain cookie of the same host are two, as in browsers. */
    private record Key(String name, String domain, String path, boolean hostOnly) {
        static Key of(Cookie c) {
            return new Key(c.name(), c.domain(), c.path(), c.hostOnly());
        }
    }

    private static final class Stored {
        final Cookie cookie;
        final long created;
        long used;

        Stored(Cookie cookie, long created, long used) {
            this.cookie = cookie;
            this.created = created;
            this.used = used;
        }
    }

    /** By domain, each least recently used first: a full domain gives up its first. */
    private final Map<String, LinkedHashMap<Key, Stored>> byDomain = new HashMap<>();
    private int total;
    /** A logical clock for creation and last use: two cookies set in one millisecond still have an order. */
    private long tick;

    @Override
    public synchronized void saveFromResponse(HttpUrl url, List<Cookie> received) {
        long now = System.currentTimeMillis();
        boolean purged = false; // once a response: a flood must not scan the whole store for each of its cookies
        for (Cookie c : received) {
            if (c.name().length() + c.value().length() > MAX_NAME_AND_VALUE) {
                continue; // ignored entirely: it replaces nothing either
            }
            Key key = Key.of(c);
            LinkedHashMap<Key, Stored> domain = byDomain.get(c.domain());
            Stored old = domain == null ? null : domain.remove(key);
            if (old != null) {
                total--;
            }
            if (c.expiresAt() <= now) {
                if (domain != null && domain.isEmpty()) {
                    byDomain.remove(c.domain());
                }
                continue;
            }
            if (domain == null) {
                domain = new LinkedHashMap<>(16, 0.75f, true);
                byDomain.put(c.domain(), domain);
            }
            long t = tick++;
            domain.put(key, new Stored(c, old != null ? old.created : t, t));
            total++;
            if (!purged && (domain.size() > MAX_PER_DOMAIN || total > MAX_TOTAL)) {
                removeExpired(now);
                purged = true;
            }
            if (domain.size() > MAX_PER_DOMAIN) {
                evictFirst(domain);
            }
            while (total > MAX_TOTAL) {
                evictLeastRecentlyUsed();
            }
        }
    }

    @Override
    public synchronized List<Cookie> loadForRequest(HttpUrl url) {
        removeExpired(System.currentTimeMillis());
        List<Stored> matched = new ArrayList<>();
        for (LinkedHashMap<Key, Stored> domain : byDomain.values()) {
            for (Stored s : domain.values()) {
                if (s.cookie.matches(url)) {
                    matched.add(s);
                }
            }
        }
        matched.sort(SENT_ORDER);
        List<Cookie> out = new ArrayList<>(matched.size());
        for (Stored s : matched) {
            s.used = tick++;
            byDomain.get(s.cookie.domain()).get(Key.of(s.cookie)); // access order: now the most recently used
            out.add(s.cookie);
        }
        return out;
    }

    private void removeExpired(long now) {
        for (Iterator<LinkedHashMap<Key, Stored>> d = byDomain.values().iterator(); d.hasNext(); ) {
            LinkedHashMap<Key, Stored> domain = d.next();
            for (Iterator<Stored> i = domain.values().iterator(); i.hasNext(); ) {
                if (i.next().cookie.expiresAt() <= now) {
                    i.remove();
                    total--;
                }
            }
            if (domain.isEmpty()) {
                d.remove();
            }
        }
    }

    private void evictFirst(LinkedHashMap<Key, Stored> domain) {
        Iterator<Stored> first = domain.values().iterator();
        String name = first.next().cookie.domain();
        first.remove();
        total--;
        if (domain.isEmpty()) {
            byDomain.remove(name);
        }
    }

    /** The least recently used of all: the first of some domain, so one look at each domain's first. */
    private void evictLeastRecentlyUsed() {
        LinkedHashMap<Key, Stored> oldest = null;
        long oldestUse = Long.MAX_VALUE;
        for (LinkedHashMap<Key, Stored> domain : byDomain.values()) {
            Stored first = domain.values().iterator().next();
            if (first.used < oldestUse) {
                oldestUse = first.used;
                oldest = domain;
            }
        }
        evictFirst(oldest);
    }
}
