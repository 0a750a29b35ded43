package dev.hubprobe.history;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.pool.HikariPool;
import dev.hubprobe.config.Secret;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.h2.jdbcx.JdbcConnectionPool;

/**
 * Where the history lives: an embedded H2 file (one process, the default) or a PostgreSQL database
 * that several replicas share (and their clustered schedule with it). One set of migrations serves
 * both; PostgreSQL also gets Quartz's tables.
 */
public final class Database implements AutoCloseable {
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

    /** The H2 database at {@code path} ({@code path.mv.db} on disk), written at every commit. */
    public static Database h2(Path path) {
        String url = "jdbc:h2:file:" + path.toAbsolutePath() + ";WRITE_DELAY=0;DB_CLOSE_ON_EXIT=FALSE";
        JdbcConnectionPool pool = JdbcConnectionPool.create(url, "hubprobe", "");
        pool.setMaxConnections(CONNECTIONS);
        return new Database(pool, false, pool::dispose);
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
        Flyway.configure().dataSource(source).locations("classpath:db/migration").load().migrate();
        if (shared) {
            // Quartz's tables keep a migration history of their own, so the two sets never interleave
            Flyway.configure().dataSource(source).locations("classpath:db/quartz").table("flyway_quartz_history")
                    .baselineOnMigrate(true).baselineVersion("0").load().migrate();
        }
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
