package dev.hubprobe.alerting.notify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hubprobe.alerting.Alert;
import dev.hubprobe.alerting.AlertEvent;
import dev.hubprobe.json.Json;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * Notifications not yet delivered, in the history database (table {@code notifications}), so an
 * event outlives the process that decided it: a restart, or with replicas another replica, sends
 * what was not acknowledged. Delivery is at least once; the receivers hubprobe speaks to
 * (Alertmanager, PagerDuty's dedup key, a webhook's alert key) take a repeat as the same alert.
 * <p>
 * A lane (one configured notifier) is delivered in order across the cluster: only its oldest row
 * may be claimed, so a resolve never overtakes its firing, also while that firing waits to be
 * retried. Each claim has its own token; a replica changes a row only under the claim it holds.
 */
public final class Outbox {
    private final DataSource db;
    private final String owner;
    private final Clock clock;

    /**
     * One claimed event.
     *
     * @param attempts  how many times it was handed to its receiver, this claim included
     * @param createdAt when it was queued: it is given up on once older than {@code alerting.give_up_after}
     * @param token     this claim's own name: {@link #extend}, {@link #done} and {@link #retryLater} act
     *                  only while the row is still held under it
     */
    public record Entry(long id, AlertEvent event, int attempts, Instant createdAt, String token) {
    }

    /** A lane's oldest row could not be read: it was deleted (the caller counts and logs it), and the lane goes on. */
    public static final class Undecodable extends RuntimeException {
        public Undecodable(String lane, long id, String why) {
            super("dropped notification " + id + " of " + lane + ", which cannot be read: " + why);
        }
    }

    /** What waits in a lane: how many events, and when the oldest was queued (null when none). */
    public record Backlog(int count, Instant oldest) {
    }

    /** @param owner this replica's name, kept on the rows it claims (for people reading the table) */
    public Outbox(DataSource db, String owner, Clock clock) {
        this.db = db;
        this.owner = owner;
        this.clock = clock;
    }

    public void add(String lane, AlertEvent event) {
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(
                "INSERT INTO notifications (lane, event, created_at, attempts) VALUES (?, ?, ?, 0)")) {
            ps.setString(1, lane);
            ps.setString(2, encode(event));
            ps.setTimestamp(3, Timestamp.from(clock.instant()));
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException("cannot queue a notification for " + lane + ": " + e.getMessage(), e);
        }
    }

    /** How many events wait in a lane (claimed ones included). */
    public int pending(String lane) {
        return backlog(lane).count();
    }

    /** How many events wait in a lane (claimed and waiting ones included), and since when the oldest. */
    public Backlog backlog(String lane) {
        try (Connection c = db.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT COUNT(*), MIN(created_at) FROM notifications WHERE lane = ?")) {
            ps.setString(1, lane);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                Timestamp oldest = rs.getTimestamp(2);
                return new Backlog(rs.getInt(1), oldest == null ? null : oldest.toInstant());
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot count notifications: " + e.getMessage(), e);
        }
    }

    /**
     * Whether an event of the alert {@code alertKey} waits in the lane (claimed or waiting for its next
     * attempt): a reminder is then not queued again, since the receiver hears of the alert when that row
     * is delivered, and an outage cannot fill the lane with one row per reminder.
     */
    public boolean waiting(String lane, String alertKey) {
        String quoted;
        try {
            quoted = Json.mapper().writeValueAsString(alertKey);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        // the LIKE only narrows the rows read; each is decoded, so a label that happens to hold the text does not count
        String like = "%" + ("\"key\":" + quoted).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%";
        try (Connection c = db.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT event FROM notifications WHERE lane = ? AND event LIKE ? ESCAPE '\\'")) {
            ps.setString(1, lane);
            ps.setString(2, like);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    try {
                        if (decode(rs.getString(1)).alert().key().equals(alertKey)) {
                            return true;
                        }
                    } catch (IllegalStateException unreadable) {
                        // not this alert's as far as anyone can tell; the lane drops it when it comes to it
                    }
                }
                return false;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the notifications of " + lane + ": " + e.getMessage(), e);
        }
    }

    /**
     * Claims the lane's oldest event for {@code lease}, unless another claim on it still holds or it
     * waits for its next attempt: then nothing is claimed, since a later event must not overtake it
     * (a resolve its firing). The claim is a conditional update, so of two replicas trying at once
     * exactly one gets it.
     *
     * @throws Undecodable when the oldest row cannot be read: it is deleted, and the next claim goes on to the next row
     */
    public Optional<Entry> claim(String lane, Duration lease) throws SQLException {
        try (Connection c = db.getConnection()) {
            long id;
            String event;
            int attempts;
            Instant created;
            Instant now = clock.instant();
            try (PreparedStatement ps = c.prepareStatement("SELECT id, event, attempts, claimed_until, next_attempt_at, created_at"
                    + " FROM notifications WHERE lane = ? ORDER BY id FETCH FIRST 1 ROWS ONLY")) {
                ps.setString(1, lane);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.empty();
                    }
                    Timestamp until = rs.getTimestamp(4);
                    if (until != null && until.toInstant().isAfter(now)) {
                        return Optional.empty(); // being delivered, here or by another replica
                    }
                    Timestamp next = rs.getTimestamp(5);
                    if (next != null && next.toInstant().isAfter(now)) {
                        return Optional.empty(); // its receiver failed; it waits, and so does the lane behind it
                    }
                    id = rs.getLong(1);
                    event = rs.getString(2);
                    attempts = rs.getInt(3);
                    created = rs.getTimestamp(6).toInstant();
                }
            }
            // decoded before it is claimed: a row this version cannot read (another version wrote it, or it is
            // damaged) would otherwise be claimed, fail, and hold its lane lease after lease until give_up_after
            AlertEvent decoded;
            try {
                decoded = decode(event);
            } catch (IllegalStateException unreadable) {
                try (PreparedStatement ps = c.prepareStatement("DELETE FROM notifications WHERE id = ?")) {
                    ps.setLong(1, id);
                    ps.executeUpdate();
                }
                throw new Undecodable(lane, id, unreadable.getMessage());
            }
            String token = UUID.randomUUID().toString();
            try (PreparedStatement ps = c.prepareStatement("UPDATE notifications SET claimed_by = ?, claim_token = ?, claimed_until = ?,"
                    + " attempts = attempts + 1 WHERE id = ? AND (claimed_until IS NULL OR claimed_until < ?)"
                    + " AND (next_attempt_at IS NULL OR next_attempt_at <= ?)")) {
                ps.setString(1, owner);
                ps.setString(2, token);
                ps.setTimestamp(3, Timestamp.from(now.plus(lease)));
                ps.setLong(4, id);
                ps.setTimestamp(5, Timestamp.from(now));
                ps.setTimestamp(6, Timestamp.from(now));
                if (ps.executeUpdate() != 1) {
                    return Optional.empty();
                }
            }
            return Optional.of(new Entry(id, decoded, attempts + 1, created, token));
        }
    }

    /**
     * Keeps a claim for {@code lease} from now, if this replica still holds it: false when the lease ran
     * out and another replica claimed the row meanwhile (it is that replica's to send now).
     */
    public boolean extend(Entry e, Duration lease) {
        return held("UPDATE notifications SET claimed_until = ? WHERE id = ? AND claimed_by = ? AND claim_token = ?", e,
                Timestamp.from(clock.instant().plus(lease)));
    }

    /** Delivered, or given up on: false when the claim was no longer this replica's (the row is left to its holder). */
    public boolean done(Entry e) {
        return held("DELETE FROM notifications WHERE id = ? AND claimed_by = ? AND claim_token = ?", e);
    }

    /**
     * The receiver failed: the row is released to be tried again, by any replica, from {@code next} on;
     * until then the lane waits behind it. False when the claim was no longer this replica's.
     */
    public boolean retryLater(Entry e, Instant next) {
        return held("UPDATE notifications SET claimed_by = NULL, claim_token = NULL, claimed_until = NULL, next_attempt_at = ?"
                + " WHERE id = ? AND claimed_by = ? AND claim_token = ?", e, Timestamp.from(next));
    }

    /** Drops events nobody delivered for so long that they no longer help (a notifier removed from the config). */
    public int deleteBefore(Instant cutoff) {
        return run("DELETE FROM notifications WHERE created_at < ?", Timestamp.from(cutoff));
    }

    /** Runs {@code sql} whose last three parameters are the row's id, owner and claim token, after {@code first}. */
    private boolean held(String sql, Entry e, Object... first) {
        Object[] args = new Object[first.length + 3];
        System.arraycopy(first, 0, args, 0, first.length);
        args[first.length] = e.id();
        args[first.length + 1] = owner;
        args[first.length + 2] = e.token();
        return run(sql, args) == 1;
    }

    private int run(String sql, Object... args) {
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            return ps.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException("notification outbox: " + e.getMessage(), e);
        }
    }

    static String encode(AlertEvent e) {
        Alert a = e.alert();
        ObjectNode alert = Json.object().put("key", a.key()).put("kind", a.kind().name()).put("hub", a.hub()).put("probe", a.probe())
                .put("phase", a.phase()).put("firing", a.firing()).put("consecutive_fail", a.consecutiveFail())
                .put("consecutive_pass", a.consecutivePass()).put("starts_at", text(a.startsAt())).put("ends_at", text(a.endsAt()))
                .put("last_notified_at", text(a.lastNotifiedAt()));
        alert.set("annotations", Json.mapper().valueToTree(a.annotations()));
        ObjectNode out = Json.object().put("type", e.type().name());
        out.set("labels", Json.mapper().valueToTree(e.labels()));
        out.set("alert", alert);
        return out.toString();
    }

    static AlertEvent decode(String text) {
        try {
            JsonNode n = Json.mapper().readTree(text);
            JsonNode a = n.path("alert");
            Alert alert = new Alert(a.path("key").asText(), Alert.Kind.valueOf(a.path("kind").asText()), a.path("hub").asText(),
                    a.path("probe").asText(), a.path("phase").isNull() ? null : a.path("phase").asText(), a.path("firing").asBoolean(),
                    a.path("consecutive_fail").asInt(), a.path("consecutive_pass").asInt(), instant(a.path("starts_at")),
                    instant(a.path("ends_at")), instant(a.path("last_notified_at")), strings(a.path("annotations")));
            return new AlertEvent(AlertEvent.Type.valueOf(n.path("type").asText()), alert, strings(n.path("labels")));
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalStateException("an unreadable notification in the outbox: " + e.getMessage(), e);
        }
    }

    private static String text(Instant i) {
        return i == null ? null : i.toString();
    }

    private static Instant instant(JsonNode n) {
        return n.isTextual() ? Instant.parse(n.asText()) : null;
    }

    private static Map<String, String> strings(JsonNode n) {
        Map<String, String> out = new LinkedHashMap<>();
        n.fields().forEachRemaining(f -> out.put(f.getKey(), f.getValue().asText()));
        return out;
    }
}
