package dev.hubprobe.prometheus;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The shipped alert rules are valid and behave as their unit tests say (promtool, from Debian's prometheus). */
class PrometheusRulesTest {
    private static String promtool(String... args) throws Exception {
        String[] cmd = new String[args.length + 1];
        cmd[0] = "promtool";
        System.arraycopy(args, 0, cmd, 1, args.length);
        Process p = new ProcessBuilder(cmd).directory(Path.of("config/prometheus").toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), () -> String.join(" ", cmd) + ":\n" + out);
        return out;
    }

    @Test
    void rulesAreValid() throws Exception {
        promtool("check", "rules", "hubprobe-rules.yml");
    }

    @Test
    void rulesPassTheirTests() throws Exception {
        promtool("test", "rules", "hubprobe-rules.test.yml");
    }
}
