package dev.hubprobe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hubprobe.config.Secret;
import dev.hubprobe.jupyter.hub.HubClientSettings;
import dev.hubprobe.probe.ProbeClock;
import dev.hubprobe.probe.ProbeDefinition;
import dev.hubprobe.probe.ProbeRunner;
import dev.hubprobe.probe.ProbeTarget;
import dev.hubprobe.probe.RunResult;
import dev.hubprobe.testhub.Probes;
import dev.hubprobe.testhub.RealHub;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The compatibility matrix: the hub releases and single-user servers hubs run, each a real hub of its
 * own (its lock file under src/test/hub/locks/, installed on first use), and on each the cases a user
 * of hubprobe relies on. The hubs run at once, each its cases one after another; each cell is then
 * reported as a test of its own, and a table of release x case is printed at the end. The README's "Supported hubs" table is what this tests.
 */
class CompatibilityMatrixIT {
    /** Each paired with a hub release whose jupyterhub-singleuser still supports that server. */
    static final List<RealHub.Spec> ALL_HUBS = List.of(
            // z2jh 3.x: classic notebook 6 (NotebookApp) as older images still run it
            new RealHub.Spec("jupyterhub-4.1", "jupyterhub-4.1.lock", "singleuser-notebook6.lock", "notebook", "/", null),
            // z2jh 4.0: jupyter_server 1.x
            new RealHub.Spec("jupyterhub-5.2", "jupyterhub-5.2.lock", "singleuser-server1.lock", null, "/", null),
            // latest 5.x, under a path prefix
            new RealHub.Spec("jupyterhub-5.5", "jupyterhub-5.5.lock", "singleuser-server1.lock", null, "/prefix/", null),
            // today's pin, with JupyterLab as the default URL
            new RealHub.Spec("jupyterhub-6.1", null, "singleuser-lab.lock", null, "/", "/lab"));

    /** -Dhubprobe.matrix=jupyterhub-4.1,jupyterhub-5.2 runs only those columns (while working on one release). */
    static final List<RealHub.Spec> HUBS = ALL_HUBS.stream().filter(h -> System.getProperty("hubprobe.matrix", "").isBlank()
            || List.of(System.getProperty("hubprobe.matrix").split(",")).contains(h.name())).toList();

    /** The hub's version and its single-user server's, as the run's facts must say them (prefixes). */
    private static final Map<String, String[]> VERSIONS = Map.of(
            "jupyterhub-4.1", new String[] {"4.1.6", "6.5.7"},
            "jupyterhub-5.2", new String[] {"5.2.1", "1.24.0"},
            "jupyterhub-5.5", new String[] {"5.5.4", "1.24.0"},
            "jupyterhub-6.1", new String[] {"6.1.1", "2.21.1"});

    static final List<String> CASES = List.of("token", "form_login", "named_server", "server_auto", "spawn_failed",
            "kernel_died", "spawn_timeout", "leftover_sweep", "least_privilege");

    /**
     * The hubs on which the README's minimal role cannot mint (a hub bug fixed in 5.5, see the README's
     * "Supported hubs"): their cell has a name of its own, so the table never says the minimal role
     * passed where it does not work.
     */
    private static final Set<String> MINT_BUG = Set.of("jupyterhub-4.1", "jupyterhub-5.2");

    /** The cases of one hub: the common ones, the known-bug cell in place of least_privilege, and default_url where one is set. */
    static List<String> cases(RealHub.Spec spec) {
        List<String> out = new ArrayList<>(CASES);
        if (MINT_BUG.contains(spec.name())) {
            out.set(out.indexOf("least_privilege"), "least_privilege_known_hub_bug");
        }
        if (spec.defaultUrl() != null) {
            out.add("default_url");
        }
        return out;
    }

    /** Every row of the table, in order: a case a hub does not have is shown as "-" there. */
    private static List<String> rows() {
        List<String> out = new ArrayList<>();
        for (RealHub.Spec h : HUBS) {
            for (String c : cases(h)) {
                if (!out.contains(c)) {
                    out.add(c);
                }
            }
        }
        return out;
    }

    // the environment capture has its own tests; here it would only add seconds to every cell
    private static final String SMOKE = "capture_environment: false\ncells: [{code: 'print(6 * 7)', expect: {output_contains: '42'}}]\n";
    private static final ProbeRunner RUNNER = new ProbeRunner(ProbeClock.SYSTEM, HubClientSettings.defaults("hubprobe-it"));
    private static final Throwable PASSED = new Throwable("passed");
    private static final Map<String, RealHub> STARTED = new ConcurrentHashMap<>();
    private static final Map<String, Throwable> OUTCOMES = new ConcurrentHashMap<>();
    private static final Map<String, Double> SECONDS = new ConcurrentHashMap<>();
    private static long startedAt;

    /**
     * Each hub on a thread of its own: it starts (installing its locks on first use), then runs its
     * cases one after another. The hubs overlap: a case is mostly waiting on a spawn or a kernel, so
     * the matrix takes about as long as its slowest column, not the sum of all.
     */
    @BeforeAll
    @Timeout(value = 15, unit = TimeUnit.MINUTES) // past the suite's default 5 m per method: first use installs
    static void runTheMatrix() throws InterruptedException {
        startedAt = System.nanoTime();
        List<Thread> columns = new ArrayList<>();
        for (RealHub.Spec spec : HUBS) {
            Thread t = new Thread(() -> column(spec), "matrix-" + spec.name());
            t.start();
            columns.add(t);
        }
        for (Thread t : columns) {
            t.join();
        }
    }

    private static void column(RealHub.Spec spec) {
        RealHub hub;
        try {
            hub = RealHub.start(spec);
        } catch (Exception e) {
            AssertionError why = new AssertionError("cannot start hub " + spec + ": " + e.getMessage(), e);
            cases(spec).forEach(c -> OUTCOMES.put(spec.name() + "/" + c, why));
            return;
        }
        STARTED.put(spec.name(), hub);
        for (String c : cases(spec)) {
            long offset = hub.logSize();
            long t0 = System.nanoTime();
            try {
                run(hub, c);
                OUTCOMES.put(spec.name() + "/" + c, PASSED);
            } catch (Throwable e) {
                OUTCOMES.put(spec.name() + "/" + c, e);
                saveLog(hub, spec.name() + "." + c, offset);
            }
            SECONDS.put(spec.name() + "/" + c, (System.nanoTime() - t0) / 1e9);
        }
    }

    private static void saveLog(RealHub hub, String name, long offset) {
        try {
            Path dir = RealHub.basedir().resolve("target/hub-logs");
            Files.createDirectories(dir);
            Path file = dir.resolve("CompatibilityMatrixIT." + name + ".log");
            Files.writeString(file, hub.logSince(offset));
            System.err.println("hub log of the failed cell: " + file);
        } catch (Exception e) {
            System.err.println("could not save the hub log: " + e);
        }
    }

    @AfterAll
    static void stopHubsAndPrintTable() throws Exception {
        // whatever the cells did, each hub is left with no server running or pending
        List<String> left = new ArrayList<>();
        for (Map.Entry<String, RealHub> e : STARTED.entrySet()) {
            e.getValue().activeServers().forEach(s -> left.add(e.getKey() + ": " + s));
        }
        STARTED.values().forEach(RealHub::stop);
        StringBuilder out = new StringBuilder(String.format("%nCompatibility matrix (%.1f s)%n%-30s",
                (System.nanoTime() - startedAt) / 1e9, "case"));
        HUBS.forEach(h -> out.append(String.format(" %-16s", h.name())));
        for (String c : rows()) {
            out.append(String.format("%n%-30s", c));
            for (RealHub.Spec h : HUBS) {
                if (!cases(h).contains(c)) {
                    out.append(String.format(" %-16s", "-"));
                    continue;
                }
                Throwable o = OUTCOMES.get(h.name() + "/" + c);
                String cell = o == null ? "not run" : o == PASSED ? "passed" : "failed";
                out.append(String.format(" %-16s", cell + String.format(" %3.0fs", SECONDS.getOrDefault(h.name() + "/" + c, 0.0))));
            }
        }
        System.out.println(out);
        assertEquals(List.of(), left, "servers the matrix's hubs still list as running or pending");
    }

    static Stream<Arguments> cells() {
        return HUBS.stream().flatMap(h -> cases(h).stream().map(c -> Arguments.of(h.name(), c)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cells")
    void cell(String hubName, String caseName) throws Throwable {
        Throwable outcome = OUTCOMES.get(hubName + "/" + caseName);
        if (outcome == null) {
            throw new AssertionError("the case did not run");
        }
        if (outcome != PASSED) {
            throw outcome;
        }
    }

    private static void run(RealHub hub, String caseName) throws Exception {
        switch (caseName) {
            case "token" -> {
                String user = RealHub.user("ok");
                RunResult r = Probes.run(hub.url(), user, hub.serviceToken(), Probes.probe(SMOKE));
                assertPassed(r);
                // what the hub is: its release, and the single-user server's (notebook 6, jupyter_server 1 or 2)
                String[] versions = VERSIONS.get(hub.spec().name());
                assertTrue(r.facts().getOrDefault("hub_version", "").startsWith(versions[0]), r.facts()::toString);
                assertTrue(r.facts().getOrDefault("server_version", "").startsWith(versions[1]), r.facts()::toString);
                assertTrue(r.notes().stream().noneMatch(n -> n.contains("tested")), r.notes()::toString);
                assertNoServer(hub, user);
            }
            case "form_login" -> {
                String user = RealHub.user("ok");
                RunResult r = RUNNER.run(new ProbeTarget("test", hub.url(), null,
                        new ProbeTarget.Password(user, Secret.of(hub.password()))), Probes.probe(SMOKE));
                assertPassed(r);
                assertNoServer(hub, user);
            }
            case "named_server" -> {
                String user = RealHub.user("ok");
                assertPassed(Probes.run(hub.url(), user, hub.serviceToken(), Probes.probe("server: probe\n" + SMOKE)));
                assertNoServer(hub, user);
            }
            case "server_auto" -> {
                String user = RealHub.user("ok");
                assertPassed(Probes.run(hub.url(), user, hub.serviceToken(), Probes.probe("server: auto\n" + SMOKE)));
                assertNoServer(hub, user);
            }
            case "spawn_failed" -> {
                String user = RealHub.user("fail");
                RunResult r = Probes.run(hub.url(), user, hub.serviceToken(), Probes.probe(SMOKE));
                assertFailed(r, "spawn", "spawn_failed");
                assertTrue(r.message().contains("hubprobe/broken:latest"), r::message);
                assertNoServer(hub, user);
            }
            case "kernel_died" -> {
                String user = RealHub.user("deadkernel");
                RunResult r = Probes.run(hub.url(), user, hub.serviceToken(), Probes.probe(SMOKE));
                assertEquals("kernel_died", r.reason() == null ? null : r.reason().label(), () -> describe(r));
                assertNoServer(hub, user);
            }
            case "spawn_timeout" -> {
                String user = RealHub.user("stall");
                RunResult r = Probes.run(hub.url(), user, hub.serviceToken(), Probes.probe("timeouts: {spawn: 4s}\n" + SMOKE));
                assertFailed(r, "spawn", "spawn_timeout");
                // before 5.0 the hub cannot cancel the pending spawn: the stop is asked again until the hub's own
                // start_timeout (JupyterHub's default 60 s on the 4.1 test hub) ends it, inside the cleanup budget
                // (the default 2 min). The hub gives up on its own, so the server is gone without another run.
                assertEquals("passed", r.phases().stream().filter(p -> p.phase().label().equals("stop")).findFirst()
                        .map(p -> p.status().name().toLowerCase(java.util.Locale.ROOT)).orElse("missing"), () -> describe(r));
                assertNoServer(hub, user);
            }
            case "leftover_sweep" -> {
                String user = RealHub.user("ok");
                hub.startServer(user, "{}");
                RunResult r = Probes.run(hub.url(), user, hub.serviceToken(), Probes.probe(SMOKE));
                assertPassed(r);
                assertTrue(r.notes().toString().contains("left running by an earlier run"), r.notes()::toString);
                assertNoServer(hub, user);
            }
            case "least_privilege" -> {
                // the README's minimal role (servers!group=probers, tokens!group=probers), robot user made by the operator
                RunResult r = Probes.run(hub.url(), "probe-bot-3", hub.serviceToken("min"), Probes.probe("server: auto\n" + SMOKE));
                assertPassed(r);
                assertNoServer(hub, "probe-bot-3");
                assertTrue(hub.tokenNotes("probe-bot-3").stream().noneMatch(n -> n.startsWith("hubprobe run")), "minted token left behind");
            }
            case "least_privilege_known_hub_bug" -> {
                // 4.1 and 5.2 check a service's tokens!group=... (or !user=...) filter against a service of the
                // user's name (fixed in 5.5): the minimal role cannot mint, and the run fails saying so ...
                RunResult r = Probes.run(hub.url(), "probe-bot-3", hub.serviceToken("min"), Probes.probe("server: auto\n" + SMOKE));
                assertFailed(r, "login", "auth_error");
                assertTrue(r.message().contains("refused to mint a token for probe-bot-3 (403)"), r::message);
                assertNoServer(hub, "probe-bot-3");
                // ... and the README's answer there, the robot user's own token, works with no role at all
                RunResult own = Probes.run(hub.url(), "probe-bot-3", hub.userToken("probe-bot-3"), Probes.probe("server: auto\n" + SMOKE));
                assertPassed(own);
                assertNoServer(hub, "probe-bot-3");
            }
            case "default_url" -> {
                // the user's server opens on the hub's default_url: its root sends a browser there
                String user = RealHub.user("ok");
                hub.startServer(user, "{}");
                try {
                    HttpResponse<String> root = hub.get("/user/" + user + "/");
                    assertEquals(302, root.statusCode(), root::body);
                    // jupyter_server keeps the (here empty) query: "/user/NAME/lab?"
                    String to = root.headers().firstValue("Location").orElse("").split("\\?", 2)[0];
                    assertTrue(to.endsWith("/user/" + user + hub.spec().defaultUrl()), to);
                } finally {
                    hub.stopServer(user);
                }
                assertNoServer(hub, user);
            }
            default -> throw new IllegalArgumentException(caseName);
        }
    }

    private static String describe(RunResult r) {
        return r.failedPhase() + " " + r.reason() + ": " + r.message() + " " + r.notes();
    }

    private static void assertPassed(RunResult r) {
        assertTrue(r.passed(), () -> describe(r));
    }

    private static void assertFailed(RunResult r, String phase, String reason) {
        assertEquals(phase, r.failedPhase() == null ? null : r.failedPhase().label(), () -> describe(r));
        assertEquals(reason, r.reason().label(), () -> describe(r));
    }

    private static void assertNoServer(RealHub hub, String user) throws Exception {
        JsonNode m = hub.userModel(user);
        boolean none = m == null || m.path("servers").isEmpty();
        if (!none) {
            // a named server stopped but kept as an entry is no server; anything ready or pending is
            for (JsonNode s : m.path("servers")) {
                assertTrue(!s.path("ready").asBoolean(false) && s.path("pending").isNull(), () -> "server left behind: " + m);
            }
        }
    }
}
