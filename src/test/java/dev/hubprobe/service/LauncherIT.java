package dev.hubprobe.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hubprobe.testhub.Cli;
import dev.hubprobe.testhub.RealHub;
import dev.hubprobe.testhub.RealHubExtension;
import dev.hubprobe.testhub.Service;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the image runs: {@code bin/hubprobe} starts the service with the small service's JVM options,
 * and {@code bin/healthcheck} (the Docker HEALTHCHECK) tells a healthy service from a gone one with no
 * JVM of its own.
 */
@ExtendWith(RealHubExtension.class)
class LauncherIT {
    @TempDir
    Path dir;

    private static int healthcheck(int port) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(RealHub.basedir().resolve("bin/healthcheck").toString()).redirectErrorStream(true);
        pb.environment().put("HUBPROBE_HEALTH_PORT", Integer.toString(port));
        Process p = pb.start();
        assertTrue(p.waitFor(10, TimeUnit.SECONDS), "the health check returned within its 5 s Docker timeout");
        return p.exitValue();
    }

    /** bin/hubprobe with these arguments, as a user runs it; returns its exit code. */
    private static int launch(Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(Cli.launcher().toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().putAll(Cli.launcherEnv(env));
        Process p = pb.start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "bin/hubprobe " + String.join(" ", args) + " ended");
        return p.exitValue();
    }

    /** A service config probing the shared test hub as one new user, every 10 minutes. */
    private Path oneHubConfig(String name) throws Exception {
        Path cfg = dir.resolve(name + ".yml");
        Files.writeString(cfg, """
                probes_dir: %s
                history: {path: data/%s}
                defaults: {interval: 10m}
                hubs:
                  - {name: one, url: %s, auth: {token: "${env:HUB_TOKEN}"}, user: %s, probes: [{probe: kernel-smoke}]}
                """.formatted(RealHub.basedir().resolve("probes"), name, RealHub.shared().url(), RealHub.user("ok")));
        return cfg;
    }

    private List<Path> archives(Path cds) throws Exception {
        if (!Files.isDirectory(cds)) {
            return List.of();
        }
        try (var files = Files.list(cds)) {
            return files.toList();
        }
    }

    /**
     * The class-data archive that makes a check cheap: not written by a check cut short or by its help (it
     * would miss most classes, for good), written by the first passing one, and then mapped by later JVMs of that
     * jar, the service's included.
     */
    @Test
    void theFirstPassingCheckWritesTheClassArchiveThatLaterRunsMap() throws Exception {
        RealHub hub = RealHub.shared();
        Path cds = dir.resolve("cds");
        // a jar of its own, to rebuild below
        Path jar = Files.copy(Cli.jar(), dir.resolve("hubprobe.jar"));
        Map<String, String> env = Map.of("HUB_TOKEN", hub.serviceToken(), "HUBPROBE_CDS_DIR", cds.toString(),
                "HUBPROBE_JAR", jar.toString());
        assertEquals(2, launch(env, "check", "--hub-url", hub.url(), "--token-env", "NO_SUCH_VARIABLE"));
        assertEquals(List.of(), archives(cds), "a check cut short by a usage error leaves no archive");
        assertEquals(1, launch(env, "check", "--hub-url", "http://127.0.0.1:1/", "--token-env", "HUB_TOKEN", "--user", RealHub.user("ok")));
        assertEquals(List.of(), archives(cds), "nor does a check that failed at an unreachable hub");
        // help and version exit 0 too, having loaded next to nothing: the archive they recorded was kept, and
        // every later check of the build read most of its classes from the jar (0.55 s of CPU, not 0.3 s)
        assertEquals(0, launch(env, "check", "--help"));
        assertEquals(0, launch(env, "check", "--version"));
        assertEquals(List.of(), archives(cds), "nor does check --help or --version");
        assertEquals(0, launch(env, "check", "--hub-url", hub.url(), "--token-env", "HUB_TOKEN", "--user", RealHub.user("ok")));
        List<Path> written = archives(cds);
        assertEquals(1, written.size(), "a passing check wrote one archive: " + written);
        assertTrue(written.get(0).getFileName().toString().matches("hubprobe-\\d+\\.jsa"), written.toString());
        assertServiceMaps(written.get(0), env, "cds");

        // the same bytes built again (a reproducible build): a new modification time, which the JVM checks,
        // and ignores the old archive for, silently; the launcher makes a new one, and that one is mapped
        Files.setLastModifiedTime(jar, java.nio.file.attribute.FileTime.from(Instant.now().plusSeconds(120)));
        assertEquals(0, launch(env, "check", "--hub-url", hub.url(), "--token-env", "HUB_TOKEN", "--user", RealHub.user("ok")));
        List<Path> fresh = archives(cds).stream().filter(f -> !f.equals(written.get(0))).toList();
        assertEquals(1, fresh.size(), "the rebuilt jar got an archive of its own: " + archives(cds));
        assertServiceMaps(fresh.get(0), env, "cds2");
        assertEquals(2, archives(cds).size(), "no third archive, no leftover: " + archives(cds));

        // once the old build's archive has not been mapped for 40 days, the next archive written (a third
        // build's, by its first check) takes its place instead of adding 20 MB more for good
        java.nio.file.attribute.FileTime longAgo = java.nio.file.attribute.FileTime.from(Instant.now().minus(java.time.Duration.ofDays(40)));
        Files.getFileAttributeView(written.get(0), java.nio.file.attribute.BasicFileAttributeView.class).setTimes(longAgo, longAgo, null);
        Files.setLastModifiedTime(jar, java.nio.file.attribute.FileTime.from(Instant.now().plusSeconds(240)));
        assertEquals(0, launch(env, "check", "--hub-url", hub.url(), "--token-env", "HUB_TOKEN", "--user", RealHub.user("ok")));
        List<Path> now = archives(cds);
        assertFalse(now.contains(written.get(0)), "the archive unused for 40 days is removed: " + now);
        assertTrue(now.contains(fresh.get(0)), "the one mapped today stays: " + now);
        assertEquals(2, now.size(), "the third build's archive beside it: " + now);
    }

    /**
     * A cache folder whose path holds a space (a home folder on a laptop, a CI workspace): the archive the
     * first check writes there is mapped by the next check and by the service. The option that maps it was
     * split at the space, and every check after the first failed, java taking the rest of the path for its
     * main class.
     */
    @Test
    void anArchiveFolderWithASpaceInItsPathIsWrittenAndMapped() throws Exception {
        RealHub hub = RealHub.shared();
        Path cds = dir.resolve("build cache/hubprobe");
        Map<String, String> env = Map.of("HUB_TOKEN", hub.serviceToken(), "HUBPROBE_CDS_DIR", cds.toString());
        assertEquals(0, launch(env, "check", "--hub-url", hub.url(), "--token-env", "HUB_TOKEN", "--user", RealHub.user("ok")));
        List<Path> written = archives(cds);
        assertEquals(1, written.size(), "the first passing check wrote the archive: " + written);
        assertEquals(0, launch(env, "check", "--hub-url", hub.url(), "--token-env", "HUB_TOKEN", "--user", RealHub.user("ok")),
                "a check mapping it passes");
        assertServiceMaps(written.get(0), env, "space");
    }

    /**
     * The launcher as a user types it, from the project folder, with an exported CDPATH (cd then printed the
     * folder it found, which the launcher took for its own path: every command said the jar was not found),
     * through a link to the launcher or to its folder (the jar was looked for beside the link: "not found"),
     * and with a jar whose relative path begins with '-' or '@' (java read it as an option or an argument file).
     */
    @Test
    void aCdpathOrAJarNamedLikeAnOptionDoesNotConfuseTheLauncher() throws Exception {
        Map<String, String> cdpath = new java.util.HashMap<>(Cli.launcherEnv(Map.of("CDPATH", ".:" + dir,
                "HUBPROBE_CDS_DIR", dir.resolve("cds").toString())));
        cdpath.remove("HUBPROBE_JAR");
        assertVersion(new ProcessBuilder("bin/hubprobe", "--version").directory(RealHub.basedir().toFile()), cdpath);
        // a link to the launcher, and a linked folder holding it: the jar is found beside the launcher itself
        Path links = Files.createDirectories(dir.resolve("links"));
        Files.createSymbolicLink(links.resolve("hubprobe"), Cli.launcher().toAbsolutePath());
        Files.createSymbolicLink(links.resolve("bin"), Cli.launcher().toAbsolutePath().getParent());
        assertVersion(new ProcessBuilder(links.resolve("hubprobe").toString(), "--version").directory(dir.toFile()), cdpath);
        assertVersion(new ProcessBuilder(links.resolve("bin/hubprobe").toString(), "--version").directory(dir.toFile()), cdpath);
        // a relative link named like an option, run as sh runs a script it is given
        Files.createSymbolicLink(links.resolve("-hubprobe"), Path.of("bin/hubprobe"));
        assertVersion(new ProcessBuilder("sh", "--", "-hubprobe", "--version").directory(links.toFile()), cdpath);
        for (String name : List.of("-hubprobe.jar", "@hubprobe.jar")) {
            Files.copy(Cli.jar(), dir.resolve(name));
            assertVersion(new ProcessBuilder(Cli.launcher().toString(), "--version").directory(dir.toFile()),
                    Cli.launcherEnv(Map.of("HUBPROBE_JAR", name, "HUBPROBE_CDS_DIR", dir.resolve("cds").toString())));
        }
    }

    private static void assertVersion(ProcessBuilder pb, Map<String, String> env) throws Exception {
        pb.environment().putAll(env);
        String out = succeeded(pb);
        assertTrue(out.startsWith("hubprobe "), "the version, and nothing before it: " + out);
    }

    /** Whether this machine's libc is glibc, as the launcher asks: getconf knows GNU_LIBC_VERSION. */
    private static boolean onGlibc() throws Exception {
        try {
            Process p = new ProcessBuilder("getconf", "GNU_LIBC_VERSION").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("getconf did not answer in 10 s");
            }
            return p.exitValue() == 0;
        } catch (java.io.IOException noGetconf) {
            return false;
        }
    }

    /** What the launcher printed (stdout and stderr), once it ended within a minute with exit 0. */
    private static String succeeded(ProcessBuilder pb) throws Exception {
        Process p = pb.redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the launcher ended");
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    /**
     * A JDK of release 25 or newer (the CI machine has a Temurin JDK beside Debian's 17): HUBPROBE_TEST_JDK25,
     * or the newest under /usr/lib/jvm. Its bin folder.
     */
    private static Path jdk25() throws Exception {
        String chosen = System.getenv("HUBPROBE_TEST_JDK25");
        List<Path> homes = new java.util.ArrayList<>();
        if (chosen != null && !chosen.isBlank()) {
            homes.add(Path.of(chosen));
        } else if (Files.isDirectory(Path.of("/usr/lib/jvm"))) {
            try (var all = Files.list(Path.of("/usr/lib/jvm"))) {
                all.sorted(java.util.Comparator.reverseOrder()).forEach(homes::add);
            }
        }
        for (Path home : homes) {
            Path release = home.resolve("release");
            if (Files.isRegularFile(release) && Files.isExecutable(home.resolve("bin/java"))) {
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^JAVA_VERSION=\"(\\d+)").matcher(Files.readString(release));
                if (m.find() && Integer.parseInt(m.group(1)) >= 25) {
                    return home.resolve("bin");
                }
            }
        }
        throw new AssertionError("no JDK 25 or newer: the launcher's AOT cache is what runs there. Set HUBPROBE_TEST_JDK25 to one's"
                + " home (the folder with its release file); looked in " + (chosen != null && !chosen.isBlank() ? chosen : "/usr/lib/jvm"));
    }

    /**
     * On JDK 25 the launcher's archive is an AOT cache: written by the first passing check, never by one cut
     * short, with no recording left beside it; the first check's report on stdout is the report alone (JDK 25
     * prints its cache messages to stdout, which would corrupt a CI job's JSON); the service maps the cache.
     */
    @Test
    void onJdk25TheArchiveIsAnAotCacheAndTheFirstReportStaysClean() throws Exception {
        RealHub hub = RealHub.shared();
        // (a space in the folder's path: the option that maps the cache is one word; on JDK 17, see
        // anArchiveFolderWithASpaceInItsPathIsWrittenAndMapped)
        Path cds = dir.resolve("aot cache");
        Map<String, String> env = Map.of("HUB_TOKEN", hub.serviceToken(), "HUBPROBE_CDS_DIR", cds.toString(),
                "PATH", jdk25() + ":" + System.getenv("PATH"));
        assertEquals(1, launch(env, "check", "--hub-url", "http://127.0.0.1:1/", "--token-env", "HUB_TOKEN", "--user", RealHub.user("ok")));
        assertEquals(List.of(), archives(cds), "a check that failed at an unreachable hub leaves nothing, no recording either");
        ProcessBuilder pb = new ProcessBuilder(Cli.launcher().toString(), "check", "--hub-url", hub.url(), "--token-env", "HUB_TOKEN",
                "--user", RealHub.user("ok"), "--format", "json").redirectError(dir.resolve("first.err").toFile());
        pb.environment().putAll(Cli.launcherEnv(env));
        Process p = pb.start();
        String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the first check ended");
        assertEquals(0, p.exitValue(), () -> stdout + readQuietly(dir.resolve("first.err")));
        com.fasterxml.jackson.databind.JsonNode report = new com.fasterxml.jackson.databind.ObjectMapper().readTree(stdout);
        assertEquals("passed", report.path("status").asText(), stdout);
        assertTrue(stdout.strip().endsWith("}"), "nothing after the report: " + stdout.substring(Math.max(0, stdout.length() - 400)));
        List<Path> written = archives(cds);
        assertEquals(1, written.size(), "one cache, no recording or temporary file beside it: " + written);
        assertTrue(written.get(0).getFileName().toString().matches("hubprobe-\\d+\\.aot"), written.toString());
        assertEquals(0, launch(env, "check", "--hub-url", hub.url(), "--token-env", "HUB_TOKEN", "--user", RealHub.user("ok")),
                "a check with the cache mapped passes");
        assertEquals(written, archives(cds), "the second check wrote nothing more");
        assertServiceMaps(written.get(0), env, "aot");
    }

    /**
     * Starts bin/hubprobe with these arguments on JDK 25, waits for the launcher's second JVM (the one that
     * assembles the AOT cache after the command) and sends the launcher this signal; returns its exit code.
     */
    private int signalDuringTheAssembly(Path cds, String signal, Map<String, String> extra, String... args) throws Exception {
        return signalDuringTheAssembly(cds, signal, jdk25(), "-XX:AOTMode=create", extra, args);
    }

    /** As above, on the JDK in {@code jdkBin}, waiting for a second JVM whose command line has {@code marker}. */
    private int signalDuringTheAssembly(Path cds, String signal, Path jdkBin, String marker, Map<String, String> extra, String... args)
            throws Exception {
        Map<String, String> env = new java.util.HashMap<>(extra);
        env.put("HUBPROBE_CDS_DIR", cds.toString());
        env.put("PATH", jdkBin + ":" + System.getenv("PATH"));
        // a Ctrl-C at a terminal: INT at its default. A suite started in the background of a script (nohup,
        // `mvn ... &`) inherits INT ignored, and a shell cannot trap what it was started ignoring
        List<String> cmd = new java.util.ArrayList<>(List.of("env", "--default-signal=INT", Cli.launcher().toString()));
        cmd.addAll(List.of(args));
        Path log = dir.resolve(signal + ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(Cli.launcherEnv(env));
        Process launcher = pb.start();
        List<ProcessHandle> assembling = new java.util.ArrayList<>();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (assembling.isEmpty() && System.nanoTime() < deadline && launcher.isAlive()) {
                launcher.toHandle().descendants().filter(j -> j.info().commandLine().orElse("").contains(marker))
                        .forEach(assembling::add);
                Thread.sleep(20);
            }
            assertFalse(assembling.isEmpty(), () -> "the cache is being assembled: " + readQuietly(log));
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(launcher.pid())).inheritIO().start();
            assertTrue(kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0);
            assertTrue(launcher.waitFor(60, TimeUnit.SECONDS), "the launcher ended after " + signal);
            for (ProcessHandle j : assembling) {
                assertTrue(j.onExit().get(30, TimeUnit.SECONDS) != null && !j.isAlive(), "the assembling JVM was stopped too");
            }
            return launcher.exitValue();
        } finally {
            launcher.destroyForcibly();
            assembling.forEach(ProcessHandle::destroyForcibly);
        }
    }

    /**
     * JDK 17: the archive is dumped in a second JVM too (about 1.5 s, after the first check's report or in
     * the image's build): a stop then ends the launcher as stopped, with neither the half-made archive nor
     * the recorded class list left in the cache folder.
     */
    @Test
    void aStopWhileTheArchiveIsDumpedLeavesNothingBehind() throws Exception {
        Path cds = dir.resolve("cds-dump-stopped");
        Path jdk = Path.of(System.getProperty("java.home"), "bin");
        assertEquals(143, signalDuringTheAssembly(cds, "TERM", jdk, "-Xshare:dump", Map.of(), "write-class-archive"));
        assertEquals(List.of(), archives(cds), "no archive, no temporary file after a TERM");
        RealHub hub = RealHub.shared();
        assertEquals(130, signalDuringTheAssembly(cds, "INT", jdk, "-Xshare:dump", Map.of("HUB_TOKEN", hub.serviceToken()),
                "check", "--hub-url", hub.url(), "--token-env", "HUB_TOKEN", "--user", RealHub.user("ok"), "--format", "json"));
        assertEquals(List.of(), archives(cds), "no archive, no recording, no temporary file after a Ctrl-C");
    }

    /**
     * A stop in the second or so after the first check, while the launcher assembles the AOT cache (a CI
     * job's timeout, a Ctrl-C once the report is out): the launcher ends as stopped, and leaves neither the
     * half-made cache nor the recording (35 MB) in the cache folder. The launcher used to be killed there
     * with both left behind, for good, after every such stop.
     */
    @Test
    void aStopWhileTheAotCacheIsAssembledLeavesNothingBehind() throws Exception {
        Path cds = dir.resolve("cds-stopped");
        assertEquals(143, signalDuringTheAssembly(cds, "TERM", Map.of("TRAINING_TOKEN", "not-a-real-token"),
                "write-class-archive", "check", "--hub-url", "http://127.0.0.1:9/", "--token-env", "TRAINING_TOKEN", "--user", "nobody"));
        assertEquals(List.of(), archives(cds), "no cache, no recording, no temporary file after a TERM");
        RealHub hub = RealHub.shared();
        assertEquals(130, signalDuringTheAssembly(cds, "INT", Map.of("HUB_TOKEN", hub.serviceToken()),
                "check", "--hub-url", hub.url(), "--token-env", "HUB_TOKEN", "--user", RealHub.user("ok"), "--format", "json"));
        assertEquals(List.of(), archives(cds), "no cache, no recording, no temporary file after a Ctrl-C");
    }

    /**
     * A service given a heap of 32 GB or more (HUBPROBE_HEAP) on JDK 25 runs without compressed oops, and the
     * JVM refuses the checks' AOT cache with three "[error][aot]" lines on every start, for a service that
     * runs as well without it: a 3 a.m. reader of its log takes them for the failure. The launcher does not
     * map it there, and says why in one line; the service starts and serves.
     */
    @Test
    void aServiceWithAHeapTooBigForTheAotCacheStartsWithoutItAndSaysWhyInOneLine() throws Exception {
        RealHub hub = RealHub.shared();
        Path cds = dir.resolve("cds-big");
        Map<String, String> env = new java.util.HashMap<>(Map.of("HUB_TOKEN", hub.serviceToken(), "TRAINING_TOKEN", "not-a-real-token",
                "HUBPROBE_CDS_DIR", cds.toString(), "PATH", jdk25() + ":" + System.getenv("PATH")));
        assertEquals(0, launch(env, "write-class-archive", "check", "--hub-url", "http://127.0.0.1:9/", "--token-env", "TRAINING_TOKEN",
                "--user", "nobody"));
        List<Path> cache = archives(cds);
        assertEquals(1, cache.size(), cache.toString());
        env.put("HUBPROBE_HEAP", "40g");
        Path log = dir.resolve("big-svc.log");
        try (Service s = Service.startWithLauncher(oneHubConfig("big"), env, log)) {
            assertEquals(200, s.get("/health").statusCode(), "the service serves");
            String maps = Files.readString(Path.of("/proc", Long.toString(s.pid()), "maps"), StandardCharsets.UTF_8);
            assertFalse(maps.contains(cache.get(0).toString()), "the cache is not mapped");
        }
        String out = Files.readString(log);
        assertFalse(out.contains("[error"), () -> "no JVM error about the cache: " + out);
        assertTrue(out.contains("hubprobe: not mapping the checks' AOT cache: HUBPROBE_HEAP=40g is 32 GB or more"), out);
    }

    private static String readQuietly(Path file) {
        try {
            return Files.readString(file);
        } catch (java.io.IOException e) {
            return "";
        }
    }

    private void assertServiceMaps(Path archive, Map<String, String> env, String name) throws Exception {
        try (Service s = Service.startWithLauncher(oneHubConfig(name), env, dir.resolve(name + "-svc.log"))) {
            String maps = Files.readString(Path.of("/proc", Long.toString(s.pid()), "maps"), StandardCharsets.UTF_8);
            assertTrue(maps.contains(archive.toString()), "the service's JVM maps the archive the check wrote: " + archive);
        }
    }

    @Test
    void theLauncherPicksTheServiceOptionsAndTheHealthCheckNeedsNoJvm() throws Exception {
        RealHub hub = RealHub.shared();
        int port;
        try (Service s = Service.startWithLauncher(oneHubConfig("h"), Map.of("HUB_TOKEN", hub.serviceToken()), dir.resolve("svc.log"))) {
            port = Integer.parseInt(s.url().substring(s.url().lastIndexOf(':') + 1));
            String cmdline = Files.readString(Path.of("/proc", Long.toString(s.pid()), "cmdline"), StandardCharsets.UTF_8).replace('\0', ' ');
            // -XX:-UsePerfData: the VM thread that samples perf data every 50 ms had 6 % of a new service's CPU (issue 25)
            // the JDK's per-thread cache of temporary direct buffers bounded: H2's chunk reads kept 32 MB of them
            // on a 14-million-run history, and the next read's OutOfMemoryError closed the database (-Pbench-status)
            for (String option : List.of("-XX:+UseSerialGC", "-Xmx160m", "-XX:MaxMetaspaceSize=128m", "-XX:-UsePerfData",
                    "-XX:MaxDirectMemorySize=64m", "-Djdk.nio.maxCachedBufferSize=262144", " -cp ", " dev.hubprobe.cli.Main serve ")) {
                assertTrue(cmdline.contains(option), "the service runs with " + option + ": " + cmdline);
            }
            assertFalse(cmdline.contains(" -jar "), "the class path and main class, not -jar (which reads the jar's directory twice): " + cmdline);
            // C1 compiles what a run goes through after a fifth of the usual calls (issue 25: a new service was still
            // compiling it in its third minute), and the JVM took every command: it says nothing of them, as it would of
            // one it could not parse
            for (String pkg : RUN_PATH) {
                String option = "-XX:CompileCommand=CompileThresholdScaling," + pkg + ".*::*,0.2";
                assertTrue(cmdline.contains(option), "the service runs with " + option + ": " + cmdline);
            }
            assertFalse(cmdline.contains("-XX:CompileThresholdScaling"), "no scaling of all code (6 MB of RSS): " + cmdline);
            // glibc's heap trimmed every 10 s, where this JDK has the option (its JVM library names it) on glibc: without, the
            // memory the JVM frees (C1's arenas, a run's buffers) stayed in the process, 2 to 8 MB of its RSS (issue 25)
            Path libjvm = Path.of(System.getProperty("java.home"), "lib", "server", "libjvm.so");
            boolean knows = new String(Files.readAllBytes(libjvm), StandardCharsets.ISO_8859_1).contains("TrimNativeHeapInterval");
            Runtime.Version v = Runtime.version();
            if (v.feature() >= 25 || v.feature() == 17 && v.update() >= 15) {
                assertTrue(knows, "JDK " + v + " has the option, and " + libjvm + " does not name it");
            }
            boolean trims = knows && onGlibc();
            assertEquals(trims, cmdline.contains(" " + String.join(" ", TRIM) + " "), "trimming on this JDK and libc: " + trims + ": " + cmdline);
            if (trims) {
                // and the JVM runs with it: jcmd lists the flags it was given and took
                ProcessBuilder flags = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                        Long.toString(s.pid()), "VM.flags").redirectErrorStream(true);
                String took = succeeded(flags);
                assertTrue(took.contains("-XX:TrimNativeHeapInterval=10000"), took);
            }
            assertEquals(0, healthcheck(port), "a healthy service");
            // a fresh history's migrations are said before and after: the service serves only once they are done,
            // an upgrade of a big one takes many minutes (the chart's startup probe waits an hour), and without
            // these lines the log of a migrating pod and of a hung one were alike (empty)
            String log = s.output();
            assertFalse(log.contains("CompileCommand"), "no word from the JVM about its compile commands: " + log);
            assertFalse(log.contains("trimnative"), "no word from the JVM about trimming: " + log);
            assertTrue(log.matches("(?s).*INFO  Database - history: applying \\d+ migration\\(s\\), 1 to \\d+, before the service serves.*"), log);
            assertTrue(log.matches("(?s).*INFO  Database - history: migrated to \\d+ in \\d+ s.*"), log);
        }
        assertEquals(1, healthcheck(port), "a service that is gone");
        String docker = Files.readString(RealHub.basedir().resolve("Dockerfile"));
        assertTrue(docker.contains("HEALTHCHECK") && docker.contains("CMD [\"/opt/hubprobe/bin/healthcheck\"]"), docker);
        assertFalse(docker.lines().anyMatch(l -> l.startsWith("HEALTHCHECK") && l.contains("java")), "no JVM per health check");
    }

    /** The packages a probe run goes through, whose code C1 compiles after a fifth of the usual calls in a service. */
    private static final List<String> RUN_PATH = List.of("dev.hubprobe", "okhttp3", "okio", "kotlin", "com.fasterxml", "org.h2",
            "io.micrometer", "io.prometheus", "org.HdrHistogram");

    /**
     * The compile commands' '*'s are the JVM's patterns, never the shell's: started from a folder holding a file named
     * like one of them (any user's, in /tmp or a shared checkout), the service got that name in the command's place,
     * and JDK 17 printed a parse error while JDK 25 would not start at all. Only serve gets them: load's stdout is
     * its JSON report, and its runs were not measured with them.
     */
    @Test
    void theServicesCompileCommandsReachTheJvmAsWrittenWhateverTheWorkingFolderHolds() throws Exception {
        Path cwd = Files.createDirectories(dir.resolve("cwd"));
        Files.createFile(cwd.resolve("-XX:CompileCommand=CompileThresholdScaling,okhttp3.a::b,x,0.2"));
        // the real JVM: the usage, and not a word about compile commands
        ProcessBuilder real = new ProcessBuilder(Cli.launcher().toString(), "serve", "--help").directory(cwd.toFile());
        real.environment().putAll(Cli.launcherEnv(Map.of("HUBPROBE_CDS_DIR", dir.resolve("cds").toString())));
        String out = succeeded(real);
        assertTrue(out.startsWith("Usage: hubprobe serve"), out);
        assertFalse(out.contains("CompileCommand"), out);
        // a java that prints what it was given: exactly what the launcher passed
        Path fake = printingJava(dir.resolve("fake/bin"));
        for (String command : List.of("serve", "load")) {
            List<String> args = givenTo(fake.toString(), cwd, command);
            List<String> commands = args.stream().filter(a -> a.startsWith("-XX:CompileCommand")).toList();
            if (command.equals("load")) {
                assertEquals(List.of(), commands, "load runs at the usual thresholds: " + args);
                continue;
            }
            List<String> expected = new java.util.ArrayList<>(List.of("-XX:CompileCommand=quiet"));
            RUN_PATH.forEach(pkg -> expected.add("-XX:CompileCommand=CompileThresholdScaling," + pkg + ".*::*,0.2"));
            assertEquals(expected, commands, "the patterns as written, not the planted file's name: " + args);
        }
    }

    /** A java that prints what it was given, one argument a line, in {@code folder}; returns the folder. */
    private static Path printingJava(Path folder) throws Exception {
        return script(folder, "java", "for a in \"$@\"; do printf '%s\\n' \"$a\"; done");
    }

    /** An executable sh script {@code name} in {@code folder}; returns the folder. */
    private static Path script(Path folder, String name, String body) throws Exception {
        Path file = Files.createDirectories(folder).resolve(name);
        Files.writeString(file, "#!/bin/sh\n" + body + "\n");
        assertTrue(file.toFile().setExecutable(true));
        return folder;
    }

    /** What the launcher passed to the java first on {@code path} (folders, put before this PATH) for {@code command --help}. */
    private List<String> givenTo(String path, Path cwd, String command) throws Exception {
        return givenTo(path, cwd, command, Map.of());
    }

    /** As {@link #givenTo(String, Path, String)}, with {@code env} besides. */
    private List<String> givenTo(String path, Path cwd, String command, Map<String, String> env) throws Exception {
        return succeeded(launching(path, cwd, command, env)).lines().toList();
    }

    /** The launcher as {@link #givenTo} runs it, with {@code env} besides. */
    private ProcessBuilder launching(String path, Path cwd, String command, Map<String, String> env) {
        ProcessBuilder pb = new ProcessBuilder(Cli.launcher().toString(), command, "--help").directory(cwd.toFile());
        pb.environment().putAll(env);
        pb.environment().putAll(Map.of("HUBPROBE_JAR", Cli.jar().toAbsolutePath().toString(), "HUBPROBE_CDS_DIR", dir.resolve("cds").toString(),
                "PATH", path + ":" + System.getenv("PATH")));
        pb.environment().remove("JAVA_OPTS"); // which would replace every option the launcher picks
        pb.environment().remove("JAVA_TOOL_OPTIONS");
        return pb;
    }

    private static List<String> trimOptions(List<String> args) {
        return args.stream().filter(a -> a.contains("TrimNativeHeapInterval") || a.contains("UnlockExperimental")).toList();
    }

    /**
     * serve has glibc give back what the JVM frees, every 10 s (issue 25: 2 to 8 MB of a service's RSS), only
     * where that JVM knows the option (its library names it; a JDK 17 from before its update refuses to start
     * on an option it does not know) and on glibc (elsewhere the JVM warns at every start that it cannot);
     * load never. A java that prints its arguments, in a JDK folder of the test's making.
     */
    @Test
    void theServiceTrimsGlibcsHeapOnlyWhereTheJvmAndTheLibcCan() throws Exception {
        Path cwd = Files.createDirectories(dir.resolve("cwd"));
        // getconf as glibc's and as musl's (which knows no GNU_LIBC_VERSION), whatever this machine has
        String glibc = script(dir.resolve("glibc"), "getconf", "echo 'glibc 2.36'") + ":";
        String musl = script(dir.resolve("musl"), "getconf", "echo \"getconf: $1: invalid variable\" >&2; exit 1") + ":";
        // a JDK 17 from before the option: its JVM library does not name it
        Path old = printingJava(dir.resolve("old/bin"));
        Path oldLib = Files.createDirectories(dir.resolve("old/lib/server"));
        Files.write(oldLib.resolve("libjvm.so"), "\u007fELF...\0TrimCHeapDCmd\0UseSerialGC\0...".getBytes(StandardCharsets.ISO_8859_1));
        assertEquals(List.of(), trimOptions(givenTo(glibc + old, cwd, "serve")), "a JVM whose library has no such option");
        assertEquals(List.of(), trimOptions(givenTo(glibc + printingJava(dir.resolve("nolib/bin")), cwd, "serve")), "no JVM library there");
        Path with = printingJava(dir.resolve("with/bin"));
        Path lib = Files.createDirectories(dir.resolve("with/lib/server"));
        Files.write(lib.resolve("libjvm.so"), "\u007fELF...\0TrimNativeHeapInterval\0...".getBytes(StandardCharsets.ISO_8859_1));
        assertEquals(TRIM, trimOptions(givenTo(glibc + with, cwd, "serve")), "a JVM that has it, on glibc");
        assertEquals(List.of(), trimOptions(givenTo(glibc + with, cwd, "load")), "load");
        assertEquals(List.of(), trimOptions(givenTo(musl + with, cwd, "serve")), "not glibc");
        // the launcher's own switch, which reaches serve alone (the JVM option through _JAVA_OPTIONS would
        // reach every JVM and stop those that do not know it)
        assertEquals(List.of(), trimOptions(givenTo(glibc + with, cwd, "serve", Map.of("HUBPROBE_NATIVE_TRIM", "off"))), "HUBPROBE_NATIVE_TRIM=off");
        assertEquals(TRIM, trimOptions(givenTo(glibc + with, cwd, "serve", Map.of("HUBPROBE_NATIVE_TRIM", "on"))), "HUBPROBE_NATIVE_TRIM=on");
        // as an env file written on Windows gives it, and in capitals
        assertEquals(List.of(), trimOptions(givenTo(glibc + with, cwd, "serve", Map.of("HUBPROBE_NATIVE_TRIM", "OFF\r"))), "HUBPROBE_NATIVE_TRIM=OFF with a CR");
        for (String[] bad : new String[][] {{"of f", "of f"}, {"onn\r", "onn\\r"}}) {
            Process p = launching(glibc + with, cwd, "serve", Map.of("HUBPROBE_NATIVE_TRIM", bad[0])).redirectErrorStream(true).start();
            String said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            assertEquals(2, p.exitValue(), said);
            assertEquals("hubprobe: HUBPROBE_NATIVE_TRIM=\"" + bad[1] + "\": expected on or off\n", said,
                    "the value named, a CR shown as one, and java not started");
        }
    }

    /** serve's periodic trim of glibc's heap; unlocked, since some JDK 17 updates have it as an experimental option. */
    private static final List<String> TRIM = List.of("-XX:+UnlockExperimentalVMOptions", "-XX:TrimNativeHeapInterval=10000");

    /**
     * A check runs in a heap that starts small and is bounded (issue 25: the JVM's default starts at a
     * 64th of the machine's memory, and a check that never collected touched 9 MB more of it), and
     * still passes against the real hub in it: the JVM's own command line, read while it runs.
     */
    @Test
    void aCheckRunsInASmallBoundedHeapAndPasses() throws Exception {
        RealHub hub = RealHub.shared();
        ProcessBuilder pb = new ProcessBuilder(Cli.launcher().toString(), "check", "--hub-url", hub.url(), "--token-env", "HUB_TOKEN",
                "--user", RealHub.user("ok")).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().putAll(Cli.launcherEnv(Map.of("HUB_TOKEN", hub.serviceToken(), "HUBPROBE_CDS_DIR", dir.resolve("cds").toString())));
        Process p = pb.start();
        List<String> jvm = List.of();
        try {
            // the launcher execs java, or (the first check, writing the archive) runs it as its one child
            while (p.isAlive() && jvm.isEmpty()) {
                jvm = java.util.stream.Stream.concat(java.util.stream.Stream.of(p.toHandle()), p.descendants())
                        .map(h -> h.info().arguments().map(List::of).orElse(List.<String>of()))
                        .filter(args -> args.contains("dev.hubprobe.cli.Main")).findFirst().orElse(List.of());
                Thread.sleep(20);
            }
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the check ended");
        } finally {
            // a check still running (the assertion above failed) is stopped: it cleans up on the hub and ends
            if (p.isAlive()) {
                p.destroy();
                p.waitFor(60, TimeUnit.SECONDS);
            }
        }
        assertEquals(0, p.exitValue(), "the check passed");
        assertFalse(jvm.isEmpty(), "the check's JVM was seen running");
        // (the export lets OkHttp choose its platform before the JVM's security providers are built: OkHttpPlatformIT)
        for (String option : List.of("-Xms8m", "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp",
                "--add-exports=java.base/sun.security.jca=ALL-UNNAMED")) {
            assertTrue(jvm.contains(option), "the check runs with " + option + ": " + jvm);
        }
        // -jar made the JVM read the jar's 16,000-entry directory once more, in Java, for the manifest's Main-Class (issue 25)
        assertFalse(jvm.contains("-jar"), "the check names its main class: " + jvm);
    }
}
