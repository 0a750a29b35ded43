package dev.hubprobe.testhub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** A real Prometheus or Alertmanager (Debian's packages, installed by scripts/setup-machine.sh) on a free loopback port. */
public final class PromStack implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Process process;
    private final String url;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private PromStack(Process process, String url) {
        this.process = process;
        this.url = url;
    }

    public static PromStack prometheus(Path dir, String config) throws Exception {
        Files.writeString(dir.resolve("prometheus.yml"), config);
        int port = RealHub.freePort();
        return start(List.of("prometheus", "--config.file=" + dir.resolve("prometheus.yml"),
                "--storage.tsdb.path=" + dir.resolve("tsdb"), "--web.listen-address=127.0.0.1:" + port), dir, port);
    }

    public static PromStack alertmanager(Path dir) throws Exception {
        Files.writeString(dir.resolve("alertmanager.yml"), """
                route: {receiver: blackhole, group_wait: 1s, group_interval: 1s, repeat_interval: 1h}
                receivers: [{name: blackhole}]
                """);
        int port = RealHub.freePort();
        return start(List.of("prometheus-alertmanager", "--config.file=" + dir.resolve("alertmanager.yml"),
                "--storage.path=" + dir.resolve("am-data"), "--web.listen-address=127.0.0.1:" + port,
                "--cluster.listen-address="), dir, port);
    }

    private static PromStack start(List<String> cmd, Path dir, int port) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(dir.resolve(cmd.get(0) + ".log").toFile()).start();
        PromStack s = new PromStack(p, "http://127.0.0.1:" + port);
        for (int i = 0; i < 200; i++) {
            try {
                if (s.get("/-/ready").statusCode() == 200) {
                    return s;
                }
            } catch (IOException notYet) {
                // starting
            }
            if (!p.isAlive()) {
                break;
            }
            Thread.sleep(100);
        }
        p.destroyForcibly();
        throw new IllegalStateException(cmd.get(0) + " did not become ready:\n" + Files.readString(dir.resolve(cmd.get(0) + ".log")));
    }

    public String url() {
        return url;
    }

    public HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** A Prometheus instant query: the {@code data} of a successful answer; an error names the query. */
    public JsonNode query(String promql) throws IOException, InterruptedException {
        HttpResponse<String> r = get("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
        JsonNode body = JSON.readTree(r.body());
        if (!"success".equals(body.path("status").asText())) {
            throw new AssertionError("query failed: " + promql + "\n" + r.body());
        }
        return body.path("data");
    }

    /** Alertmanager's active alerts. */
    public JsonNode alerts() throws IOException, InterruptedException {
        return JSON.readTree(get("/api/v2/alerts?active=true&silenced=true&inhibited=true").body());
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        process.waitFor();
    }
}
