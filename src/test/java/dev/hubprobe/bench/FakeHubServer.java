package dev.hubprobe.bench;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.function.Supplier;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Any number of fake hubs on one loopback port, for the scheduler benchmark: hub N lives under
 * {@code /hN/}. A spawn takes the time {@code spawnTime} draws (instant by default), during which its
 * progress stream says the pod is pending and sends the hub's keep-alives, as a real hub's does; the
 * kernel echoes the code it is sent as stdout, over a real websocket. The point is the prober's
 * cost, not the fake's.
 */
public final class FakeHubServer implements AutoCloseable {
    private static final Pattern PATH = Pattern.compile("^/(h\\d+)/(hub/api|user/[^/]+/api)(/.*)?$");
    private static final Pattern FIELD = Pattern.compile("\"(msg_id|msg_type|code)\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");
    private final ServerSocket server;
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "fake-hub");
        t.setDaemon(true);
        return t;
    });
    private final AtomicLong requests = new AtomicLong();
    private final Map<String, Long> readyAt = new ConcurrentHashMap<>();
    private final Supplier<Duration> spawnTime;
    private volatile boolean open = true;

    public FakeHubServer() throws IOException {
        this(() -> Duration.ZERO);
    }

    /** @param spawnTime how long each spawn takes, drawn anew for every spawn */
    public FakeHubServer(Supplier<Duration> spawnTime) throws IOException {
        this.spawnTime = spawnTime;
        server = new ServerSocket(0, 4096, InetAddress.getLoopbackAddress());
        pool.submit(this::accept);
    }

    public String hubUrl(int n) {
        return "http://127.0.0.1:" + server.getLocalPort() + "/h" + n + "/";
    }

    public long requests() {
        return requests.get();
    }

    private void accept() {
        while (open) {
            try {
                Socket s = server.accept();
                pool.submit(() -> serve(s));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket socket) {
        try (socket; InputStream in = new BufferedInputStream(socket.getInputStream()); OutputStream out = socket.getOutputStream()) {
            while (true) {
                String head = readHead(in);
                if (head == null) {
                    return;
                }
                requests.incrementAndGet();
                String[] lines = head.split("\r\n");
                String[] first = lines[0].split(" ");
                Map<String, String> headers = new HashMap<>();
                for (int i = 1; i < lines.length; i++) {
                    int c = lines[i].indexOf(':');
                    if (c > 0) {
                        headers.put(lines[i].substring(0, c).trim().toLowerCase(Locale.ROOT), lines[i].substring(c + 1).trim());
                    }
                }
                int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
                in.readNBytes(length);
                String path = first[1].split("\\?")[0];
                if ("websocket".equalsIgnoreCase(headers.get("upgrade"))) {
                    websocket(in, out, headers.get("sec-websocket-key"));
                    return;
                }
                if (!route(first[0], path, out)) {
                    return; // the stream was answered and closed
                }
            }
        } catch (IOException | RuntimeException e) {
            // the client went away
        }
    }

    /** Answers one request; false when the connection must close after it. */
    private boolean route(String method, String path, OutputStream out) throws IOException {
        Matcher m = PATH.matcher(path);
        if (!m.matches()) {
            respond(out, 404, "{\"status\": 404, \"message\": \"Not Found\"}");
            return true;
        }
        String hub = m.group(1);
        String rest = m.group(3) == null ? "/" : m.group(3);
        if (m.group(2).equals("hub/api")) {
            switch (method + " " + rest) {
                case "GET /" -> respond(out, 200, "{\"version\": \"6.1.1\"}");
                case "GET /user" -> respond(out, 200, "{\"kind\": \"user\", \"name\": \"bot\", \"scopes\": []}");
                case "GET /users/bot" -> respond(out, 200, "{\"name\": \"bot\", \"servers\": {}}");
                case "POST /users/bot/server" -> {
                    Duration d = spawnTime.get();
                    readyAt.put(hub, System.nanoTime() + d.toNanos());
                    respond(out, d.isZero() ? 201 : 202, "");
                }
                case "DELETE /users/bot/server" -> {
                    readyAt.remove(hub);
                    respond(out, 204, null);
                }
                case "GET /users/bot/server/progress" -> {
                    out.write("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n"
                            .getBytes(StandardCharsets.US_ASCII));
                    long ready = readyAt.getOrDefault(hub, 0L);
                    if (ready > System.nanoTime()) {
                        event(out, "{\"progress\": 10, \"message\": \"Pod is pending\"}");
                    }
                    while (ready > System.nanoTime()) {
                        try {
                            Thread.sleep(Math.min(8000, Math.max(1, (ready - System.nanoTime()) / 1_000_000)));
                        } catch (InterruptedException e) {
                            return false;
                        }
                        out.write(":\n\n".getBytes(StandardCharsets.US_ASCII)); // the hub's keep-alive
                        out.flush();
                    }
                    event(out, "{\"progress\": 100, \"ready\": true, \"url\": \"/" + hub + "/user/bot/\"}");
                    return false;
                }
                default -> respond(out, 404, "{\"status\": 404, \"message\": \"no " + rest + "\"}");
            }
        } else {
            switch (method + " " + rest) {
                case "GET /kernelspecs" -> respond(out, 200, "{\"default\": \"python3\", \"kernelspecs\": {}}");
                case "POST /kernels" -> respond(out, 201, "{\"id\": \"k1\", \"name\": \"python3\", \"execution_state\": \"idle\"}");
                case "GET /kernels/k1" -> respond(out, 200, "{\"id\": \"k1\", \"name\": \"python3\", \"execution_state\": \"idle\"}");
                case "DELETE /kernels/k1" -> respond(out, 204, null);
                default -> respond(out, 404, "{\"status\": 404, \"message\": \"no " + rest + "\"}");
            }
        }
        return true;
    }

    private static void event(OutputStream out, String json) throws IOException {
        out.write(("data: " + json + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static void respond(OutputStream out, int status, String json) throws IOException {
        byte[] body = json == null ? new byte[0] : json.getBytes(StandardCharsets.UTF_8);
        out.write(("HTTP/1.1 " + status + " X\r\nContent-Type: application/json\r\nContent-Length: " + body.length
                + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(body);
        out.flush();
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int state = 0;
        while (state < 4) {
            int c = in.read();
            if (c < 0) {
                return null;
            }
            b.write(c);
            state = (c == '\r' && (state == 0 || state == 2)) || (c == '\n' && (state == 1 || state == 3)) ? state + 1 : 0;
        }
        return b.toString(StandardCharsets.US_ASCII);
    }

    private static void websocket(InputStream in, OutputStream out, String key) throws IOException {
        String accept;
        try {
            accept = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-1")
                    .digest((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").getBytes(StandardCharsets.US_ASCII)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        out.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "
                + accept + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        while (true) {
            int b0 = in.read();
            int b1 = in.read();
            if (b0 < 0 || b1 < 0) {
                return;
            }
            long len = b1 & 0x7f;
            if (len == 126) {
                len = (in.read() << 8) | in.read();
            } else if (len == 127) {
                len = 0;
                for (int i = 0; i < 8; i++) {
                    len = (len << 8) | in.read();
                }
            }
            byte[] mask = (b1 & 0x80) != 0 ? in.readNBytes(4) : null;
            byte[] payload = in.readNBytes((int) len);
            if (mask != null) {
                for (int i = 0; i < payload.length; i++) {
                    payload[i] ^= mask[i % 4];
                }
            }
            int opcode = b0 & 0x0f;
            if (opcode == 8) {
                frame(out, 8, new byte[0]);
                return;
            }
            if (opcode == 9) {
                frame(out, 10, payload);
            } else if (opcode == 1) {
                kernel(out, new String(payload, StandardCharsets.UTF_8));
            }
        }
    }

    /** The echo kernel: kernel_info answered, execute prints its code back. */
    private static void kernel(OutputStream out, String message) throws IOException {
        Map<String, String> f = new HashMap<>();
        Matcher m = FIELD.matcher(message);
        while (m.find()) {
            f.putIfAbsent(m.group(1), m.group(2));
        }
        String parent = "{\"msg_id\": \"" + f.get("msg_id") + "\"}";
        if ("kernel_info_request".equals(f.get("msg_type"))) {
            send(out, "shell", "kernel_info_reply", parent, "{\"status\": \"ok\"}");
        } else if ("execute_request".equals(f.get("msg_type"))) {
            send(out, "iopub", "status", parent, "{\"execution_state\": \"busy\"}");
            send(out, "iopub", "stream", parent, "{\"name\": \"stdout\", \"text\": \"" + f.get("code") + "\\n\"}");
            send(out, "shell", "execute_reply", parent, "{\"status\": \"ok\"}");
            send(out, "iopub", "status", parent, "{\"execution_state\": \"idle\"}");
        }
    }

    private static void send(OutputStream out, String channel, String type, String parent, String content) throws IOException {
        String msg = "{\"header\": {\"msg_id\": \"x\", \"msg_type\": \"" + type + "\"}, \"parent_header\": " + parent
                + ", \"metadata\": {}, \"content\": " + content + ", \"channel\": \"" + channel + "\"}";
        frame(out, 1, msg.getBytes(StandardCharsets.UTF_8));
    }

    private static void frame(OutputStream out, int opcode, byte[] payload) throws IOException {
        out.write(0x80 | opcode);
        if (payload.length < 126) {
            out.write(payload.length);
        } else {
            out.write(126);
            out.write(payload.length >> 8);
            out.write(payload.length & 0xff);
        }
        out.write(payload);
        out.flush();
    }

    @Override
    public void close() throws IOException {
        open = false;
        server.close();
        pool.shutdownNow();
    }
}
