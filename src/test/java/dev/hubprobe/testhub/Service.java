package dev.hubprobe.testhub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code hubprobe serve} from the packaged jar, as a process a test can signal, kill and restart. */
public final class Service implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern PORT = Pattern.compile("on http://127\\.0\\.0\\.1:(\\d+)/");
    private final Process process;
    private final int port;
    private final Path log;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private Service(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    public static Service start(Path config, Map<String, String> env, Path log) throws IOException, InterruptedException {
        return start(config, env, log, "127.0.0.1");
    }

    /** Listening on {@code bind} (the port printed is still reached through 127.0.0.1). */
    public static Service start(Path config, Map<String, String> env, Path log, String bind) throws IOException, InterruptedException {
        return start(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", Cli.jar().toString()),
                config, env, log, bind, 0);
    }

    /** On a given port (the one the test hub proxies its service to: {@link RealHub#signInPort()}). */
    public static Service startOnPort(Path config, Map<String, String> env, Path log, int port) throws IOException, InterruptedException {
        return start(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", Cli.jar().toString()),
                config, env, log, "127.0.0.1", port);
    }

    /** Through the shipped launcher, {@code bin/hubprobe}, with the JVM options it picks (the benchmarks measure those). */
    public static Service startWithLauncher(Path config, Map<String, String> env, Path log) throws IOException, InterruptedException {
        return start(List.of(Cli.launcher().toString()), config, Cli.launcherEnv(env), log, "127.0.0.1", 0);
    }

    private static Service start(List<String> launcher, Path config, Map<String, String> env, Path log, String bind, int listen)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(launcher);
        cmd.addAll(List.of("serve", "--config", config.toString(), "--port", Integer.toString(listen), "--bind", bind));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        // copy everything it prints to the log file, and find the port in its first lines
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        Files.createDirectories(log.getParent());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        StringBuilder seen = new StringBuilder();
        int port = -1;
        while (port < 0 && System.nanoTime() < deadline) {
            String line = out.readLine();
            if (line == null) {
                throw new IOException("hubprobe serve exited before serving:\n" + seen);
            }
            seen.append(line).append('\n');
            Matcher m = PORT.matcher(line);
            if (m.find()) {
                port = Integer.parseInt(m.group(1));
            }
        }
        if (port < 0) {
            p.destroyForcibly();
            throw new IOException("hubprobe serve printed no port in 60 s:\n" + seen);
        }
        Files.writeString(log, seen, StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        Thread pump = new Thread(() -> {
            try (var w = Files.newBufferedWriter(log, StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.APPEND)) {
                for (String line; (line = out.readLine()) != null; ) {
                    w.write(line);
                    w.newLine();
                    w.flush();
                }
            } catch (IOException ignored) {
                // the process ended
            }
        }, "service-log-pump");
        pump.setDaemon(true);
        pump.start();
        return new Service(p, port, log);
    }

    public String url() {
        return "http://127.0.0.1:" + port;
    }

    public long pid() {
        return process.pid();
    }

    public String output() throws IOException {
        return Files.readString(log);
    }

    public HttpResponse<String> get(String path, String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url() + path)).timeout(Duration.ofSeconds(30));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    public HttpResponse<String> post(String path, String bearer) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url() + path)).timeout(Duration.ofMinutes(5))
                .POST(HttpRequest.BodyPublishers.noBody());
        if (bearer != null) {
            b.header("Authorization", "Bearer " + bearer);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    public JsonNode json(String path, String... headers) throws IOException, InterruptedException {
        return JSON.readTree(get(path, headers).body());
    }

    public void signal(String name) throws IOException, InterruptedException {
        new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start().waitFor();
    }

    /** kill -9: no shutdown hook, no cleanup, nothing flushed by us. */
    public void crash() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** SIGTERM, and wait for the graceful shutdown (running probes clean up). */
    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
