package dev.hubprobe.jupyter.kernel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.InetSocketAddress;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.java_websocket.WebSocket;
import org.java_websocket.handshake.ClientHandshake;
import org.java_websocket.server.WebSocketServer;

/** A kernel channels endpoint that behaves as told: well, not at all, or badly. */
final class FakeKernelServer extends WebSocketServer {
    enum Behaviour { HEALTHY, SILENT, MALFORMED, DIES_ON_EXECUTE, CLOSES_ON_EXECUTE, SLOW_CELL }

    /** How long a SLOW_CELL execute takes before it answers: long enough for several liveness polls. */
    static final long SLOW_CELL_MS = 3500;

    private static final ObjectMapper JSON = new ObjectMapper();
    private final Behaviour behaviour;
    private final CountDownLatch started = new CountDownLatch(1);

    FakeKernelServer(Behaviour behaviour) {
        super(new InetSocketAddress("127.0.0.1", 0));
        this.behaviour = behaviour;
        setReuseAddr(true);
    }

    FakeKernelServer begin() throws InterruptedException {
        start();
        if (!started.await(10, TimeUnit.SECONDS)) {
            throw new IllegalStateException("fake kernel server did not start");
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
        if (behaviour == Behaviour.MALFORMED) {
            conn.send("{this is not json");
        }
    }

    @Override
    public void onMessage(WebSocket conn, String message) {
        try {
            JsonNode req = JSON.readTree(message);
            String type = req.path("header").path("msg_type").asText();
            if (behaviour == Behaviour.SILENT || behaviour == Behaviour.MALFORMED) {
                return;
            }
            if (type.equals("kernel_info_request")) {
                conn.send(reply(req, "shell", "kernel_info_reply", JSON.createObjectNode().put("status", "ok")));
                return;
            }
            switch (behaviour) {
                case DIES_ON_EXECUTE -> {
                    conn.send(reply(req, "iopub", "status", JSON.createObjectNode().put("execution_state", "busy")));
                    conn.send(status(null, "restarting"));
                }
                case CLOSES_ON_EXECUTE -> conn.close(1011, "kernel went away");
                default -> {
                    if (behaviour == Behaviour.SLOW_CELL) {
                        conn.send(reply(req, "iopub", "status", JSON.createObjectNode().put("execution_state", "busy")));
                        Thread.sleep(SLOW_CELL_MS); // a long cell: the server's own thread, as a busy kernel would
                    }
                    // a stray message from someone else's request must be ignored
                    conn.send(status("someone-else", "busy"));
                    conn.send(reply(req, "iopub", "status", JSON.createObjectNode().put("execution_state", "busy")));
                    conn.send(reply(req, "iopub", "stream", JSON.createObjectNode().put("name", "stdout").put("text", "hello\n")));
                    ObjectNode result = JSON.createObjectNode();
                    result.putObject("data").put("text/plain", "42");
                    conn.send(reply(req, "iopub", "execute_result", result));
                    conn.send(reply(req, "shell", "execute_reply", JSON.createObjectNode().put("status", "ok")));
                    conn.send(reply(req, "iopub", "status", JSON.createObjectNode().put("execution_state", "idle")));
                }
            }
        } catch (Exception e) {
            conn.close(1011, e.toString());
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

    private static String status(String parent, String state) {
        ObjectNode m = JSON.createObjectNode();
        m.putObject("header").put("msg_id", UUID.randomUUID().toString()).put("msg_type", "status");
        ObjectNode ph = m.putObject("parent_header");
        if (parent != null) {
            ph.put("msg_id", parent);
        }
        m.putObject("metadata");
        m.putObject("content").put("execution_state", state);
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
