package dev.hubprobe.browser;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Pages a hostile (or broken) server could serve the browser: no real hub serves them, so a local HTTP
 * server does. The service's disk and heap are not the page's to fill.
 */
class ChromiumHostilePageTest {
    private final String file = "hubprobe-test-" + UUID.randomUUID() + ".bin";
    private HttpServer server;

    private String serve(String page) throws Exception {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", x -> {
            boolean download = x.getRequestURI().getPath().endsWith(".bin");
            byte[] body = (download ? "not yours to keep" : page).getBytes(StandardCharsets.UTF_8);
            x.getResponseHeaders().add("Content-Type", download ? "application/octet-stream" : "text/html");
            if (download) {
                x.getResponseHeaders().add("Content-Disposition", "attachment; filename=\"" + file + "\"");
            }
            x.sendResponseHeaders(200, body.length);
            x.getResponseBody().write(body);
            x.close();
        });
        server.start();
        return "127.0.0.1:" + server.getAddress().getPort();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private static Chromium start(String origin) {
        return Chromium.start("/usr/bin/chromium", System::nanoTime, System.nanoTime() + TimeUnit.SECONDS.toNanos(60), List.of(origin));
    }

    /**
     * The files under a live browser's profile whose name starts with {@code prefix}. Chromium creates and
     * deletes its journals there meanwhile: a file gone between listing and reading is skipped, not an error.
     */
    private static List<Path> named(Path profile, String prefix) throws IOException {
        List<Path> found = new ArrayList<>();
        Files.walkFileTree(profile, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) {
                if (f.getFileName().toString().startsWith(prefix)) {
                    found.add(f);
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path f, IOException e) throws IOException {
                if (e instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE;
                }
                throw e;
            }
        });
        return found;
    }

    @Test
    void aPagesDownloadLandsNowhereOnTheServicesDisk() throws Exception {
        String origin = serve("<title>lab</title><a id=\"d\" href=\"/" + file + "\">x</a>"
                + "<script>document.getElementById('d').click();</script>");
        Path home = Path.of(System.getProperty("user.home"), "Downloads", file);
        try (Chromium b = start(origin)) {
            b.navigate("http://" + origin + "/lab", 30_000);
            Thread.sleep(3000); // a download would be written by now
            List<Path> downloaded = named(b.profile(), file);
            assertTrue(downloaded.isEmpty(), () -> "downloaded into the profile: " + downloaded);
        } finally {
            boolean landed = Files.deleteIfExists(home);
            assertFalse(landed, "a page's download landed in " + home);
        }
    }

    @Test
    void aPageFloodingItsConsoleCostsABrowserErrorNotTheServicesHeap() throws Exception {
        String origin = serve("<title>lab</title><script>const line = 'x'.repeat(1000);"
                + " for (let i = 0; i < 40000; i++) console.error(line + i);</script>");
        try (Chromium b = start(origin)) {
            b.navigate("http://" + origin + "/lab", 30_000);
            Chromium.BrowserException e = assertThrows(Chromium.BrowserException.class, () -> b.log("browser"));
            assertTrue(e.getMessage().contains("MiB"), e.getMessage());
        }
    }
}
