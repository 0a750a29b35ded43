package dev.hubprobe.jupyter;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.Arrays;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;

/**
 * The small amount of HTTP both Jupyter clients share: send a request, turn I/O failures into
 * {@link UnreachableException}, turn unexpected statuses into {@link HttpStatusException} carrying
 * the server's own JSON {@code message}, and parse JSON bodies strictly.
 */
public final class JupyterHttp {
    public static final ObjectMapper JSON = new ObjectMapper();
    public static final MediaType JSON_TYPE = MediaType.get("application/json; charset=utf-8");
    /** Error bodies are read only this far: enough for a message, not enough to hurt. */
    private static final int MAX_ERROR_BODY = 16 * 1024;

    private final OkHttpClient client;

    public JupyterHttp(OkHttpClient client) {
        this.client = client;
    }

    public OkHttpClient client() {
        return client;
    }

    public static RequestBody jsonBody(JsonNode node) {
        return RequestBody.create(node.toString(), JSON_TYPE);
    }

    public static ObjectNode object() {
        return JSON.createObjectNode();
    }

    /** Sends the request; the caller owns (and must close) the response. */
    public Response send(Request request) {
        try {
            return client.newCall(request).execute();
        } catch (InterruptedIOException e) {
            throw new UnreachableException(describe(request) + ": no answer in time (" + e.getMessage() + ")", e);
        } catch (IOException e) {
            throw new UnreachableException(describe(request) + ": " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : " " + e.getMessage()), e);
        }
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

    public static String body(Request request, Response response) {
        try {
            ResponseBody body = response.body();
            return body == null ? "" : body.string();
        } catch (InterruptedIOException e) {
            throw new UnreachableException(describe(request) + ": body not received in time", e);
        } catch (IOException e) {
            throw new UnreachableException(describe(request) + ": body broken off: " + e.getMessage(), e);
        }
    }

    public static JsonNode parse(Request request, String text) {
        try {
            JsonNode node = JSON.readTree(text);
            if (node == null || node.isMissingNode()) {
                throw new ProtocolException(describe(request) + ": empty body where JSON was expected");
            }
            return node;
        } catch (IOException e) {
            throw new ProtocolException(describe(request) + ": malformed JSON: " + abbreviate(text, 120), e);
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
            JsonNode node = JSON.readTree(text);
            if (node != null && node.hasNonNull("message")) {
                return node.get("message").asText();
            }
        } catch (IOException ignored) {
            // an HTML error page: fall back to the reason phrase
        }
        return response.message().isEmpty() ? null : response.message();
    }

    public static String describe(Request request) {
        return request.method() + " " + request.url().encodedPath();
    }

    public static String abbreviate(String s, int max) {
        if (s == null) {
            return "";
        }
        String flat = s.replaceAll("\\s+", " ").trim();
        return flat.length() <= max ? flat : flat.substring(0, max) + "...";
    }
}
