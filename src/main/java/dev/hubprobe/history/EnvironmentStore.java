package dev.hubprobe.history;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.hubprobe.environment.Environment;
import dev.hubprobe.environment.EnvironmentDiff;
import dev.hubprobe.environment.Package;
import dev.hubprobe.json.Json;
import dev.hubprobe.probe.ProbeKey;
import dev.hubprobe.probe.RunResult;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The user environments the runs saw, kept beside the run history: each package list once per
 * fingerprint, and on each run its fingerprint and what changed. Comparing a run with the ones before
 * it happens here, once, so the API, the alerts and the metrics all read the same answer.
 */
public final class EnvironmentStore {
    private static final Logger LOG = LoggerFactory.getLogger(EnvironmentStore.class);
    /** SQLSTATE of a unique-key violation, the same on H2 and PostgreSQL. */
    private static final String DUPLICATE = "23505";
    private static final int DETAIL = 100_000;

    private final DataSource db;

    EnvironmentStore(DataSource db) {
        this.db = db;
    }

    /** One environment as a hub's runs saw it. */
    public record Seen(String fingerprint, String image, String python, int packages, boolean truncated,
                       Instant firstSeen, Instant lastSeen, int runs) {
    }

    /** What a run row keeps of its environment beyond the fingerprint (plain JSON types: an ISO instant as text). */
    record Detail(String pulledImage, EnvironmentDiff diff, String lastPassRun, String lastPassAt, String lastPassFingerprint,
                  EnvironmentDiff sinceLastPass) {
        static Detail of(Environment env) {
            Environment.SinceLastPass s = env.sinceLastPass();
            return s == null ? new Detail(env.pulledImage(), env.diff(), null, null, null, null)
                    : new Detail(env.pulledImage(), env.diff(), s.runId(), s.at().toString(), s.fingerprint(), s.diff());
        }

        Environment.SinceLastPass lastPass() {
            return lastPassRun == null ? null
                    : new Environment.SinceLastPass(lastPassRun, Instant.parse(lastPassAt), lastPassFingerprint, sinceLastPass);
        }

        Detail first(int n) {
            return new Detail(pulledImage, diff == null ? null : diff.first(n), lastPassRun, lastPassAt, lastPassFingerprint,
                    sinceLastPass == null ? null : sinceLastPass.first(n));
        }
    }

    /**
     * The run with its environment compared to the previous run of the same (hub, probe) that captured
     * one and, when the run failed, to the last passing run's. Call it before the run is recorded. A
     * history that cannot answer leaves the environment uncompared (and says so in the log): a run is
     * never lost to this.
     */
    public RunResult compare(RunResult r) {
        Environment env = r.environment();
        if (env == null) {
            return r;
        }
        ProbeKey key = ProbeKey.of(r);
        try (Connection c = db.getConnection()) {
            Optional<Reference> previous = newest(c, key, false);
            EnvironmentDiff diff = previous.filter(p -> !p.fingerprint().equals(env.fingerprint()))
                    .map(p -> EnvironmentDiff.between(load(c, p.fingerprint()).orElseThrow(), env)).orElse(null);
            Environment.SinceLastPass since = null;
            if (!r.passed()) {
                Optional<Reference> pass = newest(c, key, true);
                if (pass.isPresent() && !pass.get().fingerprint().equals(env.fingerprint())) {
                    Reference p = pass.get();
                    since = new Environment.SinceLastPass(p.runId(), p.at(), p.fingerprint(),
                            EnvironmentDiff.between(load(c, p.fingerprint()).orElseThrow(), env));
                }
            }
            return r.withEnvironment(env.compared(diff, since));
        } catch (SQLException | RuntimeException e) {
            LOG.error("could not compare the environment of run {} of {}: {}", r.runId(), key, e.getMessage());
            return r;
        }
    }

    private record Reference(String runId, Instant at, String fingerprint) {
    }

    private static Optional<Reference> newest(Connection c, ProbeKey key, boolean passing) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT id, started_at, env_fingerprint FROM runs WHERE hub = ? AND probe = ?"
                + " AND env_fingerprint IS NOT NULL" + (passing ? " AND passed" : "") + " ORDER BY hub, probe, started_at DESC LIMIT 1")) {
            ps.setString(1, key.hub());
            ps.setString(2, key.probe());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(new Reference(rs.getString(1), rs.getTimestamp(2).toInstant(), rs.getString(3)))
                        : Optional.empty();
            }
        }
    }

    /**
     * Stores an environment's list unless its fingerprint is already known, in a transaction of its own:
     * two runs that saw the same new environment at once both succeed.
     */
    void save(Environment env, Instant seen) throws SQLException {
        try (Connection c = db.getConnection()) {
            if (exists(c, env.fingerprint())) {
                return;
            }
            c.setAutoCommit(false);
            try (PreparedStatement e = c.prepareStatement("INSERT INTO environments (fingerprint, image, python, package_count,"
                    + " truncated, first_seen) VALUES (?, ?, ?, ?, ?, ?)");
                 PreparedStatement p = c.prepareStatement("INSERT INTO environment_packages (fingerprint, name, version, build,"
                         + " channel) VALUES (?, ?, ?, ?, ?)")) {
                e.setString(1, env.fingerprint());
                e.setString(2, cut(env.image(), 1000));
                e.setString(3, cut(env.python(), 64));
                e.setInt(4, env.packageCount());
                e.setBoolean(5, env.truncated());
                e.setTimestamp(6, Timestamp.from(seen));
                e.executeUpdate();
                for (Package pkg : env.packages()) {
                    p.setString(1, env.fingerprint());
                    p.setString(2, cut(pkg.name(), 300));
                    p.setString(3, cut(pkg.version(), 300));
                    p.setString(4, cut(pkg.build(), 300));
                    p.setString(5, cut(pkg.channel(), 300));
                    p.addBatch();
                }
                p.executeBatch();
                c.commit();
            } catch (SQLException ex) {
                c.rollback();
                if (!DUPLICATE.equals(ex.getSQLState())) {
                    throw ex;
                }
            }
        }
    }

    private static boolean exists(Connection c, String fingerprint) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM environments WHERE fingerprint = ?")) {
            ps.setString(1, fingerprint);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    /** The run row's JSON beside its fingerprint: small, and cut (diff lists first) if a rebuild changed everything. */
    static String detail(Environment env) throws JsonProcessingException {
        Detail d = Detail.of(env);
        String json = Json.mapper().writeValueAsString(d);
        for (int keep = 200; json.length() > DETAIL && keep > 0; keep /= 4) {
            json = Json.mapper().writeValueAsString(d.first(keep));
        }
        return json;
    }

    static Detail detail(String json) throws JsonProcessingException {
        return json == null ? new Detail(null, null, null, null, null, null) : Json.mapper().readValue(json, Detail.class);
    }

    /** The environments a hub's runs saw (of one probe, when given), the most recently seen first. */
    public List<Seen> seen(String hub, String probe, int limit) {
        String sql = "SELECT e.fingerprint, e.image, e.python, e.package_count, e.truncated, MIN(r.started_at), MAX(r.started_at),"
                + " COUNT(*) FROM runs r JOIN environments e ON e.fingerprint = r.env_fingerprint WHERE r.hub = ?"
                + (probe == null ? "" : " AND r.probe = ?")
                + " GROUP BY e.fingerprint, e.image, e.python, e.package_count, e.truncated ORDER BY MAX(r.started_at) DESC LIMIT ?";
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            int i = 1;
            ps.setString(i++, hub);
            if (probe != null) {
                ps.setString(i++, probe);
            }
            ps.setInt(i, limit);
            List<Seen> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Seen(rs.getString(1), rs.getString(2), rs.getString(3), rs.getInt(4), rs.getBoolean(5),
                            rs.getTimestamp(6).toInstant(), rs.getTimestamp(7).toInstant(), rs.getInt(8)));
                }
            }
            return out;
        } catch (SQLException e) {
            throw new IllegalStateException("history query failed: " + e.getMessage(), e);
        }
    }

    /** An environment with its full list, if a run of this hub saw it (a hub's reader sees only its hub's). */
    public Optional<Environment> find(String hub, String fingerprint) {
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT 1 FROM runs WHERE hub = ? AND env_fingerprint = ? LIMIT 1")) {
            ps.setString(1, hub);
            ps.setString(2, fingerprint);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
            }
            return load(c, fingerprint);
        } catch (SQLException e) {
            throw new IllegalStateException("history query failed: " + e.getMessage(), e);
        }
    }

    private static Optional<Environment> load(Connection c, String fingerprint) {
        try (PreparedStatement e = c.prepareStatement("SELECT image, python, truncated FROM environments WHERE fingerprint = ?");
             PreparedStatement p = c.prepareStatement("SELECT name, version, build, channel FROM environment_packages"
                     + " WHERE fingerprint = ? ORDER BY name")) {
            e.setString(1, fingerprint);
            String image;
            String python;
            boolean truncated;
            try (ResultSet rs = e.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                image = rs.getString(1);
                python = rs.getString(2);
                truncated = rs.getBoolean(3);
            }
            p.setString(1, fingerprint);
            List<Package> packages = new ArrayList<>();
            try (ResultSet rs = p.executeQuery()) {
                while (rs.next()) {
                    packages.add(new Package(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4)));
                }
            }
            return Optional.of(Environment.stored(fingerprint, image, python, packages, truncated));
        } catch (SQLException ex) {
            throw new IllegalStateException("history query failed: " + ex.getMessage(), ex);
        }
    }

    /** Environments no run refers to any more, older than {@code cutoff} (a run being recorded refers to a new one). */
    int deleteUnused(Connection c, Instant cutoff) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM environments WHERE first_seen < ? AND NOT EXISTS"
                + " (SELECT 1 FROM runs WHERE runs.env_fingerprint = environments.fingerprint)")) {
            ps.setTimestamp(1, Timestamp.from(cutoff));
            return ps.executeUpdate();
        }
    }

    private static String cut(String s, int max) {
        return s == null || s.length() <= max ? s : s.substring(0, max);
    }
}
