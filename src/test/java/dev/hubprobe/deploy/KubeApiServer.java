package dev.hubprobe.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hubprobe.testhub.RealHub;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A real Kubernetes API server on loopback: kube-apiserver on kine (etcd's API on SQLite in a temp
 * folder), no controller manager, scheduler or kubelet. Objects are validated, defaulted, admitted
 * and stored as in a cluster; nothing runs them, so pods never exist. Both processes are stopped by
 * {@link #close()}, on every path.
 */
final class KubeApiServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path dir;
    private final List<Process> processes = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final String token = "t-" + UUID.randomUUID();
    private int port;
    private HttpClient http;
    private Thread hook;

    private KubeApiServer(Path dir) {
        this.dir = dir;
    }

    static KubeApiServer start(K8sTools tools, Path dir) throws Exception {
        KubeApiServer k = new KubeApiServer(dir);
        // a test JVM that is killed or exits without close() leaves neither process behind
        Thread hook = new Thread(() -> k.processes.forEach(Process::destroyForcibly), "kube-apiserver-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        k.hook = hook;
        try {
            k.run(tools);
            return k;
        } catch (Exception | Error e) {
            k.close();
            throw e;
        }
    }

    private void run(K8sTools tools) throws Exception {
        Path kineDir = Files.createDirectories(dir.resolve("kine"));
        int etcdPort = RealHub.freePort();
        // no --endpoint: SQLite in ./db/state.db of its working folder; no metrics listener (0)
        Process kine = new ProcessBuilder(tools.kine().toString(), "--listen-address", "127.0.0.1:" + etcdPort,
                "--metrics-bind-address", "0")
                .directory(kineDir.toFile()).redirectErrorStream(true).redirectOutput(dir.resolve("kine.log").toFile()).start();
        processes.add(kine);
        awaitPort(etcdPort, kine, "kine");

        Path tokens = dir.resolve("tokens.csv");
        Files.writeString(tokens, token + ",admin,admin,system:masters\n");
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        KeyPair sa = g.generateKeyPair();
        Path saKey = dir.resolve("sa.key");
        Path saPub = dir.resolve("sa.pub");
        Files.writeString(saKey, pem("PRIVATE KEY", sa.getPrivate().getEncoded()));
        Files.writeString(saPub, pem("PUBLIC KEY", sa.getPublic().getEncoded()));
        Path certs = Files.createDirectories(dir.resolve("certs"));
        port = RealHub.freePort();
        Process api = new ProcessBuilder(tools.kubeApiserver().toString(),
                "--etcd-servers=http://127.0.0.1:" + etcdPort,
                "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", "--secure-port=" + port,
                "--cert-dir=" + certs, "--token-auth-file=" + tokens,
                "--authorization-mode=AlwaysAllow",
                "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
                "--service-account-key-file=" + saPub, "--service-account-signing-key-file=" + saKey,
                "--service-cluster-ip-range=10.96.0.0/16",
                "--enable-priority-and-fairness=false",
                // the PVC protection finalizer is removed by the controller manager, which does not run
                // here: without this a deleted claim stays Terminating for ever
                "--disable-admission-plugins=StorageObjectInUseProtection")
                .redirectErrorStream(true).redirectOutput(dir.resolve("kube-apiserver.log").toFile()).start();
        processes.add(api);
        awaitPort(port, api, "kube-apiserver");
        // the serving certificate it made for itself (and its CA), for helm's kubeconfig and this client
        Path crt = certs.resolve("apiserver.crt");
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        int i = 0;
        for (Certificate c : CertificateFactory.getInstance("X.509")
                .generateCertificates(new ByteArrayInputStream(Files.readAllBytes(crt)))) {
            trust.setCertificateEntry("c" + i++, c);
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(null, tmf.getTrustManagers(), null);
        http = HttpClient.newBuilder().sslContext(ssl).connectTimeout(Duration.ofSeconds(10)).build();
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        String last = "";
        while (true) {
            if (!api.isAlive()) {
                throw new IOException("kube-apiserver exited (" + api.exitValue() + "): " + tail(dir.resolve("kube-apiserver.log")));
            }
            try {
                HttpResponse<String> r = send("GET", "/readyz", null, null);
                if (r.statusCode() == 200) {
                    break;
                }
                last = r.statusCode() + " " + r.body();
            } catch (IOException e) {
                last = e.toString();
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("kube-apiserver not ready in 3 minutes: " + last);
            }
            Thread.sleep(500);
        }
        Files.writeString(kubeconfig(), """
                apiVersion: v1
                kind: Config
                clusters: [{name: test, cluster: {server: "https://127.0.0.1:%d", certificate-authority: "%s"}}]
                users: [{name: admin, user: {token: "%s"}}]
                contexts: [{name: test, context: {cluster: test, user: admin}}]
                current-context: test
                """.formatted(port, crt, token));
    }

    Path kubeconfig() {
        return dir.resolve("kubeconfig");
    }

    /**
     * An API request with the admin token; a YAML or JSON body when given. A 429 is retried for up to a
     * minute, as client-go does: a CRD's storage answers "storage is (re)initializing" for a moment after
     * the CRD is made.
     */
    HttpResponse<String> send(String method, String path, String body, String contentType) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        while (true) {
            HttpResponse<String> r = sendOnce(method, path, body, contentType);
            if (r.statusCode() != 429 || System.nanoTime() > deadline) {
                return r;
            }
            Thread.sleep(500);
        }
    }

    private HttpResponse<String> sendOnce(String method, String path, String body, String contentType) throws IOException,
            InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(60)).header("Authorization", "Bearer " + token).header("Accept", "application/json");
        if (body == null) {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            b.header("Content-Type", contentType).method(method, HttpRequest.BodyPublishers.ofString(body));
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    JsonNode get(String path) throws IOException, InterruptedException {
        HttpResponse<String> r = send("GET", path, null, null);
        if (r.statusCode() != 200) {
            throw new IOException("GET " + path + ": " + r.statusCode() + " " + r.body());
        }
        return JSON.readTree(r.body());
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(der) + "\n-----END " + type + "-----\n";
    }

    private static void awaitPort(int port, Process p, String name) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (true) {
            if (!p.isAlive()) {
                throw new IOException(name + " exited (" + p.exitValue() + ")");
            }
            try (java.net.Socket s = new java.net.Socket()) {
                s.connect(new java.net.InetSocketAddress("127.0.0.1", port), 1000);
                return;
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    throw new IOException(name + " is not listening on " + port + " after 2 minutes");
                }
                Thread.sleep(200);
            }
        }
    }

    static String tail(Path log) throws IOException {
        List<String> lines = Files.readAllLines(log);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    }

    /** The API server first (it holds kine's connections), then kine; each waited for, then killed. */
    @Override
    public void close() throws InterruptedException {
        List<Process> stopFirst = new ArrayList<>(processes);
        java.util.Collections.reverse(stopFirst);
        for (Process p : stopFirst) {
            p.destroy();
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
        }
        processes.clear();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // the JVM is already shutting down: the hook is running or ran
        }
    }
}
