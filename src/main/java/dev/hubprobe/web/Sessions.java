package dev.hubprobe.web;

import dev.hubprobe.config.Secret;
import dev.hubprobe.service.LoadedConfig;
import dev.hubprobe.service.ServiceState;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.cookie.Cookie;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who is the operator: a bearer header with {@code server.read_token} or {@code server.api_token}, or
 * the session cookie {@code POST /login} set.
 *
 * <p>A session is a random id (256 bits) kept in the history database ({@code operator_sessions}),
 * so every replica sharing that database knows it: an operator behind a round-robin balancer is not
 * bounced between replicas. The table holds a SHA-256 of the id, never the id; its expiry (8 h from
 * sign-in); and a fingerprint of the token it was opened with, salted with the id, so it is no digest
 * of the token to compare across rows. Nothing in the cookie is derived from the token: a copied
 * cookie is worth one session and no more. {@code /logout} ends it everywhere, it ends on its own
 * after 8 h, and when its token is no longer configured (rotated with a reload). Expired rows are
 * deleted at every sign-in and when met.
 */
@Singleton
public final class Sessions {
    private static final Logger LOG = LoggerFactory.getLogger(Sessions.class);
    public static final String COOKIE = "hubprobe_session";
    public static final Duration TTL = Duration.ofHours(8);

    private final SecureRandom random = new SecureRandom();
    private final DataSource db;
    private final Clock clock;

    @Inject
    public Sessions(ServiceState state) {
        this(state.history().dataSource(), Clock.systemUTC());
    }

    Sessions(DataSource db, Clock clock) {
        this.db = db;
        this.clock = clock;
    }

    /** Whether reads need a token at all: with a read token, or on a public page (which needs one of the two). */
    public static boolean guarded(LoadedConfig c) {
        return c.readsGuarded();
    }

    /** The tokens that make an operator, the read token first. */
    public static List<Secret> tokens(LoadedConfig c) {
        return Stream.of(c.readToken(), c.apiToken()).filter(Objects::nonNull).toList();
    }

    /** The bearer token of an {@code Authorization: Bearer} header, or null when there is none. */
    public static String bearer(HttpRequest<?> request) {
        String header = request.getHeaders().get("Authorization");
        return header != null && header.regionMatches(true, 0, "Bearer ", 0, 7) ? header.substring(7).trim() : null;
    }

    /** Whether {@code given} is one of {@code tokens}, in time that does not tell how much of it is right. */
    public static boolean isToken(String given, List<Secret> tokens) {
        byte[] g = given.getBytes(StandardCharsets.UTF_8);
        boolean found = false;
        for (Secret s : tokens) {
            found |= MessageDigest.isEqual(g, s.reveal().getBytes(StandardCharsets.UTF_8));
        }
        return found;
    }

    /** A bearer header with one of the tokens, or a live session. */
    public boolean operator(HttpRequest<?> request, LoadedConfig c) {
        List<Secret> tokens = tokens(c);
        String bearer = bearer(request);
        if (bearer != null && isToken(bearer, tokens)) {
            return true;
        }
        return valid(id(request), tokens);
    }

    /** The session id the request's cookie carries, or null. */
    static String id(HttpRequest<?> request) {
        return request.getCookies().findCookie(COOKIE).map(Cookie::getValue).filter(v -> !v.isEmpty()).orElse(null);
    }

    /**
     * Opens a session for someone who gave {@code token}; the id goes in the cookie.
     *
     * @throws IllegalStateException when the database cannot take it
     */
    public String open(Secret token) {
        Instant now = clock.instant();
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        String id = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        try (Connection c = db.getConnection()) {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM operator_sessions WHERE expires_at <= ?")) {
                ps.setTimestamp(1, Timestamp.from(now));
                ps.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO operator_sessions (id_hash, token_fp, expires_at) VALUES (?, ?, ?)")) {
                ps.setString(1, sha256(id));
                ps.setString(2, fingerprint(id, token));
                ps.setTimestamp(3, Timestamp.from(now.plus(TTL)));
                ps.executeUpdate();
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot record the session in the history database: " + e.getMessage(), e);
        }
        return id;
    }

    /** A session that exists, has not expired, and whose token is still one of {@code tokens}. */
    boolean valid(String id, List<Secret> tokens) {
        if (id == null || id.length() > 100) {
            return false;
        }
        String fp;
        Instant expires;
        try (Connection c = db.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT token_fp, expires_at FROM operator_sessions WHERE id_hash = ?")) {
            ps.setString(1, sha256(id));
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return false;
                }
                fp = rs.getString(1);
                expires = rs.getTimestamp(2).toInstant();
            }
        } catch (SQLException e) {
            // fail closed: an operator signs in again, or uses a bearer header, once the database is back
            LOG.warn("cannot read the operator sessions from the history database: {}", e.getMessage());
            return false;
        }
        if (!clock.instant().isBefore(expires)) {
            close(id);
            return false;
        }
        boolean found = false;
        for (Secret t : tokens) {
            found |= MessageDigest.isEqual(fp.getBytes(StandardCharsets.US_ASCII), fingerprint(id, t).getBytes(StandardCharsets.US_ASCII));
        }
        return found;
    }

    /** Ends a session (sign-out) on every replica; an unknown id is ignored. */
    public void close(String id) {
        if (id == null) {
            return;
        }
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement("DELETE FROM operator_sessions WHERE id_hash = ?")) {
            ps.setString(1, sha256(id));
            ps.executeUpdate();
        } catch (SQLException e) {
            LOG.warn("cannot end an operator session in the history database: {}", e.getMessage());
        }
    }

    /** How many session rows the database holds, expired ones included (for tests). */
    int size() {
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM operator_sessions");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getInt(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Which token a session was opened with, salted with its id: not a digest of the token alone. */
    private static String fingerprint(String id, Secret token) {
        return sha256("hubprobe-session-token\0" + id + "\0" + token.reveal());
    }

    static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
