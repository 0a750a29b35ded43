package dev.hubprobe.testhub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * One real JupyterHub for the whole test run, on 127.0.0.1 at free ports: pinned JupyterHub,
 * configurable-http-proxy, Jupyter Server and ipykernel (installed by src/test/hub/install.sh into a
 * cache on first use). Faults are injected inside it by user name or user_options; see
 * src/test/hub/hubprobe_test_spawner.py. Every integration test goes through this class.
 */
public final class RealHub {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static RealHub shared;
    private static IllegalStateException startFailure;

    private final Path basedir;
    private final Path runDir;
    private final Path log;
    private final Path controlDir;
    /** The public port: picked at each launch, just before it (see {@link #start()}). */
    private volatile int port;
    /** The port the first launch tries, when a test wants it taken already (RealHubIT); 0 picks one. */
    private int firstPort;
    /** Where the hub's proxy sends /services/hubprobe/: the port a test's hubprobe serves its pages on (HubSignInIT). */
    private volatile int signInPort;
    private final String serviceToken = "svc-" + UUID.randomUUID();
    private final String password = "pw-" + UUID.randomUUID();
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    private final Spec spec;
    private Process process;
    /** Stopped for good ({@link #stop()}): no launch after it, a shutdown hook's stop racing a relaunch included. */
    private boolean closed;

    /**
     * What hub to start: the default is the pinned hub of requirements.lock with its own single-user
     * server. The compatibility matrix names another hub release's lock, a single-user environment of
     * its own (a lock under src/test/hub/locks/, installed apart from the hub's, as a user image is),
     * the app jupyterhub-singleuser wraps, a path prefix and a default URL.
     */
    public record Spec(String name, String hubLock, String singleuserLock, String singleuserApp,
                       String baseUrl, String defaultUrl) {
        public static final Spec DEFAULT = new Spec("default", null, null, null, "/", null);

        @Override
        public String toString() {
            return name;
        }
    }

    private RealHub(Path basedir, Spec spec) throws IOException {
        this.basedir = basedir;
        this.spec = spec;
        this.runDir = basedir.resolve("target/test-hub/run-" + Instant.now().toEpochMilli() + "-" + spec.name());
        this.controlDir = runDir.resolve("control");
        Files.createDirectories(controlDir);
        this.log = runDir.resolve("jupyterhub.log");
    }

    /** The hub shared by every test in this JVM, started on first use and stopped at exit. */
    public static synchronized RealHub shared() {
        if (startFailure != null) {
            throw startFailure;
        }
        if (shared == null) {
            try {
                RealHub hub = new RealHub(basedir(), Spec.DEFAULT);
                // before the start: a JVM stopped while the hub starts (the first install takes minutes) stops it too
                Runtime.getRuntime().addShutdownHook(new Thread(hub::stop, "test-hub-stop"));
                hub.start();
                shared = hub;
            } catch (IOException e) {
                startFailure = new IllegalStateException("cannot start the test hub: " + e.getMessage(), e);
                throw startFailure;
            }
        }
        return shared;
    }

    /**
     * A hub of its own for {@code spec}, started now; the caller stops it (a shutdown hook stops it too,
     * should the caller not get to).
     */
    public static RealHub start(Spec spec) throws IOException {
        return startTryingFirst(spec, 0);
    }

    /** A hub of its own whose first launch tries {@code port} (0: any): RealHubIT gives it a port another hub holds. */
    static RealHub startTryingFirst(Spec spec, int port) throws IOException {
        RealHub hub = new RealHub(basedir(), spec);
        hub.firstPort = port;
        Runtime.getRuntime().addShutdownHook(new Thread(hub::stop, "test-hub-stop-" + spec.name()));
        hub.start();
        return hub;
    }

    public Spec spec() {
        return spec;
    }

    public static Path basedir() {
        return Path.of(System.getProperty("hubprobe.basedir", System.getProperty("user.dir"))).toAbsolutePath();
    }

    /** Runs install.sh and returns the cached environment folder. */
    public static Path install(Path basedir, String... lock) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("bash", basedir.resolve("src/test/hub/install.sh").toString()));
        cmd.addAll(List.of(lock));
        Process p = new ProcessBuilder(cmd)
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        try {
            if (!p.waitFor(20, TimeUnit.MINUTES) || p.exitValue() != 0) {
                throw new IOException("src/test/hub/install.sh failed (exit " + p.exitValue() + ")");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted installing the test hub");
        }
        return Path.of(out);
    }

    /**
     * Installs, then launches the hub, on a new public port if the first one turns out taken. A free
     * port is only free until someone binds it: the matrix starts hubs side by side, each picking its
     * proxy's internal ports and spawning servers on ports of their own, so another hub may bind this
     * hub's port before this one does. Its proxy then fails, while the other hub answers here; hence
     * the hub is ready only when it takes this hub's own token (see {@link #launch()}).
     */
    private void start() throws IOException {
        install(basedir); // first, so its output stays out of the hub's log
        for (String lock : new String[] {spec.hubLock(), spec.singleuserLock()}) {
            if (lock != null) {
                install(basedir, lock);
            }
        }
        for (int attempt = 1; ; attempt++) {
            // as late as can be: the window for someone else to take it is the launch's
            port = attempt == 1 && firstPort > 0 ? firstPort : freePort();
            signInPort = freePort();
            try {
                launch();
                return;
            } catch (PortTaken e) {
                kill();
                if (attempt == 3) {
                    throw new IOException("the test hub could not get a port of its own in 3 tries: " + e.getMessage(), e);
                }
                Files.writeString(log, "\n[test harness] " + e.getMessage() + "; launching again on another port\n",
                        java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
            }
        }
    }

    /** The hub's port was bound by another process before this hub could bind it. */
    static final class PortTaken extends IOException {
        PortTaken(String message) {
            super(message);
        }
    }

    private void launch() throws IOException {
        ProcessBuilder pb = new ProcessBuilder("bash", basedir.resolve("src/test/hub/run-hub.sh").toString(),
                runDir.toString(), Integer.toString(port))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().put("HUBPROBE_TEST_SERVICE_TOKEN", serviceToken);
        pb.environment().put("HUBPROBE_TEST_PASSWORD", password);
        putIfSet(pb, "HUBPROBE_TEST_HUB_LOCK", spec.hubLock());
        putIfSet(pb, "HUBPROBE_TEST_SINGLEUSER_LOCK", spec.singleuserLock());
        putIfSet(pb, "HUBPROBE_TEST_SINGLEUSER_APP", spec.singleuserApp());
        putIfSet(pb, "HUBPROBE_TEST_BASE_URL", spec.baseUrl().equals("/") ? null : spec.baseUrl());
        putIfSet(pb, "HUBPROBE_TEST_DEFAULT_URL", spec.defaultUrl());
        pb.environment().put("HUBPROBE_TEST_SIGNIN_PORT", Integer.toString(signInPort));
        long logStart = logSize();
        synchronized (this) {
            if (closed) {
                throw new IOException("the test hub was stopped while it started");
            }
            process = pb.start();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline) {
            // the proxy only logs a port it could not bind, and lives on; the hub exits on its own
            String said = logSince(logStart);
            if (said.contains("EADDRINUSE") || said.contains("Address already in use")) {
                throw new PortTaken("port " + port + " (or one of the proxy's or the hub's) was bound by another process first");
            }
            if (!process.isAlive()) {
                String why = "the test hub exited with " + process.exitValue() + ":\n" + tail(60);
                kill(); // its proxy, which outlives it
                throw new IOException(why);
            }
            int status;
            try {
                status = send(HttpRequest.newBuilder(uri("/hub/api/user")).GET(), Duration.ofSeconds(2)).statusCode();
            } catch (IOException notYet) {
                status = -1; // still starting, or something that never answers holds the port (its proxy logs that)
            }
            // who answers must know this hub's token: a 401 or 403 is another hub on the port
            if (status == 200) {
                return;
            }
            if (status == 401 || status == 403) {
                throw new PortTaken("another hub answers on port " + port + " (it refused this hub's token: " + status + ")");
            }
            sleep(200);
        }
        kill();
        throw new IOException("the test hub did not answer within 90 s:\n" + tail(60));
    }

    private static void putIfSet(ProcessBuilder pb, String key, String value) {
        if (value != null) {
            pb.environment().put(key, value);
        }
    }

    /** Stops the hub, its servers and its proxy, for good. */
    public void stop() {
        synchronized (this) {
            closed = true;
        }
        kill();
    }

    private synchronized void kill() {
        if (process != null && process.isAlive()) {
            List<ProcessHandle> children = new ArrayList<>(process.descendants().toList());
            process.destroy(); // SIGTERM: the hub stops its servers (cleanup_servers) and its proxy
            try {
                if (!process.waitFor(30, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            children.forEach(ProcessHandle::destroyForcibly);
        }
        stopOrphanedProxy();
    }

    /**
     * A hub that died on its own (its port taken: "Failed to bind hub") leaves its proxy running, in a
     * session of its own and no longer its child; the pid file it leaves names it.
     */
    private void stopOrphanedProxy() {
        Path pidFile = runDir.resolve("proxy.pid");
        try {
            long pid = Long.parseLong(Files.readString(pidFile).trim());
            // this hub's proxy, and not another's that got the pid since: each proxy has a public port of its own
            ProcessHandle.of(pid)
                    .filter(h -> h.info().commandLine().map(c -> c.contains("configurable-http-proxy")
                            && (c.contains("--port " + port + " ") || c.endsWith("--port " + port))).orElse(false))
                    .ifPresent(ProcessHandle::destroyForcibly);
            Files.deleteIfExists(pidFile);
        } catch (IOException | NumberFormatException noneLeft) {
            // no pid file: the hub stopped its proxy itself
        }
    }

    /** The hub's public URL, with its path prefix ({@code base_url}) if it has one. */
    public String url() {
        return "http://127.0.0.1:" + port + spec.baseUrl();
    }

    public int port() {
        return port;
    }

    /**
     * The port hubprobe must serve on for the hub to proxy {@code /services/hubprobe/} to it, its OAuth
     * client being the service "hubprobe" (secret: {@link #serviceToken()}); see jupyterhub_config.py.
     */
    public int signInPort() {
        return signInPort;
    }

    public String serviceToken() {
        return serviceToken;
    }

    /**
     * The token of a service with a narrower role (see jupyterhub_config.py), acting for the robot users
     * {@code probe-bot-1..3} of the group "probers": {@code min} (the README's minimal role),
     * {@code noread} (without read:servers), {@code nomint} (without tokens), or {@code groups} (only admin:groups, for HubSignInIT).
     */
    public String serviceToken(String role) {
        return serviceToken + "-" + role;
    }

    public String password() {
        return password;
    }

    public Path log() {
        return log;
    }

    /** The home directory the test spawner gives {@code user}'s servers (home_dir_template in jupyterhub_config.py). */
    public Path home(String user) {
        return runDir.resolve("home").resolve(user);
    }

    /** Sets a runtime knob the test spawner reads at every spawn (e.g. {@code delay-<user>}). */
    public void control(String key, String value) throws IOException {
        Files.writeString(controlDir.resolve(key), value);
    }

    public void clearControl(String key) throws IOException {
        Files.deleteIfExists(controlDir.resolve(key));
    }

    /** A user name no other test uses, with the given fault prefix ("fail", "stall", ... or "ok"). */
    public static String user(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    public HttpResponse<String> get(String path) throws IOException {
        return send(HttpRequest.newBuilder(uri(path)).GET());
    }

    /** A path of the hub ("/hub/api/..."), under its path prefix. */
    public URI uri(String path) {
        return URI.create(url()).resolve(path.startsWith("/") ? path.substring(1) : path);
    }

    public HttpResponse<String> send(HttpRequest.Builder b) throws IOException {
        return send(b, Duration.ofSeconds(20));
    }

    private HttpResponse<String> send(HttpRequest.Builder b, Duration timeout) throws IOException {
        try {
            return http.send(b.header("Authorization", "token " + serviceToken).timeout(timeout).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
    }

    /** The admin view of one user, or null when the hub has no such user. */
    public JsonNode userModel(String name) throws IOException {
        HttpResponse<String> r = get("/hub/api/users/" + name);
        return r.statusCode() == 404 ? null : JSON.readTree(r.body());
    }

    /** Every server the hub knows of that is running or pending, as "user/server" strings. */
    public List<String> activeServers() throws IOException {
        HttpResponse<String> r = get("/hub/api/users?state=active&limit=200");
        List<String> out = new ArrayList<>();
        for (JsonNode u : JSON.readTree(r.body())) {
            u.path("servers").fields().forEachRemaining(s -> out.add(u.path("name").asText() + "/" + s.getKey()));
        }
        return out;
    }

    /** Creates the user if needed and starts its default server with these user_options, as another person would. */
    public void startServer(String name, String userOptionsJson) throws IOException {
        send(HttpRequest.newBuilder(uri("/hub/api/users/" + name))
                .POST(HttpRequest.BodyPublishers.ofString("{}")));
        HttpResponse<String> r = send(HttpRequest.newBuilder(uri("/hub/api/users/" + name + "/server"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"user_options\": " + userOptionsJson + "}")));
        if (r.statusCode() != 201 && r.statusCode() != 202) {
            throw new IOException("starting a server for " + name + ": " + r.statusCode() + " " + r.body());
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            JsonNode server = userModel(name).path("servers").path("");
            if (server.path("ready").asBoolean(false)) {
                return;
            }
            sleep(200);
        }
        throw new IOException("server of " + name + " not ready within 60 s");
    }

    /** Starts a named server of an existing user, as a run of hubprobe (or a person) would, and waits until it is ready. */
    public void startNamedServer(String name, String server) throws IOException {
        HttpResponse<String> r = send(HttpRequest.newBuilder(uri("/hub/api/users/" + name + "/servers/" + server))
                .POST(HttpRequest.BodyPublishers.ofString("{}")));
        if (r.statusCode() != 201 && r.statusCode() != 202) {
            throw new IOException("starting server " + server + " of " + name + ": " + r.statusCode() + " " + r.body());
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (userModel(name).path("servers").path(server).path("ready").asBoolean(false)) {
                return;
            }
            sleep(200);
        }
        throw new IOException("server " + server + " of " + name + " not ready within 60 s");
    }

    /** A token of the user itself (its own scopes), minted with the wide service token, as an operator would. */
    public String userToken(String name) throws IOException {
        HttpResponse<String> r = send(HttpRequest.newBuilder(uri("/hub/api/users/" + name + "/tokens"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"note\": \"robot user's own token\", \"expires_in\": 3600}")));
        if (r.statusCode() != 201 && r.statusCode() != 200) {
            throw new IOException("minting a token for " + name + ": " + r.statusCode() + " " + r.body());
        }
        return JSON.readTree(r.body()).path("token").asText();
    }

    /** The hub's tokens of a user, as JSON (note, scopes, ...). */
    public List<JsonNode> tokens(String name) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        JSON.readTree(get("/hub/api/users/" + name + "/tokens").body()).path("api_tokens").forEach(out::add);
        return out;
    }

    /** Stops a user's default server and waits until the hub no longer lists it. */
    public void stopServer(String name) throws IOException {
        send(HttpRequest.newBuilder(uri("/hub/api/users/" + name + "/server")).DELETE());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            JsonNode model = userModel(name);
            if (model == null || model.path("servers").isEmpty()) {
                return;
            }
            sleep(200);
        }
        throw new IOException("server of " + name + " still there after 60 s");
    }

    /** The hub's tokens for a user, as the notes they were created with. */
    public List<String> tokenNotes(String name) throws IOException {
        return tokens(name).stream().map(t -> t.path("note").asText()).toList();
    }

    /** Live processes started under the hub other than the proxy: single-user servers and kernels. */
    public List<String> serverProcesses() {
        return process.descendants().filter(ProcessHandle::isAlive)
                .map(h -> h.info().commandLine().orElse("?"))
                .filter(cmd -> !cmd.contains("configurable-http-proxy"))
                .toList();
    }

    public long logSize() {
        try {
            return Files.size(log);
        } catch (IOException e) {
            return 0;
        }
    }

    public String logSince(long offset) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "r")) {
            long len = f.length() - offset;
            if (len <= 0) {
                return "";
            }
            byte[] b = new byte[(int) Math.min(len, 4 << 20)];
            f.seek(offset);
            f.readFully(b);
            return new String(b, StandardCharsets.UTF_8);
        }
    }

    /**
     * The lines of the hub's log since {@code offset} that say something went wrong (errors, warnings,
     * answers of 5xx or 424), at most {@code max}: what a failure message can carry from a CI machine
     * whose log file is gone with it. The single-user servers log here too (they inherit the hub's output).
     */
    public String problemsSince(long offset, int max) {
        try {
            // the proxy's own errors too (a 503 when a server refused it); the last lines, nearest the failure
            // and an error's traceback: the lines after an [E line up to the next line of the log's own format
            List<String> lines = new java.util.ArrayList<>();
            boolean inError = false;
            for (String l : logSince(offset).lines().toList()) {
                boolean logLine = l.startsWith("[") || l.isBlank();
                if (inError && !logLine) {
                    lines.add(l);
                    continue;
                }
                inError = l.startsWith("[E ");
                if ((l.startsWith("[E ") || l.startsWith("[W ") || l.matches(".*\\] (5\\d\\d|424) .*")
                        || (l.contains("[ConfigProxy]") && l.contains("error")))
                        && !l.contains("extra_template_paths") && !l.contains("websocket_ping_timeout")) {
                    lines.add(l);
                }
            }
            String shown = String.join("\n", lines.subList(Math.max(0, lines.size() - max), lines.size()));
            return lines.size() > max ? "(" + (lines.size() - max) + " earlier)\n" + shown : shown;
        } catch (IOException e) {
            return "(the hub's log could not be read: " + e + ")";
        }
    }

    private String tail(int lines) throws IOException {
        List<String> all = Files.readAllLines(log);
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }

    /** Every port {@link #freePort()} gave out in this JVM: never handed out twice. */
    private static final java.util.Set<Integer> HANDED_OUT = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * A port nobody listens on now, and one this JVM has not handed out before: two hubs starting side by
     * side (or a hub and the service a test runs beside it) never get the same one from here. Another
     * process may still bind it first; {@link #start()} copes with that for the hub.
     */
    public static int freePort() throws IOException {
        while (true) {
            try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                if (HANDED_OUT.add(s.getLocalPort())) {
                    return s.getLocalPort();
                }
            }
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
