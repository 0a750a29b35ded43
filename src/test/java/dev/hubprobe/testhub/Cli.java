package dev.hubprobe.testhub;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs the real, packaged {@code target/hubprobe.jar} as a CI job would, and captures what it prints. */
public final class Cli {
    public record Result(int exit, String stdout, String stderr) {
    }

    private Cli() {
    }

    public static Path jar() {
        return Path.of(System.getProperty("hubprobe.jar", "target/hubprobe.jar"));
    }

    /** The shipped launcher, {@code bin/hubprobe}: what the image, bin/demo and users run. */
    public static Path launcher() {
        return RealHub.basedir().resolve("bin/hubprobe");
    }

    /**
     * What the launcher needs besides {@code env}: this build's jar, and this JVM first on the PATH (so
     * its class-data archive is named for the Java the tests run on), unless {@code env} gives a PATH.
     */
    public static Map<String, String> launcherEnv(Map<String, String> env) {
        Map<String, String> all = new java.util.HashMap<>(env);
        all.putIfAbsent("HUBPROBE_JAR", jar().toAbsolutePath().toString());
        all.putIfAbsent("PATH", Path.of(System.getProperty("java.home"), "bin") + ":" + System.getenv("PATH"));
        return all;
    }

    public static Result run(Map<String, String> env, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", jar().toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().putAll(env);
        Process p = pb.start();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("hubprobe did not exit within 5 minutes: " + cmd);
        }
        return new Result(p.exitValue(), out.join(), err.join());
    }

    /** Runs the shipped launcher with these arguments, its environment ({@link #launcherEnv}) and these variables. */
    public static Result launch(Map<String, String> env, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(launcher().toString()));
        cmd.addAll(List.of(args));
        return runWithLauncherEnv(env, cmd);
    }

    /**
     * Runs this command (one that runs the launcher) with the launcher's environment and these variables;
     * its output goes through files, so a chatty command never blocks on a full pipe.
     */
    public static Result runWithLauncherEnv(Map<String, String> env, List<String> cmd) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().putAll(launcherEnv(env));
        Path out = Files.createTempFile(Path.of(System.getProperty("java.io.tmpdir")), "launch", ".out");
        Path err = Files.createTempFile(Path.of(System.getProperty("java.io.tmpdir")), "launch", ".err");
        try {
            pb.redirectOutput(out.toFile()).redirectError(err.toFile());
            Process p = pb.start();
            if (!p.waitFor(180, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(String.join(" ", cmd) + " did not end within 180 s");
            }
            return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    private static String read(java.io.InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "<unreadable: " + e + ">";
        }
    }
}
