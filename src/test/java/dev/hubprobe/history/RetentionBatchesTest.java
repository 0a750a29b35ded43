package dev.hubprobe.history;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Retention deletes a big backlog in short transactions: what it deleted so far is committed while it goes
 * on, so it never holds the runs table (its locks, a connection, the undo log) for the whole backlog.
 */
class RetentionBatchesTest {
    @TempDir
    Path dir;

    /** What another connection sees of the old runs while retention is deleting them (row triggers run in its transaction). */
    static final List<Integer> SEEN = new CopyOnWriteArrayList<>();
    static final AtomicInteger DELETED = new AtomicInteger();
    static volatile DataSource other;

    /** After every 500th run deleted, counts the old runs from another connection: what is committed by then. */
    public static final class Watch implements org.h2.api.Trigger {
        @Override
        public void fire(Connection conn, Object[] oldRow, Object[] newRow) throws java.sql.SQLException {
            if (DELETED.incrementAndGet() % 500 != 0) {
                return;
            }
            try (Connection c = other.getConnection(); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM runs WHERE hub = 'old'")) {
                rs.next();
                SEEN.add(rs.getInt(1));
            }
        }
    }

    @Test
    void aBigBacklogIsDeletedInCommittedBatchesNotOneTransaction() throws Exception {
        Instant now = Instant.now();
        try (HistoryStore h = HistoryStore.open(dir.resolve("db"))) {
            other = h.dataSource();
            int old = 3 * HistoryStore.RETENTION_BATCH + 10;
            try (Connection c = h.dataSource().getConnection(); Statement st = c.createStatement()) {
                // 3,010 runs from 40 days ago and 20 from today, written in one statement
                st.execute("INSERT INTO runs (id, hub, probe, started_at, duration_seconds, passed, facts, notes)"
                        + " SELECT CONCAT('00000000-0000-4000-8000-', LPAD(CAST(X AS VARCHAR), 12, '0')), CASE WHEN X <= " + old
                        + " THEN 'old' ELSE 'new' END, 'p', DATEADD(SECOND, X, CAST('" + (fortyDaysAgo(now)) + "' AS TIMESTAMP WITH TIME ZONE)),"
                        + " 1.0, TRUE, '{}', '[]' FROM SYSTEM_RANGE(1, " + (old + 20) + ")");
                st.execute("UPDATE runs SET started_at = DATEADD(DAY, 40, started_at) WHERE hub = 'new'");
                st.execute("CREATE TRIGGER watch_retention AFTER DELETE ON runs FOR EACH ROW CALL '" + Watch.class.getName() + "'");
            }
            SEEN.clear();
            DELETED.set(0);

            int deleted = h.deleteBefore(now.minus(Duration.ofDays(30)));

            assertEquals(old, deleted, "every run before the cutoff, and only those");
            assertEquals(6, SEEN.size(), "watched every 500 runs: " + SEEN);
            // while the third thousand is being deleted, the first two thousand are gone for everyone else already
            assertTrue(SEEN.get(4) <= old - 2 * HistoryStore.RETENTION_BATCH, "committed as it went: " + SEEN);
            assertTrue(SEEN.get(0) == old, "the first batch is not committed before it is whole: " + SEEN);
            try (Connection c = h.dataSource().getConnection(); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT hub, COUNT(*) FROM runs GROUP BY hub")) {
                assertTrue(rs.next());
                assertEquals("new", rs.getString(1));
                assertEquals(20, rs.getInt(2));
            }
        }
    }

    /** 40 days before now, as H2 reads a timestamp. */
    private static String fortyDaysAgo(Instant now) {
        return java.time.OffsetDateTime.ofInstant(now.minus(Duration.ofDays(40)), java.time.ZoneOffset.UTC).toString();
    }
}
