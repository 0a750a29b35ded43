package dev.hubprobe.jupyter;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import okhttp3.Call;
import dev.hubprobe.json.Json;
import okio.BufferedSource;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;

/**
 * The small amount of HTTP both Jupyter clients share: send a request within the current phase's
 * {@link Deadline}, turn I/O failures into {@link UnreachableException} (or {@link DeadlineException}
 * when the phase's time ran out), turn unexpected statuses into {@link HttpStatusException} carrying
 * the server's own JSON {@code message}, and read bodies with a size cap and JSON strictly.
 */
public final class JupyterHttp {
    public static final MediaType JSON_TYPE = MediaType.get("application/json; charset=utf-8");
    /** Error bodies are read only this far: enough for a message, not enough to hurt. */
    private static final int MAX_ERROR_BODY = 16 * 1024;
    /** No hub or server answer we read is this large; a larger one is a broken or hostile peer. */
    static final long MAX_BODY = 4L << 20;

    private final OkHttpClient client;
    private final Deadline deadline;

    public JupyterHttp(OkHttpClient client, Deadline deadline) {
        this.client = client;
        this.deadline = deadline;
    }

    public static RequestBody jsonBody(JsonNode node) {
        return RequestBody.create(Json.write(node), JSON_TYPE);
    }

    /**
     * A call bounded by the phase's deadline (when one is set) instead of the client's own call
     * timeout: a kernel that takes 90 s to start within a 2 min budget is slow, not unreachable.
     *
     * @throws DeadlineException when the phase has no time left at all
     */
    public Call newCall(Request request) {
        return newCall(request, Long.MAX_VALUE);
    }

    /** As {@link #newCall(Request)}, and never longer than {@code capNanos} (a poll that must not linger). */
    public Call newCall(Request request, long capNanos) {
        long remaining = deadline.remaining();
        if (remaining <= 0) {
            throw new DeadlineException(describe(request) + ": the phase's time budget was spent before the call");
        }
        Call call = client.newCall(request);
        long bound = Math.min(capNanos, remaining);
        if (bound != Long.MAX_VALUE) {
            call.timeout().timeout(bound, TimeUnit.NANOSECONDS);
        }
        return call;
    }

    /** Sends the request; the caller owns (and must close) the response. */
    public Response send(Request request) {
        return send(request, Long.MAX_VALUE);
    }

    public Response send(Request request, long capNanos) {
        try {
            return newCall(request, capNanos).execute();
        } catch (IOException e) {
            throw failure(request, e);
        }
    }

    /** What an I/O failure means: the phase ran out of time, or the peer did not answer. */
    public RuntimeException failure(Request request, IOException e) {
        if (deadline.remaining() <= 0) {
            return new DeadlineException(describe(request) + ": no answer within the phase's time budget");
        }
        if (e instanceof InterruptedIOException) {
            return new UnreachableException(describe(request) + ": no answer in time (" + e.getMessage() + ")", e);
        }
        return new UnreachableException(describe(request) + ": " + e.getClass().getSimpleName()
                + (e.getMessage() == null ? "" : " " + e.getMessage()), e);
    }

    /** Sends the request and returns its JSON body when the status is one of {@code expected}. */
    public JsonNode json(Request request, int... expected) {
        try (Response response = send(request)) {
            check(request, response, expected);
            return parse(request, body(request, response));
        }
    }

    /** Sends the request and only checks its status. */
    public int call(Request request, int... expected) {
        try (Response response = send(request)) {
            check(request, response, expected);
            return response.code();
        }
    }

    public static void check(Request request, Response response, int... expected) {
        if (Arrays.stream(expected).noneMatch(s -> s == response.code())) {
            throw new HttpStatusException(request.method(), request.url().encodedPath(), response.code(),
                    errorMessage(response));
        }
    }

    /** The body as text, at most {@link #MAX_BODY} bytes. */
    public String body(Request request, Response response) {
        try {
            ResponseBody body = response.body();
            if (body == null) {
                return "";
            }
            BufferedSource source = body.source();
            if (source.request(MAX_BODY + 1)) {
                throw new ProtocolException(describe(request) + ": answer larger than " + (MAX_BODY >> 20) + " MiB");
            }
            return source.getBuffer().readUtf8();
        } catch (IOException e) {
            throw failure(request, e);
        }
    }

    public static JsonNode parse(Request request, String text) {
        try {
            JsonNode node = Json.parse(text);
            if (node == null || node.isMissingNode()) {
                throw new ProtocolException(describe(request) + ": empty body where JSON was expected");
            }
            return node;
        } catch (IOException e) {
            throw new ProtocolException(describe(request) + ": malformed JSON: " + Json.abbreviate(text, 120), e);
        }
    }

    /** JupyterHub and Jupyter Server both answer errors as {"status": N, "message": "..."}. */
    public static String errorMessage(Response response) {
        String text;
        try {
            text = response.peekBody(MAX_ERROR_BODY).string();
        } catch (IOException e) {
            return response.message();
        }
        try {
            JsonNode node = Json.parse(text);
            if (node != null && node.hasNonNull("message")) {
                return node.get("message").asText();
            }
        } catch (IOException ignored) {
            // an HTML error page: fall back to the reason phrase
        }
        return response.message().isEmpty() ? null : response.message();
    }

    /** Whether a URL is on an origin (scheme, host, port): the only place that origin's credentials may go. */
    public static boolean sameOrigin(HttpUrl origin, HttpUrl url) {
        return url.scheme().equals(origin.scheme()) && url.host().equals(origin.host()) && url.port() == origin.port();
    }

    /**
     * Ends a run's client: its calls in flight are cancelled. Its threads and idle connections belong to
     * the pool every run shares ({@link dev.hubprobe.jupyter.hub.HubClientSettings#clientBuilder}).
     */
    public static void shutdown(OkHttpClient client) {
        client.dispatcher().cancelAll();
    }

    public static String describe(Request request) {
        return request.method() + " " + request.url().encodedPath();
    }
}
