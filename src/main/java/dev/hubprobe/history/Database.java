package dev.hubprobe.history;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.pool.HikariPool;
import dev.hubprobe.config.Secret;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Set;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.h2.jdbcx.JdbcConnectionPool;

/**
 * Where the history lives: an embedded H2 file (one process, the default) or a PostgreSQL database
 * that several replicas share (and their clustered schedule with it). One set of migrations serves
 * both; PostgreSQL also gets Quartz's tables.
 */
public final class Database implements AutoCloseable {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Database.class);
    /** Every run in progress may write at once when its hub comes back; queries are short. */
    private static final int CONNECTIONS = 32;

    private final DataSource source;
    private final boolean shared;
    private final Runnable close;

    private Database(DataSource source, boolean shared, Runnable close) {
        this.source = source;
        this.shared = shared;
        this.close = close;
    }

    /**
     * The H2 database at {@code path} ({@code path.mv.db} on disk), written at every commit. Its folder,
     * when made here, is {@code 0700} and the file {@code 0600}: the history holds every hub's failures,
     * user names and cell output, and the umask (usually 022) would leave them readable by every user.
     */
    public static Database h2(Path path) {
        Path file = path.toAbsolutePath();
        privateFiles(file);
        // QUERY_CACHE_SIZE: each connection keeps its 64 last parsed and planned statements (H2's default is 8).
        // A run writes and reads some 15 different statements (its row, phases, samples, day counts, the
        // baseline's reads, the board's), so with 8 nearly every one was parsed and planned again: that was
        // much of the run threads' H2 time in a profile of a new service (issue 25).
        String url = "jdbc:h2:file:" + file + ";WRITE_DELAY=0;DB_CLOSE_ON_EXIT=FALSE;QUERY_CACHE_SIZE=64";
        JdbcConnectionPool pool = JdbcConnectionPool.create(url, "hubprobe", "");
        pool.setMaxConnections(CONNECTIONS);
        return new Database(pool, false, pool::dispose);
    }

    /** This database's schema over another pool of its connections (one that counts or slows them, in tests). */
    Database over(java.util.function.UnaryOperator<DataSource> wrap) {
        return new Database(wrap.apply(source), shared, close);
    }

    private static final Set<PosixFilePermission> OWNER_ONLY_DIR = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> OWNER_ONLY_FILE = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> OTHERS = PosixFilePermissions.fromString("---rwxrwx");

    /**
     * Makes the folder ({@code 0700}) and an empty database and trace file ({@code 0600}) before H2
     * does (H2 takes an empty file as a new database), so there is no moment where either is readable
     * by others; a file of ours from before that others may read loses those bits. A folder that is
     * already there is left as it is: it may be a volume's mount point or shared on purpose.
     */
    private static void privateFiles(Path file) {
        if (!FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            return; // no POSIX modes to set (Windows): the folder's ACL decides
        }
        try {
            Path folder = file.getParent();
            if (folder != null && !Files.isDirectory(folder)) {
                Files.createDirectories(folder, PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIR));
            }
            // the trace file too: H2 writes the errors it sees there (Flyway's first look at a new database
            // makes some), statements and values included, and appends to the file it finds
            Path db = Path.of(file + ".mv.db");
            Path trace = Path.of(file + ".trace.db");
            for (Path f : List.of(db, trace)) {
                try {
                    Files.createFile(f, PosixFilePermissions.asFileAttribute(OWNER_ONLY_FILE));
                } catch (FileAlreadyExistsException there) {
                    // from an earlier start (or another process at this moment: H2's own lock decides)
                }
            }
            for (Path f : List.of(db, trace, Path.of(file + ".trace.db.old"))) {
                if (!Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
                    continue;
                }
                Set<PosixFilePermission> mode = Files.getPosixFilePermissions(f, LinkOption.NOFOLLOW_LINKS);
                if (mode.removeAll(OTHERS)) {
                    try {
                        Files.setPosixFilePermissions(f, mode);
                    } catch (IOException notOurs) {
                        // only the owner may change it; say so rather than refuse a history that opens
                        LOG.warn("{} is open to other users and cannot be made owner-only: {}", f, notOurs.getClass().getSimpleName());
                    }
                }
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot prepare the history database at " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * A PostgreSQL database; connects at once, so a wrong address or password is an error here, at start.
     *
     * @throws IllegalArgumentException naming the URL and user (never the password) when it cannot connect
     */
    public static Database postgres(String url, String user, Secret password) {
        HikariConfig c = new HikariConfig();
        c.setJdbcUrl(url);
        c.setUsername(user);
        c.setPassword(password == null ? null : password.reveal());
        c.setMaximumPoolSize(CONNECTIONS);
        c.setMinimumIdle(2);
        c.setPoolName("hubprobe-history");
        c.setConnectionTimeout(10_000);
        c.setInitializationFailTimeout(1); // fail at start, not at the first run
        c.addDataSourceProperty("connectTimeout", "10");
        c.addDataSourceProperty("socketTimeout", "120");
        c.addDataSourceProperty("ApplicationName", "hubprobe");
        try {
            HikariDataSource ds = new HikariDataSource(c);
            return new Database(ds, true, ds::close);
        } catch (HikariPool.PoolInitializationException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            String why = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
            if (password != null) {
                why = why.replace(password.reveal(), "***");
            }
            throw new IllegalArgumentException("cannot connect to " + url + " as " + user + ": " + why, e);
        }
    }

    /** Brings the schema up to date: the history's tables, and on PostgreSQL the clustered schedule's. */
    public void migrate() {
        Flyway history = Flyway.configure().dataSource(source).locations("classpath:db/migration").callbacks(new RunAgain()).load();
        runAgainFailed(history);
        migrate(history, "history");
        if (shared) {
            // Quartz's tables keep a migration history of their own, so the two sets never interleave
            migrate(Flyway.configure().dataSource(source).locations("classpath:db/quartz").table("flyway_quartz_history")
                    .baselineOnMigrate(true).baselineVersion("0").load(), "schedule");
        }
    }

    /**
     * History migrations that run again over whatever a failed or killed attempt left ({@link RunAgain} puts
     * it back as before). Others keep Flyway's refusal: run again, they could fail or do harm.
     */
    static final Set<String> RUN_AGAIN = Set.of("17", "18");

    /**
     * Before V17 and V18, puts back what an earlier attempt changed: H2 commits each DDL statement as it goes,
     * so a start killed in them (V17 took 455 s on a 14.4-million-run history) left phase_samples, perhaps
     * filled and indexed, or runs_hub_started dropped, with no Flyway row; the next start ran the script again
     * and failed on "already exists" or "not found", and so did every start after. Here rather than in the
     * scripts: a history already migrated keeps their checksums. On a fresh database there is nothing to undo.
     */
    private static final class RunAgain implements org.flywaydb.core.api.callback.Callback {
        @Override
        public boolean supports(org.flywaydb.core.api.callback.Event event, org.flywaydb.core.api.callback.Context context) {
            return event == org.flywaydb.core.api.callback.Event.BEFORE_EACH_MIGRATE && context.getMigrationInfo() != null
                    && context.getMigrationInfo().getVersion() != null && RUN_AGAIN.contains(context.getMigrationInfo().getVersion().getVersion());
        }

        @Override
        public boolean canHandleInTransaction(org.flywaydb.core.api.callback.Event event, org.flywaydb.core.api.callback.Context context) {
            return true;
        }

        @Override
        public void handle(org.flywaydb.core.api.callback.Event event, org.flywaydb.core.api.callback.Context context) {
            String sql = "17".equals(context.getMigrationInfo().getVersion().getVersion())
                    ? "DROP TABLE IF EXISTS phase_samples CASCADE"
                    : "CREATE INDEX IF NOT EXISTS runs_hub_started ON runs (hub, started_at DESC, id)"; // V18 drops it first
            try (java.sql.Statement st = context.getConnection().createStatement()) {
                st.execute(sql);
            } catch (SQLException e) {
                throw new IllegalStateException("history: cannot undo an earlier attempt of migration "
                        + context.getMigrationInfo().getVersion() + ": " + e.getMessage(), e);
            }
        }

        @Override
        public String getCallbackName() {
            return "hubprobe-run-again";
        }
    }

    /**
     * Forgets the failed row of a migration that can run again, so this start runs it again. On H2 (DDL not
     * transactional) Flyway records a migration that failed with an error (the disk full in V17's backfill of
     * a big history), and every later start refused with "Detected failed migration ... run repair", which
     * hubprobe has no command for. Only the failed row goes: Flyway's repair would also take the checksums of
     * changed scripts as they are now.
     */
    private void runAgainFailed(Flyway flyway) {
        for (org.flywaydb.core.api.MigrationInfo m : flyway.info().all()) {
            if (!m.getState().isFailed() || m.getVersion() == null || !RUN_AGAIN.contains(m.getVersion().getVersion())) {
                continue;
            }
            String table = flyway.getConfiguration().getTable();
            try (Connection c = source.getConnection(); java.sql.PreparedStatement ps = c.prepareStatement(
                    "DELETE FROM \"" + table + "\" WHERE \"version\" = ? AND NOT \"success\"")) {
                ps.setString(1, m.getVersion().getVersion());
                ps.executeUpdate();
                if (!c.getAutoCommit()) {
                    c.commit();
                }
            } catch (SQLException e) {
                throw new IllegalStateException("history: cannot clear the failed migration " + m.getVersion() + ": " + e.getMessage(), e);
            }
            LOG.warn("history: migration {} ({}) failed in an earlier start; running it again", m.getVersion(), m.getDescription());
        }
    }

    /**
     * Applies what is pending, saying so before and after: the service serves (and /health answers) only once
     * they are done, an upgrade of a large history takes many minutes (the chart's startup probe waits an
     * hour for it), and Flyway itself logs only warnings here. Without these lines an operator could not tell
     * a pod that migrates from one that hangs.
     */
    private static void migrate(Flyway flyway, String what) {
        org.flywaydb.core.api.MigrationInfo[] pending = flyway.info().pending();
        if (pending.length == 0) {
            flyway.migrate();
            return;
        }
        long start = System.nanoTime();
        LOG.info("{}: applying {} migration(s), {} to {}, before the service serves (minutes on a large history)", what, pending.length,
                pending[0].getVersion(), pending[pending.length - 1].getVersion());
        flyway.migrate();
        LOG.info("{}: migrated to {} in {} s", what, pending[pending.length - 1].getVersion(),
                java.time.Duration.ofNanos(System.nanoTime() - start).toSeconds());
    }

    public DataSource dataSource() {
        return source;
    }

    /** Shared by replicas (PostgreSQL): the schedule is clustered and alert decisions take a database lock. */
    public boolean shared() {
        return shared;
    }

    /** Checks that a connection works and answers (validate-config --connect). */
    public void check() throws SQLException {
        try (Connection c = source.getConnection()) {
            if (!c.isValid(10)) {
                throw new SQLException("the database did not answer within 10 s");
            }
        }
    }

    @Override
    public void close() {
        close.run();
    }
}
