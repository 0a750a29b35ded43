package dev.hubprobe.jupyter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Security;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import okhttp3.internal.platform.Platform;
import dev.hubprobe.testhub.RealHub;
import dev.hubprobe.testhub.RealHubExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * OkHttp's platform chosen without the JVM's providers (issue 25), in JVMs of their own: which classes a
 * JVM loads, and when, is process-wide. Each JVM runs {@link Main}: choose, then OkHttp's first use of its
 * platform, then a line, then what TLS needs. The class-load log and that line share stdout, so the log
 * shows whether SunEC (the dearest provider, built only with all of them) came before or after it.
 */
@ExtendWith(RealHubExtension.class)
class OkHttpPlatformIT {
    private static final String EXPORT = "--add-exports=java.base/sun.security.jca=ALL-UNNAMED";
    private static final String SUN_EC = "sun.security.ec.SunEC ";

    @TempDir
    Path dir;

    /** What one JVM printed, with the class loads up to the platform's choice apart from the rest. */
    private record Run(String beforeChoice, String after) {
    }

    private static Run run(String... jvmOptions) throws IOException, InterruptedException {
        List<String> args = new ArrayList<>(List.of(jvmOptions));
        args.addAll(List.of("-Xshare:off", "-Xlog:class+load=info:stdout:none", "-cp", System.getProperty("java.class.path"),
                Main.class.getName()));
        String text = java(Map.of(), args, 60);
        int mark = text.indexOf(Main.MARK);
        assertTrue(mark >= 0, text);
        return new Run(text.substring(0, mark), text.substring(mark));
    }

    /** Runs this JVM's java with these arguments and variables; its output, once it has ended (within seconds) and passed. */
    private static String java(Map<String, String> env, List<String> args, long seconds) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(seconds, TimeUnit.SECONDS), "the JVM did not end");
        String text = new String(out, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), text);
        return text;
    }

    @Test
    void withTheLaunchersExportOkHttpChoosesTheSamePlatformBeforeAnyProviderButSunIsBuilt() throws Exception {
        Run plain = run();
        Run exported = run(EXPORT);

        // without the export (JAVA_OPTS, plain java) OkHttp built them all to choose, as it always did
        assertTrue(plain.beforeChoice().contains(SUN_EC), plain.beforeChoice());
        // with it, none was built to choose
        assertTrue(!exported.beforeChoice().contains(SUN_EC), exported.beforeChoice());
        assertTrue(!exported.beforeChoice().contains("com.sun.crypto.provider.SunJCE "), exported.beforeChoice());
        // and the choice, this thread's providers afterwards and TLS are the same in both
        assertEquals(line(plain.after(), "platform="), line(exported.after(), "platform="));
        assertEquals("platform=okhttp3.internal.platform.Jdk9Platform", line(exported.after(), "platform="));
        assertEquals(line(plain.after(), "providers="), line(exported.after(), "providers="));
        assertTrue(line(exported.after(), "providers=").contains("SunJSSE"), exported.after());
        assertEquals("tls=TLSv1.3", line(exported.after(), "tls="));
        assertTrue(exported.after().contains(SUN_EC), "TLS builds the providers when it needs them");
    }

    @Test
    void anotherFirstProviderLeavesOkHttpToChooseAsItAlwaysDid() throws Exception {
        // a JVM whose configuration puts another provider first: OkHttp must see that one, so all are built
        Path props = dir.resolve("java.security");
        Files.writeString(props, "security.provider.1=SunRsaSign\nsecurity.provider.2=SUN\n");
        Run other = run(EXPORT, "-Djava.security.properties=" + props);
        assertTrue(other.beforeChoice().contains(SUN_EC), other.beforeChoice());
        assertTrue(line(other.after(), "providers=").startsWith("providers=SunRsaSign,SUN,"), other.after());
    }

    /**
     * The wiring, in a real passing check of the test hub over http: with the launcher's export nothing in
     * it builds SunEC (so hubprobe had OkHttp choose before its first call); without it, as always, it does.
     */
    @Test
    void aPassingCheckOfAnHttpHubBuildsNoProviderButSunWithTheExport() throws Exception {
        RealHub hub = RealHub.shared();
        assertTrue(!checkLoads(hub, true).contains(SUN_EC), "the check with the export built SunEC");
        assertTrue(checkLoads(hub, false).contains(SUN_EC), "the check without the export did not build SunEC");
    }

    /** The classes a passing check loads, in a JVM of its own (with the export or not). */
    private String checkLoads(RealHub hub, boolean export) throws Exception {
        Path log = Files.createTempFile(dir, "classes", ".log");
        List<String> args = new ArrayList<>(export ? List.of(EXPORT) : List.of());
        args.addAll(List.of("-Xshare:off", "-Xlog:class+load=info:file=" + log + ":none", "-cp", System.getProperty("java.class.path"),
                "dev.hubprobe.cli.Main", "check", "--hub-url", hub.url(), "--token-env", "HUB_TOKEN", "--user", RealHub.user("ok"),
                "--format", "json"));
        java(Map.of("HUB_TOKEN", hub.serviceToken()), args, 120);
        return Files.readString(log);
    }

    private static String line(String text, String prefix) {
        return text.lines().filter(l -> l.startsWith(prefix)).findFirst().orElse("(no " + prefix + " line)");
    }

    /** The forked JVM: what a check does, in order. */
    public static final class Main {
        static final String MARK = "--- platform chosen ---";

        public static void main(String[] args) throws Exception {
            OkHttpPlatform.choose();
            Platform chosen = Platform.get();
            System.out.println(MARK);
            System.out.println("platform=" + chosen.getClass().getName());
            List<String> names = new ArrayList<>();
            for (java.security.Provider p : Security.getProviders()) {
                names.add(p.getName());
            }
            System.out.println("providers=" + String.join(",", names));
            System.out.println("tls=" + SSLContext.getDefault().getDefaultSSLParameters().getProtocols()[0]);
        }
    }
}
