package dev.hubprobe.jupyter.kernel;

import dev.hubprobe.json.Json;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hubprobe.jupyter.DeadlineException;
import dev.hubprobe.jupyter.HttpStatusException;
import dev.hubprobe.jupyter.JupyterHttp;
import dev.hubprobe.jupyter.LimitExceededException;
import dev.hubprobe.jupyter.ProtocolException;
import dev.hubprobe.jupyter.UnreachableException;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.LongSupplier;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.WebSocket;
import okhttp3.WebSocketListener;
import okio.ByteString;

/**
 * One kernel's channels websocket, spoken in the JSON protocol. Replies are matched on
 * {@code parent_header.msg_id}: the server's own readiness probes produce stray messages.
 *
 * <p>Every wait is bounded, and while waiting the kernel's model is polled, so a kernel that dies is
 * reported at once rather than as a time-out. Only evidence counts as death (status restarting/dead,
 * a 404 for the kernel, a closed socket): a poll that gets no answer, during a proxy reload say, is
 * not one, and is only noted.
 */
public final class KernelChannel implements AutoCloseable {
    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(1000);
    /** One liveness poll may take this long at most; the socket's messages wait meanwhile. */
    static final long POLL_CAP_NANOS = TimeUnit.SECONDS.toNanos(5);
    /** Output kept per stream of one cell: enough to match on, not enough to exhaust memory. */
    static final int MAX_OUTPUT = 1 << 20;
    /** Bytes of one frame, and of one message's fragments together (a kernel's answer is a few kilobytes). */
    static final long MAX_FRAME = 16L << 20;
    /** Messages received and not yet read: a kernel that sends without end fills no more than this. */
    static final int MAX_QUEUED = 10_000;
    /** Characters of the messages received and not yet read, past which no more is taken (one message may still be a frame's worth). */
    static final long MAX_QUEUED_CHARS = 8L << 20;
    /**
     * JSON values in one message, and in the messages not yet read together: parsed, each is an object
     * on the heap (an empty one some 70 bytes), so 16 MiB of "[{},{},...]" would take 400 MB. A
     * kernel's answer holds a few dozen; a plotted figure's data some tens of thousands.
     */
    static final int MAX_VALUES = 500_000;
    static final long MAX_QUEUED_VALUES = 1_000_000;
    private static final Set<String> DEATH_STATES = Set.of("restarting", "autorestarting", "dead");

    private sealed interface Item permits Opened, Message, Closed, Broken {}

    private record Opened() implements Item {}

    private record Message(JsonNode json, int chars, int values) implements Item {}

    private record Closed(String why) implements Item {}

    private record Broken(RuntimeException error) implements Item {}

    private final BlockingQueue<Item> items = new LinkedBlockingQueue<>();
    private final AtomicInteger queued = new AtomicInteger();
    private final AtomicLong queuedChars = new AtomicLong();
    private final AtomicLong queuedValues = new AtomicLong();
    /** Set once the kernel sent more than the queue holds; every later wait ends with it. */
    private volatile LimitExceededException overflow;
    private final CountDownLatch closed = new CountDownLatch(1);
    private final WebSocket socket;
    private final String kernelId;
    private final Function<String, Optional<KernelModel>> model;
    private final LongSupplier nanoTime;
    private final String session = UUID.randomUUID().toString();
    private boolean open;
    private int unansweredPolls;
    private String language;

    KernelChannel(OkHttpClient client, HttpUrl url, String kernelId,
                  Function<String, Optional<KernelModel>> model, LongSupplier nanoTime) {
        this.kernelId = kernelId;
        this.model = model;
        this.nanoTime = nanoTime;
        OkHttpClient limited = client.newBuilder().addInterceptor(new FrameLimit(MAX_FRAME)).build();
        this.socket = limited.newWebSocket(new Request.Builder().url(url).build(), new WebSocketListener() {
            @Override
            public void onOpen(WebSocket webSocket, Response response) {
                items.add(new Opened());
            }

            @Override
            public void onMessage(WebSocket webSocket, String text) {
                if (overflow != null) {
                    return;
                }
                int count = queued.incrementAndGet();
                long before = queuedChars.getAndAdd(text.length());
                if (count > MAX_QUEUED || before > MAX_QUEUED_CHARS) {
                    overflow = new LimitExceededException("kernel channel sent more messages than the client holds unread ("
                            + (count > MAX_QUEUED ? MAX_QUEUED + " messages" : FrameLimit.mib(MAX_QUEUED_CHARS) + " of messages") + ")");
                    webSocket.cancel();
                    return;
                }
                try {
                    int values = Json.values(text, MAX_VALUES);
                    long valuesBefore = queuedValues.getAndAdd(values);
                    if (values > MAX_VALUES || valuesBefore > MAX_QUEUED_VALUES) {
                        queuedValues.addAndGet(-values);
                        overflow = new LimitExceededException(values > MAX_VALUES
                                ? "kernel channel sent a message of over " + MAX_VALUES + " JSON values"
                                : "kernel channel sent more messages than the client holds unread (" + MAX_QUEUED_VALUES + " JSON values)");
                        webSocket.cancel();
                        return;
                    }
                    JsonNode node = Json.parse(text);
                    if (node == null || !node.isObject() || !node.has("header") || !node.has("channel")) {
                        throw new IOException("not a Jupyter message");
                    }
                    items.add(new Message(node, text.length(), values));
                } catch (IOException e) {
                    items.add(new Broken(new ProtocolException("kernel channel sent a malformed frame: "
                            + Json.abbreviate(text, 120))));
                }
            }

            @Override
            public void onMessage(WebSocket webSocket, ByteString bytes) {
                items.add(new Broken(new ProtocolException(
                        "kernel channel sent a binary frame, but the JSON protocol was negotiated")));
            }

            @Override
            public void onClosing(WebSocket webSocket, int code, String reason) {
                webSocket.close(1000, null);
                items.add(new Closed("closed by the server (" + code + (reason.isEmpty() ? "" : " " + reason) + ")"));
            }

            @Override
            public void onClosed(WebSocket webSocket, int code, String reason) {
                closed.countDown();
            }

            @Override
            public void onFailure(WebSocket webSocket, Throwable t, Response response) {
                closed.countDown();
                if (t instanceof FrameLimit.TooLarge) {
                    // kept as the overflow too: the next send finds the socket closed, and must say why
                    overflow = new LimitExceededException(t.getMessage(), t);
                    items.add(new Broken(overflow));
                } else if (response != null && response.code() != 101) {
                    items.add(new Broken(new HttpStatusException("GET",
                            url.encodedPath(), response.code(), JupyterHttp.errorMessage(response))));
                } else {
                    items.add(new Closed("connection failed: " + t.getClass().getSimpleName()
                            + (t.getMessage() == null ? "" : " " + t.getMessage())));
                }
            }
        });
    }

    void awaitOpen(long deadlineNanos) {
        while (!open) {
            Item item = next(deadlineNanos, "the kernel's channels websocket did not open");
            if (item instanceof Opened) {
                open = true;
            } else if (item instanceof Closed c) {
                throw new UnreachableException("kernel channels websocket " + c.why(), null);
            }
        }
    }

    /** Sends {@code kernel_info_request} and waits for its reply: the kernel is ready to execute. */
    JsonNode kernelInfo(long deadlineNanos) {
        String msgId = send("shell", "kernel_info_request", Json.object());
        while (true) {
            JsonNode msg = nextMessage(deadlineNanos, "the kernel did not answer kernel_info");
            if (msgId.equals(parentId(msg)) && "kernel_info_reply".equals(type(msg))) {
                language = msg.path("content").path("language_info").path("name").asText(null);
                return msg.path("content");
            }
        }
    }

    /** Runs {@code code} and collects its output; done when both execute_reply and status idle arrived. */
    public ExecuteResult execute(String code, long deadlineNanos) {
        ObjectNode content = Json.object()
                .put("code", code).put("silent", false).put("store_history", false)
                .put("allow_stdin", false).put("stop_on_error", true);
        content.putObject("user_expressions");
        String msgId = send("shell", "execute_request", content);
        StringBuilder stdout = new StringBuilder();
        StringBuilder stderr = new StringBuilder();
        List<String> results = new ArrayList<>();
        String status = null;
        String ename = null;
        String evalue = null;
        List<String> traceback = List.of();
        boolean idle = false;
        while (status == null || !idle) {
            JsonNode msg = nextMessage(deadlineNanos, "no complete reply to the code before the deadline");
            if (!msgId.equals(parentId(msg))) {
                continue;
            }
            JsonNode c = msg.path("content");
            switch (type(msg)) {
                case "stream" -> append("stderr".equals(c.path("name").asText()) ? stderr : stdout, c.path("text").asText());
                case "execute_result", "display_data" -> {
                    JsonNode text = c.path("data").get("text/plain");
                    if (text != null) {
                        results.add(text.asText());
                    }
                }
                case "error" -> {
                    ename = c.path("ename").asText();
                    evalue = c.path("evalue").asText();
                    List<String> tb = new ArrayList<>();
                    c.path("traceback").forEach(t -> tb.add(t.asText()));
                    traceback = tb;
                }
                case "execute_reply" -> {
                    status = c.path("status").asText("ok");
                    if (!"ok".equals(status) && ename == null && c.hasNonNull("ename")) {
                        ename = c.path("ename").asText();
                        evalue = c.path("evalue").asText();
                    }
                }
                case "status" -> idle |= "idle".equals(c.path("execution_state").asText());
                default -> { }
            }
        }
        return new ExecuteResult(status, stdout.toString(), stderr.toString(), List.copyOf(results), ename, evalue, traceback);
    }

    private static void append(StringBuilder out, String text) {
        int room = MAX_OUTPUT - out.length();
        if (room > 0) {
            out.append(text, 0, Math.min(room, text.length()));
        }
    }

    /** The kernel's {@code language_info.name} from its kernel_info reply ("python"), or null. */
    public String language() {
        return language;
    }

    /** False once the socket closed or failed (a stop closes it to end a cell early): a new channel is needed. */
    public boolean isOpen() {
        return closed.getCount() > 0;
    }

    /** Liveness polls that got no answer; none of them counts as death. */
    public int unansweredPolls() {
        return unansweredPolls;
    }

    private String send(String channel, String msgType, ObjectNode content) {
        String msgId = UUID.randomUUID().toString();
        ObjectNode msg = Json.object();
        msg.putObject("header").put("msg_id", msgId).put("session", session).put("username", "hubprobe")
                .put("date", Json.instant(Instant.now())).put("msg_type", msgType).put("version", "5.3");
        msg.putObject("parent_header");
        msg.putObject("metadata");
        msg.set("content", content);
        msg.put("channel", channel);
        if (overflow != null) {
            throw overflow; // the socket was closed for it
        }
        if (!socket.send(Json.write(msg))) {
            throw new KernelDiedException("kernel channels websocket is closed");
        }
        return msgId;
    }

    private JsonNode nextMessage(long deadlineNanos, String timeoutMessage) {
        while (true) {
            Item item = next(deadlineNanos, timeoutMessage);
            if (item instanceof Message m) {
                JsonNode msg = m.json();
                if ("status".equals(type(msg))) {
                    String state = msg.path("content").path("execution_state").asText();
                    if (DEATH_STATES.contains(state)) {
                        throw new KernelDiedException("kernel " + kernelId + " reported status '" + state + "'");
                    }
                }
                return msg;
            }
            if (item instanceof Closed c) {
                throw new KernelDiedException("kernel channels websocket " + c.why());
            }
        }
    }

    /** The next item from the socket; between items the kernel model is checked for death. */
    private Item next(long deadlineNanos, String timeoutMessage) {
        while (true) {
            long remaining = deadlineNanos - nanoTime.getAsLong();
            if (remaining <= 0) {
                checkAlive();
                throw new DeadlineException(timeoutMessage);
            }
            if (overflow != null) {
                throw overflow;
            }
            Item item;
            try {
                item = items.poll(Math.min(remaining, POLL_NANOS), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new DeadlineException("interrupted: " + timeoutMessage);
            }
            if (overflow != null) {
                throw overflow; // before the close the overflow's cancel brought
            }
            if (item instanceof Broken b) {
                throw b.error();
            }
            if (item instanceof Message m) {
                queued.decrementAndGet();
                queuedChars.addAndGet(-m.chars());
                queuedValues.addAndGet(-m.values());
            }
            if (item != null) {
                return item;
            }
            checkAlive();
        }
    }

    private void checkAlive() {
        Optional<KernelModel> m;
        try {
            m = model.apply(kernelId);
        } catch (UnreachableException | DeadlineException | ProtocolException e) {
            unansweredPolls++;
            return;
        } catch (HttpStatusException e) {
            if (e.status() < 500) {
                throw e;
            }
            unansweredPolls++; // a proxy or server hiccup, not a verdict on the kernel
            return;
        }
        if (m.isEmpty()) {
            throw new KernelDiedException("kernel " + kernelId + " is gone (404 from the server)");
        }
        if (m.get().dead()) {
            throw new KernelDiedException("kernel " + kernelId + " is dead (execution_state 'dead')");
        }
    }

    private static String parentId(JsonNode msg) {
        return msg.path("parent_header").path("msg_id").asText(null);
    }

    private static String type(JsonNode msg) {
        String t = msg.path("header").path("msg_type").asText("");
        return t.isEmpty() ? msg.path("msg_type").asText("") : t;
    }

    /**
     * Drops the connection at once. A graceful close handshake would leave OkHttp a task that waits up
     * to a minute for the peer's answer; the kernel is deleted right after, so nothing is lost.
     */
    @Override
    public void close() {
        socket.cancel();
        try {
            closed.await(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
