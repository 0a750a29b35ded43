package dev.hubprobe.tls;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * The inspection's timeout is the whole handshake's, not one read's: a server that trickles a byte
 * every second (under any per-read timeout) held the inspecting thread for as long as it liked.
 */
class TlsInspectorTest {
    /** Answers a ClientHello with a TLS record header announcing 16 KiB, then sends its body one byte a second. */
    private static final class Trickler implements AutoCloseable {
        final ServerSocket server = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
        final Thread thread = new Thread(this::serve, "trickler");

        Trickler() throws IOException {
            thread.setDaemon(true);
            thread.start();
        }

        private void serve() {
            try (Socket s = server.accept()) {
                InputStream in = s.getInputStream();
                in.read(new byte[4096]); // the ClientHello
                OutputStream out = s.getOutputStream();
                out.write(new byte[] {0x16, 0x03, 0x03, 0x40, 0x00});
                out.flush();
                for (int i = 0; i < 20 && !server.isClosed(); i++) {
                    Thread.sleep(1000);
                    out.write(0x02);
                    out.flush();
                }
            } catch (IOException | InterruptedException e) {
                // the client gave up, or the test closed us
            }
        }

        @Override
        public void close() throws IOException, InterruptedException {
            server.close();
            thread.interrupt();
            thread.join(5000);
        }
    }

    @Test
    void aServerTricklingItsHandshakeIsCutOffAtTheInspectionsTimeout() throws Exception {
        try (Trickler t = new Trickler()) {
            long start = System.nanoTime();
            IOException e = assertThrows(IOException.class, () -> new TlsInspector(TrustStores.with(null), Duration.ofSeconds(3))
                    .inspect("127.0.0.1", t.server.getLocalPort(), Instant.now()));
            double took = (System.nanoTime() - start) / 1e9;
            assertTrue(took < 6, "the handshake went on for " + took + " s with a 3 s timeout");
            assertTrue(String.valueOf(e.getMessage()).contains("3s"), e::toString);
        }
    }
}
