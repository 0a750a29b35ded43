package dev.hubprobe.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The empty profile label is dropped from the exposition however the writer splits it, and nothing else is touched. */
class WithoutEmptyProfileTest {
    private static String filtered(String text, int chunk) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        WithoutEmptyProfile f = new WithoutEmptyProfile(out);
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < b.length; i += chunk) {
            f.write(b, i, Math.min(chunk, b.length - i));
        }
        f.finish();
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void dropsOnlyTheEmptyProfileLabelAtEverySplit() throws Exception {
        String in = """
                a{hub="x",probe="p",profile=""} 1.0
                a{hub="x",probe="p",profile="gpu-small"} 0.0
                b{hub="x",phase="spawn",probe="p",profile="",reason="spawn_failed"} 2.0
                c{hub="x",probe="p,profile=\\"\\"",profilex=""} 3.0
                d{hub="x",probe="p",profile="" """;
        String want = """
                a{hub="x",probe="p"} 1.0
                a{hub="x",probe="p",profile="gpu-small"} 0.0
                b{hub="x",phase="spawn",probe="p",reason="spawn_failed"} 2.0
                c{hub="x",probe="p,profile=\\"\\"",profilex=""} 3.0
                d{hub="x",probe="p" """;
        for (int chunk : new int[] {1, 2, 3, 5, 7, 11, 4096}) {
            assertEquals(want, filtered(in, chunk), "written in chunks of " + chunk);
        }
        assertEquals("x,profile=\"", filtered("x,profile=\"", 3), "a prefix at the end is kept");
    }
}
