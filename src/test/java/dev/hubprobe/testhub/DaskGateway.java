package dev.hubprobe.testhub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * A real Dask Gateway beside the test hub: {@code dask-gateway-server} from the test hub's venv
 * (pinned in src/test/hub/requirements.lock) with src/test/hub/dask_gateway_config.py, on free
 * 127.0.0.1 ports, clusters as local processes, users signed in with their JupyterHub token checked
 * against {@code hub} (the hub's service {@code dask-gateway}). While it is open, every server the hub
 * starts gets its address ({@code DASK_GATEWAY__ADDRESS}, {@code __PROXY_ADDRESS}, {@code __AUTH__TYPE}),
 * as daskhub sets them. {@link #close()} stops it and every scheduler and worker it started.
 */
public final class DaskGateway implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CONTROL = "dask-gateway.json";

    private final RealHub hub;
    private final Path runDir;
    private final Path log;
    private final int port;
    private final int tcpPort;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final Set<ProcessHandle> started = new HashSet<>();
    private Process process;

    private DaskGateway(RealHub hub, Path runDir, int port, int tcpPort) {
        this.hub = hub;
        this.runDir = runDir;
        this.log = runDir.resolve("dask-gateway.log");
        this.port = port;
        this.tcpPort = tcpPort;
    }

    /** A gateway whose workers start. */
    public static DaskGateway start(RealHub hub) throws IOException {
        return start(hub, null);
    }

    /**
     * A gateway whose every worker fails to start, as with a worker image that lacks dask: the gateway
     * retries it and then fails the cluster.
     */
    public static DaskGateway startWithBrokenWorkers(RealHub hub) throws IOException {
        return start(hub, List.of("/bin/sh", "-c",
                "echo 'simulated broken worker image: dask-worker: not found' >&2; exit 127"));
    }

    private static DaskGateway start(RealHub hub, List<String> workerCmd) throws IOException {
        Path runDir = RealHub.basedir().resolve("target/test-hub/dask-gateway-" + System.nanoTime());
        Files.createDirectories(runDir);
        int[] ports = freePorts(3);
        DaskGateway g = new DaskGateway(hub, runDir, ports[0], ports[1]);
        Runtime.getRuntime().addShutdownHook(new Thread(g::stop, "dask-gateway-stop"));
        g.launch(ports[2], workerCmd);
        return g;
    }

    private void launch(int apiPort, List<String> workerCmd) throws IOException {
        Path venv = RealHub.install(RealHub.basedir()).resolve("venv");
        ProcessBuilder pb = new ProcessBuilder(venv.resolve("bin/dask-gateway-server").toString(), "-f",
                RealHub.basedir().resolve("src/test/hub/dask_gateway_config.py").toString())
                .directory(runDir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
        var env = pb.environment();
        env.put("PATH", venv.resolve("bin") + ":" + System.getenv("PATH"));
        env.put("HUBPROBE_GATEWAY_PORT", Integer.toString(port));
        env.put("HUBPROBE_GATEWAY_TCP_PORT", Integer.toString(tcpPort));
        env.put("HUBPROBE_GATEWAY_API_PORT", Integer.toString(apiPort));
        env.put("HUBPROBE_GATEWAY_RUN_DIR", runDir.toString());
        env.put("JUPYTERHUB_API_URL", hub.uri("/hub/api").toString());
        env.put("JUPYTERHUB_API_TOKEN", hub.serviceToken("dask-gateway"));
        if (workerCmd != null) {
            env.put("HUBPROBE_GATEWAY_WORKER_CMD", JSON.writeValueAsString(workerCmd));
        }
        process = pb.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("dask-gateway-server exited with " + process.exitValue() + ":\n" + logText());
            }
            try {
                if (get("/api/health", null).statusCode() == 200) {
                    hub.control(CONTROL, JSON.writeValueAsString(java.util.Map.of(
                            "address", address(), "proxy_address", "gateway://127.0.0.1:" + tcpPort)));
                    return;
                }
            } catch (IOException notYet) {
                // still starting
            }
            sleep(200);
        }
        close();
        throw new IOException("dask-gateway-server did not answer within 60 s:\n" + logText());
    }

    /** The gateway's public address, what {@code DASK_GATEWAY__ADDRESS} holds. */
    public String address() {
        return "http://127.0.0.1:" + port;
    }

    public Path log() {
        return log;
    }

    public String logText() throws IOException {
        return Files.exists(log) ? Files.readString(log) : "";
    }

    /**
     * The clusters the gateway lists for the owner of {@code userToken} (a JupyterHub token of the user),
     * asked of its REST API directly, every state included (a cluster that is stopping still counts).
     */
    public List<String> clusters(String userToken) throws IOException {
        HttpResponse<String> r = get("/api/v1/clusters/", userToken);
        if (r.statusCode() != 200) {
            throw new IOException("GET /api/v1/clusters/: " + r.statusCode() + " " + r.body());
        }
        List<String> out = new ArrayList<>();
        JsonNode all = JSON.readTree(r.body());
        all.fields().forEachRemaining(e -> out.add(e.getKey() + " " + e.getValue().path("status").asText()));
        return out;
    }

    /** Live scheduler and worker processes the gateway started. */
    public List<String> clusterProcesses() {
        if (process != null && process.isAlive()) {
            process.descendants().forEach(started::add);
        }
        return started.stream().filter(ProcessHandle::isAlive)
                .map(h -> h.info().commandLine().orElse("?"))
                .filter(cmd -> !cmd.contains("dask-gateway-proxy"))
                .toList();
    }

    private HttpResponse<String> get(String path, String userToken) throws IOException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(address() + path)).timeout(Duration.ofSeconds(10)).GET();
        if (userToken != null) {
            b.header("Authorization", "jupyterhub " + userToken);
        }
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
    }

    /**
     * Stops the gateway, as an outage would: servers keep its address (the control file stays), so a
     * probe then talks to a gateway that is not there. Every scheduler and worker it started is ended.
     */
    public synchronized void stop() {
        if (process == null) {
            return;
        }
        if (process.isAlive()) {
            process.descendants().forEach(started::add);
        }
        process.destroy(); // SIGTERM: the gateway stops its clusters (stop_clusters_on_shutdown)
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // what it left behind (a scheduler or worker it could not stop in time) is ended here
        started.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
        process = null;
    }

    /** Stops it and takes its address away from servers started from now on. */
    @Override
    public void close() {
        stop();
        try {
            hub.clearControl(CONTROL);
        } catch (IOException e) {
            System.err.println("could not remove the gateway's control file: " + e);
        }
    }

    private static int[] freePorts(int n) throws IOException {
        // all at once, with every socket held open: one at a time, the same free port may come twice
        List<ServerSocket> held = new ArrayList<>();
        try {
            int[] out = new int[n];
            for (int i = 0; i < n; i++) {
                ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
                held.add(s);
                out[i] = s.getLocalPort();
            }
            return out;
        } finally {
            for (ServerSocket s : held) {
                s.close();
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
