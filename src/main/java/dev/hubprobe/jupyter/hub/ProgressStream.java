package dev.hubprobe.jupyter.hub;

import dev.hubprobe.json.Json;
import com.fasterxml.jackson.databind.JsonNode;
import dev.hubprobe.jupyter.DeadlineException;
import dev.hubprobe.jupyter.HttpStatusException;
import dev.hubprobe.jupyter.JupyterException;
import dev.hubprobe.jupyter.JupyterHttp;
import dev.hubprobe.jupyter.ProtocolException;
import dev.hubprobe.jupyter.UnreachableException;
import java.io.IOException;
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
 */
public final class ProgressStream implements AutoCloseable {
    private sealed interface Item permits Event, Failure, Closed {}

    private record Event(ProgressEvent event) implements Item {}

    private record Failure(JupyterException error) implements Item {}

    private record Closed() implements Item {}

    private final BlockingQueue<Item> items = new LinkedBlockingQueue<>();
    private final EventSource source;
    private final LongSupplier nanoTime;
    private boolean finished;

    public ProgressStream(OkHttpClient client, Request request, LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
        this.source = EventSources.createFactory(client).newEventSource(request, new EventSourceListener() {
            @Override
            public void onEvent(EventSource eventSource, String id, String type, String data) {
                long now = nanoTime.getAsLong();
                try {
                    JsonNode node = Json.MAPPER.readTree(data);
                    if (node == null || !node.isObject()) {
                        throw new IOException("not a JSON object");
                    }
                    items.add(new Event(ProgressEvent.of(node, now)));
                } catch (IOException e) {
                    items.add(new Failure(new ProtocolException("progress stream sent a malformed event: "
                            + Json.abbreviate(data, 120), e)));
                }
            }

            @Override
            public void onClosed(EventSource eventSource) {
                items.add(new Closed());
            }

            @Override
            public void onFailure(EventSource eventSource, Throwable t, Response response) {
                if (response != null && !response.isSuccessful()) {
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
        if (finished) {
            return null;
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
        if (item instanceof Event e) {
            return e.event();
        }
        finished = true;
        if (item instanceof Failure f) {
            throw f.error();
        }
        return null;
    }

    @Override
    public void close() {
        source.cancel();
    }
}
