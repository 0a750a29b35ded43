package dev.hubprobe.testhub;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Path;

/** A real TLS endpoint on localhost: configurable-http-proxy serving a test certificate, forwarding to the test hub. */
public final class TlsProxy implements AutoCloseable {
    private final Process process;
    private final int port;

    private TlsProxy(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    /** Serves {@code leaf} on {@code port} (0: a free one), in front of the hub at {@code hubPort}. */
    public static TlsProxy start(TestCertificates.Leaf leaf, int port, int hubPort, Path log) throws IOException, InterruptedException {
        Path chp = RealHub.install(RealHub.basedir()).resolve("node_modules/.bin/configurable-http-proxy");
        int p = port == 0 ? RealHub.freePort() : port;
        Process process = new ProcessBuilder(chp.toString(), "--ip", "127.0.0.1", "--port", Integer.toString(p),
                "--api-ip", "127.0.0.1", "--api-port", Integer.toString(RealHub.freePort()),
                "--ssl-key", leaf.key().toString(), "--ssl-cert", leaf.cert().toString(),
                "--default-target", "http://127.0.0.1:" + hubPort)
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        for (int i = 0; i < 100; i++) {
            try (Socket s = new Socket("127.0.0.1", p)) {
                return new TlsProxy(process, p);
            } catch (IOException notYet) {
                if (!process.isAlive()) {
                    break;
                }
                Thread.sleep(100);
            }
        }
        process.destroyForcibly();
        throw new IOException("TLS proxy not listening on " + p + "; see " + log);
    }

    public int port() {
        return port;
    }

    public String url() {
        return "https://localhost:" + port + "/";
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        process.waitFor();
    }
}
