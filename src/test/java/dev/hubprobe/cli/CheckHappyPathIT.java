package dev.hubprobe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hubprobe.testhub.Cli;
import dev.hubprobe.testhub.RealHub;
import dev.hubprobe.testhub.RealHubExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** `hubprobe check` passes against a healthy real hub, with a service token and through the login form. */
@ExtendWith(RealHubExtension.class)
class CheckHappyPathIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final RealHub hub = RealHub.shared();

    @TempDir
    Path tmp;

    @Test
    void serviceTokenActingForAProbeUserPassesEveryPhase() throws Exception {
        String user = RealHub.user("ok");
        Path junit = tmp.resolve("junit.xml");
        Cli.Result r = Cli.run(Map.of("HUB_TOKEN", hub.serviceToken()), "check", "--hub-url", hub.url(), "--token-env",
                "HUB_TOKEN", "--user", user, "--format", "json", "--junit", junit.toString(), "--verbose");
        JsonNode json = assertAllPassed(r, user);
        for (String out : List.of(r.stdout(), r.stderr(), Files.readString(junit))) {
            assertFalse(out.contains(hub.serviceToken()), "the token leaked:\n" + out);
        }
        assertTrue(json.path("notes").toString().contains("created hub user " + user), json.toString());
        // the token minted for the run was deleted at cleanup
        assertTrue(hub.tokenNotes(user).stream().noneMatch(n -> n.startsWith("hubprobe run")), "minted token left behind");
    }

    @Test
    void formLoginPassesEveryPhase() throws Exception {
        String user = RealHub.user("ok");
        Cli.Result r = Cli.run(Map.of("HUB_PASSWORD", hub.password()), "check", "--hub-url", hub.url(), "--username", user,
                "--password-env", "HUB_PASSWORD", "--format", "json", "--verbose");
        assertAllPassed(r, user);
        assertFalse(r.stdout().contains(hub.password()) || r.stderr().contains(hub.password()), "the password leaked");
    }

    /**
     * A plain check is read without picocli (issue 25: building picocli's model of check by reflection was
     * about a quarter of a check's CPU, and its Java 5 classes cannot be in the class-data archive), and
     * logs without logback (its set-up was about 30 ms), and spins few method-handle classes: --verbose still shows hubprobe's INFO and DEBUG lines
     * (here the run's summary), the token masked.
     */
    @Test
    void aPlainCheckPassesWithoutPicocliOrLogback() throws Exception {
        String user = RealHub.user("ok");
        Path classes = tmp.resolve("classes.txt");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xlog:class+load:file=" + classes, "-jar", Cli.jar().toString(), "check", "--hub-url", hub.url(), "--token-env",
                "HUB_TOKEN", "--user", user, "--format", "json", "--verbose").redirectErrorStream(false);
        pb.environment().put("HUB_TOKEN", hub.serviceToken());
        Process p = pb.start();
        p.getOutputStream().close();
        java.util.concurrent.CompletableFuture<String> err = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getErrorStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            } catch (java.io.IOException e) {
                return e.toString();
            }
        });
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(p.waitFor(5, java.util.concurrent.TimeUnit.MINUTES), "check did not end");
        assertAllPassed(new Cli.Result(p.exitValue(), out, err.join()), user);
        List<String> picocli = Files.readAllLines(classes).stream().filter(l -> l.contains(" picocli.")).toList();
        assertTrue(picocli.stream().noneMatch(l -> l.contains(" picocli.CommandLine ") || l.contains("CommandLine$Model")), picocli.toString());
        assertTrue(picocli.size() <= 3, picocli.toString());
        // string concatenation compiled without invokedynamic (pom.xml: -XDstringConcat=inline): 29 method-handle
        // classes spun at run time before, 4 after (the JDK's and libraries' own)
        List<String> spun = Files.readAllLines(classes).stream().filter(l -> l.contains("LambdaForm$MH/") && l.contains("__JVM_LookupDefineClass__"))
                .toList();
        assertTrue(spun.size() <= 10, spun.size() + " spun: " + spun);
        List<String> logback = Files.readAllLines(classes).stream().filter(l -> l.contains(" ch.qos.logback.")).toList();
        assertTrue(logback.isEmpty(), logback.toString());
        String stderr = err.join();
        assertTrue(stderr.lines().anyMatch(l -> l.matches("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO  ProbeRunner - probe kernel-smoke on hub .* passed in \\d+ ms")), stderr);
        assertFalse(stderr.contains(hub.serviceToken()), stderr);
    }

    static JsonNode assertAllPassed(Cli.Result r, String user) throws Exception {
        assertEquals(0, r.exit(), () -> "exit code; stdout:\n" + r.stdout() + "\nstderr:\n" + r.stderr());
        JsonNode json = JSON.readTree(r.stdout());
        assertEquals("passed", json.path("status").asText());
        assertEquals(user, json.path("user").asText());
        assertNull(json.get("failed_phase").textValue());
        assertNull(json.get("reason").textValue());
        double sum = 0;
        for (JsonNode p : json.path("phases")) {
            assertEquals("passed", p.path("status").asText(), p.toString());
            double d = p.path("duration_seconds").asDouble();
            assertTrue(d > 0, "phase " + p.path("name").asText() + " took no time: " + d);
            sum += d;
        }
        assertEquals(8, json.path("phases").size());
        assertTrue(sum <= json.path("duration_seconds").asDouble(), "phases sum " + sum + " > total");
        return json;
    }
}
