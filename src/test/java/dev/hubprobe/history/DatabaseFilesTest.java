package dev.hubprobe.history;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The history holds every hub's failures, user names and cell output: another user on the machine
 * must not read it, whatever the umask (usually 022, which leaves new files world-readable).
 */
class DatabaseFilesTest {
    @TempDir
    Path dir;

    private static String mode(Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    @Test
    void aNewHistoryIsMadeOwnerOnly() throws Exception {
        Path path = dir.resolve("data/history");
        try (HistoryStore store = HistoryStore.open(path)) {
            store.database().check(); // written to: schema and all
        }
        assertEquals("rwx------", mode(dir.resolve("data")), "the folder");
        try (var files = Files.list(dir.resolve("data"))) {
            List<Path> all = files.toList();
            assertTrue(all.contains(dir.resolve("data/history.mv.db")), all.toString());
            for (Path f : all) {
                assertEquals("rw-------", mode(f), f.toString());
            }
        }
    }

    @Test
    void anOlderHistoryReadableByOthersIsMadeOwnerOnly() throws Exception {
        Path path = dir.resolve("history");
        try (Database db = Database.h2(path)) {
            db.migrate();
        }
        Path file = dir.resolve("history.mv.db");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        try (Database db = Database.h2(path)) {
            db.migrate();
            db.check();
        }
        assertEquals("rw-------", mode(file));
    }
}
