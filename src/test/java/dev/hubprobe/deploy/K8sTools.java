package dev.hubprobe.deploy;

import dev.hubprobe.testhub.RealHub;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The Kubernetes tooling scripts/install-k8s-tools.sh builds from the Go module proxy, once per version,
 * into the test cache: helm, kube-apiserver, kine and the Prometheus Operator's CRDs.
 */
record K8sTools(Path helm, Path kubeApiserver, Path kine, Path crds) {
    private static K8sTools shared;

    private static Path helmOnly;

    /** The builder script; a test points it elsewhere. */
    static Path script = RealHub.basedir().resolve("scripts/install-k8s-tools.sh");

    /**
     * A build of helm, or of every tool, that failed: every later test gets this failure at once instead of a build
     * of its own, which on a broken machine would cost each of them up to the 45-minute limit.
     */
    private static IOException failedHelm;

    private static IOException failedAll;

    /** helm alone (what lint, template and package need), built first if it is not yet. */
    static synchronized Path helmBinary() throws IOException, InterruptedException {
        if (shared != null) {
            return shared.helm;
        }
        if (helmOnly == null) {
            if (failedHelm != null) {
                throw new IOException("helm could not be built earlier in this run", failedHelm);
            }
            try {
                helmOnly = Path.of(install("helm").split(" ", 2)[1]);
            } catch (IOException | RuntimeException e) {
                failedHelm = e instanceof IOException io ? io : new IOException(e);
                throw e;
            }
        }
        return helmOnly;
    }

    /** Every tool: helm, kube-apiserver, kine and the CRDs. */
    static synchronized K8sTools shared() throws IOException, InterruptedException {
        if (shared == null) {
            if (failedAll != null) {
                throw new IOException("the Kubernetes tools could not be built earlier in this run", failedAll);
            }
            try {
                shared = installAll();
            } catch (IOException | RuntimeException e) {
                failedAll = e instanceof IOException io ? io : new IOException(e);
                throw e;
            }
        }
        return shared;
    }

    /** Forgets what was built or failed (for the tests of this class). */
    static synchronized void forget() {
        shared = null;
        helmOnly = null;
        failedHelm = null;
        failedAll = null;
    }

    private static K8sTools installAll() throws IOException, InterruptedException {
        String out = install();
        java.util.Map<String, Path> paths = new java.util.HashMap<>();
        for (String line : out.split("\n")) {
            String[] kv = line.split(" ", 2);
            if (kv.length == 2) {
                paths.put(kv[0], Path.of(kv[1]));
            }
        }
        for (String tool : List.of("helm", "kube-apiserver", "kine", "crds")) {
            if (!paths.containsKey(tool) || !Files.exists(paths.get(tool))) {
                throw new IOException("scripts/install-k8s-tools.sh gave no usable " + tool + ": " + out);
            }
        }
        return new K8sTools(paths.get("helm"), paths.get("kube-apiserver"), paths.get("kine"), paths.get("crds"));
    }

    /** Runs scripts/install-k8s-tools.sh (all tools, or those named) and returns its "TOOL PATH" lines. */
    private static String install(String... tools) throws IOException, InterruptedException {
        long start = System.nanoTime();
        List<String> cmd = new java.util.ArrayList<>(List.of("bash", script.toString()));
        cmd.addAll(List.of(tools));
        // a cold build is some 8 minutes on 2 free cores; a busy machine takes longer
        String out = run(cmd, Duration.ofMinutes(45));
        System.err.printf("HelmChartIT: k8s tools %s ready in %.1f s%n", List.of(tools), (System.nanoTime() - start) / 1e9);
        return out;
    }

    /**
     * Runs a command and returns its standard output, or fails once it has run longer than the limit. The output
     * goes to a file, not a pipe read here: reading a pipe to its end would wait as long as any process holding it
     * lives (a go build the script started), and the limit would never be checked. On the limit the whole tree is
     * killed, the script's builds too, so none goes on holding the build's lock or the cores.
     */
    static String run(List<String> cmd, Duration limit) throws IOException, InterruptedException {
        Path out = Files.createTempFile("k8s-tools", ".out");
        try {
            Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).redirectOutput(out.toFile()).start();
            if (!p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                // the children first: once bash is gone they are re-parented and no longer its descendants
                List<ProcessHandle> tree = p.descendants().toList();
                tree.forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
                for (ProcessHandle h : tree) {
                    h.onExit().completeOnTimeout(h, 10, TimeUnit.SECONDS).join();
                }
                throw new IOException(String.join(" ", cmd) + " did not finish in " + limit.toSeconds()
                        + " s; stopped it and every process it started");
            }
            if (p.exitValue() != 0) {
                throw new IOException(String.join(" ", cmd) + " failed (exit " + p.exitValue() + ")");
            }
            return Files.readString(out, StandardCharsets.UTF_8).trim();
        } finally {
            Files.deleteIfExists(out);
        }
    }
}
