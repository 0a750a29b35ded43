package dev.hubprobe.history;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hubprobe.probe.Phase;
import dev.hubprobe.probe.PhaseResult;
import dev.hubprobe.probe.Reason;
import dev.hubprobe.probe.RunResult;
import dev.hubprobe.probe.RunSink;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.flywaydb.core.Flyway;
import org.h2.jdbcx.JdbcConnectionPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Run history in an embedded H2 file database; the schema is Flyway's to migrate. Every run is
 * committed before {@link #accept} returns, and H2 writes at each commit (WRITE_DELAY=0), so a
 * {@code kill -9} loses nothing that was recorded.
 */
public final class HistoryStore implements RunSink, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HistoryStore.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int TEXT = 4000;

    private final JdbcConnectionPool pool;

    private HistoryStore(JdbcConnectionPool pool) {
        this.pool = pool;
    }

    /** Opens (creating or migrating) the database at {@code path} ({@code path.mv.db} on disk). */
    public static HistoryStore open(Path path) {
        String url = "jdbc:h2:file:" + path.toAbsolutePath() + ";WRITE_DELAY=0;DB_CLOSE_ON_EXIT=FALSE";
        JdbcConnectionPool pool = JdbcConnectionPool.create(url, "hubprobe", "");
        pool.setMaxConnections(8);
        Flyway.configure().dataSource(pool).locations("classpath:db/migration").load().migrate();
        return new HistoryStore(pool);
    }

    @Override
    public void accept(RunResult r) {
        try (Connection c = pool.getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement run = c.prepareStatement("INSERT INTO runs (id, hub, probe, probe_user, started_at,"
                    + " duration_seconds, passed, failed_phase, reason, message, scale_up_observed, facts, notes)"
                    + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
                 PreparedStatement phase = c.prepareStatement("INSERT INTO run_phases (run_id, idx, phase, status,"
                         + " duration_seconds, reason, message, spawn_detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
                run.setString(1, r.runId());
                run.setString(2, r.hub());
                run.setString(3, r.probe());
                run.setString(4, r.user());
                run.setTimestamp(5, Timestamp.from(r.startedAt()));
                run.setDouble(6, seconds(r.duration()));
                run.setBoolean(7, r.passed());
                run.setString(8, r.passed() ? null : r.failedPhase().label());
                run.setString(9, r.passed() ? null : r.reason().label());
                run.setString(10, cut(r.message()));
                run.setObject(11, r.scaleUpObserved());
                run.setString(12, cut(JSON.writeValueAsString(r.facts())));
                run.setString(13, cut(JSON.writeValueAsString(r.notes())));
                run.executeUpdate();
                int idx = 0;
                for (PhaseResult p : r.phases()) {
                    addPhase(phase, r.runId(), idx++, p, false);
                }
                for (PhaseResult p : r.spawnPhases()) {
                    addPhase(phase, r.runId(), idx++, p, true);
                }
                phase.executeBatch();
                c.commit();
            } catch (SQLException | JsonProcessingException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException | JsonProcessingException e) {
            LOG.error("could not record run {} of {}/{}: {}", r.runId(), r.hub(), r.probe(), e.getMessage());
        }
    }

    private static void addPhase(PreparedStatement ps, String runId, int idx, PhaseResult p, boolean spawnDetail)
            throws SQLException {
        ps.setString(1, runId);
        ps.setInt(2, idx);
        ps.setString(3, p.phase().label());
        ps.setString(4, p.status().label());
        ps.setDouble(5, seconds(p.duration()));
        ps.setString(6, p.reason() == null ? null : p.reason().label());
        ps.setString(7, cut(p.message()));
        ps.setBoolean(8, spawnDetail);
        ps.addBatch();
    }

    /** Runs newest first, filtered by any of hub, probe, and a start time; at most {@code limit}. */
    public List<RunResult> runs(String hub, String probe, Instant since, int limit) {
        StringBuilder sql = new StringBuilder("SELECT * FROM runs WHERE 1 = 1");
        List<Object> args = new ArrayList<>();
        if (hub != null) {
            sql.append(" AND hub = ?");
            args.add(hub);
        }
        if (probe != null) {
            sql.append(" AND probe = ?");
            args.add(probe);
        }
        if (since != null) {
            sql.append(" AND started_at >= ?");
            args.add(Timestamp.from(since));
        }
        sql.append(" ORDER BY started_at DESC, id LIMIT ?");
        args.add(limit);
        return query(sql.toString(), args);
    }

    public Optional<RunResult> run(String id) {
        return query("SELECT * FROM runs WHERE id = ?", List.of(id)).stream().findFirst();
    }

    /** The newest run of every (hub, probe) pair. */
    public List<RunResult> latest() {
        return query("SELECT r.* FROM runs r JOIN (SELECT hub, probe, MAX(started_at) AS m FROM runs GROUP BY hub, probe) l"
                + " ON r.hub = l.hub AND r.probe = l.probe AND r.started_at = l.m ORDER BY r.hub, r.probe", List.of());
    }

    /** Durations in seconds of one phase in passing runs since {@code since}, newest first. */
    public List<Double> phaseDurations(String hub, String probe, String phase, Instant since, int limit) {
        try (Connection c = pool.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT p.duration_seconds FROM runs r JOIN run_phases p ON p.run_id = r.id"
                        + " WHERE r.hub = ? AND r.probe = ? AND r.passed AND r.started_at >= ? AND p.phase = ? AND p.status = 'passed'"
                        + " ORDER BY r.started_at DESC LIMIT ?")) {
            ps.setString(1, hub);
            ps.setString(2, probe);
            ps.setTimestamp(3, Timestamp.from(since));
            ps.setString(4, phase);
            ps.setInt(5, limit);
            List<Double> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getDouble(1));
                }
            }
            return out;
        } catch (SQLException e) {
            throw new IllegalStateException("history query failed: " + e.getMessage(), e);
        }
    }

    /** The database, for other stores that keep their state beside the history (alerts). */
    public javax.sql.DataSource dataSource() {
        return pool;
    }

    /** Deletes runs that started before {@code cutoff}; returns how many. */
    public int deleteBefore(Instant cutoff) {
        try (Connection c = pool.getConnection(); PreparedStatement ps = c.prepareStatement("DELETE FROM runs WHERE started_at < ?")) {
            ps.setTimestamp(1, Timestamp.from(cutoff));
            return ps.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException("history retention: " + e.getMessage(), e);
        }
    }

    private List<RunResult> query(String sql, List<Object> args) {
        try (Connection c = pool.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.size(); i++) {
                ps.setObject(i + 1, args.get(i));
            }
            List<RunResult> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(row(c, rs));
                }
            }
            return out;
        } catch (SQLException | JsonProcessingException e) {
            throw new IllegalStateException("history query failed: " + e.getMessage(), e);
        }
    }

    private static RunResult row(Connection c, ResultSet rs) throws SQLException, JsonProcessingException {
        String id = rs.getString("id");
        List<PhaseResult> phases = new ArrayList<>();
        List<PhaseResult> spawn = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT * FROM run_phases WHERE run_id = ? ORDER BY idx")) {
            ps.setString(1, id);
            try (ResultSet p = ps.executeQuery()) {
                while (p.next()) {
                    PhaseResult pr = new PhaseResult(Phase.valueOf(p.getString("phase").toUpperCase(Locale.ROOT)),
                            PhaseResult.Status.valueOf(p.getString("status").toUpperCase(Locale.ROOT)),
                            Duration.ofNanos(Math.round(p.getDouble("duration_seconds") * 1e9)),
                            reason(p.getString("reason")), p.getString("message"));
                    (p.getBoolean("spawn_detail") ? spawn : phases).add(pr);
                }
            }
        }
        String failed = rs.getString("failed_phase");
        Object scaleUp = rs.getObject("scale_up_observed");
        return new RunResult(id, rs.getString("hub"), rs.getString("probe"), rs.getString("probe_user"),
                rs.getTimestamp("started_at").toInstant(), Duration.ofNanos(Math.round(rs.getDouble("duration_seconds") * 1e9)),
                phases, spawn, scaleUp == null ? null : (Boolean) scaleUp,
                failed == null ? null : Phase.valueOf(failed.toUpperCase(Locale.ROOT)), reason(rs.getString("reason")),
                rs.getString("message"), JSON.readValue(rs.getString("facts"), new TypeReference<Map<String, String>>() { }),
                JSON.readValue(rs.getString("notes"), new TypeReference<List<String>>() { }));
    }

    private static Reason reason(String label) {
        return label == null ? null : Reason.valueOf(label.toUpperCase(Locale.ROOT));
    }

    private static double seconds(Duration d) {
        return d.toNanos() / 1e9;
    }

    private static String cut(String s) {
        return s == null || s.length() <= TEXT ? s : s.substring(0, TEXT - 3) + "...";
    }

    @Override
    public void close() {
        pool.dispose();
    }
}
