package dev.hubprobe.metrics;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Drops {@code ,profile=""} from an exposition as it is written: the {@code profile} label of a series
 * without a KubeSpawner profile. Prometheus stores the same series either way (an empty label is no
 * label), and the text stays what scrapers, tests and greps saw before profiles existed. Streaming, so a
 * ten-megabyte exposition is not copied once more. The sequence cannot occur inside a label value (its
 * quotes would be escaped there) and never opens a label set ({@code hub} sorts before it). Text formats only.
 */
final class WithoutEmptyProfile extends FilterOutputStream {
    private static final byte[] EMPTY = ",profile=\"\"".getBytes(StandardCharsets.US_ASCII);
    /** How many bytes of {@link #EMPTY} were seen last and held back. */
    private int matched;

    WithoutEmptyProfile(OutputStream out) {
        super(out);
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        int start = off; // the first byte neither written nor held back
        int end = off + len;
        for (int i = off; i < end; i++) {
            byte c = b[i];
            if (matched > 0) {
                if (c == EMPTY[matched]) {
                    matched++;
                    start = i + 1;
                    if (matched == EMPTY.length) {
                        matched = 0; // the whole label: dropped
                    }
                    continue;
                }
                out.write(EMPTY, 0, matched); // not the label after all: what was held back, then on from c
                matched = 0;
            }
            if (c == ',') {
                out.write(b, start, i - start);
                matched = 1;
                start = i + 1;
            }
        }
        out.write(b, start, end - start);
    }

    /** Writes what is held back (an exposition never ends inside the label, but a stream might). */
    void finish() throws IOException {
        if (matched > 0) {
            out.write(EMPTY, 0, matched);
            matched = 0;
        }
    }
}
