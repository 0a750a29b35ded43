package dev.hubprobe.history;

import dev.hubprobe.probe.ProbeKey;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * The history as the status page reads it: uptime, days, latency over time, a run's neighbours. Uptime
 * and days come from the {@code run_days} rollup the run writer keeps (a row per hub, probe and day),
 * not from an aggregate over every run; the rest is one query whose cost follows what it returns.
 */
public final class PageQueries {
    /** Runs that count towards uptime and day strips (alias {@code r}): a run aborted by a stop is neither a pass nor a failure. */
    static final String COUNTED = "(r.reason IS NULL OR r.reason <> 'aborted')";

    private static final Duration EDGE_MAX_AGE = Duration.ofMinutes(10);
    private final DataSource db;
    /** Per uptime window (24 h, 7 d, 30 d): the runs of its first day that the rollup does not settle (see {@link #edge}). */
    private final Edge[] edges = new Edge[3];

    PageQueries(DataSource db) {
        this.db = db;
    }

    /** Runs and passing runs of a pair over the last 24 hours, 7 days and 30 days. */
    public record Uptime(int[] runs, int[] passed) {
        /** The share of passing runs in window {@code i} (0: 24 h, 1: 7 d, 2: 30 d); null without runs. */
        public Double ratio(int i) {
            // clamped to 0..1: day rows that missed runs (a rolling upgrade) can count more passes than runs, or fewer than none
            return runs[i] <= 0 ? null : Math.max(0, Math.min(1, passed[i] / (double) runs[i]));
        }
    }

    /** Every pair's uptime, or only one hub's when {@code hub} is given (a badge need not scan every hub's runs). */
    public Map<ProbeKey, Uptime> uptime(Instant now, String hub) {
        Duration[] windows = {Duration.ofDays(1), Duration.ofDays(7), Duration.ofDays(30)};
        Map<ProbeKey, Uptime> out = new LinkedHashMap<>();
        try (Connection c = db.getConnection()) {
            // the days since the oldest window's first day, from the rollup: a row per pair and day, not per run
            LocalDate oldest = LocalDate.ofInstant(now.minus(windows[2]), ZoneOffset.UTC);
            Map<ProbeKey, Map<LocalDate, int[]>> days = new LinkedHashMap<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT hub, probe, day_utc, runs, passed FROM run_days WHERE day_utc >= ?"
                    + (hub == null ? "" : " AND hub = ?"))) {
                ps.setObject(1, oldest);
                if (hub != null) {
                    ps.setString(2, hub);
                }
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        days.computeIfAbsent(new ProbeKey(rs.getString(1), rs.getString(2)), k -> new java.util.HashMap<>())
                                .put(rs.getObject(3, LocalDate.class), new int[] {rs.getInt(4), rs.getInt(5)});
                    }
                }
            }
            Map<ProbeKey, int[][]> counts = new LinkedHashMap<>();
            for (int w = 0; w < windows.length; w++) {
                Instant start = now.minus(windows[w]);
                LocalDate first = LocalDate.ofInstant(start, ZoneOffset.UTC);
                Instant dayStart = first.atStartOfDay(ZoneOffset.UTC).toInstant();
                Instant dayEnd = dayStart.plus(Duration.ofDays(1));
                // the window starts inside a day: take that day whole and subtract the runs before the start,
                // or leave it out and add the runs after the start, whichever reads fewer runs (at most 12 hours)
                boolean wholeFirstDay = Duration.between(dayStart, start).compareTo(Duration.ofHours(12)) <= 0;
                for (Map.Entry<ProbeKey, Map<LocalDate, int[]>> e : days.entrySet()) {
                    int[][] n = counts.computeIfAbsent(e.getKey(), k -> new int[2][3]);
                    for (Map.Entry<LocalDate, int[]> d : e.getValue().entrySet()) {
                        if (d.getKey().isAfter(first) || (wholeFirstDay && d.getKey().equals(first))) {
                            n[0][w] += d.getValue()[0];
                            n[1][w] += d.getValue()[1];
                        }
                    }
                }
                int sign = wholeFirstDay ? -1 : 1;
                int window = w;
                edge(c, w, start, first, wholeFirstDay, dayStart, dayEnd, hub).forEach((k, e) -> {
                    int[][] n = counts.computeIfAbsent(k, x -> new int[2][3]);
                    n[0][window] += sign * e[0];
                    n[1][window] += sign * e[1];
                });
            }
            counts.forEach((k, n) -> {
                if (n[0][2] > 0) {
                    out.put(k, new Uptime(n[0], n[1]));
                }
            });
            return out;
        } catch (SQLException e) {
            throw failed(e);
        }
    }

    /**
     * The runs of the window's first day that the day's rollup row does not settle: those before the
     * window's start ({@code wholeFirstDay}: subtracted from the whole day) or after it (added). All
     * pairs at once read up to 12 hours of runs (a few hundred thousand rows with 1,000 hubs), so
     * that is done once per window, day and half-day, and each later call reads only the runs the
     * window's start passed over since: runs a day old or more never change, and retention (the
     * only thing that deletes them) forgets these counts. Kept at most 10 minutes, for another
     * replica's retention. One hub's (a badge) is read directly: a few hundred rows.
     */
    private Map<ProbeKey, int[]> edge(Connection c, int window, Instant start, LocalDate first, boolean wholeFirstDay,
                                      Instant dayStart, Instant dayEnd, String hub) throws SQLException {
        if (hub != null) {
            return runCounts(c, wholeFirstDay ? dayStart : start, wholeFirstDay ? start : dayEnd, hub);
        }
        synchronized (edges) {
            Edge e = edges[window];
            if (e != null && e.first().equals(first) && e.wholeFirstDay() == wholeFirstDay && !start.isBefore(e.start())
                    && System.nanoTime() - e.computedAt() < EDGE_MAX_AGE.toNanos()) {
                Map<ProbeKey, int[]> counts = new LinkedHashMap<>();
                e.counts().forEach((k, v) -> counts.put(k, v.clone()));
                // the runs the start passed over: part of the edge when it ends at the start, no longer when it begins there
                int sign = wholeFirstDay ? 1 : -1;
                runCounts(c, e.start(), start, null).forEach((k, d) -> {
                    int[] n = counts.computeIfAbsent(k, x -> new int[2]);
                    n[0] += sign * d[0];
                    n[1] += sign * d[1];
                });
                edges[window] = new Edge(first, wholeFirstDay, start, e.computedAt(), counts);
                return counts;
            }
            Map<ProbeKey, int[]> counts = runCounts(c, wholeFirstDay ? dayStart : start, wholeFirstDay ? start : dayEnd, null);
            edges[window] = new Edge(first, wholeFirstDay, start, System.nanoTime(), counts);
            return counts;
        }
    }

    /** Retention deleted runs: the edge counts may include some of them. */
    void forgetEdges() {
        synchronized (edges) {
            java.util.Arrays.fill(edges, null);
        }
    }

    /** Counted runs and passing runs per pair that started in {@code [from, until)}. */
    private static Map<ProbeKey, int[]> runCounts(Connection c, Instant from, Instant until, String hub) throws SQLException {
        Map<ProbeKey, int[]> out = new LinkedHashMap<>();
        if (!from.isBefore(until)) {
            return out;
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT r.hub, r.probe, COUNT(*), SUM(CASE WHEN r.passed THEN 1 ELSE 0 END)"
                + " FROM runs r WHERE r.started_at >= ? AND r.started_at < ? AND " + COUNTED
                + (hub == null ? "" : " AND r.hub = ?") + " GROUP BY r.hub, r.probe")) {
            ps.setTimestamp(1, Timestamp.from(from));
            ps.setTimestamp(2, Timestamp.from(until));
            if (hub != null) {
                ps.setString(3, hub);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(new ProbeKey(rs.getString(1), rs.getString(2)), new int[] {rs.getInt(3), rs.getInt(4)});
                }
            }
        }
        return out;
    }

    private record Edge(LocalDate first, boolean wholeFirstDay, Instant start, long computedAt, Map<ProbeKey, int[]> counts) {
    }

    /** When each pair last passed, where it ever did. */
    public Map<ProbeKey, Instant> lastPassing(Collection<ProbeKey> keys) {
        Map<ProbeKey, Instant> out = new LinkedHashMap<>();
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT started_at FROM runs WHERE hub = ? AND probe = ? AND passed ORDER BY hub, probe, started_at DESC LIMIT 1")) {
            for (ProbeKey k : keys) {
                ps.setString(1, k.hub());
                ps.setString(2, k.probe());
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        out.put(k, rs.getTimestamp(1).toInstant());
                    }
                }
            }
            return out;
        } catch (SQLException e) {
            throw failed(e);
        }
    }

    /**
     * Since when each of these failing pairs fails: its first failed run after its last passing one
     * (or the first of the history when it never passed). One indexed look-up per pair asked.
     */
    public Map<ProbeKey, Instant> failingSince(Map<ProbeKey, Instant> lastPassing) {
        Map<ProbeKey, Instant> out = new LinkedHashMap<>();
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT MIN(r.started_at) FROM runs r"
                + " WHERE r.hub = ? AND r.probe = ? AND r.started_at > ? AND NOT r.passed AND " + COUNTED)) {
            for (Map.Entry<ProbeKey, Instant> e : lastPassing.entrySet()) {
                ps.setString(1, e.getKey().hub());
                ps.setString(2, e.getKey().probe());
                ps.setTimestamp(3, Timestamp.from(e.getValue() == null ? Instant.EPOCH : e.getValue()));
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next() && rs.getTimestamp(1) != null) {
                        out.put(e.getKey(), rs.getTimestamp(1).toInstant());
                    }
                }
            }
            return out;
        } catch (SQLException e) {
            throw failed(e);
        }
    }

    /** One day of a hub: how many runs, how many failed. */
    public record Day(LocalDate date, int runs, int failed) {
    }

    /** A hub's days since {@code since} (UTC days), oldest first, from the rollup; days without runs are absent. */
    public List<Day> days(String hub, LocalDate since) {
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT day_utc, SUM(runs), SUM(passed) FROM run_days WHERE hub = ? AND day_utc >= ? GROUP BY day_utc ORDER BY day_utc")) {
            ps.setString(1, hub);
            ps.setObject(2, since);
            List<Day> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    int runs = rs.getInt(2);
                    if (runs > 0) {
                        out.add(new Day(rs.getObject(1, LocalDate.class), runs, runs - rs.getInt(3)));
                    }
                }
            }
            return out;
        } catch (SQLException e) {
            throw failed(e);
        }
    }

    /** A hub's latency over time: per bucket start (epoch seconds), each series' mean in seconds over passing runs. */
    public record Series(long bucketSeconds, List<Long> buckets, Map<String, List<Double>> values) {
    }

    /**
     * The mean of the whole run ("total") and of the given phases over the hub's passing runs since
     * {@code since}, in buckets of {@code bucket}: at most a few hundred points whatever the range.
     */
    /**
     * The chart's total line (hub, since): a range of runs_hub_started (V13; V18 holds passed and the duration),
     * not all the hub's runs. The passing runs' durations averaged per bucket of {@code bucketSeconds}, written
     * into the statement as a number (one of the chart's three sizes, never a visitor's text). As a parameter it
     * had to sit in a derived table (grouping by an expression with a parameter in it is refused), and H2 then
     * read the hub's whole index range for each bucket: 70 s for a month's chart on a 1,000-hub history
     * (-Pbench-status), every other chart, badge and day strip in the lane answered 503 meanwhile.
     */
    static String series(long bucketSeconds) {
        String b = "FLOOR(EXTRACT(EPOCH FROM started_at) / " + bucketSeconds + ")";
        return "SELECT " + b + ", AVG(duration_seconds) FROM runs WHERE hub = ? AND started_at >= ? AND passed GROUP BY " + b;
    }

    /**
     * The chart's phase lines: the passing runs' passed phases averaged per bucket. The week's and the month's
     * (buckets of 30 minutes or more) from the baseline's samples (V17, every column in one index): joined to
     * run_phases, a month's chart read each of its 14,400 runs' phases at random (115,000 rows). The day's
     * from the join: 480 runs' phases are cheap that way, and the samples' index, ordered by probe before
     * time, would read the hub's whole month to find them.
     */
    static String seriesPhases(Duration bucket, int phases) {
        String in = String.join(", ", java.util.Collections.nCopies(phases, "?"));
        if (bucket.compareTo(Duration.ofMinutes(30)) >= 0) {
            String b = "FLOOR(EXTRACT(EPOCH FROM started_at) / " + bucket.toSeconds() + ")";
            return "SELECT " + b + ", phase, AVG(duration_seconds) FROM phase_samples WHERE hub = ? AND started_at >= ? AND phase IN ("
                    + in + ") GROUP BY " + b + ", phase";
        }
        String b = "FLOOR(EXTRACT(EPOCH FROM r.started_at) / " + bucket.toSeconds() + ")";
        return "SELECT " + b + ", p.phase, AVG(p.duration_seconds) FROM runs r JOIN run_phases p ON p.run_id = r.id"
                + " WHERE r.hub = ? AND r.started_at >= ? AND r.passed AND p.status = 'passed' AND p.phase IN (" + in + ")"
                + " GROUP BY " + b + ", p.phase";
    }

    public Series series(String hub, Instant since, Duration bucket, List<String> phases) {
        long size = bucket.toSeconds();
        Map<Long, Map<String, Double>> rows = new java.util.TreeMap<>();
        try (Connection c = db.getConnection()) {
            try (PreparedStatement ps = c.prepareStatement(series(size))) {
                ps.setString(1, hub);
                ps.setTimestamp(2, Timestamp.from(since));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        rows.computeIfAbsent(rs.getLong(1) * size, k -> new LinkedHashMap<>()).put("total", rs.getDouble(2));
                    }
                }
            }
            if (!phases.isEmpty()) {
                try (PreparedStatement ps = c.prepareStatement(seriesPhases(bucket, phases.size()))) {
                    int i = 1;
                    ps.setString(i++, hub);
                    ps.setTimestamp(i++, Timestamp.from(since));
                    for (String p : phases) {
                        ps.setString(i++, p);
                    }
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            rows.computeIfAbsent(rs.getLong(1) * size, k -> new LinkedHashMap<>()).put(rs.getString(2), rs.getDouble(3));
                        }
                    }
                }
            }
        } catch (SQLException e) {
            throw failed(e);
        }
        List<Long> buckets = new ArrayList<>(rows.keySet());
        Map<String, List<Double>> values = new LinkedHashMap<>();
        List<String> names = new ArrayList<>(List.of("total"));
        names.addAll(phases);
        for (String name : names) {
            List<Double> v = new ArrayList<>();
            rows.values().forEach(r -> v.add(r.get(name)));
            if (v.stream().anyMatch(java.util.Objects::nonNull)) {
                values.put(name, v);
            }
        }
        return new Series(size, buckets, values);
    }

    /** The ids of the hub's runs just before and just after this one, where there are. */
    public record Neighbours(Optional<String> previous, Optional<String> next) {
    }

    /**
     * The run before and after one of a hub (hub, at, at, id): a range of runs_hub_started (V13) read in order from
     * the run, one row, not a sort of all the hub's runs before or after it.
     */
    static final String BEFORE = "SELECT id FROM runs WHERE hub = ? AND started_at <= ? AND (started_at < ? OR id < ?)"
            + " ORDER BY hub, started_at DESC, id DESC LIMIT 1";
    static final String AFTER = "SELECT id FROM runs WHERE hub = ? AND started_at >= ? AND (started_at > ? OR id > ?)"
            + " ORDER BY hub DESC, started_at, id LIMIT 1";

    public Neighbours neighbours(String hub, Instant startedAt, String id) {
        try (Connection c = db.getConnection();
             PreparedStatement before = c.prepareStatement(BEFORE);
             PreparedStatement after = c.prepareStatement(AFTER)) {
            return new Neighbours(one(before, hub, startedAt, id), one(after, hub, startedAt, id));
        } catch (SQLException e) {
            throw failed(e);
        }
    }

    private static Optional<String> one(PreparedStatement ps, String hub, Instant at, String id) throws SQLException {
        ps.setString(1, hub);
        ps.setTimestamp(2, Timestamp.from(at));
        ps.setTimestamp(3, Timestamp.from(at));
        ps.setString(4, id);
        try (ResultSet rs = ps.executeQuery()) {
            return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
        }
    }

    private static IllegalStateException failed(SQLException e) {
        return new IllegalStateException("history query failed: " + e.getMessage(), e);
    }
}
