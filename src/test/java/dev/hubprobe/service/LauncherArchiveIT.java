package dev.hubprobe.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hubprobe.testhub.Cli;
import dev.hubprobe.testhub.RealHub;
import dev.hubprobe.testhub.RealHubExtension;
import dev.hubprobe.testhub.Service;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The class-data archive is code the JVM maps and runs without verifying it. {@code bin/hubprobe}
 * maps one only from a folder no other user can write, names it for the JDK actually run (not the
 * directory of {@code java} on the PATH), and the image builds its own at build time. The archive-
 * writing first check runs java as a child: a stop reaches it, and it cleans up on the hub.
 */
@ExtendWith(RealHubExtension.class)
class LauncherArchiveIT {
    private static final Pattern LINE = Pattern.compile("hubprobe: not using a class-data archive from .*");

    @TempDir
    Path dir;

    private static String mode(Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    private static List<Path> list(Path folder) throws Exception {
        if (!Files.isDirectory(folder)) {
            return List.of();
        }
        try (var files = Files.list(folder)) {
            return files.sorted().toList();
        }
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

    /** Starts the service through the launcher; returns what its JVM maps, what it printed first, and its command line. */
    private String[] serviceMapsAndOutput(Map<String, String> env, String name) throws Exception {
        Map<String, String> all = new HashMap<>(env);
        all.put("HUB_TOKEN", RealHub.shared().serviceToken());
        try (Service s = Service.startWithLauncher(oneHubConfig(name), all, dir.resolve(name + "-svc.log"))) {
            String maps = Files.readString(Path.of("/proc", Long.toString(s.pid()), "maps"), StandardCharsets.UTF_8);
            String cmdline = Files.readString(Path.of("/proc", Long.toString(s.pid()), "cmdline"), StandardCharsets.UTF_8).replace('\0', ' ');
            return new String[] {maps, s.output(), cmdline};
        }
    }

    /**
     * The Dockerfile's archive step, run as written with its paths moved into {@code dir}: the image's
     * launcher, jar and archive folder. A container engine is not needed to run the commands themselves.
     */
    private Path buildArchiveAsTheImageDoes(Path cds, Path jar) throws Exception {
        String docker = Files.readString(RealHub.basedir().resolve("Dockerfile"));
        Matcher run = Pattern.compile("(?m)^RUN (.*write-class-archive.*)$").matcher(docker);
        assertTrue(run.find(), "the Dockerfile builds the class-data archive at image build time");
        String command = run.group(1).replace("/opt/hubprobe/bin/hubprobe", Cli.launcher().toString())
                .replace("/opt/hubprobe/cds", cds.toString());
        assertTrue(docker.contains("HUBPROBE_CDS_DIR=/opt/hubprobe/cds") && !docker.contains("HUBPROBE_CDS_DIR=/var/lib"),
                "the image maps its archive from a root-owned folder, never the data volume");
        assertTrue(Pattern.compile("(?m)^COPY .*\\bbin/hubprobe\\.classlist\\b.* /opt/hubprobe/bin/$").matcher(docker).find(),
                "the image ships the class list beside its launcher");
        ProcessBuilder pb = new ProcessBuilder("sh", "-c", command).redirectErrorStream(true);
        pb.environment().putAll(Cli.launcherEnv(Map.of("HUBPROBE_JAR", jar.toString(), "HUBPROBE_CDS_DIR", cds.toString())));
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        List<Path> written = list(cds);
        assertEquals(1, written.size(), "one archive, no temporary file left: " + written);
        assertTrue(written.get(0).getFileName().toString().matches("hubprobe-\\d+\\.jsa"), written.toString());
        assertEquals("r--r--r--", mode(written.get(0)), "read-only");
        assertEquals("r-xr-xr-x", mode(cds), "nobody writes the folder afterwards");
        return written.get(0);
    }

    /**
     * 19.12, the image: its archive step writes a read-only archive into a folder only its owner (root,
     * in the image) could write, with no temporary file left, and the service maps it (unless its heap is
     * too big for the archive's compressed oops).
     */
    @Test
    void theImagesArchiveIsBuiltAtBuildTimeReadOnlyAndMapped() throws Exception {
        Path jar = Files.copy(Cli.jar(), dir.resolve("hubprobe.jar"));
        Path cds = dir.resolve("cds");
        Path archive = buildArchiveAsTheImageDoes(cds, jar);
        String[] service = serviceMapsAndOutput(Map.of("HUBPROBE_CDS_DIR", cds.toString(), "HUBPROBE_JAR", jar.toString()), "image");
        assertTrue(service[0].contains(archive.toString()), "the service maps the archive the image build wrote");
        assertFalse(LINE.matcher(service[1]).find(), service[1]);

        // a heap of 32 GB or more has no compressed oops, which the archive was dumped with: JDK 17 refused it
        // silently, and the service ran with no class sharing at all (the dumped archive stands in for the
        // JDK's own); it is not given then, and the JVM maps the JDK's archive for such a heap
        // (036g: 36 GB to java, which reads decimal; sh's arithmetic read it as octal, 30 GB)
        String[] big = serviceMapsAndOutput(Map.of("HUBPROBE_CDS_DIR", cds.toString(), "HUBPROBE_JAR", jar.toString(),
                "HUBPROBE_HEAP", "036g"), "image-big");
        assertFalse(big[2].contains("-XX:SharedArchiveFile="), "a 36 GB heap's service is not given it: " + big[2]);
        assertTrue(big[2].contains("-Xmx036g"), big[2]);
        assertFalse(big[0].contains(archive.toString()), "nor maps it");
        // (the launcher's java is the test JVM's: Cli.launcherEnv puts its bin first on the PATH)
        Path nocoops = Path.of(System.getProperty("java.home"), "lib", "server", "classes_nocoops.jsa");
        if (Files.isRegularFile(nocoops)) {
            assertTrue(big[0].contains(nocoops.toRealPath().toString()), "it maps the JDK's own archive for its heap: " + nocoops);
        }
        assertFalse(big[1].contains("[error") || big[1].contains("][cds"), big[1]);

        // and 08g, which sh's arithmetic refused as octal ("Illegal number"): the launcher ended before java
        Cli.Result eight = Cli.launch(Map.of("HUBPROBE_CDS_DIR", cds.toString(), "HUBPROBE_JAR", jar.toString(), "HUBPROBE_HEAP", "08g"),
                "serve", "--help");
        assertEquals(0, eight.exit(), eight.stdout() + eight.stderr());
    }

    /** The launcher's options for a check that matter to what it loads and whether an archive maps. */
    private static final String CHECK_OPTS = "-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xms8m -Xmx128m -Xlog:disable -Xlog:all=error:stderr";

    /** What the list that ships says of itself, above the classes. */
    private static final String LIST_HEADER = """
            # The classes a passing `hubprobe check` loads (kernel-smoke on a real JupyterHub), one per line as
            # -XX:DumpLoadedClassList writes them: the image's class-data archive is dumped from this list at
            # image build time (bin/hubprobe write-class-archive), where no hub answers. A listed class the jar
            # no longer has is skipped. LauncherArchiveIT.theImagesArchiveHoldsWhatAPassingCheckLoads makes
            # the list anew on each run (target/hubprobe.classlist) and fails when a passing check loads classes
            # this one lacks: copy that file over this one then.
            """;

    /**
     * Issue 25, the image: its archive is dumped from the list that ships beside the launcher, and a
     * passing check on the real hub then loads next to nothing from the jar or the JDK's modules. Recorded
     * from a check against a closed port instead (no hub answers at image build time), it missed 240
     * classes (the kernel client, the websocket, the JSON of the hub's answers) and such a check took 19 %
     * more CPU than with an archive a passing check wrote. This build's list is written to
     * target/hubprobe.classlist each run: what to copy over bin/hubprobe.classlist when this fails.
     */
    @Test
    void theImagesArchiveHoldsWhatAPassingCheckLoads() throws Exception {
        RealHub hub = RealHub.shared();
        Path jar = Files.copy(Cli.jar(), dir.resolve("hubprobe.jar"));
        String[] check = {"check", "--hub-url", hub.url(), "--token-env", "HUB_TOKEN", "--user", RealHub.user("ok")};
        Path loaded = dir.resolve("loaded.classlist");
        Cli.Result listing = Cli.launch(Map.of("HUB_TOKEN", hub.serviceToken(), "HUBPROBE_JAR", jar.toString(),
                "JAVA_OPTS", CHECK_OPTS + " -XX:DumpLoadedClassList=" + loaded), check);
        assertEquals(0, listing.exit(), listing.stdout() + listing.stderr());
        List<String> classes = Files.readAllLines(loaded).stream().filter(l -> !l.startsWith("#") && !l.isBlank()).toList();
        assertTrue(classes.contains("dev/hubprobe/cli/Main"), "a list of the check's classes: " + classes.size());
        Path fresh = RealHub.basedir().resolve("target/hubprobe.classlist");
        Files.writeString(fresh, LIST_HEADER + String.join("\n", classes) + "\n");

        Path archive = buildArchiveAsTheImageDoes(dir.resolve("cds"), jar);
        Path log = dir.resolve("class-load.log");
        Cli.Result r = Cli.launch(Map.of("HUB_TOKEN", hub.serviceToken(), "HUBPROBE_JAR", jar.toString(), "JAVA_OPTS", CHECK_OPTS
                + " -Xshare:on -XX:SharedArchiveFile=" + archive + " -Xlog:class+load=info:file=" + log), check);
        assertEquals(0, r.exit(), "a check maps the image's archive (-Xshare:on) and passes: " + r.stdout() + r.stderr());
        List<String> lines = Files.readAllLines(log);
        assertTrue(lines.stream().filter(l -> l.contains("source: shared objects file")).count() > 1500, "most classes from the archive");
        // neither spun at run time (lambdas, method handles: hidden, named with their address) nor JFR's events,
        // which no archive holds
        List<String> outside = lines.stream().filter(l -> l.contains(" source: ") && !l.contains("source: shared objects file"))
                .map(l -> l.substring(l.indexOf("] ") + 2, l.indexOf(" source: ")))
                .filter(name -> !name.contains("/0x") && !name.startsWith("jdk.internal.event."))
                .toList();
        assertTrue(outside.size() <= 10, "a passing check loaded " + outside.size() + " classes outside the image's archive ("
                + outside + "): if bin/hubprobe.classlist is out of date, cp " + fresh + " bin/hubprobe.classlist");
    }

    /**
     * Issue 25: an archive that cannot be written (a full cache volume, here a 4 MB file size limit; a memory
     * cap that kills the dump) is said in one stderr line with the JVM's reason, the check's report and exit
     * untouched and nothing left in the folder: it was silent, and every later check paid the dump again
     * without a word. write-class-archive (an image build) shows the JVM's own lines and exits 1.
     */
    @Test
    void anArchiveThatCannotBeWrittenIsSaidInOneLine() throws Exception {
        RealHub hub = RealHub.shared();
        Path cds = Files.createDirectories(dir.resolve("full"));
        Files.setPosixFilePermissions(cds, PosixFilePermissions.fromString("rwx------"));
        Map<String, String> env = Map.of("HUB_TOKEN", hub.serviceToken(), "HUBPROBE_CDS_DIR", cds.toString());
        String limited = "ulimit -f 4096 && exec \"$0\" \"$@\"";
        Cli.Result check = Cli.runWithLauncherEnv(env, List.of("sh", "-c", limited, Cli.launcher().toString(), "check",
                "--hub-url", hub.url(), "--token-env", "HUB_TOKEN", "--user", RealHub.user("ok"), "--format", "json"));
        assertEquals(0, check.exit(), check.stderr());
        assertEquals("passed", new com.fasterxml.jackson.databind.ObjectMapper().readTree(check.stdout()).path("status").asText(),
                "the report on stdout, whole");
        List<String> said = check.stderr().lines().filter(l -> l.startsWith("hubprobe: no class-data archive could be written into "))
                .toList();
        assertEquals(1, said.size(), check.stderr());
        assertTrue(said.get(0).contains("Unable to write to shared archive file"), said.get(0));
        assertEquals(List.of(), list(cds), "no archive and no temporary file left");

        Cli.Result image = Cli.runWithLauncherEnv(env, List.of("sh", "-c", limited, Cli.launcher().toString(), "write-class-archive"));
        assertEquals(1, image.exit(), image.stderr());
        assertTrue(image.stderr().contains("Unable to write to shared archive file."), "the JVM's own words: " + image.stderr());
        assertEquals(List.of(), list(cds), "nothing left");
    }

    /**
     * 19.12: an archive in a folder another user can write, or writable itself, or owned by another
     * user, is ignored with one line on stderr, and a first check writes nothing into such a folder.
     */
    @Test
    void anArchiveAnotherUserCouldHaveWrittenIsNeverMapped() throws Exception {
        RealHub hub = RealHub.shared();
        Path jar = Files.copy(Cli.jar(), dir.resolve("hubprobe.jar"));
        Path cds = dir.resolve("cds");
        Map<String, String> env = Map.of("HUB_TOKEN", hub.serviceToken(), "HUBPROBE_CDS_DIR", cds.toString(),
                "HUBPROBE_JAR", jar.toString());
        Cli.Result first = Cli.launch(env, "check", "--hub-url", hub.url(), "--token-env", "HUB_TOKEN", "--user", RealHub.user("ok"));
        assertEquals(0, first.exit(), first.stderr());
        List<Path> written = list(cds);
        assertEquals(1, written.size(), written.toString());
        Path archive = written.get(0);

        Files.setPosixFilePermissions(cds, PosixFilePermissions.fromString("rwxrwxr-x"));
        String[] groupFolder = serviceMapsAndOutput(env, "group-folder");
        assertFalse(groupFolder[0].contains(archive.toString()), "not mapped from a group-writable folder");
        assertEquals(1, LINE.matcher(groupFolder[1]).results().count(), "one line says why: " + groupFolder[1]);
        assertTrue(groupFolder[1].contains("chmod 700 " + cds), "and names the remedy: " + groupFolder[1]);

        Files.setPosixFilePermissions(cds, PosixFilePermissions.fromString("rwx------"));
        Files.setPosixFilePermissions(archive, PosixFilePermissions.fromString("rw-rw-rw-"));
        String[] worldArchive = serviceMapsAndOutput(env, "world-archive");
        assertFalse(worldArchive[0].contains(archive.toString()), "a world-writable archive is not mapped");
        assertEquals(1, LINE.matcher(worldArchive[1]).results().count(), worldArchive[1]);
        // an archive file's remedy is to drop the others' write, not the folder's chmod 700
        assertTrue(worldArchive[1].contains("chmod go-w " + archive), "names a file's remedy: " + worldArchive[1]);
        Files.setPosixFilePermissions(archive, PosixFilePermissions.fromString("r--r--r--"));

        if ("root".equals(System.getProperty("user.name"))) {
            // owned by another user (root may make it so; the other cases need no privilege)
            Files.setOwner(archive, archive.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody"));
            String[] othersArchive = serviceMapsAndOutput(env, "others-archive");
            assertFalse(othersArchive[0].contains(archive.toString()), "an archive owned by another user is not mapped");
            assertEquals(1, LINE.matcher(othersArchive[1]).results().count(), othersArchive[1]);
        }

        // a first check, passing, into a shared (world-writable) folder writes nothing there
        Path shared = dir.resolve("shared");
        Files.createDirectory(shared);
        Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwxrwx"));
        Cli.Result r = Cli.launch(Map.of("HUB_TOKEN", hub.serviceToken(), "HUBPROBE_CDS_DIR", shared.toString(), "HUBPROBE_JAR", jar.toString()),
                "check", "--hub-url", hub.url(), "--token-env", "HUB_TOKEN", "--user", RealHub.user("ok"));
        assertEquals(0, r.exit(), r.stderr());
        assertEquals(1, LINE.matcher(r.stderr()).results().count(), r.stderr());
        assertEquals(List.of(), list(shared), "nothing written into a folder others can write");
    }

    /**
     * A ':' in the archive folder's path, named so or reached through a link: the JVM reads such a path as
     * two archives, and on JDK 17 mapped the part before the ':' as its base archive, a file no check here
     * had vetted (another user's, say); JDK 25 refused its AOT options and every first check failed. The
     * folder is not used (nor made, when so named), one line says why, and the check passes without an archive. A ':'
     * in the jar's path would put the folder before it first on java's class path: refused, exit 2.
     */
    @Test
    void aColonInTheArchiveFoldersOrTheJarsPathIsRefused() throws Exception {
        RealHub hub = RealHub.shared();
        Path jar = Files.copy(Cli.jar(), dir.resolve("hubprobe.jar"));
        Path named = dir.resolve("a:cds");
        Map<String, String> env = Map.of("HUB_TOKEN", hub.serviceToken(), "HUBPROBE_CDS_DIR", named.toString(), "HUBPROBE_JAR", jar.toString());
        twoChecksPassWithoutAnArchiveSaying(env, "with ':' in it");
        assertFalse(Files.exists(named), "the folder is not made");

        Path real = Files.createDirectory(dir.resolve("b:real"));
        Path link = Files.createSymbolicLink(dir.resolve("linked"), real);
        // the line names the path the ':' is in, which the folder's own name does not show
        twoChecksPassWithoutAnArchiveSaying(Map.of("HUB_TOKEN", hub.serviceToken(), "HUBPROBE_CDS_DIR", link.toString(),
                "HUBPROBE_JAR", jar.toString()), "with ':' in it (" + real.toRealPath());
        assertEquals(List.of(), list(real), "nothing written through the link");

        Path colonJar = Files.copy(jar, Files.createDirectory(dir.resolve("j:x")).resolve("hubprobe.jar"));
        Cli.Result refused = Cli.launch(Map.of("HUBPROBE_JAR", colonJar.toString(), "HUBPROBE_CDS_DIR", dir.resolve("cds").toString()), "--version");
        assertEquals(2, refused.exit(), refused.stderr());
        assertTrue(refused.stderr().contains(colonJar + ": a jar path with ':' in it"), refused.stderr());
    }

    /**
     * A machine without cksum on the PATH (busybox has none): the archive's name, which holds the jar's
     * checksum, came out empty, one name for every build and JDK, and an archive of another build could be
     * taken for this one's. No archive is written or mapped there, one line says why, and checks pass.
     */
    @Test
    void withoutCksumNoArchiveIsWrittenOrMappedAndOneLineSaysWhy() throws Exception {
        RealHub hub = RealHub.shared();
        Path bin = Files.createDirectory(dir.resolve("bin"));
        for (String tool : List.of("readlink", "stat", "find", "head", "id", "mkdir", "mktemp", "chmod", "rm", "mv", "cat")) {
            Path found = java.util.stream.Stream.of("/usr/bin", "/bin").map(d -> Path.of(d, tool)).filter(Files::isExecutable).findFirst()
                    .orElseThrow(() -> new AssertionError(tool + " not found"));
            Files.createSymbolicLink(bin.resolve(tool), found);
        }
        Files.createSymbolicLink(bin.resolve("java"), Path.of(System.getProperty("java.home"), "bin", "java"));
        Path cds = dir.resolve("cds");
        Map<String, String> env = Map.of("HUB_TOKEN", hub.serviceToken(), "HUBPROBE_CDS_DIR", cds.toString(), "PATH", bin.toString());
        twoChecksPassWithoutAnArchiveSaying(env, "cksum is not on the PATH");
        assertEquals(List.of(), list(cds), "no archive named without the checksum");
    }

    /**
     * Two checks, the first of which would write the archive, both passing without one: one line each says
     * why (this reason), and no shell error beside it.
     */
    private static void twoChecksPassWithoutAnArchiveSaying(Map<String, String> env, String reason) throws Exception {
        for (int i = 0; i < 2; i++) {
            Cli.Result r = Cli.launch(env, "check", "--hub-url", RealHub.shared().url(), "--token-env", "HUB_TOKEN", "--user", RealHub.user("ok"));
            assertEquals(0, r.exit(), r.stderr());
            assertEquals(1, LINE.matcher(r.stderr()).results().count(), r.stderr());
            assertTrue(r.stderr().contains(reason), r.stderr());
            assertFalse(r.stderr().contains("not found"), "no shell error: " + r.stderr());
        }
    }

    /** The image build's archive-writing command: it needs no hub (nothing listens on port 9). */
    private static final String[] TRAINING = {"write-class-archive", "check", "--hub-url", "http://127.0.0.1:9/",
            "--token-env", "HUBPROBE_TRAINING_TOKEN", "--user", "nobody"};

    /**
     * 19.12: a folder another user can write anywhere above the archive folder lets them swap the
     * folder between the launcher's check and the JVM's open, so it is refused as the folder itself
     * would be (one stderr line, nothing written); a sticky one (as /tmp is) is not.
     */
    @Test
    void aParentFolderAnotherUserCanWriteIsRefusedUnlessSticky() throws Exception {
        Path shared = Files.createDirectory(dir.resolve("shared"));
        Path cds = Files.createDirectories(shared.resolve("me/cds"));
        Files.setPosixFilePermissions(cds, PosixFilePermissions.fromString("rwx------"));
        Files.setPosixFilePermissions(shared.resolve("me"), PosixFilePermissions.fromString("rwx------"));
        Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwxrwx"));
        Map<String, String> env = Map.of("HUBPROBE_CDS_DIR", cds.toString(), "HUBPROBE_TRAINING_TOKEN", "not-a-real-token");
        Cli.Result refused = Cli.launch(env, TRAINING);
        assertEquals(1, LINE.matcher(refused.stderr()).results().count(), refused.stderr());
        assertTrue(refused.stderr().contains(shared.toString() + " is writable by another user"), refused.stderr());
        assertNotEquals(0, refused.exit(), refused.stderr());
        assertEquals(List.of(), list(cds), "nothing written below a folder others can write");

        // (the sticky bit is not one of Java's POSIX permissions)
        Process chmod = new ProcessBuilder("chmod", "1777", shared.toString()).inheritIO().start();
        assertTrue(chmod.waitFor(30, TimeUnit.SECONDS) && chmod.exitValue() == 0);
        Cli.Result sticky = Cli.launch(env, TRAINING);
        assertEquals(0, sticky.exit(), sticky.stderr());
        assertFalse(LINE.matcher(sticky.stderr()).find(), sticky.stderr());
        assertEquals(1, list(cds).size(), "written below a sticky shared folder: " + list(cds));
    }

    /**
     * 25: every new build or JDK writes an archive of its own. When one is written, ours that no JVM
     * mapped for over 30 days are removed, and temporary files a killed launcher left over a day ago; a
     * recently used archive (another JDK's), another launcher's temporary file being written now and files
     * not the launcher's stay.
     */
    @Test
    void writingAnArchiveRemovesOursUnusedFor30DaysAndLeftoverTemporaryFiles() throws Exception {
        Path cds = Files.createDirectories(dir.resolve("cds"));
        Files.setPosixFilePermissions(cds, PosixFilePermissions.fromString("rwx------"));
        FileTime old = FileTime.from(Instant.now().minus(Duration.ofDays(40)));
        FileTime yesterday = FileTime.from(Instant.now().minus(Duration.ofHours(30)));
        Path unused = Files.writeString(cds.resolve("hubprobe-111.jsa"), "an old build's archive");
        Path unusedAot = Files.writeString(cds.resolve("hubprobe-112.aot"), "an old JDK's cache");
        Path inUse = Files.writeString(cds.resolve("hubprobe-222.aot"), "another JDK's cache, mapped today");
        Path killed = Files.writeString(cds.resolve("hubprobe-333.Ab12Cd"), "half a recording");
        Path killedConf = Files.writeString(cds.resolve("hubprobe-333.Ab12Cd.conf"), "half a configuration");
        Path writing = Files.writeString(cds.resolve("hubprobe-444.Xy34Zw"), "being written now");
        Path notOurs = Files.writeString(cds.resolve("notes.txt"), "the user's");
        for (Path p : List.of(unused, unusedAot, notOurs)) {
            Files.getFileAttributeView(p, BasicFileAttributeView.class).setTimes(old, old, null);
        }
        Files.getFileAttributeView(inUse, BasicFileAttributeView.class).setTimes(old, FileTime.from(Instant.now()), null);
        for (Path p : List.of(killed, killedConf)) {
            Files.getFileAttributeView(p, BasicFileAttributeView.class).setTimes(yesterday, yesterday, null);
        }
        Cli.Result r = Cli.launch(Map.of("HUBPROBE_CDS_DIR", cds.toString(), "HUBPROBE_TRAINING_TOKEN", "not-a-real-token"), TRAINING);
        assertEquals(0, r.exit(), r.stderr());
        List<Path> left = list(cds);
        for (Path gone : List.of(unused, unusedAot, killed, killedConf)) {
            assertFalse(left.contains(gone), gone.getFileName() + " is removed: " + left);
        }
        for (Path kept : List.of(inUse, writing, notOurs)) {
            assertTrue(left.contains(kept), kept.getFileName() + " stays: " + left);
        }
        List<Path> written = left.stream().filter(p -> !List.of(inUse, writing, notOurs).contains(p)).toList();
        assertEquals(1, written.size(), "one new archive: " + left);
        assertTrue(written.get(0).getFileName().toString().matches("hubprobe-\\d+\\.(jsa|aot)") && Files.size(written.get(0)) > 1_000_000,
                "a real archive was written: " + written);
    }

    /**
     * 25, in a folder the user chose: only the launcher's own archives ({@code hubprobe-STAMP.jsa|aot}) and
     * temporary files ({@code hubprobe-STAMP.XXXXXX}, with {@code .conf}) are ever removed, never a file of
     * the user's that merely starts with {@code hubprobe-} (the project's own file names do:
     * {@code hubprobe-rules.yml}), however old.
     */
    @Test
    void writingAnArchiveLeavesFilesThatAreNeitherItsArchivesNorItsTemporaryFiles() throws Exception {
        Path cds = Files.createDirectories(dir.resolve("cds"));
        Files.setPosixFilePermissions(cds, PosixFilePermissions.fromString("rwx------"));
        FileTime old = FileTime.from(Instant.now().minus(Duration.ofDays(40)));
        List<Path> users = new ArrayList<>();
        for (String name : List.of("hubprobe-rules.yml", "hubprobe-replicas.yml", "hubprobe-2026-10.log", "hubprobe-notes.txt.conf",
                "hubprobe-old.jsa", "hubprobe-1.2.aot")) {
            Path p = Files.writeString(cds.resolve(name), "the user's");
            Files.getFileAttributeView(p, BasicFileAttributeView.class).setTimes(old, old, null);
            users.add(p);
        }
        Cli.Result r = Cli.launch(Map.of("HUBPROBE_CDS_DIR", cds.toString(), "HUBPROBE_TRAINING_TOKEN", "not-a-real-token"), TRAINING);
        assertEquals(0, r.exit(), r.stderr());
        List<Path> left = list(cds);
        for (Path kept : users) {
            assertTrue(left.contains(kept), kept.getFileName() + " stays: " + left);
        }
        assertEquals(users.size() + 1, left.size(), "and the new archive beside them: " + left);
    }

    /**
     * 25: the image's archive folder is read-only (0555, root's). In a container the image's archive is in an
     * image layer, where mapping it never updates its access time (overlayfs), so it looks unused for as long
     * as the image is older than 30 days. Root, writing an archive of another jar there (the README allows
     * it), must not remove the image's: the launcher prunes no folder its owner made read-only.
     */
    @Test
    void anArchiveWrittenIntoTheImagesReadOnlyFolderRemovesNothingThere() throws Exception {
        Path jar = Files.copy(Cli.jar(), dir.resolve("hubprobe.jar"));
        Path cds = dir.resolve("cds");
        Path image = buildArchiveAsTheImageDoes(cds, jar);
        FileTime old = FileTime.from(Instant.now().minus(Duration.ofDays(40)));
        Files.getFileAttributeView(image, BasicFileAttributeView.class).setTimes(old, old, null);
        // another jar: another archive name
        Path other = Files.copy(Cli.jar(), dir.resolve("other.jar"));
        Cli.Result r = Cli.launch(Map.of("HUBPROBE_CDS_DIR", cds.toString(), "HUBPROBE_JAR", other.toString(),
                "HUBPROBE_TRAINING_TOKEN", "not-a-real-token"), TRAINING);
        List<Path> left = list(cds);
        assertTrue(left.contains(image), "the image's archive stays: " + left);
        if ("root".equals(System.getProperty("user.name"))) {
            // root writes into the read-only folder; anyone else cannot
            assertEquals(0, r.exit(), r.stderr());
            assertEquals(2, left.size(), "the other jar's archive beside the image's: " + left);
        } else {
            assertEquals(List.of(image), left, r.stderr());
        }
    }

    /**
     * 19.12, after an upgrade: an older launcher made its cache folder 0775 under umask 002, which every
     * check then refused for good. The launcher's own folder (no HUBPROBE_CDS_DIR), when ours, is made
     * 0700 again, with one line, the archives in it that others made or could have changed are removed,
     * and a new one is written.
     */
    @Test
    void aFolderOfOursThatOthersCouldWriteIsMadeOursAloneAndWhatOthersCouldHaveWrittenRemoved() throws Exception {
        Path cds = Files.createDirectories(dir.resolve("xdg-cache/hubprobe"));
        Files.setPosixFilePermissions(cds.getParent(), PosixFilePermissions.fromString("rwx------"));
        Path groupWritable = Files.writeString(cds.resolve("hubprobe-1.jsa"), "not an archive");
        Files.setPosixFilePermissions(groupWritable, PosixFilePermissions.fromString("rw-rw-r--"));
        Path others = null;
        if ("root".equals(System.getProperty("user.name"))) {
            others = Files.writeString(cds.resolve("hubprobe-2.jsa"), "not an archive either");
            Files.setOwner(others, others.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody"));
        }
        Files.setPosixFilePermissions(cds, PosixFilePermissions.fromString("rwxrwxr-x"));
        Cli.Result r = Cli.launch(Map.of("XDG_CACHE_HOME", cds.getParent().toString(), "HUBPROBE_TRAINING_TOKEN", "not-a-real-token"), TRAINING);
        assertEquals(0, r.exit(), r.stderr());
        assertEquals("rwx------", mode(cds));
        assertFalse(LINE.matcher(r.stderr()).find(), r.stderr());
        assertEquals(1, r.stderr().lines().filter(l -> l.startsWith("hubprobe: made " + cds + " 0700")).count(), r.stderr());
        assertFalse(Files.exists(groupWritable), "a group-writable archive is removed");
        if (others != null) {
            assertFalse(Files.exists(others), "another user's archive is removed");
        }
        List<Path> now = list(cds);
        assertEquals(1, now.size(), now.toString());
        assertTrue(Files.size(now.get(0)) > 1_000_000, "a real archive was written: " + now);
    }

    /**
     * 20.13: Ctrl-C during the archive-writing first check ends it as a Ctrl-C does (130), though java,
     * started in the background, is sent TERM (it would ignore INT), and no archive is kept.
     */
    @Test
    void ctrlCDuringTheArchiveWritingCheckExits130() throws Exception {
        Path cds = dir.resolve("cds");
        // a hub that takes the connection and never answers: the check waits until it is stopped
        try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            // INT at its default, as at a terminal: a suite run in a script's background inherits it ignored
            ProcessBuilder pb = new ProcessBuilder("env", "--default-signal=INT", Cli.launcher().toString(), "check", "--hub-url",
                    "http://127.0.0.1:" + silent.getLocalPort() + "/", "--token-env", "HUB_TOKEN", "--user", "nobody")
                    .redirectErrorStream(true).redirectOutput(dir.resolve("check.log").toFile());
            pb.environment().putAll(Cli.launcherEnv(Map.of("HUB_TOKEN", "not-a-real-token", "HUBPROBE_CDS_DIR", cds.toString())));
            Process launcher = pb.start();
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                boolean running = false;
                while (!running && System.nanoTime() < deadline && launcher.isAlive()) {
                    running = launcher.toHandle().descendants()
                            .anyMatch(j -> j.info().commandLine().orElse("").contains("-Dhubprobe.archive.reported="));
                    Thread.sleep(100);
                }
                assertTrue(running, "the archive-writing java runs: " + Files.readString(dir.resolve("check.log")));
                Thread.sleep(1500); // java is past its start and waiting on the hub
                Process kill = new ProcessBuilder("kill", "-INT", Long.toString(launcher.pid())).inheritIO().start();
                assertTrue(kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0);
                assertTrue(launcher.waitFor(60, TimeUnit.SECONDS), "the launcher ended after Ctrl-C");
                assertEquals(130, launcher.exitValue(), Files.readString(dir.resolve("check.log")));
                assertEquals(List.of(), list(cds), "no archive from a check cut short");
            } finally {
                launcher.descendants().forEach(ProcessHandle::destroyForcibly);
                launcher.destroyForcibly();
            }
        }
    }

    /** A copy of the running JDK (hard links, cheap) at {@code to}. */
    private static void copyJdk(Path to) throws Exception {
        Path jdk = Path.of(System.getProperty("java.home")).toRealPath();
        Process cp = new ProcessBuilder("cp", "-al", jdk.toString(), to.toString()).redirectErrorStream(true).start();
        if (!cp.waitFor(120, TimeUnit.SECONDS) || cp.exitValue() != 0) {
            cp = new ProcessBuilder("cp", "-a", jdk.toString(), to.toString()).redirectErrorStream(true).start();
            assertTrue(cp.waitFor(300, TimeUnit.SECONDS) && cp.exitValue() == 0, "copied the JDK");
        }
    }

    /**
     * 20.14: the JDK is known by its files' size and time in seconds, not by a listing whose time is
     * local and changes format with the file's age: the same JDK and jar under another TZ use the
     * same archive (one archive after two writes, not two).
     */
    @Test
    void theSameJdkUnderAnotherTimeZoneUsesTheSameArchive() throws Exception {
        Path jdk = dir.resolve("jdk-recent");
        copyJdk(jdk);
        // a JDK updated today: its class library is a new file with a recent time (listed as a clock time)
        Path modules = jdk.resolve("lib/modules");
        Files.delete(modules);
        Files.copy(Path.of(System.getProperty("java.home")).toRealPath().resolve("lib/modules"), modules);
        Path cds = dir.resolve("cds");
        Map<String, String> env = new HashMap<>(Map.of("HUBPROBE_CDS_DIR", cds.toString(), "HUBPROBE_TRAINING_TOKEN", "not-a-real-token",
                "PATH", jdk.resolve("bin") + ":" + System.getenv("PATH")));
        env.put("TZ", "UTC");
        Cli.Result utc = Cli.launch(env, TRAINING);
        assertEquals(0, utc.exit(), utc.stderr());
        env.put("TZ", "Asia/Tokyo");
        Cli.Result tokyo = Cli.launch(env, TRAINING);
        assertEquals(0, tokyo.exit(), tokyo.stderr());
        assertEquals(1, list(cds).size(), "one archive for one JDK and jar, whatever TZ says: " + list(cds));
    }

    /**
     * 20.14: {@code java} on the PATH is a link that alternatives (or an update) repoints to another
     * JDK: the archive gets a new name, so the new JDK writes one it can map instead of silently
     * refusing the old JDK's archive on every check.
     */
    @Test
    void anotherJdkBehindTheSameJavaOnThePathGetsAnArchiveOfItsOwn() throws Exception {
        RealHub hub = RealHub.shared();
        Path jdkA = Path.of(System.getProperty("java.home")).toRealPath();
        Path jdkB = dir.resolve("jdk-b");
        // the same JDK at another place is another JDK to the launcher; hard links keep the copy cheap
        Process cp = new ProcessBuilder("cp", "-al", jdkA.toString(), jdkB.toString()).redirectErrorStream(true).start();
        if (!cp.waitFor(120, TimeUnit.SECONDS) || cp.exitValue() != 0) {
            cp = new ProcessBuilder("cp", "-a", jdkA.toString(), jdkB.toString()).redirectErrorStream(true).start();
            assertTrue(cp.waitFor(300, TimeUnit.SECONDS) && cp.exitValue() == 0, "copied the JDK");
        }
        Path alternatives = Files.createDirectories(dir.resolve("usr-bin"));
        Path java = alternatives.resolve("java");
        Files.createSymbolicLink(java, jdkA.resolve("bin/java"));
        Path cds = dir.resolve("cds");
        Path jar = Files.copy(Cli.jar(), dir.resolve("hubprobe.jar"));
        Map<String, String> env = Map.of("HUB_TOKEN", hub.serviceToken(), "HUBPROBE_CDS_DIR", cds.toString(),
                "HUBPROBE_JAR", jar.toString(), "PATH", alternatives + ":" + System.getenv("PATH"));
        String[] check = {"check", "--hub-url", hub.url(), "--token-env", "HUB_TOKEN", "--user", RealHub.user("ok")};

        Cli.Result first = Cli.launch(env, check);
        assertEquals(0, first.exit(), first.stderr());
        List<Path> a = list(cds);
        assertEquals(1, a.size(), a.toString());

        Files.delete(java);
        Files.createSymbolicLink(java, jdkB.resolve("bin/java"));
        Cli.Result second = Cli.launch(env, check);
        assertEquals(0, second.exit(), second.stderr());
        List<Path> both = list(cds);
        assertEquals(2, both.size(), "JDK B got an archive of its own: " + both);
        Path b = both.stream().filter(f -> !f.equals(a.get(0))).findFirst().orElseThrow();
        assertNotEquals(a.get(0), b);
        String[] service = serviceMapsAndOutput(env, "jdk-b");
        assertTrue(service[0].contains(b.toString()), "JDK B's service maps JDK B's archive");
        assertTrue(service[0].contains(jdkB.toString()), "and it is JDK B that runs");
    }

    /**
     * 20.13: the first check (the one that writes the archive) runs java as the launcher's child. A
     * SIGTERM to the launcher mid-spawn (docker stop; as PID 1 a plain sh would even ignore it) reaches
     * java, which cleans up on the hub: the launcher exits once that is done, with no server, no
     * token and no half-written archive left.
     */
    @Test
    void aStopDuringTheArchiveWritingCheckReachesJavaWhichCleansUp() throws Exception {
        RealHub hub = RealHub.shared();
        String user = RealHub.user("slow");
        hub.control("delay-" + user, "120");
        Path cds = dir.resolve("cds");
        ProcessBuilder pb = new ProcessBuilder(Cli.launcher().toString(), "check", "--hub-url", hub.url(), "--token-env", "HUB_TOKEN",
                "--user", user).redirectErrorStream(true).redirectOutput(dir.resolve("check.log").toFile());
        pb.environment().putAll(Cli.launcherEnv(Map.of("HUB_TOKEN", hub.serviceToken(), "HUBPROBE_CDS_DIR", cds.toString())));
        Process launcher = pb.start();
        List<ProcessHandle> javas = new ArrayList<>();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            boolean pending = false;
            while (!pending && System.nanoTime() < deadline && launcher.isAlive()) {
                JsonNode model = hub.userModel(user);
                pending = model != null && "spawn".equals(model.path("servers").path("").path("pending").asText());
                Thread.sleep(200);
            }
            assertTrue(pending, "the check reached the spawn: " + Files.readString(dir.resolve("check.log")));
            launcher.toHandle().descendants().forEach(javas::add);
            assertTrue(javas.stream().anyMatch(j -> j.info().commandLine().orElse("").contains("-Dhubprobe.archive.reported=")),
                    "the archive-writing java runs as the launcher's child");

            long t0 = System.nanoTime();
            launcher.destroy(); // SIGTERM, to the launcher only, as docker stop sends it to PID 1
            assertTrue(launcher.waitFor(90, TimeUnit.SECONDS), "the launcher ended within 90 s of SIGTERM");
            double seconds = (System.nanoTime() - t0) / 1e9;
            for (ProcessHandle j : javas) {
                assertFalse(j.isAlive(), "java ended before the launcher did (a container's end would kill it mid-cleanup)");
            }
            assertNotEquals(0, launcher.exitValue());
            JsonNode model = hub.userModel(user);
            assertTrue(model == null || model.path("servers").isEmpty(), "no server left: " + model);
            List<String> notes = model == null ? List.of() : hub.tokenNotes(user);
            assertTrue(notes.stream().noneMatch(n -> n.startsWith("hubprobe run")), "no minted token left: " + notes);
            assertEquals(List.of(), list(cds), "no archive, and no temporary file, from a check cut short");
            assertTrue(seconds < 60, "ended promptly: " + seconds + " s");
        } finally {
            hub.clearControl("delay-" + user);
            launcher.destroyForcibly();
            // a java the stop never reached is stopped the way that lets it clean up, then for good
            for (ProcessHandle j : javas) {
                j.destroy();
                try {
                    j.onExit().get(90, TimeUnit.SECONDS);
                } catch (java.util.concurrent.TimeoutException e) {
                    j.destroyForcibly();
                }
            }
        }
    }
}
