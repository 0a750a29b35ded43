package dev.hubprobe.jupyter.hub;

import dev.hubprobe.json.Json;
import com.fasterxml.jackson.databind.JsonNode;
import dev.hubprobe.jupyter.DeadlineException;
import dev.hubprobe.jupyter.HttpStatusException;
import dev.hubprobe.jupyter.JupyterException;
import dev.hubprobe.jupyter.JupyterHttp;
import dev.hubprobe.jupyter.ProtocolException;
import dev.hubprobe.jupyter.UnreachableException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.hubprobe.jupyter.LimitExceededException;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.MediaType;
import okhttp3.ResponseBody;
import okio.Buffer;
import okio.BufferedSource;
import okio.ForwardingSource;
import okio.Okio;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.sse.EventSource;
import okhttp3.sse.EventSourceListener;
import okhttp3.sse.EventSources;

/**
 * A server-sent event stream (a spawn's progress, a BinderHub build), read one event at a time with a deadline. The SSE parsing is
 * okhttp-sse's; this class only hands events to a single reader and makes every wait bounded.
 *
 * <p>And every size: a line or an event over {@link #MAX_EVENT} ends the stream (okhttp-sse would
 * buffer a line of any length), a large event is kept only in part, and no more than
 * {@link #MAX_QUEUED} events (or {@link #MAX_QUEUED_CHARS} of them) wait for the reader. Each ends the stream with a
 * {@link LimitExceededException} naming the limit, so one hub cannot run the service out of memory.
 */
public final class ProgressStream implements AutoCloseable {
    /** Bytes of one line, and of one event's lines together. */
    public static final int MAX_EVENT = 1 << 20;
    /**
     * Events received and not yet read, and their characters: a reopened stream replays a spawn's
     * events at once, so a burst of a few thousand small ones is normal; more is not.
     */
    public static final int MAX_QUEUED = 20_000;
    static final long MAX_QUEUED_CHARS = 4L << 20;
    /**
     * JSON values in one event, counted before it is parsed: parsed, 1 MiB of "{}," is 350,000 objects,
     * some 25 MB of heap at once. A spawn's event, its Kubernetes event included, holds a few dozen.
     */
    static final int MAX_VALUES = 50_000;
    /** Characters of an event kept for the run (its page, its spawn's breakdown); a larger one is kept in part. */
    static final int MAX_KEPT = 8192;

    private sealed interface Item permits Event, Failure, Closed, Woken {}

    private record Event(ProgressEvent event, int chars) implements Item {}

    private record Failure(JupyterException error) implements Item {}

    private record Closed() implements Item {}

    /** Wakes a waiting reader; what it then does is {@link #interrupted}'s to say. */
    private record Woken() implements Item {}

    private final BlockingQueue<Item> items = new LinkedBlockingQueue<>();
    private final AtomicInteger queued = new AtomicInteger();
    private final java.util.concurrent.atomic.AtomicLong queuedChars = new java.util.concurrent.atomic.AtomicLong();
    private final EventSource source;
    private final LongSupplier nanoTime;
    private boolean finished;
    /** Set by {@link #interrupt()}, cleared by the wait it ends (as a thread's interrupt is). */
    private volatile boolean interrupted;

    public ProgressStream(OkHttpClient client, Request request, LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
        OkHttpClient capped = client.newBuilder().addInterceptor(chain -> {
            Response response = chain.proceed(chain.request());
            return response.body() == null ? response : response.newBuilder().body(new LineCappedBody(response.body())).build();
        }).build();
        this.source = EventSources.createFactory(capped).newEventSource(request, new EventSourceListener() {
            @Override
            public void onEvent(EventSource eventSource, String id, String type, String data) {
                long now = nanoTime.getAsLong();
                JsonNode node;
                try {
                    if (Json.values(data, MAX_VALUES) > MAX_VALUES) {
                        eventSource.cancel();
                        items.add(new Failure(new LimitExceededException("progress stream sent an event of over " + MAX_VALUES
                                + " JSON values")));
                        return;
                    }
                    node = Json.parse(data);
                    if (node == null || !node.isObject()) {
                        throw new IOException("not a JSON object");
                    }
                } catch (IOException e) {
                    items.add(new Failure(new ProtocolException("progress stream sent a malformed event: "
                            + Json.abbreviate(data, 120), e)));
                    return;
                }
                // charged by what it holds in memory once parsed, not by its length: 8 KiB of "[{},{},...]"
                // is 2,700 objects, some 200 KB of heap, and the run keeps 400 events
                int weight = weight(node);
                if (weight > MAX_KEPT) {
                    node = kept(node);
                    weight = Math.min(weight(node), MAX_KEPT);
                }
                int count = queued.incrementAndGet();
                long chars = queuedChars.addAndGet(weight);
                if (count > MAX_QUEUED || chars > MAX_QUEUED_CHARS) {
                    eventSource.cancel();
                    items.add(new Failure(new LimitExceededException("progress stream sent more events than the client holds unread ("
                            + (count > MAX_QUEUED ? MAX_QUEUED + " events" : (MAX_QUEUED_CHARS >> 20) + " MiB of events") + ")")));
                    return;
                }
                items.add(new Event(ProgressEvent.of(node, now), weight));
            }

            @Override
            public void onClosed(EventSource eventSource) {
                items.add(new Closed());
            }

            @Override
            public void onFailure(EventSource eventSource, Throwable t, Response response) {
                if (t instanceof TooLong tooLong) {
                    items.add(new Failure(new LimitExceededException(tooLong.getMessage(), t)));
                } else if (response != null && !response.isSuccessful()) {
                    items.add(new Failure(new HttpStatusException(request.method(), request.url().encodedPath(),
                            response.code(), JupyterHttp.errorMessage(response))));
                } else if (response != null && t == null) {
                    items.add(new Failure(new ProtocolException("progress stream answered "
                            + response.header("Content-Type") + ", not text/event-stream")));
                } else {
                    items.add(new Failure(new UnreachableException("progress stream broke off: "
                            + (t == null ? "unknown" : t.getClass().getSimpleName() + " " + t.getMessage()), t)));
                }
            }
        });
    }

    /**
     * The next event, waiting at most until {@code deadlineNanos} (on the stream's clock).
     *
     * @return null when the hub closed the stream cleanly
     * @throws DeadlineException when the deadline passes first
     */
    public ProgressEvent next(long deadlineNanos) {
        while (true) {
            if (finished) {
                return null;
            }
            if (interrupted) {
                interrupted = false;
                throw new DeadlineException("stopped waiting for events: the prober is stopping");
            }
            long wait = deadlineNanos - nanoTime.getAsLong();
            Item item;
            try {
                item = wait <= 0 ? items.poll() : items.poll(wait, TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new DeadlineException("interrupted while waiting for spawn progress");
            }
            if (item == null) {
                throw new DeadlineException("no spawn progress before the deadline");
            }
            if (item instanceof Woken) {
                continue; // the flag says whether to stop; a wake left over from a wait that ended is nothing
            }
            if (item instanceof Event e) {
                queued.decrementAndGet();
                queuedChars.addAndGet(-e.chars());
                return e.event();
            }
            finished = true;
            if (item instanceof Failure f) {
                throw f.error();
            }
            return null;
        }
    }

    /**
     * Ends the reader's current wait, or its next one, with a {@link DeadlineException}, and keeps the
     * stream open: a stop that must not lose what the stream will still say (the server a Binder launch
     * under way will hand over, which only its token can stop) wakes the step waiting on it.
     */
    public void interrupt() {
        interrupted = true;
        items.add(new Woken());
    }

    /** Forgets an {@link #interrupt()} no wait has taken yet: the reader that comes next means to wait. */
    public void clearInterrupt() {
        interrupted = false;
    }

    /** Events received and not yet read (past {@link #MAX_QUEUED} once the limit ended the stream). */
    int unread() {
        return queued.get();
    }

    @Override
    public void close() {
        source.cancel();
    }

    /** Fields a run reads of an event, copied first when a large one is kept in part. */
    private static final java.util.List<String> FIRST = java.util.List.of("progress", "ready", "failed", "phase", "url", "token",
            "imageName", "message", "raw_event");

    /**
     * A large event as kept: its fields (those a run reads first), each text cut, until
     * {@link #MAX_KEPT} characters are used; the rest is left out.
     */
    static JsonNode kept(JsonNode node) {
        int[] budget = {MAX_KEPT};
        ObjectNode out = Json.object();
        java.util.List<String> names = new java.util.ArrayList<>(FIRST);
        node.fieldNames().forEachRemaining(n -> {
            if (!FIRST.contains(n)) {
                names.add(n);
            }
        });
        for (String name : names) {
            JsonNode v = node.get(name);
            if (v != null && budget[0] > 0) {
                out.set(name, within(v, budget));
                budget[0] -= name.length();
            }
        }
        return out;
    }

    /**
     * What an object or array costs of the budget, itself: it holds no text, but some 50 to 70 bytes
     * of heap, so an event of empty ones ("[[],[],...]") is as large in memory as one of long text.
     */
    static final int CONTAINER = 32;

    /** The budget {@code v} would use whole, counted as {@link #kept} does, stopping once past {@code max}. */
    static int weight(JsonNode v) {
        int[] total = {0};
        weigh(v, total, MAX_KEPT);
        return total[0];
    }

    private static void weigh(JsonNode v, int[] total, int max) {
        if (v.isContainerNode()) {
            total[0] += CONTAINER;
            java.util.Iterator<java.util.Map.Entry<String, JsonNode>> fields = v.isObject() ? v.fields() : null;
            java.util.Iterator<JsonNode> items = v.isArray() ? v.elements() : null;
            while (total[0] <= max && (fields != null ? fields.hasNext() : items.hasNext())) {
                if (fields != null) {
                    java.util.Map.Entry<String, JsonNode> f = fields.next();
                    total[0] += f.getKey().length();
                    weigh(f.getValue(), total, max);
                } else {
                    weigh(items.next(), total, max);
                }
            }
        } else if (v.isTextual()) {
            total[0] += v.asText().length();
        } else {
            total[0] += 8;
        }
    }

    private static JsonNode within(JsonNode v, int[] budget) {
        if (v.isContainerNode()) {
            budget[0] -= CONTAINER;
        }
        if (v.isObject()) {
            ObjectNode o = Json.object();
            java.util.Iterator<java.util.Map.Entry<String, JsonNode>> it = v.fields();
            while (it.hasNext() && budget[0] > 0) {
                java.util.Map.Entry<String, JsonNode> f = it.next();
                budget[0] -= f.getKey().length();
                o.set(f.getKey(), within(f.getValue(), budget));
            }
            return o;
        }
        if (v.isArray()) {
            ArrayNode a = Json.array();
            for (int i = 0; i < v.size() && budget[0] > 0; i++) {
                a.add(within(v.get(i), budget));
            }
            return a;
        }
        if (v.isTextual()) {
            String text = Json.cap(v.asText(), Math.max(Json.CUT.length(), Math.min(budget[0], 2000)));
            budget[0] -= text.length();
            return TextNode.valueOf(text);
        }
        budget[0] -= 8;
        return v;
    }

    /** A line or an event longer than {@link #MAX_EVENT}: the stream ends with this. */
    private static final class TooLong extends IOException {
        TooLong(String message) {
            super(message);
        }
    }

    /**
     * The response body, failing once a line, or an event's lines together, passes {@link #MAX_EVENT}
     * bytes: before okhttp-sse has buffered more than that of it.
     */
    private static final class LineCappedBody extends ResponseBody {
        private final ResponseBody body;
        private final BufferedSource source;

        LineCappedBody(ResponseBody body) {
            this.body = body;
            this.source = Okio.buffer(new ForwardingSource(body.source()) {
                private long line;
                private long event;
                private byte previous;

                @Override
                public long read(Buffer sink, long byteCount) throws IOException {
                    long start = sink.size();
                    long n = super.read(sink, byteCount);
                    for (long i = start; i < start + Math.max(0, n); i++) {
                        byte b = sink.getByte(i);
                        if (b == '\n' || b == '\r') {
                            boolean crlf = previous == '\r' && b == '\n';
                            if (!crlf && line == 0) {
                                event = 0; // an empty line ends the event
                            }
                            line = 0;
                        } else {
                            line++;
                            event++;
                            if (line > MAX_EVENT || event > MAX_EVENT) {
                                throw new TooLong("progress stream sent " + (line > MAX_EVENT ? "a line" : "an event")
                                        + " over the " + (MAX_EVENT >> 20) + " MiB limit");
                            }
                        }
                        previous = b;
                    }
                    return n;
                }
            });
        }

        @Override
        public MediaType contentType() {
            return body.contentType();
        }

        @Override
        public long contentLength() {
            return body.contentLength();
        }

        @Override
        public BufferedSource source() {
            return source;
        }
    }
}
