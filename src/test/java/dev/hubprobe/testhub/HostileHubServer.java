package dev.hubprobe.testhub;

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
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Hubs that send what no hub should, on one loopback port, for the service's own tests: the mode is
 * the first path segment ({@code /big-event/}, {@code /big-frame/}, {@code /good/}). What they send
 * is made as it is written, so the test's own heap holds none of it:
 * <ul>
 *   <li>{@code big-event}: the spawn's progress stream is one event line of {@link #HUGE} bytes</li>
 *   <li>{@code big-frame}: the spawn passes; the kernel answers the first cell with one websocket
 *   frame of {@link #HUGE} bytes</li>
 *   <li>{@code endless-events}: the spawn's progress stream sends small events without end, never ready</li>
 *   <li>{@code good}: a hub whose spawn passes and whose kernel prints 42</li>
 * </ul>
 */
public final class HostileHubServer implements AutoCloseable {
    /** What a hostile hub sends at once: far more than the service's heap. */
    public static final long HUGE = 300L << 20;
    private static final Pattern PATH = Pattern.compile("^/([a-z-]+)/(hub/api|user/bot/api)(/.*)?$");
    private static final Pattern FIELD = Pattern.compile("\"(msg_id|msg_type)\"\\s*:\\s*\"([^\"]*)\"");
    private final ServerSocket server;
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "hostile-hub");
        t.setDaemon(true);
        return t;
    });
    /** Bytes of hostile payload written so far, over every connection. */
    public final AtomicLong hostileBytes = new AtomicLong();

    public HostileHubServer() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        pool.submit(this::accept);
    }

    public String url(String mode) {
        return "http://127.0.0.1:" + server.getLocalPort() + "/" + mode + "/";
    }

    private void accept() {
        while (!server.isClosed()) {
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
                String head = head(in);
                if (head == null) {
                    return;
                }
                String[] lines = head.split("\r\n");
                String[] first = lines[0].split(" ");
                Map<String, String> headers = new HashMap<>();
                for (int i = 1; i < lines.length; i++) {
                    int c = lines[i].indexOf(':');
                    if (c > 0) {
                        headers.put(lines[i].substring(0, c).trim().toLowerCase(Locale.ROOT), lines[i].substring(c + 1).trim());
                    }
                }
                in.readNBytes(Integer.parseInt(headers.getOrDefault("content-length", "0")));
                Matcher m = PATH.matcher(first[1].split("\\?")[0]);
                if (!m.matches()) {
                    respond(out, 404, "{\"message\": \"no such path\"}");
                    continue;
                }
                String mode = m.group(1);
                String rest = m.group(3) == null ? "/" : m.group(3);
                if ("websocket".equalsIgnoreCase(headers.get("upgrade"))) {
                    kernel(mode, in, out, headers.get("sec-websocket-key"));
                    return;
                }
                if (!route(mode, first[0] + " " + (m.group(2).equals("hub/api") ? "hub" : "server") + rest, out)) {
                    return;
                }
            }
        } catch (IOException | RuntimeException e) {
            // the client went away, or cut us off: what a hostile hub's peer should do
        }
    }

    /** Answers one request; false when the connection ends after it. */
    private boolean route(String mode, String call, OutputStream out) throws IOException {
        switch (call) {
            case "GET hub/" -> respond(out, 200, "{\"version\": \"5.2.1\"}");
            case "GET hub/user" -> respond(out, 200, "{\"kind\": \"user\", \"name\": \"bot\", \"scopes\": [\"self\"]}");
            case "GET hub/users/bot" -> respond(out, 200, "{\"name\": \"bot\", \"servers\": {}}");
            case "POST hub/users/bot/server" -> respond(out, 201, "");
            case "DELETE hub/users/bot/server" -> respond(out, 204, null);
            case "GET hub/users/bot/server/progress" -> {
                out.write("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                if (mode.equals("endless-events")) {
                    byte[] event = "data: {\"progress\": 50, \"message\": \"Back-off pulling image\"}\n\n".getBytes(StandardCharsets.US_ASCII);
                    for (long sent = 0; sent < 50_000_000L; sent++) { // until the client hangs up
                        out.write(event);
                        hostileBytes.addAndGet(event.length);
                    }
                }
                if (mode.equals("big-event")) {
                    out.write("data: {\"progress\": 50, \"message\": \"".getBytes(StandardCharsets.US_ASCII));
                    hostile(out, HUGE);
                    out.write("\"}\n\n".getBytes(StandardCharsets.US_ASCII));
                }
                out.write(("data: {\"progress\": 100, \"ready\": true, \"url\": \"/" + mode + "/user/bot/\"}\n\n")
                        .getBytes(StandardCharsets.US_ASCII));
                out.flush();
                return false;
            }
            case "GET server/kernelspecs" -> respond(out, 200, "{\"default\": \"python3\", \"kernelspecs\": {}}");
            case "POST server/kernels" -> respond(out, 201, "{\"id\": \"k1\", \"name\": \"python3\", \"execution_state\": \"idle\"}");
            case "GET server/kernels/k1" -> respond(out, 200, "{\"id\": \"k1\", \"name\": \"python3\", \"execution_state\": \"idle\"}");
            case "DELETE server/kernels/k1" -> respond(out, 204, null);
            default -> respond(out, 404, "{\"message\": \"no " + call + "\"}");
        }
        return true;
    }

    /** {@code n} bytes of 'x', written as they are made. */
    private void hostile(OutputStream out, long n) throws IOException {
        byte[] chunk = new byte[64 << 10];
        Arrays.fill(chunk, (byte) 'x');
        for (long left = n; left > 0; left -= chunk.length) {
            int len = (int) Math.min(chunk.length, left);
            out.write(chunk, 0, len);
            hostileBytes.addAndGet(len);
        }
    }

    /** The channels websocket: kernel_info answered; the first execute answered as the mode says. */
    private void kernel(String mode, InputStream in, OutputStream out, String key) throws IOException {
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
            byte[] mask = (b1 & 0x80) != 0 ? in.readNBytes(4) : new byte[4];
            byte[] payload = in.readNBytes((int) len);
            for (int i = 0; i < payload.length; i++) {
                payload[i] ^= mask[i % 4];
            }
            int opcode = b0 & 0x0f;
            if (opcode == 8) {
                return;
            }
            if (opcode != 1) {
                continue;
            }
            Map<String, String> f = new HashMap<>();
            Matcher m = FIELD.matcher(new String(payload, StandardCharsets.UTF_8));
            while (m.find()) {
                f.putIfAbsent(m.group(1), m.group(2));
            }
            String parent = "{\"msg_id\": \"" + f.get("msg_id") + "\"}";
            if ("kernel_info_request".equals(f.get("msg_type"))) {
                send(out, message("shell", "kernel_info_reply", parent, "{\"status\": \"ok\", \"language_info\": {\"name\": \"python\"}}"));
            } else if ("execute_request".equals(f.get("msg_type"))) {
                send(out, message("iopub", "status", parent, "{\"execution_state\": \"busy\"}"));
                if (mode.equals("big-frame")) {
                    String head = message("iopub", "stream", parent, "{\"name\": \"stdout\", \"text\": \"@\"}");
                    byte[] prefix = head.substring(0, head.indexOf('@')).getBytes(StandardCharsets.UTF_8);
                    byte[] suffix = head.substring(head.indexOf('@') + 1).getBytes(StandardCharsets.UTF_8);
                    header(out, prefix.length + HUGE + suffix.length);
                    out.write(prefix);
                    hostile(out, HUGE);
                    out.write(suffix);
                } else {
                    send(out, message("iopub", "stream", parent, "{\"name\": \"stdout\", \"text\": \"42\\n\"}"));
                }
                send(out, message("shell", "execute_reply", parent, "{\"status\": \"ok\"}"));
                send(out, message("iopub", "status", parent, "{\"execution_state\": \"idle\"}"));
            }
        }
    }

    private static String message(String channel, String type, String parent, String content) {
        return "{\"header\": {\"msg_id\": \"m\", \"msg_type\": \"" + type + "\"}, \"parent_header\": " + parent
                + ", \"metadata\": {}, \"content\": " + content + ", \"channel\": \"" + channel + "\"}";
    }

    private static void send(OutputStream out, String text) throws IOException {
        byte[] payload = text.getBytes(StandardCharsets.UTF_8);
        header(out, payload.length);
        out.write(payload);
        out.flush();
    }

    /** A final text frame's header, unmasked as a server's is. */
    private static void header(OutputStream out, long length) throws IOException {
        out.write(0x81);
        if (length < 126) {
            out.write((int) length);
        } else if (length <= 0xffff) {
            out.write(126);
            out.write((int) (length >> 8));
            out.write((int) (length & 0xff));
        } else {
            out.write(127);
            for (int i = 7; i >= 0; i--) {
                out.write((int) (length >> (8 * i)) & 0xff);
            }
        }
    }

    private static void respond(OutputStream out, int status, String json) throws IOException {
        byte[] body = json == null ? new byte[0] : json.getBytes(StandardCharsets.UTF_8);
        out.write(("HTTP/1.1 " + status + " X\r\nContent-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.write(body);
        out.flush();
    }

    private static String head(InputStream in) throws IOException {
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

    @Override
    public void close() throws IOException {
        server.close();
        pool.shutdownNow();
    }
}
