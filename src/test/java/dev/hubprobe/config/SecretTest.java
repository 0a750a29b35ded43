package dev.hubprobe.config;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hubprobe.service.ServiceConfigLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A secret too short to be masked (4 characters or fewer: masking it would mask ordinary words) is
 * refused when the config is loaded, naming the file and the key, never the value.
 */
class SecretTest {
    @TempDir
    Path dir;

    private ConfigException load(String secretFileContent, String ref, String keyLine) throws Exception {
        Files.createDirectories(dir.resolve("probes"));
        Files.writeString(dir.resolve("probes/kernel-smoke.yml"), "cells: [{code: print(1)}]\n");
        Files.writeString(dir.resolve("short"), secretFileContent);
        Path cfg = dir.resolve("hubprobe.yml");
        Files.writeString(cfg, """
                probes_dir: probes
                hubs:
                  - name: staging
                    url: https://staging.example.org
                    auth: {token: "%s"}
                    probes: [{probe: kernel-smoke}]
                %s""".formatted(ref, keyLine));
        return assertThrows(ConfigException.class, () -> ServiceConfigLoader.load(cfg));
    }

    @Test
    void aFourCharacterTokenFromAFileIsRefusedNamingFileAndKey() throws Exception {
        ConfigException e = load("q7Zx\n", "${file:short}", "");
        String m = e.getMessage();
        assertTrue(m.contains("hubprobe.yml") && m.contains("hubs[0].auth.token") && m.contains("too short"), m);
        assertFalse(m.contains("q7Zx"), "the value is never shown: " + m);
    }

    @Test
    void aShortSlackWebhookIsRefusedToo() throws Exception {
        Files.writeString(dir.resolve("long"), "a-long-enough-token\n");
        ConfigException e = load("k9\n", "${file:long}", """
                alerting:
                  notifiers:
                    - slack: {webhook_url: "${file:short}"}
                """);
        String m = e.getMessage();
        assertTrue(m.contains("hubprobe.yml") && m.contains("webhook_url") && m.contains("too short"), m);
        assertFalse(m.contains("k9\n") || m.matches("(?s).*\\bk9\\b.*"), m);
    }

    @Test
    void aShortValueInAnEnvironmentVariableIsRefusedNamingTheVariable() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> Secret.fromEnv("STAGING_HUB_TOKEN", name -> name.equals("STAGING_HUB_TOKEN") ? "abcd" : null));
        assertTrue(e.getMessage().contains("STAGING_HUB_TOKEN") && e.getMessage().contains("too short"), e.getMessage());
        assertFalse(e.getMessage().contains("abcd"), e.getMessage());
    }
}
