package dev.hubprobe.web;

import dev.hubprobe.config.Secret;
import dev.hubprobe.service.LoadedConfig;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.cookie.Cookie;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * Who is the operator: a bearer header with {@code server.read_token} or {@code server.api_token}, or
 * the session cookie {@code POST /login} set.
 *
 * <p>A session is a random id (256 bits) that this replica keeps in memory with its expiry (8 h from
 * sign-in) and a digest of the token it was opened with. Nothing in the cookie is derived from the
 * token, so a copied cookie is worth one session and no more: {@code /logout} ends it here, it ends
 * on its own after 8 h, and when its token is no longer configured (rotated with a reload). A
 * restart ends every session, and with replicas a session is known only to the replica that made it.
 */
@Singleton
public final class Sessions {
    public static final String COOKIE = "hubprobe_session";
    public static final Duration TTL = Duration.ofHours(8);
    /** Every sign-in needs the token, so this is only a bound on memory; the oldest go first. */
    static final int MAX = 10_000;

    private record Session(byte[] token, Instant expires) {
    }

    private final SecureRandom random = new SecureRandom();
    private final Map<String, Session> sessions = new ConcurrentHashMap<>();
    private final Clock clock;

    @Inject
    public Sessions() {
        this(Clock.systemUTC());
    }

    Sessions(Clock clock) {
        this.clock = clock;
    }

    /** Whether reads need a token at all: with a read token, or on a public page (which needs one of the two). */
    public static boolean guarded(LoadedConfig c) {
        return c.readToken() != null || (c.statusPage().isPublic() && c.apiToken() != null);
    }

    /** The tokens that make an operator, the read token first. */
    public static List<Secret> tokens(LoadedConfig c) {
        return Stream.of(c.readToken(), c.apiToken()).filter(Objects::nonNull).toList();
    }

    /** A bearer header with one of the tokens, or a live session. */
    public boolean operator(HttpRequest<?> request, LoadedConfig c) {
        List<Secret> tokens = tokens(c);
        String header = request.getHeaders().get("Authorization");
        if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            byte[] given = header.substring(7).trim().getBytes(StandardCharsets.UTF_8);
            for (Secret s : tokens) {
                if (MessageDigest.isEqual(given, s.reveal().getBytes(StandardCharsets.UTF_8))) {
                    return true;
                }
            }
        }
        return valid(id(request), tokens);
    }

    /** The session id the request's cookie carries, or null. */
    static String id(HttpRequest<?> request) {
        return request.getCookies().findCookie(COOKIE).map(Cookie::getValue).filter(v -> !v.isEmpty()).orElse(null);
    }

    /** Opens a session for someone who gave {@code token}; the id goes in the cookie. */
    public String open(Secret token) {
        Instant now = clock.instant();
        sessions.values().removeIf(s -> !now.isBefore(s.expires()));
        while (sessions.size() >= MAX) {
            sessions.entrySet().stream().min(Comparator.comparing(e -> e.getValue().expires()))
                    .ifPresent(e -> sessions.remove(e.getKey(), e.getValue()));
        }
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        String id = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        sessions.put(id, new Session(digest(token), now.plus(TTL)));
        return id;
    }

    /** A session that exists here, has not expired, and whose token is still one of {@code tokens}. */
    boolean valid(String id, List<Secret> tokens) {
        Session s = id == null ? null : sessions.get(id);
        if (s == null) {
            return false;
        }
        if (!clock.instant().isBefore(s.expires())) {
            sessions.remove(id, s);
            return false;
        }
        for (Secret t : tokens) {
            if (MessageDigest.isEqual(s.token(), digest(t))) {
                return true;
            }
        }
        return false;
    }

    /** Ends a session (sign-out); an unknown id is ignored. */
    public void close(String id) {
        if (id != null) {
            sessions.remove(id);
        }
    }

    int size() {
        return sessions.size();
    }

    /** Kept instead of the token itself, only to tell which token a session was opened with. */
    private static byte[] digest(Secret token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.reveal().getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
