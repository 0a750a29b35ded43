package dev.hubprobe.testhub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A BinderHub for the tests (BinderHub itself needs Kubernetes and a container builder): its
 * {@code /health} and {@code /build/<provider>/<spec>} speak the documented API, event for event,
 * and a launch starts a real server on the real test hub, for a user of its own, with a token scoped
 * to that server, as BinderHub's launcher does. What it does is chosen by the repository's name,
 * {@code gh/hubprobe/<mode>/<ref>}:
 * <ul>
 *   <li>{@code cached}: the image is in the registry: built, launching, ready</li>
 *   <li>{@code build}: a full build: waiting, fetching, building, pushing, built, launching, ready</li>
 *   <li>{@code buildfail}: the build fails, with repo2docker's message</li>
 *   <li>{@code buildfailure}: the build fails with repo2docker's own word for it, phase {@code failure}, and the
 *   stream stays open (heartbeats), as a BinderHub relaying repo2docker's events can leave it</li>
 *   <li>{@code buildlogs}: a full build whose building step also sends log lines without a phase</li>
 *   <li>{@code loud}: a full build whose events spell their phases in capitals ({@code Building}, {@code READY})</li>
 *   <li>{@code forever}: the build never ends (heartbeats only)</li>
 *   <li>{@code launchfail}: the image is built, the launch fails</li>
 *   <li>{@code slowlaunch}: the image is cached, and the launch waits {@link #SLOW_LAUNCH} before it starts the server
 *   (a cluster scaling up)</li>
 * </ul>
 * A client that leaves during a launch does not stop it (BinderHub's handler goes on to the {@code ready}
 * it can no longer send); the double then stops the server itself, as BinderHub's idle culler would
 * much later, and counts it in {@link #culled()}: a prober that cleans up after itself needs none.
 * {@link #health} picks what {@code /health} answers.
 */
public final class FakeBinderHub implements AutoCloseable {
    public enum Health { OK, FAILING_CHECK, BARE_500 }

    private static final ObjectMapper JSON = new ObjectMapper();
    private final RealHub hub;
    private final HttpServer server;
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "fake-binderhub");
        t.setDaemon(true);
        return t;
    });
    /** How long a {@code slowlaunch} waits before it starts the server. */
    public static final long SLOW_LAUNCH = 4000;
    private final Set<String> launchedUsers = ConcurrentHashMap.newKeySet();
    private final Set<String> culled = ConcurrentHashMap.newKeySet();
    /** What happened to each launch, for a failure's message. */
    private final Map<String, List<String>> stories = new ConcurrentHashMap<>();
    private final long born = System.nanoTime();
    public volatile Health health = Health.OK;

    public FakeBinderHub(RealHub hub) throws IOException {
        this.hub = hub;
        this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 50);
        server.setExecutor(pool);
        server.createContext("/health", this::health);
        server.createContext("/build/", this::build);
        server.start();
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/";
    }

    /** The hub users it launched servers for. */
    public Set<String> launchedUsers() {
        return Set.copyOf(launchedUsers);
    }

    private void health(HttpExchange x) throws IOException {
        switch (health) {
            case BARE_500 -> respond(x, 500, "text/html", "<html><title>500: Internal Server Error</title><body>500: Internal Server Error</body></html>");
            case FAILING_CHECK -> respond(x, 503, "application/json", "{\"ok\": false, \"checks\": [{\"service\": \"Docker registry\", "
                    + "\"ok\": true}, {\"service\": \"JupyterHub API\", \"ok\": true}, {\"service\": \"Kubernetes API\", \"ok\": false}, "
                    + "{\"service\": \"Pod quota\", \"ok\": true, \"_ignore_failure\": true, \"total_pods\": 3, \"build_pods\": 0, "
                    + "\"user_pods\": 3, \"quota\": 100}]}");
            default -> respond(x, 200, "application/json", "{\"ok\": true, \"checks\": [{\"service\": \"Docker registry\", \"ok\": true}, "
                    + "{\"service\": \"JupyterHub API\", \"ok\": true}, {\"service\": \"Pod quota\", \"ok\": false, \"_ignore_failure\": true, "
                    + "\"total_pods\": 120, \"build_pods\": 2, \"user_pods\": 118, \"quota\": 100}]}");
        }
    }

    private void build(HttpExchange x) throws IOException {
        String[] parts = x.getRequestURI().getPath().split("/"); // "", build, gh, hubprobe, <mode>, <ref>
        String mode = parts.length > 4 ? parts[4] : "";
        String image = "registry.example.org/binder/hubprobe-" + mode + ":5f1c0de";
        x.getResponseHeaders().set("Content-Type", "text/event-stream");
        x.getResponseHeaders().set("Cache-Control", "no-cache");
        x.sendResponseHeaders(200, 0);
        try (OutputStream out = x.getResponseBody()) {
            switch (mode) {
                case "cached", "launchfail", "slowlaunch" -> {
                    event(out, "built", "Found built image, launching...\n", "imageName", image);
                }
                case "buildfailure" -> {
                    event(out, "waiting", "Waiting for build to start...\n");
                    pause(200);
                    event(out, "building", "Building conda environment for python=3.11\n");
                    pause(200);
                    event(out, "failure", "Error during build: The command '/bin/sh -c conda env update' returned a non-zero code: 1");
                    while (true) {
                        pause(1000);
                        out.write(":heartbeat\n\n".getBytes(StandardCharsets.UTF_8));
                        out.flush();
                    }
                }
                case "buildlogs" -> {
                    event(out, "waiting", "Waiting for build to start...\n");
                    pause(300);
                    event(out, "fetching", "Picked Git content provider.\n");
                    pause(300);
                    event(out, "building", "Building conda environment for python=3.11\n");
                    pause(300);
                    out.write(("data: {\"message\": \"Step 3/12 : RUN conda env update\\n\"}\n\n").getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    pause(300);
                    event(out, "building", "Solving environment: done\n");
                    pause(300);
                    event(out, "pushing", "Pushing image\n", "progress", "{}");
                    pause(300);
                    event(out, "built", "Built image, launching...\n", "imageName", image);
                }
                case "loud" -> {
                    event(out, "Waiting", "Waiting for build to start...\n");
                    pause(300);
                    event(out, "FETCHING", "Picked Git content provider.\n");
                    pause(300);
                    event(out, "Building", "Building conda environment for python=3.11\n");
                    pause(300);
                    event(out, "Pushing", "Pushing image\n", "progress", "{}");
                    pause(300);
                    event(out, "Built", "Built image, launching...\n", "imageName", image);
                }
                case "build", "buildfail", "forever" -> {
                    event(out, "waiting", "Waiting for build to start...\n");
                    pause(300);
                    if (mode.equals("forever")) {
                        while (true) {
                            pause(1000);
                            out.write(":heartbeat\n\n".getBytes(StandardCharsets.UTF_8));
                            out.flush();
                        }
                    }
                    event(out, "fetching", "Picked Git content provider.\n");
                    event(out, "fetching", "Cloning into '/tmp/repo2docker'...\n");
                    pause(300);
                    event(out, "building", "Building conda environment for python=3.11\n");
                    if (mode.equals("buildfail")) {
                        pause(200);
                        event(out, "failed", "Error during build: The command '/bin/sh -c conda env update' returned a non-zero code: 1");
                        return;
                    }
                    pause(400);
                    event(out, "pushing", "Pushing image\n", "progress", "{}");
                    pause(300);
                    event(out, "built", "Built image, launching...\n", "imageName", image);
                }
                default -> {
                    event(out, "failed", "Unknown repository: " + x.getRequestURI().getPath());
                    return;
                }
            }
            event(out, mode.equals("loud") ? "Launching" : "launching", "Launching server...\n");
            if (mode.equals("launchfail")) {
                pause(300);
                event(out, "failed", "Launch attempt 1 failed, retrying...");
                return;
            }
            String user = "binder-" + UUID.randomUUID().toString().substring(0, 8);
            try {
                ObjectNode ready = launch(user, out, mode.equals("slowlaunch") ? SLOW_LAUNCH : 0);
                ready.put("phase", mode.equals("loud") ? "READY" : "ready").put("message", "server running at " + ready.path("url").asText() + "\n");
                out.write(("data: " + ready + "\n\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
                tell(user, "ready sent");
            } catch (IOException gone) {
                // nobody holds the server's token: BinderHub's idle culler would stop it later, this double at once
                tell(user, "culled: " + gone.getMessage());
                culled.add(user);
                cull(user);
                throw gone;
            }
        } catch (IOException | InterruptedException e) {
            // the client went away, as BinderHub's clients do
        }
    }

    /**
     * Starts a server for a fresh user on the real hub and mints a token for just that server. While
     * it waits it sends keep-alive comments, as BinderHub does, so a client that went away is noticed.
     */
    private ObjectNode launch(String user, OutputStream out, long delayMillis) throws IOException, InterruptedException {
        launchedUsers.add(user);
        tell(user, "launching");
        boolean[] gone = {false};
        for (long waited = 0; waited < delayMillis; waited += 200) {
            pause(200);
            heartbeat(user, out, gone);
        }
        hub.send(HttpRequest.newBuilder(URI.create(hub.url()).resolve("/hub/api/users/" + user)).POST(HttpRequest.BodyPublishers.ofString("{}")));
        hub.send(HttpRequest.newBuilder(URI.create(hub.url()).resolve("/hub/api/users/" + user + "/server"))
                .POST(HttpRequest.BodyPublishers.ofString("{}")));
        tell(user, "spawn requested");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (!hub.userModel(user).path("servers").path("").path("ready").asBoolean(false)) {
            if (System.nanoTime() > deadline) {
                throw new IOException("launched server of " + user + " not ready in 90 s");
            }
            pause(200);
            heartbeat(user, out, gone);
        }
        tell(user, "server ready");
        if (gone[0]) {
            throw new IOException("the client left during the launch"); // a pending spawn cannot be stopped: cull it now it is up
        }
        HttpResponse<String> t = hub.send(HttpRequest.newBuilder(URI.create(hub.url()).resolve("/hub/api/users/" + user + "/tokens"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"note\": \"binder launch\", \"expires_in\": 3600, "
                        + "\"scopes\": [\"access:servers!user=" + user + "\"]}")));
        JsonNode token = JSON.readTree(t.body());
        return JSON.createObjectNode().put("url", hub.url() + "user/" + user + "/").put("token", token.path("token").asText());
    }

    /** A keep-alive comment, as BinderHub sends: the write that fails is how a client's leaving is seen. */
    private void heartbeat(String user, OutputStream out, boolean[] gone) {
        if (gone[0]) {
            return;
        }
        try {
            out.write(":heartbeat\n\n".getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException e) {
            gone[0] = true;
            tell(user, "client left");
        }
    }

    private void tell(String user, String what) {
        stories.computeIfAbsent(user, u -> new java.util.concurrent.CopyOnWriteArrayList<>())
                .add(String.format("%.1f s %s", (System.nanoTime() - born) / 1e9, what));
    }

    /** The users whose server this double stopped because the client had left: none, when the prober cleans up. */
    public Set<String> culled() {
        return Set.copyOf(culled);
    }

    /** What happened to each of these users' launch, in order, with the time since this double started. */
    public String stories(java.util.Collection<String> users) {
        StringBuilder b = new StringBuilder();
        users.forEach(u -> b.append('\n').append(u).append(": ").append(stories.getOrDefault(u, List.of())));
        return b.toString();
    }

    private void cull(String user) {
        try {
            hub.send(HttpRequest.newBuilder(URI.create(hub.url()).resolve("/hub/api/users/" + user + "/server")).DELETE());
        } catch (IOException e) {
            // serversLeft() reports it
        }
    }

    private static void event(OutputStream out, String phase, String message, String... extra) throws IOException {
        ObjectNode e = JSON.createObjectNode().put("phase", phase).put("message", message);
        for (int i = 0; i < extra.length; i += 2) {
            if (extra[i + 1].startsWith("{")) {
                e.set(extra[i], JSON.readTree(extra[i + 1]));
            } else {
                e.put(extra[i], extra[i + 1]);
            }
        }
        out.write(("data: " + e + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static void respond(HttpExchange x, int status, String type, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().set("Content-Type", type);
        x.sendResponseHeaders(status, b.length);
        try (OutputStream out = x.getResponseBody()) {
            out.write(b);
        }
    }

    private static void pause(long ms) throws InterruptedException {
        Thread.sleep(ms);
    }

    /** Servers of the users it launched that the hub still lists. */
    public List<String> serversLeft() throws IOException {
        return launchedUsers.stream().filter(u -> {
            try {
                return !hub.userModel(u).path("servers").isEmpty();
            } catch (IOException e) {
                return true;
            }
        }).toList();
    }

    @Override
    public void close() {
        server.stop(0);
        pool.shutdownNow();
    }
}
