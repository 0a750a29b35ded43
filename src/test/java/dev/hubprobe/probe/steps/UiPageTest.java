package dev.hubprobe.probe.steps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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

    /** Notebook 7's own shortcut-settings race is not counted; the same words from any other script are. */
    @Test
    void onlyNotebook7sKnownConsoleErrorFromItsCoreBundleIsNotCounted() {
        String known = "http://127.0.0.1:8000/user/ann/static/notebook/notebook_core.c9a6d9df5de5df84.js?v=c9a6d9df5de5df84 500:206"
                + " Uncaught TypeError: Cannot read properties of undefined (reading 'schema')";
        assertTrue(UiPage.knownHarmless(known));
        assertFalse(UiPage.knownHarmless(known.replace("notebook_core", "remoteEntry")), "another bundle's error counts");
        assertFalse(UiPage.knownHarmless(known.replace("'schema'", "'shell'")), "another error of Notebook 7's counts");
        assertFalse(UiPage.knownHarmless("http://127.0.0.1:8000/user/ann/lab/extensions/x/static/notebook/notebook_core.js 1:2 Plugin 'x' failed to activate."));
    }
}
