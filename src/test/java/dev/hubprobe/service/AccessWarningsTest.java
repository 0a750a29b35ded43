package dev.hubprobe.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the log says about the read guard, at start and at a reload, for each setting. */
class AccessWarningsTest {
    @TempDir
    Path dir;

    private LoadedConfig load(String server) throws Exception {
        Files.createDirectories(dir.resolve("probes"));
        Files.writeString(dir.resolve("probes/kernel-smoke.yml"), "cells: [{code: print(1)}]\n");
        Path f = dir.resolve("hubprobe.yml");
        Files.writeString(f, "probes_dir: probes\n" + server + """
                hubs:
                  - {name: staging, url: "https://staging.example.org", auth: {token: "${env:PATH}"}, probes: [{probe: kernel-smoke}]}
                """);
        return ServiceConfigLoader.load(f);
    }

    @Test
    void eachSettingSaysWhatItLeavesOpenOrWhatPrometheusMustUse() throws Exception {
        LoadedConfig none = load("");
        LoadedConfig apiOnly = load("server: {api_token: \"${env:PATH}\"}\n");
        LoadedConfig publicApiOnly = load("server: {api_token: \"${env:PATH}\"}\nstatus_page: {public: true}\n");
        LoadedConfig read = load("server: {read_token: \"${env:PATH}\"}\n");

        assertEquals(List.of(), AccessWarnings.of(null, none, "127.0.0.1"), "no tokens on loopback: open, as always, quietly");
        assertEquals(List.of(), AccessWarnings.of(null, none, "localhost"));
        assertEquals(List.of(), AccessWarnings.of(null, read, "0.0.0.0"));
        for (String bind : List.of("0.0.0.0", "::", "192.0.2.10", "hub.example.org")) {
            List<String> w = AccessWarnings.of(null, apiOnly, bind);
            assertEquals(1, w.size(), bind + ": " + w);
            assertTrue(w.get(0).contains("listens on " + bind) && w.get(0).contains("server.read_token"), w.get(0));
        }
        List<String> prometheus = AccessWarnings.of(null, publicApiOnly, "127.0.0.1");
        assertEquals(1, prometheus.size(), prometheus::toString);
        assertTrue(prometheus.get(0).contains("set server.read_token for Prometheus"), prometheus.get(0));

        List<String> off = AccessWarnings.of(publicApiOnly, apiOnly, "127.0.0.1");
        assertEquals(1, off.size(), off::toString);
        assertTrue(off.get(0).contains("turned the read guard off"), off.get(0));
        assertEquals(2, AccessWarnings.of(read, apiOnly, "0.0.0.0").size(), "off, and open beyond loopback");
        assertFalse(String.join(" ", AccessWarnings.of(read, apiOnly, "0.0.0.0")).contains(System.getenv("PATH")), "never a token");
    }

    @Test
    void signInThroughTheHubGuardsReadsAndSaysWhatPrometheusNeeds() throws Exception {
        String hub = "  hub_oauth: {hub_url: \"https://hub.example.org\", client_id: service-hubprobe, client_secret: \"${env:PATH}\","
                + " allow: {groups: [ops]}}\n";
        LoadedConfig oauth = load("server:\n" + hub);
        assertTrue(oauth.readsGuarded());
        List<String> w = AccessWarnings.of(null, oauth, "0.0.0.0");
        assertEquals(1, w.size(), w::toString);
        assertTrue(w.get(0).contains("server.hub_oauth guards reads") && w.get(0).contains("set server.read_token for Prometheus"), w.get(0));
        assertEquals(List.of(), AccessWarnings.of(null, load("server:\n  read_token: \"${env:PATH}\"\n" + hub), "0.0.0.0"));
    }
}
