package dev.hubprobe.probe.steps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
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
        okhttp3.HttpUrl server = okhttp3.HttpUrl.get("http://127.0.0.1:8000/user/ann/");
        String error = " 500:206 Uncaught TypeError: Cannot read properties of undefined (reading 'schema')";
        String known = "http://127.0.0.1:8000/user/ann/static/notebook/notebook_core.c9a6d9df5de5df84.js?v=c9a6d9df5de5df84" + error;
        assertTrue(UiPage.knownHarmless(known, "notebook", server));
        assertTrue(UiPage.knownHarmless(known, "tree", server));
        assertTrue(UiPage.knownHarmless("http://127.0.0.1:8000/user/ann/static/notebook/notebook_core.c9a6d9df5de5df84.js" + error, "notebook", server));
        assertFalse(UiPage.knownHarmless(known.replace("notebook_core", "remoteEntry"), "notebook", server), "another bundle's error counts");
        assertFalse(UiPage.knownHarmless(known.replace("'schema'", "'shell'"), "notebook", server), "another error of Notebook 7's counts");
        assertFalse(UiPage.knownHarmless("http://127.0.0.1:8000/user/ann/lab/extensions/x/static/notebook/notebook_core.js 1:2 Plugin 'x' failed to activate.",
                "notebook", server));
        // the same words from a script the server's user (or a hostile page) controls: all counted
        for (String url : List.of(
                "http://127.0.0.1:8000/user/ann/lab/extensions/evil/static/notebook/notebook_core.ab12cd34.js",
                "http://127.0.0.1:8000/user/ann/files/static/notebook/notebook_core.ab12cd34.js",
                "data:text/javascript,/static/notebook/notebook_core.ab12cd34.js",
                "http://127.0.0.1:8000/user/ann/static/notebook/notebook_core.ab12cd34.js/evil.js",
                "http://127.0.0.1:8000/user/ann/static/notebook/notebook_core.ab12cd34.js?x=/files/evil.js",
                "http://127.0.0.1:8000/user/bob/static/notebook/notebook_core.ab12cd34.js",
                "http://127.0.0.1:9999/user/ann/static/notebook/notebook_core.ab12cd34.js")) {
            assertFalse(UiPage.knownHarmless(url + error, "notebook", server), url);
        }
        // JupyterLab's run loads no Notebook 7 bundle: nothing is let through there
        assertFalse(UiPage.knownHarmless(known, "lab", server), "a lab run counts it");
    }
}
