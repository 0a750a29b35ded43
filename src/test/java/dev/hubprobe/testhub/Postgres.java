package dev.hubprobe.testhub;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A throwaway PostgreSQL cluster from Debian's {@code postgresql} package: made in a temp dir, run on
 * 127.0.0.1 at a free port as the {@code postgres} user (when the tests run as root), password
 * authentication, removed at exit. One per test JVM; each test takes a fresh database of its own.
 */
public final class Postgres {
    public static final String USER = "hubprobe";
    public static final String PASSWORD = "pg-" + java.util.UUID.randomUUID();
    private static Postgres shared;

    private final Path dir;
    private final int port;
    private final Process server;
    private final AtomicInteger databases = new AtomicInteger();

    private Postgres(Path dir, int port, Process server) {
        this.dir = dir;
        this.port = port;
        this.server = server;
    }

    public static synchronized Postgres shared() throws IOException, InterruptedException {
        if (shared == null) {
            shared = start();
            Runtime.getRuntime().addShutdownHook(new Thread(shared::stop, "postgres-stop"));
        }
        return shared;
    }

    private static Path bin() throws IOException {
        try (Stream<Path> versions = Files.list(Path.of("/usr/lib/postgresql"))) {
            return versions.map(v -> v.resolve("bin")).filter(b -> Files.isExecutable(b.resolve("initdb")))
                    .max(Comparator.comparing(b -> Integer.parseInt(b.getParent().getFileName().toString())))
                    .orElseThrow(() -> new IOException("no PostgreSQL under /usr/lib/postgresql (apt-get install postgresql;"
                            + " scripts/setup-machine.sh does it)"));
        } catch (java.nio.file.NoSuchFileException e) {
            throw new IOException("no /usr/lib/postgresql: apt-get install postgresql (scripts/setup-machine.sh does it)");
        }
    }

    /** As the postgres user when we are root (PostgreSQL refuses to run as root), else as ourselves. */
    private static List<String> as(List<String> cmd) {
        List<String> out = new ArrayList<>();
        if ("root".equals(System.getProperty("user.name"))) {
            out.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        out.addAll(cmd);
        return out;
    }

    private static Postgres start() throws IOException, InterruptedException {
        Path bin = bin();
        Path dir = Files.createTempDirectory("hubprobe-pg");
        Path data = dir.resolve("data");
        Path pw = dir.resolve("pw");
        Files.writeString(pw, PASSWORD + "\n");
        if ("root".equals(System.getProperty("user.name"))) {
            UserPrincipal pg = dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres");
            Files.setOwner(dir, pg);
            Files.setOwner(pw, pg);
        }
        run(as(List.of(bin.resolve("initdb").toString(), "-D", data.toString(), "-U", USER, "--pwfile", pw.toString(),
                "--auth", "scram-sha-256", "-E", "UTF8", "--no-sync")));
        int port = RealHub.freePort();
        Process server = new ProcessBuilder(as(List.of(bin.resolve("postgres").toString(), "-D", data.toString(), "-p",
                Integer.toString(port), "-k", dir.toString(), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
                "-c", "synchronous_commit=off", "-c", "max_connections=300")))
                .redirectErrorStream(true).redirectOutput(dir.resolve("postgres.log").toFile()).start();
        Postgres pg = new Postgres(dir, port, server);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try (Connection c = DriverManager.getConnection(pg.url("postgres"), USER, PASSWORD)) {
                return pg;
            } catch (SQLException notYet) {
                if (!server.isAlive() || System.nanoTime() > deadline) {
                    throw new IOException("PostgreSQL did not start: " + Files.readString(dir.resolve("postgres.log")));
                }
                Thread.sleep(200);
            }
        }
    }

    private static void run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed:\n" + out);
        }
    }

    public int port() {
        return port;
    }

    public String url(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    /** A new, empty database for one test. */
    /** A fresh, empty database of the shared cluster, opened as hubprobe opens it. */
    public static dev.hubprobe.history.Database freshDatabase() {
        try {
            return dev.hubprobe.history.Database.postgres(shared().newDatabase(), USER, dev.hubprobe.config.Secret.of(PASSWORD));
        } catch (IOException | InterruptedException | SQLException e) {
            throw new IllegalStateException("cannot make a test database: " + e.getMessage(), e);
        }
    }

    public String newDatabase() throws SQLException {
        String name = "hubprobe_" + databases.incrementAndGet();
        try (Connection c = DriverManager.getConnection(url("postgres"), USER, PASSWORD); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        }
        return url(name);
    }

    private void stop() {
        server.destroy(); // SIGTERM: a smart shutdown
        try {
            if (!server.waitFor(30, TimeUnit.SECONDS)) {
                server.destroyForcibly();
            }
            try (Stream<Path> all = Files.walk(dir)) {
                all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            // a temp dir left behind
        }
    }
}
