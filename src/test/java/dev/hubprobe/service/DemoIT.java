package dev.hubprobe.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hubprobe.testhub.RealHub;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bin/demo}, the README's first command: it serves, and SIGTERM stops the service, the hub and its proxy. */
class DemoIT {
    @TempDir
    Path dir;

    private static boolean free(int port) {
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static int status(HttpClient http, String url) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    @Test
    void sigtermStopsTheServiceTheHubAndItsProxy() throws Exception {
        int hubPort = RealHub.freePort();
        int port = RealHub.freePort();
        ProcessBuilder pb = new ProcessBuilder("bash", RealHub.basedir().resolve("bin/demo").toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("demo.log").toFile());
        pb.environment().put("DEMO_HUB_PORT", Integer.toString(hubPort));
        pb.environment().put("DEMO_PORT", Integer.toString(port));
        pb.environment().put("DEMO_DIR", dir.resolve("demo").toString());
        pb.environment().put("DEMO_SKIP_BUILD", "1");
        Process demo = pb.start();
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (status(http, "http://127.0.0.1:" + port + "/health") != 200) {
                assertTrue(demo.isAlive(), () -> "bin/demo exited: " + read(dir.resolve("demo.log")));
                assertTrue(System.nanoTime() < deadline, () -> "bin/demo did not serve in 120 s: " + read(dir.resolve("demo.log")));
                Thread.sleep(500);
            }
            assertEquals(200, status(http, "http://127.0.0.1:" + hubPort + "/hub/api/"), "the demo hub answers");
            demo.destroy(); // SIGTERM, as a service manager or a CI job's cancel sends it
            assertTrue(demo.waitFor(120, TimeUnit.SECONDS), "bin/demo still running 120 s after SIGTERM");
            // the hub, the service and the proxy the hub started are gone: their ports are free again
            long gone = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!(free(port) && free(hubPort)) && System.nanoTime() < gone) {
                Thread.sleep(250);
            }
            assertTrue(free(port), "the service's port is still taken");
            assertTrue(free(hubPort), "the demo hub's (its proxy's) port is still taken");
            assertTrue(ProcessHandle.allProcesses().noneMatch(p -> p.info().commandLine().orElse("").contains(dir.toString())),
                    "a process of the demo is still running");
        } finally {
            demo.descendants().forEach(ProcessHandle::destroyForcibly);
            demo.destroyForcibly();
        }
    }

    private static String read(Path p) {
        try {
            return java.nio.file.Files.readString(p);
        } catch (IOException e) {
            return "<no log>";
        }
    }
}
