package dev.hubprobe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hubprobe.config.ConfigException;
import java.nio.file.Files;
import org.junit.jupiter.api.io.TempDir;

import dev.hubprobe.probe.ProbeDefinition;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ProbeOptionsTest {

    /** check's default probe is built in code (no YAML read on its path): it must stay what the shipped file says. */
    @Test
    void builtInProbeIsTheShippedKernelSmokeFile() throws Exception {
        ProbeDefinition shipped = ProbeDefinition.load(Path.of("probes/kernel-smoke.yml"));
        assertEquals(shipped, ProbeOptions.builtIn());
        assertEquals(ProbeOptions.builtInFromFile(), ProbeOptions.builtIn());
        assertEquals(shipped, new ProbeOptions().resolve());
    }

    @TempDir
    Path dir;

    /** check: an app's selector needs the run's Chromium, from the file's ui: or from --ui. */
    @Test
    void anAppSelectorNeedsUiFromTheFileOrTheCommandLine() throws Exception {
        Path f = dir.resolve("app.yml");
        Files.writeString(f, "cells: [{code: print(1)}]\napps: [{path: /spa/, expect: {selector: \"#app-root\"}}]\n");
        ProbeOptions options = new ProbeOptions();
        options.probeFile = f;
        ConfigException e = assertThrows(ConfigException.class, options::resolve);
        assertTrue(e.getMessage().startsWith(f + ":2: apps[0].expect.selector: '#app-root' is looked for in the run's Chromium"), e.getMessage());
        assertTrue(e.getMessage().contains("check --ui lab"), e.getMessage());
        options.ui = "lab";
        assertEquals("#app-root", options.resolve().apps().get(0).expect().selector());
    }
}
