package dev.hubprobe.alerting;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.concurrent.ConcurrentHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Alert state and silences in the history database, so a restart neither re-pages nor forgets. This
 * process is the only writer, so reads come from a copy kept in memory: a run costs one write here,
 * not a dozen reads.
 */
public final class AlertStore {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final DataSource db;
    private final Map<String, Alert> alerts = new ConcurrentHashMap<>();
    private final Map<String, Instant> silences = new ConcurrentHashMap<>();
    private static final String UPDATE = "UPDATE alerts SET kind = ?, hub = ?, probe = ?, phase = ?, firing = ?, consecutive_fail = ?,"
            + " consecutive_pass = ?, starts_at = ?, ends_at = ?, last_notified_at = ?, annotations = ? WHERE alert_key = ?";
    /** SQLSTATE of a unique-key violation, the same on H2 and PostgreSQL. */
    private static final String DUPLICATE = "23505";
    private final boolean shared;

    public AlertStore(DataSource db) {
        this(db, false);
    }

    /**
     * @param shared other replicas write the same tables (PostgreSQL): reads go to the database, not a
     *               cache, and a decision about one alert holds a database lock ({@link #lock})
     */
    public AlertStore(DataSource db, boolean shared) {
        this.db = db;
        this.shared = shared;
        query("SELECT * FROM alerts").forEach(a -> alerts.put(a.key(), a));
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT hub, until_at FROM silences");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                silences.put(rs.getString(1), rs.getTimestamp(2).toInstant());
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read silences: " + e.getMessage(), e);
        }
    }

    public Optional<Alert> get(String key) {
        if (shared) {
            return query("SELECT * FROM alerts WHERE alert_key = ?", key).stream().findFirst();
        }
        return Optional.ofNullable(alerts.get(key));
    }

    public List<Alert> firing() {
        Collection<Alert> all = shared ? query("SELECT * FROM alerts WHERE firing") : alerts.values();
        return all.stream().filter(Alert::firing)
                .sorted(Comparator.comparing(Alert::startsAt, Comparator.nullsLast(Comparator.naturalOrder()))).toList();
    }

    public void save(Alert a) {
        // what it was, to record a transition: with replicas, as the database has it (another may have moved it)
        Alert before = get(a.key()).orElse(null);
        try (Connection c = connection()) {
            // an update, else an insert: the same SQL on H2 and PostgreSQL (no vendor's upsert)
            if (write(c, UPDATE, a) == 0) {
                try {
                    write(c, "INSERT INTO alerts (kind, hub, probe, phase, firing, consecutive_fail, consecutive_pass, starts_at, ends_at,"
                            + " last_notified_at, annotations, alert_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", a);
                } catch (SQLException e) {
                    if (!DUPLICATE.equals(e.getSQLState())) {
                        throw e;
                    }
                    write(c, UPDATE, a);
                }
            }
            alerts.put(a.key(), a);
            record(c, before, a);
        } catch (SQLException | com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot save alert " + a.key() + ": " + e.getMessage(), e);
        }
    }

    private static int write(Connection c, String sql, Alert a) throws SQLException, com.fasterxml.jackson.core.JsonProcessingException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, a.kind().name());
            ps.setString(2, a.hub());
            ps.setString(3, a.probe());
            ps.setString(4, a.phase());
            ps.setBoolean(5, a.firing());
            ps.setInt(6, a.consecutiveFail());
            ps.setInt(7, a.consecutivePass());
            ps.setTimestamp(8, ts(a.startsAt()));
            ps.setTimestamp(9, ts(a.endsAt()));
            ps.setTimestamp(10, ts(a.lastNotifiedAt()));
            ps.setString(11, JSON.writeValueAsString(a.annotations()));
            ps.setString(12, a.key());
            return ps.executeUpdate();
        }
    }

    /** Keeps every outage in the alert history when it fires, and closes it when it resolves. */
    private static void record(Connection c, Alert before, Alert a) throws SQLException {
        boolean wasFiring = before != null && before.firing();
        if (a.firing() && !wasFiring) {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO alert_history (alert_key, kind, hub, probe, phase, reason,"
                    + " summary, starts_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
                ps.setString(1, a.key());
                ps.setString(2, a.kind().name());
                ps.setString(3, a.hub());
                ps.setString(4, a.probe());
                ps.setString(5, a.kind() == Alert.Kind.FAILURE ? a.annotations().get("phase") : a.phase());
                ps.setString(6, a.annotations().get("reason"));
                ps.setString(7, cut(a.annotations().get("summary")));
                ps.setTimestamp(8, ts(a.startsAt()));
                ps.executeUpdate();
            }
        } else if (!a.firing() && wasFiring) {
            try (PreparedStatement ps = c.prepareStatement("UPDATE alert_history SET ends_at = ? WHERE alert_key = ? AND ends_at IS NULL")) {
                ps.setTimestamp(1, ts(a.endsAt()));
                ps.setString(2, a.key());
                ps.executeUpdate();
            }
        }
    }

    /** An outage from the alert history: open while {@code endsAt} is null. */
    public record Incident(Alert.Kind kind, String hub, String probe, String phase, String reason, String summary,
                           Instant startsAt, Instant endsAt) {
    }

    /** The outages that started or were still open since {@code since}, newest first. */
    public List<Incident> incidents(Instant since, int limit) {
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT kind, hub, probe, phase, reason,"
                + " summary, starts_at, ends_at FROM alert_history WHERE starts_at >= ? OR ends_at IS NULL OR ends_at >= ?"
                + " ORDER BY starts_at DESC LIMIT ?")) {
            ps.setTimestamp(1, Timestamp.from(since));
            ps.setTimestamp(2, Timestamp.from(since));
            ps.setInt(3, limit);
            List<Incident> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Incident(Alert.Kind.valueOf(rs.getString(1)), rs.getString(2), rs.getString(3), rs.getString(4),
                            rs.getString(5), rs.getString(6), instant(rs.getTimestamp(7)), instant(rs.getTimestamp(8))));
                }
            }
            return out;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the alert history: " + e.getMessage(), e);
        }
    }

    private static String cut(String s) {
        return s == null || s.length() <= 1000 ? s : s.substring(0, 1000);
    }

    /** Silences a hub's alerts until {@code until} (an operator's maintenance, from the API). */
    public void silence(String hub, Instant until, String reason) {
        try (Connection c = db.getConnection()) {
            try (PreparedStatement del = c.prepareStatement("DELETE FROM silences WHERE hub = ?");
                 PreparedStatement ins = c.prepareStatement("INSERT INTO silences (hub, until_at, reason) VALUES (?, ?, ?)")) {
                c.setAutoCommit(false);
                del.setString(1, hub);
                del.executeUpdate();
                ins.setString(1, hub);
                ins.setTimestamp(2, Timestamp.from(until));
                ins.setString(3, reason);
                ins.executeUpdate();
                c.commit();
            } catch (SQLException e) {
                c.rollback();
                throw e;
            }
            silences.put(hub, until);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot save silence: " + e.getMessage(), e);
        }
    }

    public Optional<Instant> silencedUntil(String hub) {
        if (shared) {
            try (Connection c = connection(); PreparedStatement ps = c.prepareStatement("SELECT until_at FROM silences WHERE hub = ?")) {
                ps.setString(1, hub);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(rs.getTimestamp(1).toInstant()) : Optional.empty();
                }
            } catch (SQLException e) {
                throw new IllegalStateException("cannot read silences: " + e.getMessage(), e);
            }
        }
        return Optional.ofNullable(silences.get(hub));
    }

    /** Held while one replica decides about an alert. */
    public interface Lock extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Takes the lock of an alert key for a decision (fire, resolve, remind): with replicas, a PostgreSQL
     * advisory lock, so two replicas never both decide to page for one outage; alone, nothing.
     *
     * <p>One connection per decision: the lock's connection is the one every read and write of the
     * decision uses, this store's and the outbox's (through {@link #decisionConnections}), and a lock
     * taken inside another (a run's certificate decision inside its failure decision) shares it too. A
     * decision that held one and asked for more deadlocked the pool when many decided at once (a mass
     * abort at shutdown): each held one, all waited for a second.
     */
    public Lock lock(String key) {
        if (!shared) {
            return () -> { };
        }
        long id = key.hashCode() * 2654435761L;
        Held h = held.get();
        boolean outer = h == null;
        try {
            if (outer) {
                h = new Held(db.getConnection());
            }
            try (PreparedStatement ps = h.connection.prepareStatement("SELECT pg_advisory_lock(?)")) {
                ps.setLong(1, id);
                ps.execute();
            }
        } catch (SQLException e) {
            if (outer && h != null) {
                close(h.connection);
            }
            throw new IllegalStateException("cannot lock alert " + key + ": " + e.getMessage(), e);
        }
        h.depth++;
        if (outer) {
            held.set(h);
        }
        Held mine = h;
        return () -> {
            try (PreparedStatement ps = mine.connection.prepareStatement("SELECT pg_advisory_unlock(?)")) {
                ps.setLong(1, id);
                ps.execute();
            } catch (SQLException e) {
                // closing the connection below ends the session, and with it the lock
                mine.depth = 1;
            }
            if (--mine.depth == 0) {
                held.remove();
                close(mine.connection);
            }
        };
    }

    /** The connection a decision in progress on this thread holds, with how many locks it holds on it. */
    private static final class Held {
        final Connection connection;
        int depth;

        Held(Connection connection) {
            this.connection = connection;
        }
    }

    private final ThreadLocal<Held> held = new ThreadLocal<>();

    private static void close(Connection c) {
        try {
            c.close();
        } catch (SQLException e) {
            // back to the pool or gone: either way not ours any more
        }
    }

    /** A connection for one statement or two: the decision's own while one is in progress on this thread, else the pool's. */
    private Connection connection() throws SQLException {
        Held h = held.get();
        return h == null ? db.getConnection() : borrowed(h.connection);
    }

    /** The held connection, for a try-with-resources that must not close it (the decision's lock lives on it). */
    private static Connection borrowed(Connection c) {
        return (Connection) java.lang.reflect.Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("close") && method.getParameterCount() == 0) {
                        return null;
                    }
                    if (method.getName().equals("isClosed") && method.getParameterCount() == 0) {
                        return false;
                    }
                    try {
                        return method.invoke(c, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    /**
     * The database as the outbox should see it: inside a decision, the decision's own connection (so
     * queueing its notifications takes no second one from the pool); elsewhere the pool.
     */
    public DataSource decisionConnections() {
        return new DecisionDataSource();
    }

    private final class DecisionDataSource implements DataSource {
        @Override
        public Connection getConnection() throws SQLException {
            return connection();
        }

        @Override
        public Connection getConnection(String user, String password) throws SQLException {
            return db.getConnection(user, password);
        }

        @Override
        public java.io.PrintWriter getLogWriter() throws SQLException {
            return db.getLogWriter();
        }

        @Override
        public void setLogWriter(java.io.PrintWriter out) throws SQLException {
            db.setLogWriter(out);
        }

        @Override
        public void setLoginTimeout(int seconds) throws SQLException {
            db.setLoginTimeout(seconds);
        }

        @Override
        public int getLoginTimeout() throws SQLException {
            return db.getLoginTimeout();
        }

        @Override
        public java.util.logging.Logger getParentLogger() throws java.sql.SQLFeatureNotSupportedException {
            return db.getParentLogger();
        }

        @Override
        public <T> T unwrap(Class<T> iface) throws SQLException {
            return db.unwrap(iface);
        }

        @Override
        public boolean isWrapperFor(Class<?> iface) throws SQLException {
            return db.isWrapperFor(iface);
        }
    }

    private List<Alert> query(String sql, Object... args) {
        try (Connection c = connection(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            List<Alert> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Alert(rs.getString("alert_key"), Alert.Kind.valueOf(rs.getString("kind")), rs.getString("hub"),
                            rs.getString("probe"), rs.getString("phase"), rs.getBoolean("firing"), rs.getInt("consecutive_fail"),
                            rs.getInt("consecutive_pass"), instant(rs.getTimestamp("starts_at")), instant(rs.getTimestamp("ends_at")),
                            instant(rs.getTimestamp("last_notified_at")),
                            JSON.readValue(rs.getString("annotations"), new TypeReference<Map<String, String>>() { })));
                }
            }
            return out;
        } catch (SQLException | com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot read alerts: " + e.getMessage(), e);
        }
    }

    private static Timestamp ts(Instant i) {
        return i == null ? null : Timestamp.from(i);
    }

    private static Instant instant(Timestamp t) {
        return t == null ? null : t.toInstant();
    }
}
