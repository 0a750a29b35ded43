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
 *
 * <p>With {@code server.hub_oauth}, a session is also opened by the hub's OAuth ({@link HubSignIn}): it
 * names the hub user and keeps their hub token sealed ({@link HubTokens}); {@link #recheck} asks the hub
 * about it again every half {@code recheck}, and it is only good while its last confirmation is younger
 * than {@code recheck}, so an operator the hub no longer lets in loses the view within that time.
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
        return valid(id(request), tokens, c.hubOAuth());
    }

    /** The session id the request's cookie carries, or null. */
    static String id(HttpRequest<?> request) {
        return request.getCookies().findCookie(COOKIE).map(Cookie::getValue).filter(v -> !v.isEmpty()).orElse(null);
    }

    /**
     * Opens a session; the id goes in the cookie. {@code token} is the one given, or for a hub user the OAuth
     * client secret (so rotating it ends every hub session, as rotating a token ends its own).
     *
     * @throws IllegalStateException when the database cannot take it
     */
    private String open(Secret token, String hubUser, String hubToken) {
        Instant now = clock.instant();
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        String id = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        try (Connection c = db.getConnection()) {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM operator_sessions WHERE expires_at <= ?")) {
                ps.setTimestamp(1, Timestamp.from(now));
                ps.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO operator_sessions (id_hash, token_fp, expires_at, hub_user, hub_token, hub_checked_at) VALUES (?, ?, ?, ?, ?, ?)")) {
                ps.setString(1, sha256(id));
                ps.setString(2, fingerprint(id, token));
                ps.setTimestamp(3, Timestamp.from(now.plus(TTL)));
                ps.setString(4, hubUser);
                ps.setString(5, hubToken == null ? null : HubTokens.seal(hubToken, token));
                ps.setTimestamp(6, hubUser == null ? null : Timestamp.from(now));
                ps.executeUpdate();
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot record the session in the history database: " + e.getMessage(), e);
        }
        return id;
    }

    /**
     * Opens a session for a hub user the hub vouched for; {@code hubToken} (theirs, from the sign-in) is kept
     * sealed with the client secret for the re-checks ({@link #recheck}).
     *
     * @throws IllegalStateException when the database cannot take it
     */
    public String openForHubUser(String hubUser, String hubToken, LoadedConfig.HubOAuth o) {
        return open(o.clientSecret(), hubUser, hubToken);
    }

    /**
     * Opens a session for someone who gave {@code token}.
     *
     * @throws IllegalStateException when the database cannot take it
     */
    public String open(Secret token) {
        return open(token, null, null);
    }

    /** A session that exists, has not expired, and whose token is still one of {@code tokens}. */
    boolean valid(String id, List<Secret> tokens) {
        return valid(id, tokens, null);
    }

    /**
     * A session that exists and has not expired; opened with a token that is still one of {@code tokens},
     * or through the hub with the client secret {@code hub} still has, and confirmed by the hub within its
     * {@code recheck} (the re-checks run more often than that: a session they could not confirm, the hub
     * being down or the user no longer allowed, ends).
     */
    boolean valid(String id, List<Secret> tokens, LoadedConfig.HubOAuth hub) {
        if (id == null || id.length() > 100) {
            return false;
        }
        String fp;
        Instant expires;
        String hubUser;
        Timestamp checked;
        try (Connection c = db.getConnection();
             PreparedStatement ps = c.prepareStatement(
                     "SELECT token_fp, expires_at, hub_user, hub_checked_at FROM operator_sessions WHERE id_hash = ?")) {
            ps.setString(1, sha256(id));
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return false;
                }
                fp = rs.getString(1);
                expires = rs.getTimestamp(2).toInstant();
                hubUser = rs.getString(3);
                checked = rs.getTimestamp(4);
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
        if (hubUser != null) {
            return hub != null && checked != null && clock.instant().isBefore(checked.toInstant().plus(hub.recheck()))
                    && MessageDigest.isEqual(fp.getBytes(StandardCharsets.US_ASCII),
                    fingerprint(id, hub.clientSecret()).getBytes(StandardCharsets.US_ASCII));
        }
        boolean found = false;
        for (Secret t : tokens) {
            found |= MessageDigest.isEqual(fp.getBytes(StandardCharsets.US_ASCII), fingerprint(id, t).getBytes(StandardCharsets.US_ASCII));
        }
        return found;
    }

    /** What the hub said of a signed-in user at a re-check. */
    public enum Verdict {
        /** still allowed */
        ALLOWED,
        /** the token no longer works, or the user is no longer allowed: the session ends */
        REFUSED,
        /** the hub could not be asked: the session stands until its last confirmation is a recheck old */
        UNKNOWN
    }

    /**
     * Asks the hub again about every hub session last confirmed half a {@code recheck} ago or more (so each is
     * confirmed again before {@link #valid} stops taking it): {@code ask} gets the user's hub token. A refused
     * session is deleted at once, on every replica.
     *
     * @return how many sessions ended
     */
    public int recheck(LoadedConfig.HubOAuth hub, java.util.function.Function<String, Verdict> ask) {
        Instant now = clock.instant();
        List<String[]> due = new java.util.ArrayList<>();
        try (Connection c = db.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT id_hash, hub_token FROM operator_sessions WHERE hub_user IS NOT NULL"
                     + " AND hub_checked_at <= ? AND expires_at > ?")) {
            ps.setTimestamp(1, Timestamp.from(now.minus(hub.recheck().dividedBy(2))));
            ps.setTimestamp(2, Timestamp.from(now));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    due.add(new String[] {rs.getString(1), rs.getString(2)});
                }
            }
        } catch (SQLException e) {
            LOG.warn("cannot read the operator sessions to re-check them with the hub: {}", e.getMessage());
            return 0;
        }
        int ended = 0;
        for (String[] row : due) {
            // a token sealed with another client secret (rotated) cannot be opened: that session is over
            String token = HubTokens.open(row[1], hub.clientSecret());
            Verdict v = token == null ? Verdict.REFUSED : ask.apply(token);
            if (v == Verdict.UNKNOWN) {
                continue;
            }
            String sql = v == Verdict.ALLOWED ? "UPDATE operator_sessions SET hub_checked_at = ? WHERE id_hash = ?"
                    : "DELETE FROM operator_sessions WHERE id_hash = ?";
            try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
                int i = 1;
                if (v == Verdict.ALLOWED) {
                    ps.setTimestamp(i++, Timestamp.from(clock.instant()));
                }
                ps.setString(i, row[0]);
                ps.executeUpdate();
                ended += v == Verdict.REFUSED ? 1 : 0;
            } catch (SQLException e) {
                LOG.warn("cannot record a re-check of an operator session: {}", e.getMessage());
            }
        }
        return ended;
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
