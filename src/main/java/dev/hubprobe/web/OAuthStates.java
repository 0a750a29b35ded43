package dev.hubprobe.web;

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
import java.util.Optional;
import javax.sql.DataSource;

/**
 * The OAuth {@code state} of sign-ins through the hub under way (RFC 6749 10.12: it is what keeps a
 * callback someone else started, a forged one or a replayed one from signing a browser in).
 *
 * <p>{@link #start} makes two random values: the {@code state} that travels through the hub, and a
 * browser value that only goes into this browser's cookie. The history database keeps a SHA-256 of
 * each, the page asked for, and an expiry (10 min). {@link #take} accepts a callback only when both
 * match a row that has not expired, and deletes that row in the same statement that finds it: a state is
 * good once, on the one replica that gets there first, and only in the browser that started it.
 */
@jakarta.inject.Singleton
public final class OAuthStates {
    /** How long a sign-in may take at the hub (a person typing a password, an identity provider's page). */
    static final Duration TTL = Duration.ofMinutes(10);
    /**
     * At most this many sign-ins under way at once: {@code GET /login} is open to anyone, and each one is a
     * row for 10 minutes, so a client asking for it in a loop must not grow the table without end (the
     * oldest ones make room for a new one, {@link #start}).
     */
    static final int MAX_PENDING = 10_000;

    /** What {@link #randomValue} makes: 32 bytes, base64url without padding. */
    private static final java.util.regex.Pattern BROWSER_VALUE = java.util.regex.Pattern.compile("[A-Za-z0-9_-]{43}");

    private final SecureRandom random = new SecureRandom();
    private final DataSource db;
    private final Clock clock;
    private final int maxPending;

    @jakarta.inject.Inject
    public OAuthStates(dev.hubprobe.service.ServiceState state) {
        this(state.history().dataSource(), Clock.systemUTC(), MAX_PENDING);
    }

    OAuthStates(DataSource db, Clock clock, int maxPending) {
        this.db = db;
        this.clock = clock;
        this.maxPending = maxPending;
    }

    /** A sign-in begun: the state for the hub, the value for this browser's cookie. */
    record Started(String state, String browser) {
        @Override
        public String toString() {
            return "Started[...]"; // both are secrets of this sign-in
        }
    }

    /**
     * Records a new sign-in that returns to {@code next} (already checked by {@link LoginPage#safeNext}).
     *
     * @throws IllegalStateException when the database cannot take it
     */
    Started start(String next) {
        return start(next, null);
    }

    /**
     * As {@link #start(String)}, in a browser that already holds a value from a sign-in under way: that value
     * is kept, so two sign-ins started in two tabs both come back (a fresh value would orphan the first).
     * A value not of the shape this class makes is replaced.
     */
    Started start(String next, String browserHeld) {
        Instant now = clock.instant();
        String state = randomValue();
        String browser = browserHeld != null && BROWSER_VALUE.matcher(browserHeld).matches() ? browserHeld : randomValue();
        try (Connection c = db.getConnection()) {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM oauth_states WHERE expires_at <= ?")) {
                ps.setTimestamp(1, Timestamp.from(now));
                ps.executeUpdate();
            }
            // full: the oldest sign-ins make room, not a refusal. GET /login is open to anyone, and refusing new
            // sign-ins once the table is full would let a loop of 17 requests a second lock every operator out;
            // evicting the oldest, a flood must outrun the few seconds an operator spends at the hub instead.
            int count;
            try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM oauth_states"); ResultSet rs = ps.executeQuery()) {
                rs.next();
                count = rs.getInt(1);
            }
            if (count >= maxPending) {
                try (PreparedStatement ps = c.prepareStatement("SELECT expires_at FROM oauth_states ORDER BY expires_at DESC, state_hash"
                        + " OFFSET ? ROWS FETCH NEXT 1 ROWS ONLY")) {
                    ps.setInt(1, maxPending - 1);
                    try (ResultSet rs = ps.executeQuery()) {
                        if (rs.next()) {
                            try (PreparedStatement del = c.prepareStatement("DELETE FROM oauth_states WHERE expires_at <= ?")) {
                                del.setTimestamp(1, rs.getTimestamp(1));
                                del.executeUpdate();
                            }
                        }
                    }
                }
            }
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO oauth_states (state_hash, browser_hash, next_path, expires_at) VALUES (?, ?, ?, ?)")) {
                ps.setString(1, Sessions.sha256(state));
                ps.setString(2, Sessions.sha256(browser));
                ps.setString(3, next);
                ps.setTimestamp(4, Timestamp.from(now.plus(TTL)));
                ps.executeUpdate();
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot record the sign-in in the history database: " + e.getMessage(), e);
        }
        return new Started(state, browser);
    }

    /**
     * The page a callback returns to, when its {@code state} is one this service made, for this browser,
     * not used and not expired; empty for anything else (the row, if any, is used up either way when the
     * state matched, so a second try with the same state fails too).
     */
    Optional<String> take(String state, String browser) {
        if (state == null || browser == null || state.isEmpty() || browser.isEmpty() || state.length() > 100 || browser.length() > 100) {
            return Optional.empty();
        }
        String stateHash = Sessions.sha256(state);
        try (Connection c = db.getConnection()) {
            String next;
            String browserHash;
            Instant expires;
            try (PreparedStatement ps = c.prepareStatement("SELECT browser_hash, next_path, expires_at FROM oauth_states WHERE state_hash = ?")) {
                ps.setString(1, stateHash);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.empty();
                    }
                    browserHash = rs.getString(1);
                    next = rs.getString(2);
                    expires = rs.getTimestamp(3).toInstant();
                }
            }
            // the delete decides: of two callbacks with the same state (two tabs, two replicas), one deletes the row
            int deleted;
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM oauth_states WHERE state_hash = ?")) {
                ps.setString(1, stateHash);
                deleted = ps.executeUpdate();
            }
            boolean sameBrowser = java.security.MessageDigest.isEqual(browserHash.getBytes(java.nio.charset.StandardCharsets.US_ASCII),
                    Sessions.sha256(browser).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            if (deleted != 1 || !sameBrowser || !clock.instant().isBefore(expires)) {
                return Optional.empty();
            }
            return Optional.of(next);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the sign-in from the history database: " + e.getMessage(), e);
        }
    }

    private String randomValue() {
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
