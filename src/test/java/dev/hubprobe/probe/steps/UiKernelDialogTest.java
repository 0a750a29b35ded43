package dev.hubprobe.probe.steps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.hubprobe.browser.Chromium;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The kernel-selection dialog Notebook 7 may open is answered, and no other: pages a hostile (or odd)
 * server could serve, which no real hub does on demand, so a local HTTP server serves them. Each button
 * records its click in window.clicked.
 */
class UiKernelDialogTest {
    private static final String NOTEBOOK = "hubprobe-ui-0123abcd.ipynb";
    private HttpServer server;

    /** A dialog as JupyterLab 4's Dialog draws it (header, body, footer with cancel and accept). */
    private static String dialog(String id, String title, String body) {
        return "<div class=\"jp-Dialog\"><div class=\"jp-Dialog-content\"><div class=\"jp-Dialog-header\">" + title + "</div>"
                + "<div class=\"jp-Dialog-body\">" + body + "</div><div class=\"jp-Dialog-footer\">"
                + "<button class=\"jp-Dialog-button jp-mod-reject\" onclick=\"window.clicked='" + id + "-cancel'\">Cancel</button>"
                + "<button class=\"jp-Dialog-button jp-mod-accept\" onclick=\"window.clicked='" + id + "'\">Select</button></div></div></div>";
    }

    private static final String KERNEL = dialog("kernel", "Select Kernel", "<div><label>Select kernel for: \"" + NOTEBOOK + "\"</label>"
            + "<select><option>Python 3 (ipykernel)</option></select></div>");

    private String answer(String page) throws Exception {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", x -> {
            byte[] body = ("<!doctype html><title>nb</title><body>" + page + "</body>").getBytes(StandardCharsets.UTF_8);
            x.getResponseHeaders().add("Content-Type", "text/html");
            x.sendResponseHeaders(200, body.length);
            x.getResponseBody().write(body);
            x.close();
        });
        server.start();
        String origin = "127.0.0.1:" + server.getAddress().getPort();
        try (Chromium b = Chromium.start("/usr/bin/chromium", System::nanoTime, System.nanoTime() + TimeUnit.SECONDS.toNanos(60), List.of(origin))) {
            b.navigate("http://" + origin + "/notebooks/" + NOTEBOOK, 30_000);
            boolean answered = UiKernelStep.answerKernelDialog(b, NOTEBOOK);
            String clicked = b.js("return window.clicked || null;").asText(null);
            assertEquals(answered, clicked != null, "answered " + answered + ", clicked " + clicked);
            return clicked;
        } finally {
            server.stop(0);
        }
    }

    @Test
    void theKernelDialogAloneIsAccepted() throws Exception {
        assertEquals("kernel", answer(KERNEL));
    }

    @Test
    void aPagesOwnDialogBeforeTheKernelDialogIsNotClicked() throws Exception {
        // the same class, "Select Kernel" in its text: with two dialogs open, neither is the run's to answer
        String hostile = dialog("hostile", "Delete all files?", "Select Kernel");
        String clicked = answer(hostile + KERNEL);
        assertFalse("hostile".equals(clicked), "the page's own dialog was accepted");
        assertEquals(null, clicked);
    }

    @Test
    void aDialogThatOnlyMentionsSelectKernelIsNotClicked() throws Exception {
        assertEquals(null, answer(dialog("other", "Kernel Restart", "Select Kernel <select><option>x</option></select>")));
        assertEquals(null, answer(dialog("other", "Select Kernel Extension Update", "install now?")));
    }

    @Test
    void aKernelDialogForAnotherNotebookIsNotClicked() throws Exception {
        String other = KERNEL.replace(NOTEBOOK, "someone-else.ipynb");
        assertTrue(other.contains("someone-else"));
        assertEquals(null, answer(other));
    }
}
