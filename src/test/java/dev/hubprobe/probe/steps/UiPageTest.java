package dev.hubprobe.probe.steps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** A console error the browser's confinement caused says so, rather than blaming a proxy of the hub's. */
class UiPageTest {
    @Test
    void aRequestToAnotherOriginSaysHubprobeRefusedIt() {
        String m = UiPage.explain("https://cdn.example.org/x.js - Failed to load resource: net::ERR_PROXY_CONNECTION_FAILED");
        assertTrue(m.contains("refused by hubprobe: its browser reaches only the hub's and the user server's origins"), m);
        assertEquals("Uncaught TypeError: x", UiPage.explain("Uncaught TypeError: x"));
    }
}
