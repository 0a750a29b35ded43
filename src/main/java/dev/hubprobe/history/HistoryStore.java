package dev.hubprobe.history;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hubprobe.config.Redactor;
import dev.hubprobe.environment.Environment;
import dev.hubprobe.json.Json;
import dev.hubprobe.probe.Phase;
import dev.hubprobe.probe.PhaseResult;
import dev.hubprobe.probe.ProbeKey;
import dev.hubprobe.probe.Measurement;
import dev.hubprobe.probe.Reason;
import dev.hubprobe.probe.RunResult;
import dev.hubprobe.probe.RunSink;
import dev.hubprobe.probe.Transcript;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Run history in an embedded H2 file database or a shared PostgreSQL one ({@link Database}); the
 * schema is Flyway's to migrate. Every run is committed before {@link #accept} returns, and H2 writes
 * at each commit (WRITE_DELAY=0), so a {@code kill -9} loses nothing that was recorded.
 */
public final class HistoryStore implements RunSink, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HistoryStore.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The message columns (the run's and each phase's). */
    private static final int TEXT = 4000;
    /** The probe_user column. */
    private static final int USER = 255;
    /** The facts and notes columns (widened by V6), as serialised JSON. */
    static final int FACTS = 100_000;
    /** The transcript column, as serialised JSON. */
    static final int TRANSCRIPT = 500_000;
    /** Characters kept of one fact and of one note, whoever made the run. */
    static final int VALUE = 2000;
    /** The fact that says a row could not be read whole, and what of it. */
    public static final String DAMAGED = "history_damaged";
    static final String FACTS_LEFT_OUT = "facts_left_out";

    private static final int WRITE_ATTEMPTS = 3;

    /** A run row with its environment's summary, for every query that returns runs. */
    private static final String RUNS = "SELECT r.*, e.image AS env_image, e.python AS env_python, e.package_count AS env_packages,"
            + " e.truncated AS env_truncated FROM runs r LEFT JOIN environments e ON e.fingerprint = r.env_fingerprint";

    private final Database database;
    private final DataSource pool;
    private final EnvironmentStore environments;
    private final PageQueries pages;
    private final AtomicLong writeFailures = new AtomicLong();
    private final AtomicLong recorded = new AtomicLong();
    /**
     * The regression baseline's costly reads (a pair's runs over the whole window with their phases, and
     * the newest samples of a phase few runs have) run at most this many at once. Up to 64 runs finish at
     * once (scheduler.threads): on a history of 14 million runs their reads first held every one of the
     * pool's 32 connections past its 30 s wait (writes and pages failed with "Login timeout"), and at 8
     * at once they still took most of the 2 cores, so the status page's board went stale and viewers
     * waited seconds for it (-Pbench-status). Two leave the CPU to the runs, the writes and the pages;
     * an alert decision that finds both taken within {@link #BASELINE_WAIT} judges its run on the baseline
     * it kept, or on none this once (see Baselines), rather than hold its run thread.
     */
    static final int BASELINE_READS = 2;
    /** How long an alert decision waits for a baseline read (pages and the API wait {@link #READER_WAIT}). */
    public static final Duration BASELINE_WAIT = Duration.ofSeconds(1);
    public static final Duration READER_WAIT = Duration.ofSeconds(30);

    /** The baseline's reads were all taken for longer than the caller waits: nothing was read. */
    public static final class Busy extends IllegalStateException {
        Busy() {
            super("history query deferred: the regression baseline's reads are all in use");
        }
    }

    private final java.util.concurrent.Semaphore baselineReads = new java.util.concurrent.Semaphore(BASELINE_READS, true);
    private volatile String lastWriteError;
    private volatile java.util.function.Consumer<Duration> writeObserver = d -> { };

    private HistoryStore(Database database) {
        this.database = database;
        this.pool = database.dataSource();
        this.environments = new EnvironmentStore(pool);
        this.pages = new PageQueries(pool);
    }

    /** The queries behind the status page. */
    public PageQueries pages() {
        return pages;
    }

    /** The user environments the recorded runs saw. */
    public EnvironmentStore environments() {
        return environments;
    }

    /** Opens (creating or migrating) the database at {@code path} ({@code path.mv.db} on disk). */
    public static HistoryStore open(Path path) {
        return open(Database.h2(path));
    }

    /** Opens (migrating) the history in this database; closing the store closes the database. */
    public static HistoryStore open(Database db) {
        try {
            db.migrate();
        } catch (RuntimeException e) {
            db.close();
            throw e;
        }
        HistoryStore store = new HistoryStore(db);
        store.recountRecentDays(Instant.now());
        if (db.shared()) {
            // V17 filled the samples of every run before the first new replica started; what an older replica
            // wrote since is at most as old as this start's migration (3 hours: a rollout's length, not a
            // month's runs to look through on each start; the hourly fill does the same for the rest)
            store.fillMissingSamples(Instant.now().minus(FILL_SPAN));
        }
        return store;
    }

    /** How far back the fill of an older replica's runs looks, at a start and every hour. */
    public static final Duration FILL_SPAN = Duration.ofHours(3);

    /**
     * Adds the baseline's samples (V17) of the passing runs that started from {@code since} on and have none:
     * runs an older replica wrote during a rolling upgrade on PostgreSQL (it knows nothing of phase_samples).
     * Without this their phases were in no baseline and on no week's or month's chart until retention took
     * them, while the recent runs (read from run_phases) had them. Called at start and hourly with replicas;
     * a run's samples are written in its own transaction, so a run either has all of them or none and a run
     * still being written is not seen; the replicas' fills take turns (an advisory lock for the transaction),
     * or two starting at once would both add the same samples. Returns how many samples it added.
     */
    public int fillMissingSamples(Instant since) {
        try (Connection c = pool.getConnection()) {
            c.setAutoCommit(false);
            try {
                if (database.shared()) {
                    try (PreparedStatement lock = c.prepareStatement("SELECT pg_advisory_xact_lock(17, 1)")) {
                        lock.execute();
                    }
                }
                int n;
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO phase_samples (run_id, hub, probe, started_at, phase, duration_seconds)"
                        + " SELECT r.id, r.hub, r.probe, r.started_at, p.phase, p.duration_seconds FROM runs r JOIN run_phases p ON p.run_id = r.id"
                        + " WHERE r.started_at >= ? AND r.passed AND p.status = 'passed'"
                        + " AND NOT EXISTS (SELECT 1 FROM phase_samples s WHERE s.run_id = r.id)")) {
                    ps.setTimestamp(1, Timestamp.from(since));
                    n = ps.executeUpdate();
                }
                c.commit();
                if (n > 0) {
                    LOG.info("history: added {} baseline samples of runs written without them (an older replica's, in a rolling upgrade)", n);
                }
                return n;
            } catch (SQLException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            LOG.warn("history: the baseline samples of runs an older replica wrote could not be added: {}", e.getMessage());
            return 0;
        }
    }

    /** The database the history is in. */
    public Database database() {
        return database;
    }

    /**
     * Records a run, trying again a few times (a full pool, a lock timeout); a run that still cannot be
     * written is counted and shown on /health rather than only logged.
     */
    @Override
    public void accept(RunResult r) {
        long start = System.nanoTime();
        try {
            record(r);
        } finally {
            writeObserver.accept(Duration.ofNanos(System.nanoTime() - start));
        }
    }

    /**
     * Told how long each {@link #accept} took, waiting for a connection and retries included: what a
     * busy status page costs the runs (hubprobe_history_write_duration_seconds).
     */
    public void onWrite(java.util.function.Consumer<Duration> observer) {
        this.writeObserver = observer;
    }

    private void record(RunResult r) {
        for (int attempt = 1; ; attempt++) {
            try {
                insert(r);
                recorded.incrementAndGet();
                lastWriteError = null;
                return;
            } catch (SQLException | JsonProcessingException e) {
                if (attempt == WRITE_ATTEMPTS) {
                    writeFailures.incrementAndGet();
                    lastWriteError = "could not record run " + r.runId() + " of " + ProbeKey.of(r) + ": " + e.getMessage();
                    LOG.error(lastWriteError);
                    return;
                }
                try {
                    Thread.sleep(200L * attempt);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    @Override
    public boolean keepsResultsOfRemovedPairs() {
        return true;
    }

    /** Runs recorded by this process since start (the status page's board is computed again once it moves). */
    public long runsRecorded() {
        return recorded.get();
    }

    /** Runs that could not be recorded since start. */
    public long writeFailures() {
        return writeFailures.get();
    }

    /** The error of the last write when it failed; empty once a later write succeeded. */
    public Optional<String> lastWriteError() {
        return Optional.ofNullable(lastWriteError);
    }

    private void insert(RunResult r) throws SQLException, JsonProcessingException {
        Environment env = r.environment();
        if (env != null) {
            environments.save(env, r.startedAt());
        }
        try (Connection c = pool.getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement run = c.prepareStatement("INSERT INTO runs (id, hub, probe, probe_user, started_at,"
                    + " duration_seconds, passed, failed_phase, reason, message, scale_up_observed, facts, notes,"
                    + " env_fingerprint, env_changed, env_detail, transcript, measurements)"
                    + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
                 PreparedStatement phase = c.prepareStatement("INSERT INTO run_phases (run_id, idx, phase, status,"
                         + " duration_seconds, reason, message, spawn_detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
                 PreparedStatement sample = c.prepareStatement("INSERT INTO phase_samples (run_id, hub, probe, started_at, phase,"
                         + " duration_seconds) VALUES (?, ?, ?, ?, ?, ?)")) {
                run.setString(1, r.runId());
                run.setString(2, r.hub());
                run.setString(3, r.probe());
                run.setString(4, Json.cap(r.user(), USER));
                run.setTimestamp(5, Timestamp.from(r.startedAt()));
                run.setDouble(6, seconds(r.duration()));
                run.setBoolean(7, r.passed());
                run.setString(8, r.passed() ? null : r.failedPhaseLabel());
                run.setString(9, r.passed() ? null : r.reason().label());
                run.setString(10, cut(r.message()));
                run.setObject(11, r.scaleUpObserved());
                run.setString(12, facts(r.facts()));
                run.setString(13, notes(r.notes()));
                run.setString(14, env == null ? null : env.fingerprint());
                run.setObject(15, env == null ? null : env.changed());
                run.setString(16, env == null ? null : EnvironmentStore.detail(env));
                run.setString(17, transcript(r.transcript()));
                run.setString(18, r.measurements().isEmpty() ? null : JSON.writeValueAsString(r.measurements()));
                run.executeUpdate();
                if (r.screenshot() != null && r.screenshot().length <= MAX_SCREENSHOT) {
                    try (PreparedStatement shot = c.prepareStatement("INSERT INTO run_screenshots (run_id, png) VALUES (?, ?)")) {
                        shot.setString(1, r.runId());
                        shot.setBytes(2, r.screenshot());
                        shot.executeUpdate();
                    }
                }
                int idx = 0;
                for (PhaseResult p : r.phases()) {
                    addPhase(phase, r.runId(), idx++, p, false);
                }
                for (PhaseResult p : r.spawnPhases()) {
                    addPhase(phase, r.runId(), idx++, p, true);
                }
                phase.executeBatch();
                if (r.passed()) {
                    addSamples(sample, r);
                }
                countInDays(c, r);
                c.commit();
            } catch (SQLException | JsonProcessingException e) {
                c.rollback();
                throw e;
            }
        }
    }

    /**
     * The facts as JSON that fits its column: each value capped, and, past the column, whole facts left
     * out (the hub's own before its endpoints') with a fact that says how many. Serialised JSON is
     * never cut: a cut row could not be read back.
     */
    static String facts(Map<String, String> facts) throws JsonProcessingException {
        List<Map.Entry<String, String>> sorted = facts.entrySet().stream()
                .sorted(java.util.Comparator.<Map.Entry<String, String>>comparingInt(e -> e.getKey().startsWith("tls.endpoint.") ? 1 : 0)
                        .thenComparing(Map.Entry::getKey))
                .toList();
        Map<String, String> kept = new LinkedHashMap<>();
        int length = 2;
        int left = 0;
        for (Map.Entry<String, String> e : sorted) {
            String key = e.getKey(); // the prober's own, never cut: readers split it at its dots
            String value = Json.cap(e.getValue(), VALUE);
            int size = JSON.writeValueAsString(key).length() + JSON.writeValueAsString(value).length() + 2;
            if (left > 0 || length + size > FACTS - 200) {
                left++;
                continue;
            }
            kept.put(key, value);
            length += size;
        }
        if (left > 0) {
            kept.put(FACTS_LEFT_OUT, left + " facts left out: a run keeps " + FACTS + " characters of facts");
        }
        return JSON.writeValueAsString(kept);
    }

    /** The notes as JSON that fits its column: each capped, and those past it left out, the last note saying how many. */
    static String notes(List<String> notes) throws JsonProcessingException {
        List<String> kept = new ArrayList<>();
        int length = 2;
        int left = 0;
        for (String n : notes) {
            String note = Json.cap(n, VALUE);
            int size = JSON.writeValueAsString(note).length() + 1;
            if (left > 0 || length + size > FACTS - 200) {
                left++;
                continue;
            }
            kept.add(note);
            length += size;
        }
        if (left > 0) {
            kept.add(Json.CUT + " " + left + " notes left out: a run keeps " + FACTS + " characters of notes");
        }
        return JSON.writeValueAsString(kept);
    }

    /**
     * The transcript as JSON that fits its column. Past it, events are left out of the middle (the
     * first and the last kept, with an event that says how many went), then the cells' texts are cut
     * shorter: the run is recorded whatever its transcript, never lost for it.
     */
    static String transcript(Transcript t) throws JsonProcessingException {
        String json = JSON.writeValueAsString(t);
        if (json.length() <= TRANSCRIPT) {
            return json;
        }
        List<Transcript.Cell> cells = cells(t.cells(), Transcript.MAX_TEXT);
        List<Transcript.Event> events = t.events();
        json = JSON.writeValueAsString(new Transcript(events, cells));
        for (int keep = events.size() / 2; json.length() > TRANSCRIPT && keep > 0; keep /= 2) {
            json = JSON.writeValueAsString(new Transcript(middleLeftOut(events, keep), cells));
        }
        List<Transcript.Event> fewest = middleLeftOut(events, 0);
        for (int text = Transcript.MAX_TEXT / 4; json.length() > TRANSCRIPT && text >= 50; text /= 4) {
            json = JSON.writeValueAsString(new Transcript(fewest, cells(t.cells(), text)));
        }
        if (json.length() > TRANSCRIPT) {
            json = JSON.writeValueAsString(new Transcript(List.of(new Transcript.Event(0, Json.CUT
                    + " the transcript was left out: over " + TRANSCRIPT + " characters")), List.of()));
        }
        return json;
    }

    private static List<Transcript.Cell> cells(List<Transcript.Cell> cells, int max) {
        return cells.stream().map(c -> new Transcript.Cell(Json.cap(c.code(), max), Json.cap(c.output(), max), Json.cap(c.error(), max)))
                .toList();
    }

    /** The first {@code keep} and the last {@code keep} events, with one between that says how many were left out. */
    private static List<Transcript.Event> middleLeftOut(List<Transcript.Event> events, int keep) {
        if (events.size() <= 2 * keep) {
            return events;
        }
        List<Transcript.Event> out = new ArrayList<>(events.subList(0, keep));
        int left = events.size() - 2 * keep;
        out.add(new Transcript.Event(events.get(keep).atSeconds(), Json.CUT + " " + left + " events left out"));
        out.addAll(events.subList(events.size() - keep, events.size()));
        return out;
    }

    /**
     * Adds the run to its (hub, probe, UTC day) row of {@code run_days}, in the run's transaction: an
     * increment in SQL, so two replicas recording runs of one pair at once both count. A run aborted by
     * a stop counts for nothing (neither a pass nor a failure), as in the migration that filled the table.
     */
    private void countInDays(Connection c, RunResult r) throws SQLException {
        if (r.reason() == Reason.ABORTED) {
            return;
        }
        // PostgreSQL's upsert is atomic against a concurrent insert of the same row; H2 (one process) takes MERGE
        String sql = database.shared()
                ? "INSERT INTO run_days (hub, probe, day_utc, runs, passed) VALUES (?, ?, ?, 1, ?)"
                        + " ON CONFLICT (hub, probe, day_utc) DO UPDATE SET runs = run_days.runs + 1, passed = run_days.passed + EXCLUDED.passed"
                : "MERGE INTO run_days d USING (VALUES (CAST(? AS VARCHAR(63)), CAST(? AS VARCHAR(63)), CAST(? AS DATE), CAST(? AS INT)))"
                        + " v (hub, probe, day_utc, passed) ON d.hub = v.hub AND d.probe = v.probe AND d.day_utc = v.day_utc"
                        + " WHEN MATCHED THEN UPDATE SET runs = d.runs + 1, passed = d.passed + v.passed"
                        + " WHEN NOT MATCHED THEN INSERT (hub, probe, day_utc, runs, passed) VALUES (v.hub, v.probe, v.day_utc, 1, v.passed)";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, r.hub());
            ps.setString(2, r.probe());
            ps.setObject(3, java.time.LocalDate.ofInstant(r.startedAt(), java.time.ZoneOffset.UTC));
            ps.setInt(4, r.passed() ? 1 : 0);
            ps.executeUpdate();
        }
    }

    private static void addPhase(PreparedStatement ps, String runId, int idx, PhaseResult p, boolean spawnDetail)
            throws SQLException {
        ps.setString(1, runId);
        ps.setInt(2, idx);
        ps.setString(3, p.label());
        ps.setString(4, p.status().label());
        ps.setDouble(5, seconds(p.duration()));
        ps.setString(6, p.reason() == null ? null : p.reason().label());
        ps.setString(7, cut(p.message()));
        ps.setBoolean(8, spawnDetail);
        ps.addBatch();
    }

    /**
     * A passing run's passed phases (spawn sub-phases too) as the baseline's samples (V17): what the baseline
     * reads, kept in its own index beside the run, in the run's transaction.
     */
    private static void addSamples(PreparedStatement ps, RunResult r) throws SQLException {
        boolean any = false;
        for (List<PhaseResult> phases : List.of(r.phases(), r.spawnPhases())) {
            for (PhaseResult p : phases) {
                if (p.status() != PhaseResult.Status.PASSED) {
                    continue;
                }
                ps.setString(1, r.runId());
                ps.setString(2, r.hub());
                ps.setString(3, r.probe());
                ps.setTimestamp(4, Timestamp.from(r.startedAt()));
                ps.setString(5, p.label());
                ps.setDouble(6, seconds(p.duration()));
                ps.addBatch();
                any = true;
            }
        }
        if (any) {
            ps.executeBatch();
        }
    }

    /** Runs newest first, filtered by any of hub, probe, and a start time; at most {@code limit}. */
    public List<RunResult> runs(String hub, String probe, Instant since, int limit) {
        return runs(hub, probe, since, null, limit);
    }

    /** As {@link #runs(String, String, Instant, int)}, only passed or only failed runs when {@code passed} is given. */
    public List<RunResult> runs(String hub, String probe, Instant since, Boolean passed, int limit) {
        return runs(hub, probe, since, passed, limit, 0);
    }

    /** One page of runs: as above, skipping the newest {@code offset}. */
    public List<RunResult> runs(String hub, String probe, Instant since, Boolean passed, int limit, int offset) {
        List<Object> args = new ArrayList<>();
        if (hub != null) {
            args.add(hub);
        }
        if (probe != null) {
            args.add(probe);
        }
        if (since != null) {
            args.add(Timestamp.from(since));
        }
        args.add(limit);
        args.add(offset);
        return query(runsQuery(hub != null, probe != null, since != null, passed), args);
    }

    /** The query of {@link #runs(String, String, Instant, Boolean, int, int)}: parameters hub, probe, since (those given), limit, offset. */
    static String runsQuery(boolean hub, boolean probe, boolean since, Boolean passed) {
        StringBuilder sql = new StringBuilder(RUNS + " WHERE 1 = 1");
        if (passed != null) {
            // "failed" means the hub failed it: a run cut short by a stop (reason aborted) is neither
            sql.append(passed ? " AND passed" : " AND NOT passed AND reason <> '" + ABORTED + "'");
        }
        if (hub) {
            sql.append(" AND hub = ?");
        }
        if (probe) {
            sql.append(" AND probe = ?");
        }
        if (since) {
            sql.append(" AND started_at >= ?");
        }
        // with a hub, ORDER BY names the hub too: H2 reads runs_hub_started (V13) in order and stops at the page's end,
        // rather than sorting all of the hub's runs (14,000 at 3 minutes over 30 days) for every page
        sql.append(hub ? " ORDER BY hub, started_at DESC, id" : " ORDER BY started_at DESC, id").append(" LIMIT ? OFFSET ?");
        return sql.toString();
    }

    /** A stored screenshot's cap, as the runner caps it: what the table is sized for. */
    public static final int MAX_SCREENSHOT = 512 * 1024;

    /** The screenshot of a failing UI run, if it kept one. */
    public Optional<byte[]> screenshot(String runId) {
        try (Connection c = pool.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT png FROM run_screenshots WHERE run_id = ?")) {
            ps.setString(1, runId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(rs.getBytes(1)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new IllegalStateException("reading a run's screenshot: " + e.getMessage(), e);
        }
    }

    public Optional<RunResult> run(String id) {
        return query(RUNS + " WHERE id = ?", List.of(id)).stream().findFirst();
    }

    /** The reason of a run cut short by a stop of the prober. */
    private static final String ABORTED = Reason.ABORTED.label();
    /** Runs that count (a verdict on the hub): every run but those cut short by a stop. */
    public static final String COUNTED = "(passed OR reason <> '" + Reason.ABORTED.label() + "')";

    /**
     * The newest run that counts (not {@code aborted}) of each of these (hub, probe) pairs, where there is
     * one: what the status page, the API's hub list and /metrics call the pair's state. One indexed
     * look-up per pair, so the cost follows the number of pairs, not the size of the history.
     * (The ORDER BY names every column of the index, hub and probe too: H2 reads the index in order only
     * then, and otherwise sorts all of the pair's runs, 14,000 of them at a 3-minute interval over 30 days.)
     */
    public Map<ProbeKey, RunResult> latest(Collection<ProbeKey> keys) {
        return latest(keys, true);
    }

    /**
     * As {@link #latest(Collection)}; without {@code whole}, the runs come without their phases and
     * transcript (the status page's rows need neither, and read a thousand at a time).
     */
    public Map<ProbeKey, RunResult> latest(Collection<ProbeKey> keys, boolean whole) {
        List<Row> found = new ArrayList<>();
        Map<ProbeKey, RunResult> out = new LinkedHashMap<>();
        try (Connection c = pool.getConnection(); PreparedStatement ps = c.prepareStatement(
                RUNS + " WHERE r.hub = ? AND r.probe = ? AND (r.passed OR r.reason <> '" + ABORTED + "') ORDER BY r.hub, r.probe, r.started_at DESC LIMIT 1")) {
            for (ProbeKey k : keys) {
                ps.setString(1, k.hub());
                ps.setString(2, k.probe());
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        Optional<Row> row = readable(rs, whole);
                        if (row.isPresent()) {
                            found.add(row.get());
                        } else {
                            newestReadable(c, k, whole).ifPresent(found::add);
                        }
                    }
                }
            }
            (whole ? withPhases(c, found) : found.stream().map(Row::result).toList()).forEach(r -> out.put(ProbeKey.of(r), r));
        } catch (SQLException e) {
            throw new IllegalStateException("history query failed: " + e.getMessage(), e);
        }
        return out;
    }

    /** The pair's newest run that can be read, when its newest cannot (rare: only then is this asked). */
    private static Optional<Row> newestReadable(Connection c, ProbeKey k, boolean whole) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(RUNS + " WHERE hub = ? AND probe = ? ORDER BY started_at DESC LIMIT 50")) {
            ps.setString(1, k.hub());
            ps.setString(2, k.probe());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Optional<Row> row = readable(rs, whole);
                    if (row.isPresent()) {
                        return row;
                    }
                }
            }
        }
        return Optional.empty();
    }

    /** Phase durations in seconds of the newest {@code n} passing runs of a pair: the runs newest first, each phase's values. */
    public Recent recentPassing(ProbeKey key, int n) {
        // n rows of one index range and their phases: cheap, outside the baseline's lane
        try (Connection c = pool.getConnection(); PreparedStatement runs = c.prepareStatement(
                "SELECT id, started_at FROM runs WHERE hub = ? AND probe = ? AND passed ORDER BY hub, probe, started_at DESC LIMIT ?")) {
            runs.setString(1, key.hub());
            runs.setString(2, key.probe());
            runs.setInt(3, n);
            List<String> ids = new ArrayList<>();
            Instant oldest = null;
            try (ResultSet rs = runs.executeQuery()) {
                while (rs.next()) {
                    ids.add(rs.getString(1));
                    oldest = rs.getTimestamp(2).toInstant();
                }
            }
            Map<String, List<Double>> phases = new LinkedHashMap<>();
            for (List<String> batch : batches(ids)) {
                try (PreparedStatement ps = runIdsIn(c, "SELECT phase, duration_seconds FROM run_phases WHERE status = 'passed'"
                        + " AND run_id IN (?)", batch)) {
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            phases.computeIfAbsent(rs.getString(1), k -> new ArrayList<>()).add(rs.getDouble(2));
                        }
                    }
                }
            }
            return new Recent(ids.size(), oldest, phases);
        } catch (SQLException e) {
            throw new IllegalStateException("history query failed: " + e.getMessage(), e);
        }
    }

    /**
     * The newest {@code n} samples of one phase over the passing runs of a pair that have it, newest
     * first: a phase only some runs have (spawn_scale_up, the build_* sub-phases) is judged on these,
     * not on the newest runs, most of which lack it. Only runs that started at or after {@code since}.
     */
    public Recent recentPassingWithPhase(ProbeKey key, String phase, Instant since, int n) {
        return recentPassingWithPhase(key, phase, since, n, READER_WAIT);
    }

    /** As above, or {@link Busy} when the baseline's reads are all taken for longer than {@code wait}. */
    public Recent recentPassingWithPhase(ProbeKey key, String phase, Instant since, int n, Duration wait) {
        acquire(baselineReads, wait);
        // since: the baseline's window. A phase few runs have is looked for in every passing run of the pair
        // newest first, and without a bound a pair with fewer than n samples read all its runs (14,000 over
        // 30 days at 3 minutes) on each of its runs; a sample older than the window has no baseline anyway
        try (Connection c = pool.getConnection(); PreparedStatement ps = c.prepareStatement(SAMPLES_WITH_PHASE)) {
            ps.setString(1, key.hub());
            ps.setString(2, key.probe());
            ps.setTimestamp(3, Timestamp.from(since));
            ps.setString(4, phase);
            ps.setInt(5, n);
            List<Double> values = new ArrayList<>();
            Instant oldest = null;
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    oldest = rs.getTimestamp(1).toInstant();
                    values.add(rs.getDouble(2));
                }
            }
            return new Recent(values.size(), oldest, values.isEmpty() ? Map.of() : Map.of(phase, values));
        } catch (SQLException e) {
            throw new IllegalStateException("history query failed: " + e.getMessage(), e);
        } finally {
            baselineReads.release();
        }
    }

    /**
     * The newest samples of one phase of a pair from a start time on: one range of phase_samples_by_pair, read
     * newest first until enough have that phase (the index has every column: no run or phase row is read).
     */
    static final String SAMPLES_WITH_PHASE = "SELECT started_at, duration_seconds FROM phase_samples"
            + " WHERE hub = ? AND probe = ? AND started_at >= ? AND phase = ? ORDER BY hub, probe, started_at DESC LIMIT ?";

    /**
     * Each phase's median over a pair's samples in {@code [from, until)}: one range of phase_samples_by_pair.
     * The same samples as the passing runs' passed phases (V17), without reading a run.
     */
    static final String MEDIANS = "SELECT phase, PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY duration_seconds), COUNT(*)"
            + " FROM phase_samples WHERE hub = ? AND probe = ? AND started_at >= ? AND started_at < ? GROUP BY phase";

    /** A permit of a read lane within {@code wait}, or {@link Busy}; an interrupted wait (a stop) is Busy too. */
    private static void acquire(java.util.concurrent.Semaphore lane, Duration wait) {
        try {
            if (!lane.tryAcquire(wait.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
                throw new Busy();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Busy();
        }
    }

    /** The newest passing runs of a pair: how many, when the oldest of them started, and each phase's durations. */
    public record Recent(int runs, Instant oldestStart, Map<String, List<Double>> phases) {
    }

    /** A phase's median duration and its number of samples. */
    public record Median(double seconds, int samples) {
    }

    /**
     * The median duration of each phase over the passing runs of a pair that started in
     * {@code [from, until)}, computed by the database: a 30-day window holds tens of thousands of runs.
     */
    public Map<String, Median> phaseMedians(ProbeKey key, Instant from, Instant until) {
        return phaseMedians(key, from, until, READER_WAIT);
    }

    /** As above, or {@link Busy} when the baseline's reads are all taken for longer than {@code wait}. */
    public Map<String, Median> phaseMedians(ProbeKey key, Instant from, Instant until, Duration wait) {
        acquire(baselineReads, wait);
        try (Connection c = pool.getConnection(); PreparedStatement ps = c.prepareStatement(MEDIANS)) {
            ps.setString(1, key.hub());
            ps.setString(2, key.probe());
            ps.setTimestamp(3, Timestamp.from(from));
            ps.setTimestamp(4, Timestamp.from(until));
            Map<String, Median> out = new LinkedHashMap<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1), new Median(rs.getDouble(2), rs.getInt(3)));
                }
            }
            return out;
        } catch (SQLException e) {
            throw new IllegalStateException("history query failed: " + e.getMessage(), e);
        } finally {
            baselineReads.release();
        }
    }

    /** The database, for other stores that keep their state beside the history (alerts). */
    public DataSource dataSource() {
        return pool;
    }

    /** Runs retention deletes per transaction. */
    static final int RETENTION_BATCH = 1000;

    /**
     * Deletes runs that started before {@code cutoff}, and environments no run refers to any more; returns
     * how many runs. The runs go in batches of {@link #RETENTION_BATCH}, each its own transaction: a
     * first retention after a long stop (or a shorter retention configured) may have hundreds of thousands
     * to delete, and one transaction over all of them held a connection, the rows' locks and the store's
     * undo log for minutes while the runs went on being written. The day rows go with them: days wholly
     * before the cutoff are deleted, and the cutoff's own day is counted again from the runs it keeps
     * (idempotent, so two replicas running retention at once agree).
     */
    public int deleteBefore(Instant cutoff) {
        java.time.LocalDate day = java.time.LocalDate.ofInstant(cutoff, java.time.ZoneOffset.UTC);
        int runs = 0;
        try (Connection c = pool.getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM runs WHERE id IN (SELECT id FROM runs WHERE started_at < ?"
                    + " FETCH FIRST " + RETENTION_BATCH + " ROWS ONLY)");
                 PreparedStatement oldDays = c.prepareStatement("DELETE FROM run_days WHERE day_utc < ?")) {
                for (int n = RETENTION_BATCH; n == RETENTION_BATCH; ) {
                    ps.setTimestamp(1, Timestamp.from(cutoff));
                    n = ps.executeUpdate();
                    c.commit();
                    runs += n;
                }
                oldDays.setObject(1, day);
                oldDays.executeUpdate();
                recount(c, day);
                environments.deleteUnused(c, cutoff);
                c.commit();
            } catch (SQLException e) {
                c.rollback();
                throw e;
            } finally {
                if (runs > 0) {
                    pages.forgetEdges(); // the edge counts may include runs deleted here, even when a later step failed
                }
            }
            return runs;
        } catch (SQLException e) {
            throw new IllegalStateException("history retention: " + e.getMessage(), e);
        }
    }

    /**
     * Counts one UTC day's {@code run_days} rows again from the runs (idempotent: two replicas doing it at
     * once agree), adding the rows of pairs that have runs but no row, in the caller's transaction.
     */
    private static void recount(Connection c, java.time.LocalDate day) throws SQLException {
        Instant dayStart = day.atStartOfDay(java.time.ZoneOffset.UTC).toInstant();
        Instant dayEnd = dayStart.plus(Duration.ofDays(1));
        try (PreparedStatement missing = c.prepareStatement("INSERT INTO run_days (hub, probe, day_utc, runs, passed)"
                + " SELECT r.hub, r.probe, CAST(? AS DATE), 0, 0 FROM runs r WHERE r.started_at >= ? AND r.started_at < ?"
                + " AND NOT EXISTS (SELECT 1 FROM run_days d WHERE d.hub = r.hub AND d.probe = r.probe AND d.day_utc = ?)"
                + " GROUP BY r.hub, r.probe");
             PreparedStatement recount = c.prepareStatement("UPDATE run_days SET"
                     + " runs = (SELECT COUNT(*) FROM runs r WHERE r.hub = run_days.hub AND r.probe = run_days.probe"
                     + " AND r.started_at >= ? AND r.started_at < ? AND " + PageQueries.COUNTED + "),"
                     + " passed = (SELECT COUNT(*) FROM runs r WHERE r.hub = run_days.hub AND r.probe = run_days.probe"
                     + " AND r.started_at >= ? AND r.started_at < ? AND r.passed AND " + PageQueries.COUNTED + ")"
                     + " WHERE day_utc = ?");
             PreparedStatement empty = c.prepareStatement("DELETE FROM run_days WHERE day_utc = ? AND runs = 0")) {
            missing.setObject(1, day);
            missing.setTimestamp(2, Timestamp.from(dayStart));
            missing.setTimestamp(3, Timestamp.from(dayEnd));
            missing.setObject(4, day);
            missing.executeUpdate();
            recount.setTimestamp(1, Timestamp.from(dayStart));
            recount.setTimestamp(2, Timestamp.from(dayEnd));
            recount.setTimestamp(3, Timestamp.from(dayStart));
            recount.setTimestamp(4, Timestamp.from(dayEnd));
            recount.setObject(5, day);
            recount.executeUpdate();
            empty.setObject(1, day);
            empty.executeUpdate();
        }
    }

    /**
     * Counts today's and yesterday's day rows again from the runs: replicas of the release before (a rolling
     * upgrade) record runs without adding them to the rollup, and the next start heals what they missed.
     * A failure is logged, not fatal: the pages clamp their uptime meanwhile.
     */
    void recountRecentDays(Instant now) {
        java.time.LocalDate today = java.time.LocalDate.ofInstant(now, java.time.ZoneOffset.UTC);
        try (Connection c = pool.getConnection()) {
            c.setAutoCommit(false);
            try {
                recount(c, today.minusDays(1));
                recount(c, today);
                c.commit();
            } catch (SQLException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            LOG.warn("history: today's and yesterday's day rows could not be counted again from the runs: {}", e.getMessage());
        }
    }

    private List<RunResult> query(String sql, List<Object> args) {
        try (Connection c = pool.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.size(); i++) {
                ps.setObject(i + 1, args.get(i));
            }
            List<Row> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    readable(rs, true).ifPresent(out::add);
                }
            }
            return withPhases(c, out);
        } catch (SQLException e) {
            throw new IllegalStateException("history query failed: " + e.getMessage(), e);
        }
    }

    /** Fills in the phases of these runs with one query per batch of runs, not one per run. */
    private static List<RunResult> withPhases(Connection c, List<Row> runs) throws SQLException {
        Map<String, Row> byId = new LinkedHashMap<>();
        runs.forEach(r -> byId.put(r.id(), r));
        for (List<String> batch : batches(List.copyOf(byId.keySet()))) {
            try (PreparedStatement ps = runIdsIn(c, "SELECT * FROM run_phases WHERE run_id IN (?) ORDER BY run_id, idx", batch)) {
                try (ResultSet p = ps.executeQuery()) {
                    while (p.next()) {
                        PhaseResult pr;
                        try {
                            pr = PhaseResult.ofLabel(p.getString("phase"),
                                    PhaseResult.Status.valueOf(p.getString("status").toUpperCase(Locale.ROOT)),
                                    Duration.ofNanos(Math.round(p.getDouble("duration_seconds") * 1e9)),
                                    reason(p.getString("reason")), masked(p.getString("message")));
                        } catch (IllegalArgumentException e) {
                            // a label this version does not know (a newer one wrote it): that phase only is left out
                            LOG.warn("run {}: phase row {} left out: {}", p.getString("run_id"), p.getInt("idx"), e.getMessage());
                            continue;
                        }
                        Row r = byId.get(p.getString("run_id"));
                        (p.getBoolean("spawn_detail") ? r.spawn() : r.phases()).add(pr);
                    }
                }
            }
        }
        return runs.stream().map(Row::result).toList();
    }

    private static List<List<String>> batches(List<String> ids) {
        List<List<String>> out = new ArrayList<>();
        for (int i = 0; i < ids.size(); i += 500) {
            out.add(ids.subList(i, Math.min(ids.size(), i + 500)));
        }
        return out;
    }

    /**
     * A batch of ids grown to the next power of two (at most a whole batch, 500) by repeating its last id, so
     * an IN list has one of 10 lengths, not one per number of runs asked for. Each length is its own statement
     * text: H2 keeps each connection's last 64 (Database.h2, QUERY_CACHE_SIZE) and, with each, its last result
     * (a read of 500 runs' phases is thousands of rows); {@code /api/v1/runs?limit=} from 437 to 500 filled
     * every connection's cache with such results, 32 connections under a 512 MB heap. The repeats match
     * rows already matched: the answer is the same.
     */
    static List<String> padded(List<String> batch) {
        int n = 1;
        while (n < batch.size()) {
            n *= 2;
        }
        n = Math.min(n, Math.max(500, batch.size()));
        List<String> out = new ArrayList<>(batch);
        while (out.size() < n) {
            out.add(batch.get(batch.size() - 1));
        }
        return out;
    }

    /**
     * The statement {@code sql}, whose one {@code IN (?)} becomes a list of this batch of run ids, padded
     * (see {@link #padded}), all bound.
     */
    private static PreparedStatement runIdsIn(Connection c, String sql, List<String> batch) throws SQLException {
        List<String> in = padded(batch);
        PreparedStatement ps = c.prepareStatement(sql.replace("IN (?)", "IN (" + placeholders(in.size()) + ")"));
        try {
            for (int i = 0; i < in.size(); i++) {
                ps.setString(i + 1, in.get(i));
            }
            return ps;
        } catch (SQLException | RuntimeException e) {
            ps.close();
            throw e;
        }
    }

    private static String placeholders(int n) {
        return String.join(", ", java.util.Collections.nCopies(n, "?"));
    }

    /**
     * The row as a run, or empty when not even its phase or reason can be read (a label this version
     * does not know): that row is left out, with a log line, and the query goes on with the others.
     */
    private static Optional<Row> readable(ResultSet rs, boolean transcript) throws SQLException {
        try {
            return Optional.of(run(rs, transcript));
        } catch (IllegalArgumentException e) {
            LOG.warn("run {} left out of a history query: {}", rs.getString("id"), e.getMessage());
            return Optional.empty();
        }
    }

    /** A run row, its phase lists still empty (and mutable) for {@link #withPhases}. */
    private static Row run(ResultSet rs) throws SQLException {
        return run(rs, true);
    }

    private static Row run(ResultSet rs, boolean transcript) throws SQLException {
        String failed = rs.getString("failed_phase");
        Object scaleUp = rs.getObject("scale_up_observed");
        String id = rs.getString("id");
        List<String> damaged = new ArrayList<>();
        Map<String, String> facts = decode(rs.getString("facts"), new TypeReference<Map<String, String>>() { }, "facts", damaged);
        List<String> notes = decode(rs.getString("notes"), new TypeReference<List<String>>() { }, "notes", damaged);
        Transcript t = !transcript || rs.getString("transcript") == null ? null
                : decode(rs.getString("transcript"), new TypeReference<Transcript>() { }, "transcript", damaged);
        String measured = rs.getString("measurements");
        List<Measurement> measurements = measured == null ? List.of()
                : decode(measured, new TypeReference<List<Measurement>>() { }, "measurements", damaged);
        Environment env;
        try {
            env = environment(rs);
        } catch (JsonProcessingException | RuntimeException e) {
            damaged.add("environment");
            env = null;
        }
        if (!damaged.isEmpty()) {
            // shown as damaged on its own: the run's page, the API and the board still show what could be read
            LOG.warn("run {}: stored {} could not be read", id, String.join(", ", damaged));
            facts = new LinkedHashMap<>(facts == null ? Map.of() : facts);
            facts.put(DAMAGED, "the stored " + String.join(", ", damaged) + " could not be read");
            notes = new ArrayList<>(notes == null ? List.of() : notes);
            notes.add("This run's stored record is damaged: its " + String.join(", ", damaged)
                    + " could not be read; the rest is shown as it was recorded.");
        }
        return new Row(id, rs.getString("hub"), rs.getString("probe"), rs.getString("probe_user"),
                rs.getTimestamp("started_at").toInstant(), Duration.ofNanos(Math.round(rs.getDouble("duration_seconds") * 1e9)),
                new ArrayList<>(), new ArrayList<>(), scaleUp == null ? null : (Boolean) scaleUp,
                failed == null ? null : Phase.ofLabel(failed), reason(rs.getString("reason")),
                masked(rs.getString("message")), masked(facts), masked(notes), env, t == null ? null : masked(t), measurements,
                failed != null && failed.startsWith(Phase.APP_PREFIX) ? failed.substring(Phase.APP_PREFIX.length()) : null);
    }

    /** One JSON column, or null (and its name added to {@code damaged}) when it cannot be read. */
    private static <T> T decode(String json, TypeReference<T> type, String what, List<String> damaged) {
        if (json == null) {
            damaged.add(what);
            return null;
        }
        try {
            T value = JSON.readValue(json, type);
            if (value == null) {
                damaged.add(what);
            }
            return value;
        } catch (JsonProcessingException | RuntimeException e) {
            damaged.add(what);
            return null;
        }
    }

    /*
     * What is read is masked again with every configured secret (one pass each, see SecretMatcher): a row
     * stored before a secret was configured, or by an older version that masked less, never shows it in
     * the API or on a page.
     */
    private static String masked(String s) {
        return Redactor.process().redact(s);
    }

    private static Map<String, String> masked(Map<String, String> facts) {
        Map<String, String> out = new LinkedHashMap<>();
        facts.forEach((k, v) -> out.put(k, masked(v)));
        return out;
    }

    private static List<String> masked(List<String> notes) {
        return notes.stream().map(HistoryStore::masked).toList();
    }

    private static Transcript masked(Transcript t) {
        return new Transcript(t.events().stream().map(e -> new Transcript.Event(e.atSeconds(), masked(e.message()))).toList(),
                t.cells().stream().map(c -> new Transcript.Cell(masked(c.code()), masked(c.output()), masked(c.error()))).toList());
    }

    /** The run's environment as a summary (count, not list), or null when it captured none. */
    private static Environment environment(ResultSet rs) throws SQLException, JsonProcessingException {
        String fingerprint = rs.getString("env_fingerprint");
        if (fingerprint == null) {
            return null;
        }
        EnvironmentStore.Detail d = EnvironmentStore.detail(rs.getString("env_detail"));
        return new Environment(fingerprint, rs.getString("env_image"), d.pulledImage(), rs.getString("env_python"),
                rs.getInt("env_packages"), List.of(), rs.getBoolean("env_truncated"), rs.getBoolean("env_changed"), d.diff(),
                d.lastPass());
    }

    /** A run as read, its phase lists filled by {@link #withPhases} before it becomes a {@link RunResult}. */
    private record Row(String id, String hub, String probe, String user, Instant startedAt, Duration duration,
                       List<PhaseResult> phases, List<PhaseResult> spawn, Boolean scaleUp, Phase failedPhase, Reason reason,
                       String message, Map<String, String> facts, List<String> notes, Environment environment,
                       Transcript transcript, List<Measurement> measurements, String failedApp) {
        RunResult result() {
            return new RunResult(id, hub, probe, user, startedAt, duration, phases, spawn, scaleUp, failedPhase, reason, message,
                    facts, notes, environment, transcript, measurements, failedApp);
        }
    }

    private static Reason reason(String label) {
        return label == null ? null : Reason.valueOf(label.toUpperCase(Locale.ROOT));
    }

    private static double seconds(Duration d) {
        return d.toNanos() / 1e9;
    }

    private static String cut(String s) {
        return Json.cap(s, TEXT);
    }

    @Override
    public void close() {
        database.close();
    }
}
