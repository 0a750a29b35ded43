package dev.hubprobe.jupyter.kernel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.java_websocket.WebSocket;
import org.java_websocket.enums.Opcode;
import org.java_websocket.handshake.ClientHandshake;
import org.java_websocket.server.WebSocketServer;

/**
 * A kernel channels endpoint that answers kernel_info, then sends what no kernel should: one frame
 * larger than any output, a message in a thousand fragments, or messages without end.
 */
final class HostileKernelServer extends WebSocketServer {
    enum Behaviour { HUGE_FRAME, HUGE_FRAGMENTED_MESSAGE, FLOOD,
        /** a message well under the frame limit, of empty objects: small text, a heap's worth parsed */
        DENSE_MESSAGE,
        /** pings without end from the start (a pong is queued for each, however many) */
        PING_FLOOD }

    private static final ObjectMapper JSON = new ObjectMapper();
    private final Behaviour behaviour;
    private final long bytes;
    private final CountDownLatch started = new CountDownLatch(1);
    volatile int sent;

    /** @param bytes how large the frame or message is, or how many messages the flood sends */
    HostileKernelServer(Behaviour behaviour, long bytes) {
        super(new InetSocketAddress("127.0.0.1", 0));
        this.behaviour = behaviour;
        this.bytes = bytes;
        setReuseAddr(true);
    }

    HostileKernelServer begin() throws InterruptedException {
        start();
        if (!started.await(10, TimeUnit.SECONDS)) {
            throw new IllegalStateException("hostile kernel server did not start");
        }
        return this;
    }

    String url() {
        return "http://127.0.0.1:" + getPort() + "/api/kernels/k1/channels";
    }

    @Override
    public void onStart() {
        started.countDown();
    }

    @Override
    public void onOpen(WebSocket conn, ClientHandshake handshake) {
        if (behaviour == Behaviour.PING_FLOOD) {
            for (long i = 0; i < bytes && conn.isOpen(); i++) {
                conn.sendPing();
                sent++;
            }
        }
        if (behaviour == Behaviour.FLOOD) {
            // someone else's messages, more than anyone reads, sent while the client reads nothing
            for (long i = 0; i < bytes && conn.isOpen(); i++) {
                conn.send(status("someone-else"));
                sent++;
            }
        }
    }

    @Override
    public void onMessage(WebSocket conn, String message) {
        try {
            JsonNode req = JSON.readTree(message);
            String type = req.path("header").path("msg_type").asText();
            if (type.equals("kernel_info_request")) {
                conn.send(reply(req, "shell", "kernel_info_reply", JSON.createObjectNode().put("status", "ok")));
                return;
            }
            if (behaviour == Behaviour.DENSE_MESSAGE) {
                String m = reply(req, "iopub", "stream", JSON.createObjectNode().put("name", "stdout").put("text", "1\n")
                        .put("pad", "@"));
                StringBuilder pad = new StringBuilder("[");
                for (long i = 0; i < bytes / 3; i++) {
                    pad.append(i == 0 ? "{}" : ",{}");
                }
                conn.send(m.replace("\"@\"", pad.append(']')));
                conn.send(reply(req, "shell", "execute_reply", JSON.createObjectNode().put("status", "ok")));
                conn.send(reply(req, "iopub", "status", JSON.createObjectNode().put("execution_state", "idle")));
                return;
            }
            String head = reply(req, "iopub", "stream", JSON.createObjectNode().put("name", "stdout").put("text", "@"));
            int at = head.indexOf('@');
            byte[] prefix = head.substring(0, at).getBytes(StandardCharsets.UTF_8);
            byte[] suffix = head.substring(at + 1).getBytes(StandardCharsets.UTF_8);
            long fill = bytes - prefix.length - suffix.length;
            if (behaviour == Behaviour.HUGE_FRAME) {
                ByteBuffer b = ByteBuffer.allocate((int) bytes);
                b.put(prefix);
                for (long i = 0; i < fill; i++) {
                    b.put((byte) 'x');
                }
                b.put(suffix).flip();
                conn.sendFragmentedFrame(Opcode.TEXT, b, true);
            } else {
                int chunk = 64 << 10;
                conn.sendFragmentedFrame(Opcode.TEXT, ByteBuffer.wrap(prefix), false);
                byte[] xs = new byte[chunk];
                java.util.Arrays.fill(xs, (byte) 'x');
                for (long left = fill; left > 0 && conn.isOpen(); left -= chunk) {
                    conn.sendFragmentedFrame(Opcode.TEXT, ByteBuffer.wrap(xs, 0, (int) Math.min(chunk, left)), false);
                }
                conn.sendFragmentedFrame(Opcode.TEXT, ByteBuffer.wrap(suffix), true);
            }
            conn.send(reply(req, "shell", "execute_reply", JSON.createObjectNode().put("status", "ok")));
            conn.send(reply(req, "iopub", "status", JSON.createObjectNode().put("execution_state", "idle")));
        } catch (Exception e) {
            if (conn.isOpen()) {
                conn.close(1011, e.getClass().getSimpleName());
            }
        }
    }

    private static String reply(JsonNode req, String channel, String type, ObjectNode content) {
        ObjectNode m = JSON.createObjectNode();
        m.putObject("header").put("msg_id", UUID.randomUUID().toString()).put("msg_type", type);
        m.set("parent_header", req.path("header"));
        m.putObject("metadata");
        m.set("content", content);
        m.put("channel", channel);
        return m.toString();
    }

    private static String status(String parent) {
        ObjectNode m = JSON.createObjectNode();
        m.putObject("header").put("msg_id", UUID.randomUUID().toString()).put("msg_type", "status");
        m.putObject("parent_header").put("msg_id", parent);
        m.putObject("metadata");
        m.putObject("content").put("execution_state", "busy");
        m.put("channel", "iopub");
        return m.toString();
    }

    @Override
    public void onClose(WebSocket conn, int code, String reason, boolean remote) {
    }

    @Override
    public void onError(WebSocket conn, Exception ex) {
    }
}
